"""Live tracks, the watch and its alerts: the board against a plain reference, the watch
against all-pairs references per agreement, the lifecycle of an alert, what each party sees
of it, and its acknowledgements."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict import geo
from deconflict.alerting.config import load_config
from deconflict.errors import ForbiddenError, InputError, NotFoundError
from deconflict.line import tactical, tracks
from deconflict.line.keys import Role
from deconflict.line.line import OPERATOR, Caller, Line
from deconflict.line.tracks import MAX_STATES, STALE_S, TrackBoard, parse_states
from deconflict.store import open_store
from deconflict.tactical.engine import Criteria, prepare
from deconflict.units import FPM_MPS, FT_M, KT_MPS
from line_world import Clock
from reference import AllPairsAlerting, all_pairs

T0 = 1_795_600_000.0


def state(ident: str, lat: float, lon: float, track: float, t: float = T0, **kw: Any
          ) -> dict[str, Any]:  # fmt: skip
    return {"id": ident, "time_s": t, "latitude_deg": lat, "longitude_deg": lon,
            "altitude_ft": kw.pop("alt", 30_000.0), "groundspeed_kt": kw.pop("gs", 450.0),
            "track_deg": track, "vertical_rate_fpm": kw.pop("vs", 0.0), **kw}  # fmt: skip


# -- parsing a feed's batch ---------------------------------------------------------------


def test_a_batch_is_read_in_si_units() -> None:
    s = parse_states([state("x1", 34.0, 33.0, 370.0, alt=10_000, gs=100, vs=600,
                            callsign="ABC", onground=False)], T0)  # fmt: skip
    assert s.id.tolist() == ["x1"] and s.callsign.tolist() == ["ABC"]
    assert s.altitude_m[0] == pytest.approx(10_000 * FT_M)
    assert s.groundspeed_mps[0] == pytest.approx(100 * KT_MPS)
    assert s.vertical_rate_mps[0] == pytest.approx(600 * FPM_MPS)
    assert s.track_deg[0] == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"id": "x"}, "states must be a list"),
        ([1], "states[0] must be an object"),
        ([state("x", 0, 0, 0, colour="red")], "states[0].colour: unknown field"),
        ([{k: v for k, v in state("x", 0, 0, 0).items() if k != "track_deg"}],
         "states[0].track_deg: missing"),
        ([{**state("x", 0, 0, 0), "latitude_deg": "34"}], "states[0].latitude_deg: must be a"),
        ([{**state("x", 0, 0, 0), "latitude_deg": True}], "states[0].latitude_deg: must be a"),
        ([state("", 0, 0, 0)], "states[0].id: must be text"),
        ([state("a/b", 0, 0, 0)], "states[0].id: must be text"),
        ([state("x" * 65, 0, 0, 0)], "states[0].id: must be text"),
        ([state("ok", 0, 0, 0), state("x", 91.0, 0, 0)], "states[1].latitude_deg: 91.0 is out"),
        ([state("x", 0, 180.5, 0)], "states[0].longitude_deg: 180.5 is out"),
        ([state("x", 0, 0, 0, alt=100_001)], "states[0].altitude_ft: 100001 is out"),
        ([state("x", 0, 0, 0, gs=-1)], "states[0].groundspeed_kt: -1 is out"),
        ([state("x", 0, 0, 0, vs=1e9)], "states[0].vertical_rate_fpm: 1000000000.0 is out"),
        ([state("x", 0, 0, math.nan)], "states[0].track_deg: must be a finite number"),
        ([state("x", 0, 0, math.inf)], "states[0].track_deg: must be a finite number"),
        ([state("x", 0, 0, 0, t=T0 + 60)], "states[0].time_s: 60 s ahead"),
        ([state("x", 0, 0, 0, t=-5.0)], "states[0].time_s: -5.0 is out"),
        ([state("x", 0, 0, 0, callsign=7)], "states[0].callsign: must be text"),
        ([state("x", 0, 0, 0, onground="no")], "states[0].onground: must be true or false"),
        ([state("x", 0, 10**400, 0)], "out of range"),
        ([state("x", 0, 0, 0)] * (MAX_STATES + 1), f"at most {MAX_STATES} states"),
    ],
)  # fmt: skip
def test_a_bad_state_refuses_the_batch_naming_it(items: Any, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_states(items, T0)
    assert message in str(e.value) and "\n" not in str(e.value)


_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**20), 10**20),
    st.booleans(), st.none(), st.text(max_size=3), st.lists(st.integers(), max_size=1),
)  # fmt: skip


@st.composite
def _batches(draw: st.DrawFn) -> list[Any]:
    """Batches of good states with a few of their fields replaced by anything JSON holds,
    an unknown field added or a state that is not an object."""
    items: list[Any] = []
    for k in range(draw(st.integers(0, 6))):
        item: Any = state(f"x{k}", draw(st.floats(-80, 80)), draw(st.floats(-170, 170)),
                          draw(st.floats(0, 359)), callsign="C", onground=False)  # fmt: skip
        for name in draw(st.lists(st.sampled_from([*tracks.FIELDS, "colour"]), max_size=2)):
            item[name] = draw(st.one_of(_VALUES, st.text(max_size=70)))
        if draw(st.integers(0, 20)) == 0:
            item = draw(_VALUES)
        items.append(item)
    return items


@settings(max_examples=300, deadline=None)
@given(_batches())
def test_reading_a_batch_a_column_at_a_time_agrees_with_reading_it_state_by_state(
    items: list[Any],
) -> None:
    """The fast path (a column at a time) against the reference (state by state, which also
    names the first bad state): same columns when the batch is clean, else a refusal."""
    fast = tracks._columns_of_clean(items)
    try:
        slow = tracks._columns_checked(items)
    except InputError:
        assert fast is None
        return
    assert fast is not None and fast == slow
    for name in tracks.NUMBERS:  # same types too: 1 and 1.0 and True compare equal
        assert [type(x) for x in fast[name]] == [type(x) for x in slow[name]]


# -- the board ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ab"), st.sampled_from(["x", "y", "z"]),
                  st.floats(-30.0, 0.0), st.floats(-60, 60), st.floats(-170, 170)),
        min_size=1, max_size=30,
    ),
    st.integers(1, 5),
)  # fmt: skip
def test_the_board_holds_the_latest_state_of_each_aircraft(pushes: list[Any], batches: int
                                                            ) -> None:  # fmt: skip
    """Against a dict of the latest state by (party, id): what is older is ignored, what is
    stale leaves, the rest is extrapolated to now."""
    board = TrackBoard()
    latest: dict[tuple[str, str], tuple[float, float, float]] = {}
    now = T0 + 5.0
    for k in range(batches):
        part = pushes[k::batches]
        for party in "ab":
            mine = [p for p in part if p[0] == party]
            if not mine:
                continue
            items = [state(i, lat, lon, 45.0, t=T0 + dt) for _, i, dt, lat, lon in mine]
            board.push(party, parse_states(items, now))
            for _, i, dt, lat, lon in mine:
                if (party, i) not in latest or latest[party, i][0] <= T0 + dt:
                    latest[party, i] = (T0 + dt, lat, lon)
    snap = board.snapshot(now)
    expected = {f"{p}/{i}": v for (p, i), v in latest.items() if now - v[0] <= STALE_S}
    assert sorted(snap.id.tolist()) == sorted(expected)
    for k, key in enumerate(snap.id.tolist()):
        t, lat, lon = expected[key]
        assert snap.party[k] == key.partition("/")[0]
        lat2, lon2 = geo.destination(np.array([lat]), np.array([lon]), np.array([45.0]),
                                     np.array([450 * KT_MPS * (now - t)]))  # fmt: skip
        assert snap.latitude_deg[k] == pytest.approx(lat2[0], abs=1e-9)
        assert snap.longitude_deg[k] == pytest.approx(lon2[0], abs=1e-9)
    assert len(board) == len(expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-89, 89), st.floats(-180, 180), st.floats(0, 359.99),
                          st.floats(0, 60_000), st.floats(0, 900), st.floats(-6000, 6000),
                          st.booleans()), min_size=1, max_size=20))  # fmt: skip
def test_tracks_are_the_board_s_rows_in_the_api_s_units(rows: list[Any]) -> None:
    """``tracks_of`` (a column at a time) against the rows read one by one."""
    items = [state(f"x{k}", lat, lon, trk, alt=z, gs=v, vs=w, callsign=f"C{k}", onground=g)
             for k, (lat, lon, trk, z, v, w, g) in enumerate(rows)]  # fmt: skip
    board = TrackBoard()
    board.push("a", parse_states(items, T0))
    snap = board.snapshot(T0)
    picked = list(range(len(snap)))[::-1]
    for track, k in zip(tracks.tracks_of(snap, picked), picked, strict=True):
        assert (track.party, track.id) == ("a", str(snap.id[k]).partition("/")[2])
        assert track.callsign == snap.callsign[k] and track.onground == snap.onground[k]
        assert track.time_s == snap.time_s[k]
        assert track.latitude_deg == pytest.approx(float(snap.latitude_deg[k]), abs=1e-7)
        assert track.longitude_deg == pytest.approx(float(snap.longitude_deg[k]), abs=1e-7)
        assert track.altitude_ft == pytest.approx(snap.altitude_m[k] / FT_M, abs=0.051)
        assert track.groundspeed_kt == pytest.approx(snap.groundspeed_mps[k] / KT_MPS, abs=0.006)
        assert track.track_deg == pytest.approx(float(snap.track_deg[k]), abs=6e-4)
        assert track.vertical_rate_fpm == pytest.approx(
            snap.vertical_rate_mps[k] / FPM_MPS, abs=0.051
        )
        shown = track.as_json(anonymous=True)
        assert set(shown) == {"time_s", "latitude_deg", "longitude_deg", "altitude_ft",
                              "groundspeed_kt", "track_deg", "vertical_rate_fpm"}  # fmt: skip
        full = {**shown, "party": "a", "id": track.id, "callsign": track.callsign,
                "onground": track.onground}  # fmt: skip
        assert track.as_json() == full


def test_a_stale_aircraft_leaves_and_its_slot_is_reused() -> None:
    board = TrackBoard()
    board.push("a", parse_states([state("x", 0, 0, 0)], T0))
    assert len(board.snapshot(T0 + STALE_S)) == 1
    assert len(board.snapshot(T0 + STALE_S + 0.1)) == 0 and len(board) == 0
    board.push("a", parse_states([state("y", 1, 1, 0, t=T0 + 20)], T0 + 20))
    assert board.snapshot(T0 + 20).id.tolist() == ["a/y"]


# -- the watch against references ---------------------------------------------------------


@pytest.fixture
def line(tmp_path: Path) -> Iterator[Line]:
    clock = Clock(T0)
    made = Line(open_store(f"sqlite:///{tmp_path / 'line.db'}"), clock=clock)
    for p in "abcd":
        made.add_party(OPERATOR, p, p.upper())
    made.make_agreement(OPERATOR, "a", "b", {"sharing": "safety"})
    made.make_agreement(OPERATOR, "a", "c", {"sharing": "coordination", "hsep_nm": 3.0,
                                             "vsep_ft": 500.0, "alerting": "cd3d"})  # fmt: skip
    yield made
    made.close()


def feed(party: str) -> Caller:
    return Caller(f"feed-{party}", Role.FEED, party)


def officer(party: str) -> Caller:
    return Caller(f"officer-{party}", Role.OFFICER, party)


def _expected(line: Line, snap: Any, refs: dict[str, AllPairsAlerting], now: float
              ) -> dict[tuple[str, str], tuple[int, bool]]:  # fmt: skip
    """Each alerting pair's (level, in conflict), from all-pairs references."""
    out: dict[tuple[str, str], list[Any]] = {}
    ids = snap.id.tolist()
    for ag in line.in_force_agreements():
        t = ag.terms
        kin, h, v = prepare(snap, Criteria(t.hsep_nm, t.vsep_ft, t.lookahead_s))
        pair = set(ag.parties)

        def keep(i: Any, j: Any, pair: set[str] = pair) -> Any:
            same = [{snap.party[x], snap.party[y]} == pair for x, y in zip(i, j, strict=True)]
            return np.array(same, dtype=np.bool_)

        i, j, _ = all_pairs(kin, h, v, t.lookahead_s, keep)
        for x, y in zip(i.tolist(), j.tolist(), strict=True):
            out.setdefault((min(ids[x], ids[y]), max(ids[x], ids[y])), [0, False])[1] = True
        for own, other, level in refs[ag.agreement_id].step(now, snap):
            if {own.partition("/")[0], other.partition("/")[0]} == pair and level > 0:
                got = out.setdefault((min(own, other), max(own, other)), [0, False])
                got[0] = max(got[0], level)
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.mark.parametrize("beat_s", [1.0, 0.5])
@settings(max_examples=20, deadline=None)
@given(aircraft=st.lists(
    st.tuples(st.sampled_from("abcd"), st.floats(-0.3, 0.3), st.floats(-0.3, 0.3),
              st.floats(0, 360), st.floats(28_000, 32_000), st.floats(-2000, 2000)),
    min_size=2, max_size=14,
))  # fmt: skip
def test_the_watch_alerts_exactly_what_the_references_find(
    tmp_path_factory: Any, aircraft: list[Any], beat_s: float
) -> None:
    """Aircraft of four parties (a-b in safety with 5 NM / 1000 ft and do365b, a-c in
    coordination with 3 NM / 500 ft and cd3d, none else) near one point, moving for 8 s:
    every beat (1 s, or 0.5 s with the hysteresis's samples doubled; the feeds push once a
    second), the open alerts are the pairs of parties in an agreement found in conflict with
    its minima, or alerted with its configuration, by references that check every pair (no
    broad phase)."""
    db = tmp_path_factory.mktemp("w") / "line.db"
    clock = Clock(T0)
    line = Line(open_store(f"sqlite:///{db}"), clock=clock)
    for p in "abcd":
        line.add_party(OPERATOR, p, p.upper())
    line.make_agreement(OPERATOR, "a", "b", {})
    line.make_agreement(OPERATOR, "a", "c", {"sharing": "coordination", "hsep_nm": 3.0,
                                             "vsep_ft": 500.0, "alerting": "cd3d"})  # fmt: skip
    line.live.set_beat(beat_s)
    refs: dict[str, AllPairsAlerting] = {}
    try:
        for step in range(int(8 / beat_s)):
            now = T0 + step * beat_s
            clock.now = now
            for party in "abcd" if now == int(now) else "":
                items = [
                    state(f"{party}{k}", 34.0 + dlat, 33.0 + dlon, trk, t=now, alt=alt, vs=vs)
                    for k, (p, dlat, dlon, trk, alt, vs) in enumerate(aircraft) if p == party
                ]  # fmt: skip
                if items:
                    line.live.push(feed(party), items)
            snap = line.live.board.snapshot(now)
            if not refs:
                for ag in line.in_force_agreements():
                    config = tactical.at_rate(load_config(ag.terms.alerting), beat_s)
                    refs[ag.agreement_id] = AllPairsAlerting(len(snap), config)
            line.live.tick(now)
            got = {k: (o.record.level, o.record.in_conflict)
                   for k, o in line.live.watch.open.items()}  # fmt: skip
            assert got == _expected(line, snap, refs, now), step
    finally:
        line.close()


def _head_on(line: Line, now: float, gap_nm: float, alt_b: float = 30_000.0) -> None:
    """a1 and b1 on the parallel of 34° N at 450 kt each, a1 flying east and b1 west,
    ``gap_nm`` apart: closing when a1 is west of b1 (a gap > 0), parting when east."""
    half = gap_nm / 2 / 60 / math.cos(math.radians(34.0))
    line.live.push(feed("a"), [state("a1", 34.0, 33.0 - half, 90.0, t=now, callsign="RAVEN1")])
    line.live.push(feed("b"), [state("b1", 34.0, 33.0 + half, 270.0, t=now, alt=alt_b,
                                     callsign="EAGLE7")])  # fmt: skip


def test_an_alert_is_raised_updated_and_ended_when_separation_is_regained(line: Line) -> None:
    kinds = []
    for k in range(200):
        now = T0 + k
        cast(Clock, line.clock).now = now
        # closing at 900 kt from 30 NM, passing, then opening again
        _head_on(line, now, 30.0 - 0.25 * k)
        kinds += [(c.kind, c.record.level) for c in line.live.tick(now)]
    assert kinds[0][0] == "raised" and kinds[-1] == ("ended", 0)
    assert {k for k, _ in kinds} == {"raised", "updated", "ended"}
    assert max(level for _, level in kinds) == 3
    (alert,) = line.live.alerts(officer("a"))
    assert alert["state"] == "ended" and alert["end_reason"] == tactical.REGAINED
    assert alert["max_level"] == 3 and alert["ended_s"] is not None
    # every change is in the audit chain, which holds
    count, broken = line.verify_audit(OPERATOR)
    assert broken is None and count >= len(kinds)


def test_an_alert_ends_without_data_or_without_an_agreement(line: Line) -> None:
    _head_on(line, T0, 8.0)
    assert [c.kind for c in line.live.tick(T0)] == ["raised"]
    # no data: ended once the aircraft left the picture and STALE_S passed
    assert line.live.tick(T0 + STALE_S) == []
    ended = line.live.tick(T0 + 2 * STALE_S + 1)
    assert [(c.kind, c.record.end_reason) for c in ended] == [("ended", tactical.NO_DATA)]
    cast(Clock, line.clock).now = T0 + 30
    _head_on(line, T0 + 30, 8.0)
    assert [c.kind for c in line.live.tick(T0 + 30)] == ["raised"]
    ab = next(a for a in line.in_force_agreements() if set(a.parties) == {"a", "b"})
    line.change_agreement(OPERATOR, ab.agreement_id, ab.version, "suspended")
    ended = line.live.tick(T0 + 31)
    assert [(c.kind, c.record.end_reason) for c in ended] == [("ended", tactical.NO_AGREEMENT)]
    cast(Clock, line.clock).now = T0 + 32
    _head_on(line, T0 + 32, 7.0)
    assert line.live.tick(T0 + 32) == []  # suspended: nothing between a and b


def test_a_line_that_stopped_picks_up_its_open_alerts(line: Line, tmp_path: Path) -> None:
    _head_on(line, T0, 8.0)
    (raised,) = line.live.tick(T0)
    again = Line(open_store(f"sqlite:///{tmp_path / 'line.db'}"), clock=Clock(T0 + 1))
    try:
        assert list(again.live.watch.open) == [raised.record.key]
        _head_on(again, T0 + 1, 7.5)
        for change in again.live.tick(T0 + 1):  # the same alert goes on
            assert change.kind == "updated" and change.record.alert_id == raised.record.alert_id
        # then no data: the alert ends STALE_S after the aircraft were last seen
        assert again.live.tick(T0 + 1 + STALE_S) == []
        (ended,) = again.live.tick(T0 + 2 + STALE_S)
        assert ended.record.alert_id == raised.record.alert_id
        assert ended.record.end_reason == tactical.NO_DATA
    finally:
        again.close()


# -- what each party sees -----------------------------------------------------------------


def test_under_safety_the_other_aircraft_is_anonymous(line: Line) -> None:
    _head_on(line, T0, 8.0)
    line.live.tick(T0)
    (mine,) = line.live.alerts(officer("a"))
    (theirs,) = line.live.alerts(officer("b"))
    assert mine["own"]["id"] == "a1" and mine["own"]["callsign"] == "RAVEN1"
    assert theirs["own"]["id"] == "b1" and theirs["other_party"] == "a"
    for view, hidden in ((mine, ("b1", "EAGLE7")), (theirs, ("a1", "RAVEN1"))):
        assert set(view["other"]) == {
            "time_s",
            "latitude_deg",
            "longitude_deg",
            "altitude_ft",
            "groundspeed_kt",
            "track_deg",
            "vertical_rate_fpm",
        }
        assert not set(hidden) & _strings(view)
    # and the events told to b carry nothing of a's aircraft either
    for e in line.events(officer("b")):
        assert not {"a1", "RAVEN1"} & _strings(e)


def test_under_coordination_both_aircraft_are_shown(line: Line) -> None:
    half = 4.0 / 60
    line.live.push(feed("a"), [state("a1", 34.0, 33.0 - half, 90.0, callsign="RAVEN1")])
    line.live.push(feed("c"), [state("c1", 34.0, 33.0 + half, 270.0, callsign="LION3")])
    line.live.tick(T0)
    (seen,) = line.live.alerts(officer("c"))
    assert seen["sharing"] == "coordination"
    assert seen["other"]["id"] == "a1" and seen["other"]["callsign"] == "RAVEN1"
    # c sees a's tracks in its picture; b (safety) does not
    assert {t["id"] for t in line.live.picture(officer("c"))["tracks"]} == {"a1", "c1"}
    assert {t["id"] for t in line.live.picture(officer("b"))["tracks"]} == set()


def test_parties_without_an_agreement_are_never_paired(line: Line) -> None:
    """b and c fly head-on with no agreement: nothing is raised, no one is told."""
    half = 4.0 / 60
    line.live.push(feed("b"), [state("b1", 34.0, 33.0 - half, 90.0)])
    line.live.push(feed("c"), [state("c1", 34.0, 33.0 + half, 270.0)])
    line.live.push(feed("d"), [state("d1", 34.0, 33.0, 0.0)])
    assert line.live.tick(T0) == []
    for p in "bcd":
        assert line.live.alerts(officer(p)) == []
        assert [e for e in line.events(officer(p)) if e["kind"] == "alert"] == []


def test_only_a_feed_pushes_and_only_its_own_party(line: Line) -> None:
    for caller in (officer("a"), Caller("k", Role.OBSERVER, "a"), OPERATOR):
        with pytest.raises(ForbiddenError):
            line.live.push(caller, [state("x", 0, 0, 0)])
    line.live.push(feed("b"), [state("a1", 0, 0, 0)])  # b's own "a1"
    assert line.live.board.snapshot(T0).id.tolist() == ["b/a1"]


# -- acknowledgements ---------------------------------------------------------------------


def test_each_party_acknowledges_once_and_both_are_told(line: Line) -> None:
    _head_on(line, T0, 8.0)
    (raised,) = line.live.tick(T0)
    aid = raised.record.alert_id
    cast(Clock, line.clock).now = T0 + 3
    acked = line.live.acknowledge(officer("b"), aid)
    assert acked["acks"] == [{"party": "b", "at_s": T0 + 3, "by": "officer:b:officer-b"}]
    assert line.live.acknowledge(officer("b"), aid) == acked  # again: no change
    seen_by_a = line.live.alert(officer("a"), aid)
    assert seen_by_a["acks"] == [{"party": "b", "at_s": T0 + 3}]  # not who, at b
    told = [e["body"] for e in line.events(officer("a")) if e["body"].get("change")]
    assert [b["change"] for b in told] == ["raised", "acknowledged"]
    # the acknowledgement survives the alert's next change
    _head_on(line, T0 + 4, 1.0)
    for change in line.live.tick(T0 + 4):
        assert [a.party_id for a in change.record.acks] == ["b"]
    assert sum(1 for _ in _audit_kinds(line, "alert.acknowledged")) == 1
    with pytest.raises(NotFoundError):
        line.live.acknowledge(officer("c"), aid)
    with pytest.raises(NotFoundError):
        line.live.acknowledge(officer("a"), "no-such-alert")
    with pytest.raises(ForbiddenError):
        line.live.acknowledge(Caller("k", Role.OBSERVER, "a"), aid)


def _audit_kinds(line: Line, kind: str) -> Iterator[Any]:
    rows = line.store.read(lambda tx: tx.rows("SELECT body FROM audit WHERE kind = ?", (kind,)))
    yield from rows


def test_changes_that_cannot_be_recorded_are_found_again(line: Line) -> None:
    """A beat whose write fails changes nothing: the next one raises the same alert."""
    _head_on(line, T0, 8.0)
    real = line.store.write

    def failing(work: Any) -> Any:
        raise OSError("disk full")

    line.store.write = failing  # type: ignore[method-assign]
    with pytest.raises(OSError):
        line.live.tick(T0)
    assert line.live.watch.open == {}
    line.store.write = real  # type: ignore[method-assign]
    assert [c.kind for c in line.live.tick(T0)] == ["raised"]
    assert len(line.live.alerts(officer("a"))) == 1


def test_the_hysteresis_spans_the_same_seconds_at_any_beat() -> None:
    config = load_config("do365b")
    assert (config.m, config.n) == (2, 4)
    assert tactical.at_rate(config, 1.0) is config
    fast = tactical.at_rate(config, 0.5)
    assert (fast.m, fast.n, fast.persistence_s) == (4, 8, config.persistence_s)
    slow = tactical.at_rate(config, 2.0)
    assert (slow.m, slow.n) == (1, 2)


def _strings(value: Any) -> set[str]:
    """Every text in a JSON value, keys and values (to look for what must not be there:
    a substring test would find an id of two letters inside a random alert id)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(k) | _strings(v) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value))
    return set()
