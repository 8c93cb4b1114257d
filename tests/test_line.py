"""The line's rules, on SQLite and on PostgreSQL: parties, keys, agreements and their
history, the plan store's policy kept in step with the agreements, and plans named in a
space of each party's own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from deconflict.errors import AuthError, ForbiddenError, InputError, NotFoundError, RefusedError
from deconflict.line import keys
from deconflict.line.agreements import AgreementStatus
from deconflict.line.keys import Role
from deconflict.line.line import OPERATOR, Caller, Line
from deconflict.plans.volume import Plan
from deconflict.store import Status, open_store
from line_world import Clock
from plan_factory import disc


@pytest.fixture
def clock() -> Clock:
    return Clock(1_795_600_000.0)


@pytest.fixture
def line(store_url: str, clock: Clock) -> Iterator[Line]:
    made = Line(open_store(store_url), clock=clock)
    for p in ("blue", "red", "green"):
        made.add_party(OPERATOR, p, p.title())
    yield made
    made.close()


def _officer(line: Line, party: str) -> Caller:
    _, token = line.create_key(OPERATOR, "officer", party)
    return line.authenticate(token)


def test_a_key_is_kept_as_a_hash_and_works_until_revoked_or_expired(
    line: Line, clock: Clock
) -> None:
    info, token = line.create_key(OPERATOR, "feed", "blue", "radar 1", clock.now + 100.0)
    assert token.startswith(f"dk_{info.key_id}_")
    stored = line.store.read(lambda tx: tx.rows("SELECT * FROM api_keys"))
    assert token.split("_", 2)[2] not in json.dumps(stored)  # the secret is nowhere
    assert keys.sha256(token.split("_", 2)[2]) in json.dumps(stored)
    caller = line.authenticate(token)
    assert (caller.role, caller.party_id) == (Role.FEED, "blue")
    for bad in (None, "", "dk_x", token[:-1] + ("A" if token[-1] != "A" else "B"),
                f"dk_{'0' * 16}_{token.split('_', 2)[2]}"):  # fmt: skip
        with pytest.raises(AuthError):
            line.authenticate(bad)
    clock.now += 100.0
    with pytest.raises(AuthError):
        line.authenticate(token)
    other, token2 = line.create_key(OPERATOR, "observer", "blue")
    line.revoke_key(OPERATOR, other.key_id)
    with pytest.raises(AuthError):
        line.authenticate(token2)
    with pytest.raises(RefusedError, match="revoked already"):
        line.revoke_key(OPERATOR, other.key_id)
    assert {k.key_id for k in line.keys(OPERATOR, "blue")} == {info.key_id, other.key_id}


@pytest.mark.parametrize(
    ("role", "party", "error"),
    [
        ("admin", "blue", "belongs to no party"),
        ("officer", None, "needs a party"),
        ("pilot", "blue", "is not one of"),
        ("officer", "nobody", "no party"),
    ],
)
def test_bad_keys_are_refused(line: Line, role: str, party: str | None, error: str) -> None:
    with pytest.raises((InputError, NotFoundError), match=error):
        line.create_key(OPERATOR, role, party)


def test_only_an_admin_operates_the_line(line: Line) -> None:
    officer = _officer(line, "blue")
    for act in (
        lambda: line.add_party(officer, "x", "X"),
        lambda: line.create_key(officer, "officer", "blue"),
        lambda: line.make_agreement(officer, "blue", "red", {}),
        lambda: line.verify_audit(officer),
    ):
        with pytest.raises(ForbiddenError):
            act()


@pytest.mark.parametrize("party_id", ["", "Blue", "a b", "x" * 64, "-x", "ü"])
def test_party_ids_are_plain_names(line: Line, party_id: str) -> None:
    with pytest.raises(InputError, match="party_id"):
        line.add_party(OPERATOR, party_id, "X")


def test_an_agreement_moves_through_its_states_with_its_history(line: Line) -> None:
    terms = {"sharing": "coordination", "frequencies": ["243.000 MHz"]}
    made = line.make_agreement(OPERATOR, "red", "blue", terms)
    assert made.parties == ("blue", "red") and made.status is AgreementStatus.IN_FORCE
    with pytest.raises(RefusedError, match="have an agreement already"):
        line.make_agreement(OPERATOR, "blue", "red", {})
    line.change_agreement(OPERATOR, made.agreement_id, 1, "suspended")
    with pytest.raises(RefusedError, match="at version 2, not 1"):
        line.change_agreement(OPERATOR, made.agreement_id, 1, "in_force")
    line.change_agreement(OPERATOR, made.agreement_id, 2, terms={"hsep_nm": 3.0})
    line.change_agreement(OPERATOR, made.agreement_id, 3, "terminated")
    with pytest.raises(RefusedError, match="terminated"):
        line.change_agreement(OPERATOR, made.agreement_id, 4, "in_force")
    history = line.history(OPERATOR, made.agreement_id)
    assert [(h["version"], h["status"]) for h in history] == [
        (1, "in_force"), (2, "suspended"), (3, "suspended"), (4, "terminated")
    ]  # fmt: skip
    assert history[2]["terms"]["hsep_nm"] == 3.0 and history[1]["terms"]["hsep_nm"] == 5.0
    # terminated: a new one may be made
    again = line.make_agreement(OPERATOR, "blue", "red", {})
    assert again.agreement_id != made.agreement_id


@pytest.mark.parametrize(
    ("terms", "error"),
    [
        ({"sharing": "everything"}, "sharing"),
        ({"hsep_nm": -1}, "hsep_nm"),
        ({"hsep_nm": float("inf")}, "hsep_nm"),
        ({"vsep_ft": "1000"}, "vsep_ft must be a number"),
        ({"region_cell_km": 5}, "region_cell_km"),
        ({"alerting": "mine"}, "alerting"),
        ({"allow_plan_conflicts": "yes"}, "true or false"),
        ({"contacts": [{"party_id": "green", "name": "x"}]}, "party_id must be one of"),
        ({"radius": 3}, "unknown term 'radius'"),
    ],
)
def test_bad_terms_are_refused_with_the_reason(
    line: Line, terms: dict[str, Any], error: str
) -> None:
    with pytest.raises(InputError, match=error):
        line.make_agreement(OPERATOR, "blue", "red", terms)


def test_parties_see_their_own_agreements_only(line: Line) -> None:
    ab = line.make_agreement(OPERATOR, "blue", "red", {})
    green = _officer(line, "green")
    assert line.agreements(green) == []
    with pytest.raises(NotFoundError):
        line.agreement(green, ab.agreement_id)
    with pytest.raises(NotFoundError):
        line.history(green, ab.agreement_id)
    assert [p.party_id for p in line.parties(green)] == ["green"]


def _plan(plan_id: str, party: str, lon: float) -> Plan:
    return Plan(plan_id, party, (disc(45.0, lon, 20_000.0),))


def test_plans_are_checked_only_between_parties_with_an_agreement_in_force(line: Line) -> None:
    blue, red, green = (_officer(line, p) for p in ("blue", "red", "green"))
    assert line.file_plan(blue, _plan("p", "blue", 5.0)).status is Status.ACCEPTED
    # no agreement: red's plan over blue's is accepted, and no one is told
    assert line.file_plan(red, _plan("p", "red", 5.1)).status is Status.ACCEPTED
    ab = line.make_agreement(OPERATOR, "blue", "red", {})
    assert line.file_plan(red, _plan("q", "red", 5.1)).status is Status.MISSED
    line.change_agreement(OPERATOR, ab.agreement_id, 1, "suspended")
    assert line.file_plan(red, _plan("q", "red", 5.1)).status is Status.ACCEPTED
    assert line.file_plan(green, _plan("p", "green", 5.0)).status is Status.ACCEPTED
    assert line.notices(blue) == [] and line.notices(green) == []


def test_a_plan_is_filed_by_an_officer_of_its_own_party(line: Line) -> None:
    blue = _officer(line, "blue")
    with pytest.raises(ForbiddenError, match="own party"):
        line.file_plan(blue, _plan("p", "red", 5.0))
    _, token = line.create_key(OPERATOR, "observer", "blue")
    with pytest.raises(ForbiddenError):
        line.file_plan(line.authenticate(token), _plan("p", "blue", 5.0))
    with pytest.raises(InputError, match="plan_id"):
        line.file_plan(blue, _plan("../x", "blue", 5.0))


def test_each_party_names_its_plans_in_its_own_space(line: Line) -> None:
    blue, red = _officer(line, "blue"), _officer(line, "red")
    line.make_agreement(OPERATOR, "blue", "red", {"allow_plan_conflicts": True})
    line.file_plan(blue, _plan("alpha", "blue", 5.0))
    far = line.file_plan(red, _plan("alpha", "red", 50.0))
    assert far.plan_id == "alpha" and far.status is Status.ACCEPTED
    with pytest.raises(NotFoundError, match=r"^no plan 'beta'"):
        line.plan(red, "beta")
    assert [sp.plan.plan_id for sp in line.plans(blue)] == ["alpha"]
    assert line.plan(red, "alpha").plan.volumes[0].outline.lon_deg == 50.0  # type: ignore[union-attr]
    # a conflict: each side's notice names its own plan as it named it
    missed = line.file_plan(red, _plan("gamma", "red", 5.1))
    known = {n["other_plan_ref"]: n["other_version"] for n in missed.notices}
    line.file_plan(red, _plan("gamma", "red", 5.1), known)
    (to_blue,) = line.notices(blue)
    assert to_blue["own_plan"] == "alpha" and "gamma" not in json.dumps(to_blue)
    events = line.events(blue)
    assert [e["kind"] for e in events] == ["agreement", "notice"]
    assert events[1]["body"]["own_plan"] == "alpha"
    assert line.events(blue, after=events[-1]["event_id"]) == []
