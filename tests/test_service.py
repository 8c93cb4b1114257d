"""The API's answers to bad, hostile and ordinary input: one JSON error format, nothing
written on a refusal, and the plan flow with the key (ASTM F3548 style) over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from line_world import SECRET_LAT, SECRET_LON, SECRET_PLAN, World, make_world, plan_fc


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(f"sqlite:///{tmp_path / 'line.db'}")
    yield made
    made.line.close()


def _error(r: Any, status: int, code: str, *words: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    for w in words:
        assert w in body["error"]["message"]


def _audit_records(world: World) -> int:
    return int(world.line.store.read(lambda tx: tx.rows("SELECT COUNT(*) FROM audit"))[0][0])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"party_id": "e"}, ["name", "required"]),
        ({"party_id": 3, "name": "E"}, ["party_id"]),
        ({"party_id": "e", "name": "E", "flag": 1}, ["flag", "not permitted"]),
        ({"party_id": "E E", "name": "E"}, ["party_id"]),
        ({"party_id": "e", "name": "x" * 201}, ["name"]),
        ([1, 2], []),
        ("text", []),
    ],
)
def test_a_bad_body_is_a_400_with_one_line_and_writes_nothing(
    world: World, body: Any, words: list[str]
) -> None:
    before = _audit_records(world)
    _error(world.call("admin", "POST", "/v1/parties", body), 400, "bad_request", *words)
    assert _audit_records(world) == before


def test_malformed_json_and_huge_bodies_are_refused(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens['admin']}",
               "Content-Type": "application/json"}  # fmt: skip
    r = world.client.post("/v1/parties", content=b'{"party_id": "e", "name": ', headers=headers)
    _error(r, 400, "bad_request")
    r = world.client.post("/v1/parties", content=b"\xff\xfe", headers=headers)
    _error(r, 400, "bad_request")
    r = world.client.post("/v1/parties", content=b"[" * 100_000 + b"]" * 100_000, headers=headers)
    assert r.status_code in (400, 413) and "error" in r.json()
    big = {**headers, "Content-Length": str(9 * 2**20)}
    r = world.client.post("/v1/parties", content=b"x" * 100, headers=big)
    _error(r, 413, "too_large")


def test_unknown_routes_and_methods_answer_in_the_same_format(world: World) -> None:
    _error(world.call("admin", "GET", "/v1/nothing"), 404, "not_found")
    _error(world.call("admin", "PUT", "/v1/parties"), 405, "method_not_allowed")
    r = world.call("anonymous", "GET", "/v1/whoami")
    _error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ({"type": "Feature"}, ["FeatureCollection"]),
        (plan_fc("p", 200.0, 0.0), ["longitude"]),
        (plan_fc("p", 0.0, 0.0, radius_m=-5.0), ["radius_m"]),
        (plan_fc("p", 0.0, 0.0, time_end="2026-11-25T07:00:00Z"), ["time_end"]),
        (plan_fc("p", 0.0, 0.0, alt_lower_ft="high"), ["alt_lower_ft"]),
        (plan_fc(None, 0.0, 0.0), ["plan_id"]),
        (plan_fc("p", 0.0, 0.0, party="b"), ["own party"]),
        (plan_fc("p", 0.0, 0.0, version=2), ["new plan has no version"]),
    ],
)
def test_a_bad_plan_is_refused_with_its_reason(
    world: World, plan: dict[str, Any], words: list[str]
) -> None:
    before = _audit_records(world)
    r = world.call("officer_a", "POST", "/v1/plans", {"plan": plan})
    assert r.status_code in (400, 403), r.text
    assert all(w in r.json()["error"]["message"] for w in words), r.text
    assert _audit_records(world) == before


def test_a_plan_is_updated_at_its_version_and_cancelled(world: World) -> None:
    moved = plan_fc(SECRET_PLAN, -40.0, 10.0)
    r = world.call("officer_a", "PUT", f"/v1/plans/{SECRET_PLAN}", {"plan": moved, "version": 5})
    _error(r, 409, "refused", "at version 1, not 5")
    r = world.call("officer_a", "PUT", f"/v1/plans/{SECRET_PLAN}", {"plan": moved, "version": 1})
    assert r.status_code == 201 and r.json()["version"] == 2
    r = world.call("officer_a", "PUT", "/v1/plans/other", {"plan": moved, "version": 2})
    _error(r, 400, "bad_request", "not 'other'")
    r = world.call("officer_a", "DELETE", f"/v1/plans/{SECRET_PLAN}")
    assert r.json()["state"] == "cancelled"
    _error(world.call("officer_a", "DELETE", f"/v1/plans/{SECRET_PLAN}"), 409, "refused")
    listed = world.call("officer_a", "GET", "/v1/plans?state=cancelled").json()
    assert [p["plan_id"] for p in listed] == [SECRET_PLAN]


def test_a_missed_conflict_is_a_409_with_what_was_missed(world: World) -> None:
    r = world.call("officer_a", "POST", "/v1/plans",
                   {"plan": plan_fc("a-2", SECRET_LON + 0.1, SECRET_LAT + 0.05)})  # fmt: skip
    _error(r, 409, "missed", "did not acknowledge")
    (n,) = r.json()["notices"]
    assert n["other_party"] == "b" and r.json()["version"] is None
    # with the key: accepted with conflicts, and b is told
    cursor = world.call("officer_b", "GET", "/v1/events").json()["cursor"]
    known = {n["other_plan_ref"]: n["other_version"]}
    r = world.call("officer_a", "POST", "/v1/plans",
                   {"plan": plan_fc("a-2", SECRET_LON + 0.1, SECRET_LAT + 0.05),
                    "known": known})  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "accepted_with_conflicts"
    told = world.call("officer_b", "GET", f"/v1/events?after={cursor}").json()
    assert [e["kind"] for e in told["events"]] == ["notice"]
    assert told["events"][0]["body"]["own_plan"] == "b-plan"
    assert told["cursor"] > cursor


def test_the_audit_chain_is_verified_over_the_api(world: World) -> None:
    r = world.call("admin", "GET", "/v1/audit/verify").json()
    assert r["intact"] and r["records"] > 10 and r["break"] is None
    last = world.line.store.read(
        lambda tx: tx.rows("SELECT seq, sha256 FROM audit ORDER BY seq DESC LIMIT 1")
    )[0]
    ok = world.call("admin", "GET", f"/v1/audit/verify?seq={last[0]}&sha256={last[1]}").json()
    assert ok["intact"]
    later = world.call("admin", "GET",
                       f"/v1/audit/verify?seq={last[0] + 5}&sha256={last[1]}").json()  # fmt: skip
    assert not later["intact"] and later["break"]["what"] == "truncated"
    _error(world.call("admin", "GET", f"/v1/audit/verify?seq={last[0]}"), 400, "bad_request")
    _error(world.call("admin", "GET", "/v1/audit/verify?seq=1&sha256=zz"), 400, "bad_request")
