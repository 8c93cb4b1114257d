"""Agreements between two parties: their minima, alerting, sharing level, frequencies and
contacts, and their status (in force, suspended, terminated) with its history.

Without an agreement in force between two parties, nothing about one reaches the other:
their plans are not checked against each other, their aircraft not paired for alerts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from deconflict.alerting.config import BUILT_IN
from deconflict.errors import InputError, RefusedError
from deconflict.plans.check import Separation
from deconflict.plans.notices import MIN_CELL_M, Sharing
from deconflict.store.plans import Policy, Terms
from deconflict.units import nm_to_m


class AgreementStatus(StrEnum):
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


#: the changes of status allowed (terminated is final: a new agreement is made instead)
MOVES: Mapping[AgreementStatus, tuple[AgreementStatus, ...]] = {
    AgreementStatus.IN_FORCE: (AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED),
    AgreementStatus.SUSPENDED: (AgreementStatus.IN_FORCE, AgreementStatus.TERMINATED),
}


@dataclass(frozen=True)
class Contact:
    """A person or post to call on the hotline, in order of escalation within a party."""

    party_id: str
    name: str
    phone: str = ""


@dataclass(frozen=True)
class AgreementTerms:
    """What two parties agreed. Minima apply to plans and to live tracks alike."""

    sharing: Sharing = Sharing.SAFETY
    hsep_nm: float = 5.0
    vsep_ft: float = 1000.0
    lookahead_s: float = 300.0
    alerting: str = "do365b"
    allow_plan_conflicts: bool = False
    region_cell_km: float = MIN_CELL_M / 1000.0
    frequencies: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["sharing"] = str(self.sharing)
        out["frequencies"] = list(self.frequencies)
        out["contacts"] = [asdict(c) for c in self.contacts]
        return out

    def plan_terms(self) -> Terms:
        return Terms(
            Separation(nm_to_m(self.hsep_nm), self.vsep_ft),
            self.sharing,
            self.allow_plan_conflicts,
            self.region_cell_km * 1000.0,
        )


_FIELDS = {
    "sharing", "hsep_nm", "vsep_ft", "lookahead_s", "alerting", "allow_plan_conflicts",
    "region_cell_km", "frequencies", "contacts",
}  # fmt: skip


def terms_from_json(data: Mapping[str, Any], parties: tuple[str, str]) -> AgreementTerms:
    """Terms from JSON (the API's and the store's form), checked: a one-line error for the
    first thing wrong."""
    if not isinstance(data, Mapping):
        raise InputError("terms must be an object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise InputError(f"unknown term {unknown[0]!r}; terms are: {', '.join(sorted(_FIELDS))}")
    d = AgreementTerms()
    try:
        sharing = Sharing(data.get("sharing", d.sharing))
    except ValueError:
        raise InputError(
            f"sharing {data.get('sharing')!r} is not one of: {', '.join(s.value for s in Sharing)}"
        ) from None

    def number(name: str, lo: float, hi: float) -> float:
        value = data.get(name, getattr(d, name))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{name} must be a number")
        if not (math.isfinite(value) and lo <= value <= hi):
            raise InputError(f"{name} {value} is not in [{lo:g}, {hi:g}]")
        return float(value)

    alerting = data.get("alerting", d.alerting)
    if alerting not in BUILT_IN:
        raise InputError(f"alerting {alerting!r} is not one of: {', '.join(BUILT_IN)}")
    allow = data.get("allow_plan_conflicts", d.allow_plan_conflicts)
    if not isinstance(allow, bool):
        raise InputError("allow_plan_conflicts must be true or false")
    frequencies = data.get("frequencies", [])
    if not isinstance(frequencies, list) or not all(
        isinstance(f, str) and 0 < len(f) <= 64 for f in frequencies
    ):
        raise InputError("frequencies must be a list of short strings (e.g. '243.000 MHz')")
    contacts = []
    for c in data.get("contacts", []):
        if not isinstance(c, Mapping) or set(c) - {"party_id", "name", "phone"}:
            raise InputError("each contact is an object with party_id, name and phone")
        if c.get("party_id") not in parties:
            raise InputError(f"contact {c.get('name')!r}: party_id must be one of {parties}")
        name, phone = c.get("name"), c.get("phone", "")
        if not isinstance(name, str) or not name or not isinstance(phone, str):
            raise InputError("each contact needs a name (and a phone, as text)")
        contacts.append(Contact(str(c["party_id"]), name, phone))
    return AgreementTerms(
        sharing,
        number("hsep_nm", 0.0, 100.0),
        number("vsep_ft", 0.0, 10_000.0),
        number("lookahead_s", 0.0, 3600.0),
        str(alerting),
        allow,
        number("region_cell_km", MIN_CELL_M / 1000.0, 1000.0),
        tuple(frequencies),
        tuple(contacts),
    )


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    party_a: str
    party_b: str
    status: AgreementStatus
    version: int
    terms: AgreementTerms
    created_s: float
    updated_s: float

    @property
    def parties(self) -> tuple[str, str]:
        return (self.party_a, self.party_b)

    def other(self, party: str) -> str:
        return self.party_b if party == self.party_a else self.party_a

    def as_json(self) -> dict[str, Any]:
        return {
            "agreement_id": self.agreement_id,
            "parties": list(self.parties),
            "status": str(self.status),
            "version": self.version,
            "terms": self.terms.as_json(),
            "created_s": self.created_s,
            "updated_s": self.updated_s,
        }


def check_move(agreement: Agreement, status: AgreementStatus) -> None:
    if status not in MOVES.get(agreement.status, ()):
        raise RefusedError(
            f"agreement {agreement.agreement_id} is {agreement.status}: it cannot become {status}"
        )


def policy(agreements: list[Agreement]) -> Policy:
    """The plan store's policy: the terms of each pair with an agreement in force, and no
    terms at all between any other two parties."""
    return Policy(
        default=None,
        pairs={
            frozenset(a.parties): a.terms.plan_terms()
            for a in agreements
            if a.status is AgreementStatus.IN_FORCE
        },
    )
