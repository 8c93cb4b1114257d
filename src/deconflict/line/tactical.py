"""The watch: every second, the live picture against the agreements in force.

For each pair of parties with an agreement in force, and only those, the watch runs
- the detection core with the agreement's minima and lookahead (a *conflict*: separation
  lost, or predicted lost within the lookahead, with its exact geometry), and
- the graded alerting with the agreement's configuration (DO-365 levels: 1 preventive,
  2 corrective, 3 warning), each pair's hysteresis kept from one second to the next.

A pair of aircraft has an alert while it is in conflict or alerted at level 1 or more. The
watch raises it, updates it when its level or conflict changes, and ends it when separation
is regained (both aircraft still seen), when an aircraft left the picture (no data for
``STALE_S``: ``no_data``), or when the agreement is no longer in force. Alerts left open by
a line that stopped are followed again; they end ``STALE_S`` after it starts again if their
aircraft are not seen by then. ``Watch.assess`` computes the changes; the line
records them (``deconflict.line.alerts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deconflict.alerting.config import AlertingConfig, load_config
from deconflict.alerting.engine import Alerts
from deconflict.alerting.stream import StreamAlerting, reach
from deconflict.line.agreements import Agreement, AgreementStatus
from deconflict.line.alerts import AlertRecord, Change
from deconflict.line.tracks import STALE_S, Track, tracks_of
from deconflict.states import StateVectors
from deconflict.tactical import broad, cpa
from deconflict.tactical.engine import Criteria, prepare, snapshot_conflicts
from deconflict.units import ft_to_m, m_to_ft, m_to_nm, nm_to_m

I64 = NDArray[np.int64]

#: why an alert ends
REGAINED, NO_DATA, NO_AGREEMENT = "separation_regained", "no_data", "agreement_not_in_force"


@dataclass
class _Situation:
    """A pair of aircraft this second: its agreement, level and geometry."""

    rows: tuple[int, int]  #: its aircraft's rows in the snapshot, in key order
    agreement: Agreement
    level: int = 0
    conflict: dict[str, Any] | None = None
    alerting: dict[str, Any] | None = None


@dataclass
class _Open:
    record: AlertRecord
    #: when a line that stopped left it open, until the pair is seen again
    resumed_s: float | None = None


@dataclass
class Watch:
    """The open alerts, and the hysteresis of each alerting configuration in use."""

    streams: dict[str, StreamAlerting] = field(default_factory=dict)
    open: dict[tuple[str, str], _Open] = field(default_factory=dict)
    #: the time between two assessments (the hysteresis's M of N samples span as many
    #: seconds whatever it is: ``at_rate``)
    beat_s: float = 1.0

    def resume(self, records: Iterable[AlertRecord], now_s: float) -> None:
        """Follow alerts left open by a line that stopped."""
        for r in records:
            self.open[r.key] = _Open(r, now_s)

    def checkpoint(self) -> dict[tuple[str, str], _Open]:
        """The open alerts as they are, for ``restore``."""
        return {k: replace(v) for k, v in self.open.items()}

    def restore(self, kept: dict[tuple[str, str], _Open]) -> None:
        """Back to a checkpoint (when the changes assessed since could not be recorded)."""
        self.open = kept

    def assess(
        self, now_s: float, snapshot: StateVectors, agreements: Iterable[Agreement]
    ) -> list[Change]:
        """The alerts raised, updated and ended by the snapshot of ``now_s`` (ids are
        ``party/id``, as the track board gives them)."""
        in_force = [a for a in agreements if a.status is AgreementStatus.IN_FORCE]
        by_pair = {frozenset(a.parties): a for a in in_force}
        found: dict[tuple[str, str], _Situation] = {}
        row_of = {name: k for k, name in enumerate(snapshot.id.tolist())}
        superset = self._superset(snapshot, in_force)
        for group, members in _groups(in_force, _minima):
            hsep_nm, vsep_ft, lookahead_s = group
            sub = _members(snapshot, members)
            part = snapshot.take(sub)
            kin, h, v = prepare(part, Criteria(hsep_nm, vsep_ft, lookahead_s))
            keep = _pairs_of(part.party, members)
            i, j, enc = snapshot_conflicts(kin, h, v, lookahead_s, keep,
                                           find_pairs=superset.finder(sub))  # fmt: skip
            for k in range(len(i)):
                sit = _situation(found, by_pair, snapshot, int(sub[i[k]]), int(sub[j[k]]))
                sit.conflict = {
                    "t_in_s": round(float(enc.t_in_s[k]), 2),
                    "t_out_s": round(float(enc.t_out_s[k]), 2),
                    "tcpa_s": round(float(enc.tcpa_s[k]), 2),
                    "dcpa_nm": round(float(m_to_nm(enc.dcpa_m[k])), 4),
                    "dz_cpa_ft": round(float(m_to_ft(enc.dz_cpa_m[k])), 1),
                    "los_now": bool(enc.los_now[k]),
                    "hsep_nm": hsep_nm, "vsep_ft": vsep_ft, "lookahead_s": lookahead_s,
                }  # fmt: skip
        for (config,), members in _groups(in_force, lambda a: (a.terms.alerting,)):
            stream = self._stream(config)
            sub = _members(snapshot, members)
            rows = stream.step(now_s, snapshot.take(sub), superset.finder(sub))
            self._levels(found, by_pair, snapshot, row_of, rows)
        return self._changes(now_s, snapshot, found, by_pair)

    def _stream(self, config: str) -> StreamAlerting:
        stream = self.streams.get(config)
        if stream is None:
            stream = self.streams[config] = StreamAlerting(
                at_rate(load_config(config), self.beat_s)
            )
        return stream

    def _superset(self, snapshot: StateVectors, in_force: list[Agreement]) -> broad.Superset:
        """The candidate pairs for the widest minima, lookahead and alerting reach of the
        agreements in force, found once for every group of them (one broad phase a beat)."""
        sub = _members(snapshot, in_force)
        part = snapshot.take(sub)
        kin = cpa.kinematics(
            part.latitude_deg, part.longitude_deg, part.altitude_m, part.groundspeed_mps,
            part.track_deg, part.vertical_rate_mps,
        )  # fmt: skip
        speed = float(part.groundspeed_mps.max()) if len(part) else 0.0
        climb = float(np.abs(part.vertical_rate_mps).max()) if len(part) else 0.0
        widest = [(nm_to_m(a.terms.hsep_nm), ft_to_m(a.terms.vsep_ft), a.terms.lookahead_s)
                  for a in in_force]  # fmt: skip
        widest += [reach(self._stream(a.terms.alerting).config, speed, climb) for a in in_force]
        h, v, t = (max(x) for x in zip(*widest, strict=True)) if widest else (0.0, 0.0, 0.0)
        found = broad.Superset.find(kin, h, v, t)
        # rows of the part, made rows of the snapshot (the finders take those)
        return replace(found, i=sub[found.i], j=sub[found.j], size=len(snapshot))

    def _levels(
        self,
        found: dict[tuple[str, str], _Situation],
        by_pair: dict[frozenset[str], Agreement],
        snapshot: StateVectors,
        row_of: dict[str, int],
        rows: Alerts,
    ) -> None:
        """The alert level of each pair: the higher of its two directions."""
        for k in np.flatnonzero(rows.alert_level > 0).tolist():
            own, intruder = str(rows.ownship[k]), str(rows.intruder[k])
            if frozenset((own.partition("/")[0], intruder.partition("/")[0])) not in by_pair:
                continue
            sit = _situation(found, by_pair, snapshot, row_of[own], row_of[intruder])
            level = int(rows.alert_level[k])
            if level > sit.level:
                ttv = rows.time_to_violation_s[k]
                sit.level = level
                sit.alerting = {
                    "ttv_preventive_s": _finite(ttv[0]), "ttv_corrective_s": _finite(ttv[1]),
                    "ttv_warning_s": _finite(ttv[2]),
                    "hsep_nm": round(float(m_to_nm(rows.hsep_m[k])), 4),
                    "vsep_ft": round(float(m_to_ft(rows.vsep_m[k])), 1),
                    "tcpa_s": _finite(rows.tcpa_s[k]),
                    "dcpa_nm": round(float(m_to_nm(rows.dcpa_m[k])), 4),
                }  # fmt: skip

    def _changes(
        self,
        now_s: float,
        snapshot: StateVectors,
        found: dict[tuple[str, str], _Situation],
        by_pair: dict[frozenset[str], Agreement],
    ) -> list[Change]:
        changes: list[Change] = []
        for key, sit in sorted(found.items()):
            was = self.open.get(key)
            if was is None:
                tracks = tracks_of(snapshot, sit.rows)
                record = AlertRecord.raised(
                    uuid.uuid4().hex[:16],
                    sit.agreement,
                    tracks,
                    sit.level,
                    now_s,
                    _detail(tracks, sit),
                )
                self.open[key] = _Open(record)
                changes.append(Change("raised", record))
                continue
            was.resumed_s = None
            before = was.record
            if (before.level, before.in_conflict, before.los_now) != (
                sit.level, sit.conflict is not None,
                bool(sit.conflict and sit.conflict["los_now"]),
            ):  # fmt: skip
                was.record = replace(
                    before, level=sit.level, max_level=max(before.max_level, sit.level),
                    updated_s=now_s, detail=_detail(tracks_of(snapshot, sit.rows), sit),
                    sharing=sit.agreement.terms.sharing,
                )  # fmt: skip
                changes.append(Change("updated", was.record))
        seen = set(snapshot.id.tolist())
        for key in sorted(set(self.open) - set(found)):
            was = self.open[key]
            present = key[0] in seen and key[1] in seen
            if frozenset(was.record.parties) not in by_pair:
                why = NO_AGREEMENT
            elif present:
                why = REGAINED
            elif was.resumed_s is None or now_s - was.resumed_s > STALE_S:
                why = NO_DATA  # the board drops an aircraft after STALE_S of silence
            else:
                continue
            del self.open[key]
            ended = replace(was.record, ended_s=now_s, updated_s=now_s, end_reason=why, level=0)
            changes.append(Change("ended", ended))
        return changes


def at_rate(config: AlertingConfig, beat_s: float) -> AlertingConfig:
    """The configuration for assessments every ``beat_s``: its M of N samples, given for
    one a second (DAIDALUS's rate), scaled to span the same seconds (2 of 4 at 1 s is 4 of
    8 at 0.5 s). Persistence and hysteresis are times already."""
    if beat_s == 1.0:
        return config
    per_s = 1.0 / beat_s
    return replace(config, m=max(1, round(config.m * per_s)),
                   n=max(1, round(config.n * per_s)))  # fmt: skip


def _detail(tracks: list[Track], sit: _Situation) -> dict[str, Any]:
    """What an alert keeps of the moment it changed: both tracks and the geometry."""
    return {"tracks": [t.as_json() for t in tracks], "conflict": sit.conflict,
            "alerting": sit.alerting}  # fmt: skip


def _finite(x: Any) -> float | None:
    value = float(x)
    return round(value, 2) if np.isfinite(value) else None


def _minima(a: Agreement) -> tuple[float, float, float]:
    return (a.terms.hsep_nm, a.terms.vsep_ft, a.terms.lookahead_s)


def _groups(agreements: list[Agreement], key: Any) -> list[tuple[Any, list[Agreement]]]:
    """The agreements grouped by ``key`` (terms they share), in a stable order."""
    out: dict[Any, list[Agreement]] = {}
    for a in agreements:
        out.setdefault(key(a), []).append(a)
    return sorted(out.items(), key=lambda kv: repr(kv[0]))


def _members(snapshot: StateVectors, agreements: list[Agreement]) -> I64:
    parties = sorted({p for a in agreements for p in a.parties})
    rows: I64 = np.flatnonzero(np.isin(snapshot.party, parties))
    return rows


def _pairs_of(party: NDArray[np.str_], agreements: list[Agreement]) -> Any:
    """A pair filter: aircraft of two parties that have one of these agreements."""
    names = sorted({p for a in agreements for p in a.parties})
    code = np.searchsorted(names, party)
    n = len(names)
    allowed = np.array(
        sorted(min(names.index(a.party_a), names.index(a.party_b)) * n
               + max(names.index(a.party_a), names.index(a.party_b)) for a in agreements),
        dtype=np.int64,
    )  # fmt: skip

    def keep(i: I64, j: I64) -> NDArray[np.bool_]:
        a, b = code[i], code[j]
        result: NDArray[np.bool_] = np.isin(np.minimum(a, b) * n + np.maximum(a, b), allowed)
        return result

    return keep


def _situation(
    found: dict[tuple[str, str], _Situation],
    by_pair: dict[frozenset[str], Agreement],
    snapshot: StateVectors,
    i: int,
    j: int,
) -> _Situation:
    a, b = str(snapshot.id[i]), str(snapshot.id[j])
    if a > b:
        a, b, i, j = b, a, j, i
    sit = found.get((a, b))
    if sit is None:
        pair = frozenset((str(snapshot.party[i]), str(snapshot.party[j])))
        sit = found[(a, b)] = _Situation((i, j), by_pair[pair])
    return sit
