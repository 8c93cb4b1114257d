"""The plan store, on SQLite and on PostgreSQL: schema, filing with the key, notices,
states, and the store's check against the in-memory all-pairs check."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deconflict.errors import InputError, NotFoundError, RefusedError
from deconflict.plans.check import Separation, check_plans
from deconflict.plans.geometry import cap
from deconflict.plans.notices import Sharing
from deconflict.plans.volume import PlanState
from deconflict.store import PlanStore, Policy, Status, Terms, open_store
from deconflict.store.backend import Tx
from deconflict.store.schema import HEAD, MIGRATIONS
from plan_factory import T0, box, disc, plan, random_plans, square

ALLOW = Policy(Terms(allow_conflicts=True))
Opener = Callable[..., PlanStore]


@pytest.fixture
def opener(store_url: str) -> Iterator[Opener]:
    """Opens stores on the test's database and closes them all at the end."""
    stores: list[PlanStore] = []

    def make(policy: Policy | None = None) -> PlanStore:
        stores.append(open_store(store_url, policy))
        return stores[-1]

    yield make
    for s in stores:
        s.close()


def test_schema_is_migrated_once_and_a_newer_one_refused(opener: Opener) -> None:
    store = opener()
    assert store.schema_version() == HEAD
    again = opener()  # idempotent
    assert again.schema_version() == HEAD
    again._in_tx(
        True,
        lambda tx: tx.run(
            "INSERT INTO schema_migrations (version, description, applied_s) VALUES (?, ?, ?)",
            (HEAD + 1, "from the future", 0.0),
        ),
    )
    with pytest.raises(RefusedError, match="newer than this deconflict"):
        opener()


def test_a_version_1_database_is_migrated_with_its_plans(
    opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deconflict.store.plans as store_plans

    old = plan("old", "blue", square(45, 5, 0.1))
    with monkeypatch.context() as m:  # a store of schema version 1, with one plan in it
        m.setattr(store_plans, "MIGRATIONS", MIGRATIONS[:1])
        m.setattr(store_plans, "HEAD", 1)
        v1 = opener()
        assert v1.schema_version() == 1

        def write(tx: Tx) -> None:
            tx.run(
                "INSERT INTO plans (plan_id, ref, party, state, status, version, created_s, "
                "updated_s) VALUES ('old', 'ref-old', 'blue', 'accepted', 'accepted', 1, 0, 0)"
            )
            v1._write_volumes(tx, v1._volume_rows(old, [cap(v.outline) for v in old.volumes]))

        v1._in_tx(True, write)
    store = opener()
    assert store.schema_version() == HEAD
    assert store.get("old").plan.volumes == old.volumes
    # the migrated cells still find it, and filings after it are ordered after it
    f = store.file(plan("new", "red", square(45, 5, 0.1)))
    assert f.status is Status.MISSED
    assert [n["other_plan_ref"] for n in f.notices] == ["ref-old"]
    assert store.file(plan("far", "red", square(-45, 5, 0.1))).status is Status.ACCEPTED


def test_file_get_update_and_versions(opener: Opener) -> None:
    store = opener()
    f = store.file(plan("A1", "blue", square(45, 5, 0.1)))
    assert f.status is Status.ACCEPTED and f.version == 1 and f.ref
    got = store.get("A1")
    assert got.plan.version == 1 and got.plan.state is PlanState.ACCEPTED and got.ref == f.ref
    moved = plan("A1", "blue", square(45, 5.5, 0.1), version=1)
    f2 = store.file(moved)
    assert f2.version == 2 and f2.ref == f.ref  # the reference stays, the version changes
    assert store.get("A1").plan.volumes == moved.volumes
    with pytest.raises(RefusedError, match="at version 2, not 1"):
        store.file(moved)  # a stale version: a lost update refused
    with pytest.raises(RefusedError, match="another party"):
        store.file(plan("A1", "red", square(45, 5, 0.1), version=2))
    with pytest.raises(NotFoundError):
        store.file(plan("nope", "blue", square(45, 5, 0.1), version=3))
    with pytest.raises(NotFoundError):
        store.get("A1", party="red")  # another party's plan is not found, not forbidden
    store.close()


def test_invalid_plans_are_refused_before_anything_is_written(opener: Opener) -> None:
    store = opener()
    bad = replace(square(45, 5, 0.1), alt_lower_ft=20_000.0)
    with pytest.raises(InputError, match="volume 0: alt_lower_ft"):
        store.file(plan("A1", "blue", bad))
    with pytest.raises(InputError, match="no volume"):
        store.file(plan("A2", "blue"))
    assert store.plans() == []
    store.close()


def test_the_key_missed_acknowledged_and_refused(opener: Opener) -> None:
    store = opener(ALLOW)
    first = store.file(plan("B1", "blue", square(45, 5, 0.2)))
    red = plan("R1", "red", disc(45.0, 5.25, 5_000))
    missed = store.file(red)  # red does not know about B1
    assert missed.status is Status.MISSED and missed.version is None
    assert [n["other_plan_ref"] for n in missed.notices] == [first.ref]
    assert [n["other_version"] for n in missed.notices] == [1]
    assert store.plans(party="red") == []  # nothing written
    stale = store.file(red, known={first.ref or "": 0})
    assert stale.status is Status.MISSED  # acknowledging an older version is not enough
    ok = store.file(red, known={first.ref or "": 1})
    assert ok.status is Status.ACCEPTED_WITH_CONFLICTS and ok.version == 1
    # both parties have their notice; each names only the other's opaque reference
    (blue_notice,) = store.notices("blue")
    (red_notice,) = store.notices("red")
    assert blue_notice["own_plan"] == "B1" and blue_notice["other_plan_ref"] == ok.ref
    assert red_notice["own_plan"] == "R1" and red_notice["other_plan_ref"] == first.ref
    assert "R1" not in json.dumps(blue_notice) and "B1" not in json.dumps(red_notice)
    assert blue_notice["region"] == red_notice["region"]  # both sides see the same cells
    assert blue_notice["region"]["coordinates"]  # and there is a region
    store.close()

    strict = opener()  # the default terms do not allow conflicts
    refused = strict.file(plan("R2", "red", disc(45.0, 5.25, 5_000)), known={first.ref or "": 1})
    assert refused.status is Status.CONFLICTS and len(refused.notices) == 1
    assert [p.plan.plan_id for p in strict.plans()] == ["B1", "R1"]
    strict.close()


def test_updating_a_plan_into_a_conflict_needs_the_key_too(opener: Opener) -> None:
    store = opener()
    b = store.file(plan("B1", "blue", square(45, 5, 0.1)))
    r = store.file(plan("R1", "red", square(45, 7, 0.1)))
    assert b.accepted and r.accepted
    moved = store.file(plan("R1", "red", square(45, 5.1, 0.1), version=1))
    assert moved.status is Status.MISSED
    assert store.get("R1").plan.version == 1  # unchanged


def test_same_party_plans_never_conflict(opener: Opener) -> None:
    store = opener()
    assert store.file(plan("B1", "blue", square(45, 5, 0.1))).accepted
    assert store.file(plan("B2", "blue", square(45, 5, 0.1))).status is Status.ACCEPTED


def test_no_agreement_no_check_no_notice(opener: Opener) -> None:
    policy = Policy(Terms(), {frozenset(("blue", "green")): None})
    store = opener(policy)
    store.file(plan("B1", "blue", square(45, 5, 0.1)))
    g = store.file(plan("G1", "green", square(45, 5, 0.1)))
    assert g.status is Status.ACCEPTED and g.notices == ()
    assert store.notices("blue") == [] and store.notices("green") == []
    r = store.file(plan("R1", "red", square(45, 5, 0.1)))
    assert r.status is Status.MISSED and len(r.notices) == 2


def test_pair_terms_choose_minima_and_sharing(opener: Opener) -> None:
    wide = Terms(Separation(hsep_m=40_000.0), Sharing.COORDINATION, allow_conflicts=True)
    store = opener(Policy(ALLOW.default, {frozenset(("blue", "red")): wide}))
    b = store.file(plan("B1", "blue", square(45, 5, 0.1)))
    # 0.3 degrees of longitude east of B1's edge: about 24 km, inside red's 40 km minimum
    r = store.file(plan("R1", "red", square(45, 5.5, 0.1)))
    assert r.status is Status.MISSED
    (n,) = r.notices
    assert n["sharing"] == "coordination" and n["other_plan"] == "B1"
    assert n["other_volumes"]["features"][0]["geometry"]["type"] == "Polygon"
    g = store.file(plan("G1", "green", square(45, 5.5, 0.1)))  # default 5 NM: clear
    assert g.status is Status.ACCEPTED
    assert b.accepted


def test_states_and_the_index(opener: Opener) -> None:
    store = opener()
    store.file(plan("B1", "blue", square(45, 5, 0.1)))
    with pytest.raises(NotFoundError):
        store.set_state("B1", "red", PlanState.ACTIVATED)
    active = store.set_state("B1", "blue", PlanState.ACTIVATED)
    assert active.plan.state is PlanState.ACTIVATED and active.plan.version == 2
    assert store.file(plan("R1", "red", square(45, 5, 0.1))).status is Status.MISSED
    ended = store.set_state("B1", "blue", PlanState.ENDED)
    assert ended.plan.state is PlanState.ENDED
    with pytest.raises(RefusedError, match="cannot become"):
        store.cancel("B1", "blue")
    with pytest.raises(RefusedError, match="cannot be changed"):
        store.file(plan("B1", "blue", square(45, 5, 0.1), version=3))
    assert store.file(plan("R1", "red", square(45, 5, 0.1))).status is Status.ACCEPTED
    assert [p.plan.plan_id for p in store.plans()] == ["R1"]
    assert [p.plan.plan_id for p in store.plans(states=[PlanState.ENDED])] == ["B1"]
    store.cancel("R1", "red")
    assert store.plans() == []


def test_store_check_matches_the_in_memory_check(opener: Opener) -> None:
    """The SQL candidates plus the exact rule find exactly what an all-pairs check finds."""
    plans = random_plans(60, seed=7)
    store = opener()
    store.import_plans(plans[:40])
    for p in plans[40:]:
        expected = {
            (c.plan_a, c.plan_b): c
            for c in check_plans([*plans[:40], p])
            if p.plan_id in (c.plan_a, c.plan_b)
        }
        got = {(c.plan_a, c.plan_b): c for c in store.check(p)}
        assert got.keys() == expected.keys()
        for k, c in got.items():
            assert set(c.volumes) == set(expected[k].volumes)
    assert sum(len(store.check(p)) for p in plans[40:]) > 5  # the test has conflicts to find
    store.close()


def test_sqlite_file_is_wal_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "plans.db"
    open_store(f"sqlite:///{path}").close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_wide_time_windows_and_the_antimeridian(opener: Opener) -> None:
    store = opener()
    day = 24 * 3600.0
    long = box(0.0, 179.95, 0.1, 0.0, 10_000.0, T0, T0 + 30 * day)  # a month, across 180°
    assert store.file(plan("B1", "blue", long)).accepted
    late = box(0.0, -179.95, 0.05, 5_000.0, 6_000.0, T0 + 29 * day, T0 + 29 * day + 600)
    assert store.file(plan("R1", "red", late)).status is Status.MISSED
    store.close()


@pytest.mark.parametrize("sharing", list(Sharing))
def test_meta_is_kept_for_its_party_and_never_in_a_notice(opener: Opener, sharing: Sharing) -> None:
    store = opener(Policy(Terms(sharing=sharing, allow_conflicts=True)))
    meta = {"purpose": "recon-orchid", "callsign": "HAWK21"}
    f = store.file(replace(plan("M", "red", square(45, 5, 0.1)), meta=meta))
    assert f.ref is not None
    assert store.get("M", "red").plan.meta == meta
    assert [p.plan.meta for p in store.plans("red")] == [meta]
    # another party's filing that conflicts: both parties' notices, neither with the meta
    other = store.file(plan("B", "blue", square(45, 5, 0.1)), {f.ref: 1})
    assert other.status is Status.ACCEPTED_WITH_CONFLICTS
    for party in ("red", "blue"):
        text = json.dumps(store.notices(party))
        assert store.notices(party) and "recon-orchid" not in text and "HAWK21" not in text
    # an update replaces it
    assert other.ref is not None
    update = replace(plan("M", "red", square(45, 5, 0.1)), version=1, meta={"purpose": "x"})
    assert store.file(update, {other.ref: 1}).accepted
    assert store.get("M").plan.meta == {"purpose": "x"}


def test_the_exact_rule_is_not_run_again_for_a_pair_it_has_answered(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deconflict.plans.check import volumes_conflicts

    pairs: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        pairs.append(len(args[2]))
        return volumes_conflicts(*args, **kwargs)

    monkeypatch.setattr("deconflict.store.plans.volumes_conflicts", counted)
    with open_store(store_url, Policy(Terms(allow_conflicts=True))) as store:
        b = store.file(plan("B", "blue", square(45, 5, 0.1)))
        assert b.ref is not None
        a = plan("A", "red", square(45, 5.05, 0.1))
        assert store.file(a).status is Status.MISSED
        assert sum(pairs) == 1
        # filed again with the key: the same pair, the answer kept
        assert store.file(a, {b.ref: 1}).status is Status.ACCEPTED_WITH_CONFLICTS
        assert sum(pairs) == 1
        # B moved 12 km away, still a candidate: a new version, so the same own volume is
        # looked at again, and the answer kept for the old version is not used
        store.file(replace(plan("B", "blue", square(45, 5.4, 0.1)), version=1))
        before = sum(pairs)
        assert store.check(plan("C", "red", square(45, 5.05, 0.1))) == []
        assert sum(pairs) == before + 1
