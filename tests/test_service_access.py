"""Who may call what: every route of the API as every kind of caller, on a fresh line each
time, against the table below (the table of docs/access.md); and what the answers must
never carry to a party that may not see it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from line_world import (
    SECRET_AIRCRAFT,
    SECRET_CALLSIGN,
    SECRET_LAT,
    SECRET_LON,
    SECRET_PLAN,
    World,
    make_world,
    plan_fc,
)

CALLERS = ("anonymous", "malformed", "revoked_a", "expired_a", "admin", "officer_a",
           "officer_b", "officer_c", "feed_a", "observer_a", "officer_e", "officer_f")  # fmt: skip

Body = Callable[[World], Any]


def _none(_: World) -> Any:
    return None


#: route: (method, path, body, the status each caller gets, in the order of CALLERS)
ROUTES: dict[str, tuple[str, str, Body, str]] = {
    "health": ("GET", "/v1/health", _none, "200 200 200 200 200 200 200 200 200 200 200 200"),
    "whoami": ("GET", "/v1/whoami", _none, "401 401 401 401 200 200 200 200 200 200 200 200"),
    "add party": ("POST", "/v1/parties", lambda w: {"party_id": "g", "name": "G"},
                  "401 401 401 401 201 403 403 403 403 403 403 403"),
    "list parties": ("GET", "/v1/parties", _none,
                     "401 401 401 401 200 200 200 200 403 200 200 200"),
    "create key": ("POST", "/v1/keys", lambda w: {"role": "observer", "party_id": "a"},
                   "401 401 401 401 201 403 403 403 403 403 403 403"),
    "list keys": ("GET", "/v1/keys", _none, "401 401 401 401 200 403 403 403 403 403 403 403"),
    "revoke key": ("DELETE", "/v1/keys/{officer_c_key}", _none,
                   "401 401 401 401 200 403 403 403 403 403 403 403"),
    "make agreement": ("POST", "/v1/agreements", lambda w: {"parties": ["b", "c"]},
                       "401 401 401 401 201 403 403 403 403 403 403 403"),
    "list agreements": ("GET", "/v1/agreements", _none,
                        "401 401 401 401 200 200 200 200 403 200 200 200"),
    "agreement": ("GET", "/v1/agreements/{ab}", _none,
                  "401 401 401 401 200 200 200 404 403 200 404 404"),
    "change agreement": ("PATCH", "/v1/agreements/{ab}",
                         lambda w: {"version": 1, "status": "suspended"},
                         "401 401 401 401 200 403 403 403 403 403 403 403"),
    "agreement history": ("GET", "/v1/agreements/{ab}/history", _none,
                          "401 401 401 401 200 200 200 404 403 200 404 404"),
    "file plan": ("POST", "/v1/plans", lambda w: {"plan": plan_fc("new-plan", -40.0, 10.0)},
                  "401 401 401 401 403 201 201 201 403 403 201 201"),
    "update plan": ("PUT", f"/v1/plans/{SECRET_PLAN}",
                    lambda w: {"plan": plan_fc(SECRET_PLAN, -40.0, 10.0), "version": 1},
                    "401 401 401 401 403 201 404 404 403 403 404 404"),
    "list plans": ("GET", "/v1/plans", _none, "401 401 401 401 403 200 200 200 403 200 200 200"),
    "plan": ("GET", f"/v1/plans/{SECRET_PLAN}", _none,
             "401 401 401 401 403 200 404 404 403 200 404 404"),
    "plan state": ("POST", f"/v1/plans/{SECRET_PLAN}/state", lambda w: {"state": "activated"},
                   "401 401 401 401 403 200 404 404 403 403 404 404"),
    "cancel plan": ("DELETE", f"/v1/plans/{SECRET_PLAN}", _none,
                    "401 401 401 401 403 200 404 404 403 403 404 404"),
    "notices": ("GET", "/v1/notices", _none, "401 401 401 401 403 200 200 200 403 200 200 200"),
    "events": ("GET", "/v1/events", _none, "401 401 401 401 403 200 200 200 403 200 200 200"),
    "hotline templates": ("GET", "/v1/hotline/templates", _none,
                          "401 401 401 401 403 200 200 200 403 200 200 200"),
    "hotline threads": ("GET", "/v1/hotline/threads", _none,
                        "401 401 401 401 403 200 200 200 403 200 200 200"),
    "send hotline message": ("POST", "/v1/hotline/messages", lambda w: _hotline_reply(w),
                             "401 401 401 401 403 201 201 404 403 403 404 404"),
    "hotline messages": ("GET", "/v1/hotline/messages", _none,
                         "401 401 401 401 403 200 200 200 403 200 200 200"),
    "hotline message": ("GET", "/v1/hotline/messages/{message_id}", _none,
                        "401 401 401 401 403 200 200 404 403 200 404 404"),
    "read hotline message": ("POST", "/v1/hotline/messages/{message_id}/read", _none,
                             "401 401 401 401 403 409 200 404 403 403 404 404"),
    "ack hotline message": ("POST", "/v1/hotline/messages/{message_id}/ack", _none,
                            "401 401 401 401 403 409 200 404 403 403 404 404"),
    "verify audit": ("GET", "/v1/audit/verify", _none,
                     "401 401 401 401 200 403 403 403 403 403 403 403"),
    "push tracks": ("POST", "/v1/tracks", lambda w: {"states": [_state(w)]},
                    "401 401 401 401 403 403 403 403 202 403 403 403"),
    "tracks": ("GET", "/v1/tracks", _none, "401 401 401 401 403 200 200 200 403 200 200 200"),
    "alerts": ("GET", "/v1/alerts", _none, "401 401 401 401 403 200 200 200 403 200 200 200"),
    "alert": ("GET", "/v1/alerts/{alert}", _none,
              "401 401 401 401 403 200 200 404 403 200 404 404"),
    "ack alert": ("POST", "/v1/alerts/{alert}/ack", _none,
                  "401 401 401 401 403 200 200 404 403 403 404 404"),
    "event stream": ("GET", "/v1/events/stream?for_s=0", _none,
                     "401 401 401 401 403 200 200 200 403 200 200 200"),
    "metrics": ("GET", "/v1/metrics", _none, "401 401 401 401 200 403 403 403 403 403 403 403"),
}  # fmt: skip


def _state(world: World) -> dict[str, Any]:
    return {"id": "new-jet", "time_s": world.clock.now, "latitude_deg": 0.0, "longitude_deg": 0.0,
            "altitude_ft": 10_000, "groundspeed_kt": 200, "track_deg": 0,
            "vertical_rate_fpm": 0}  # fmt: skip


def _path(world: World, template: str) -> str:
    return template.format(officer_c_key=world.key_ids["officer_c"], ab=world.agreement_ab,
                           message_id=_hotline_ids(world)[1], alert=world.alert_ab)  # fmt: skip


def _hotline_ids(world: World) -> tuple[str, str]:
    """The thread and id of the hotline message from a to b that the world holds."""
    rows = world.line.store.read(
        lambda tx: tx.rows(
            "SELECT thread_id, message_id FROM hotline_messages WHERE client_id = 'access-1'"
        )
    )
    return str(rows[0][0]), str(rows[0][1])


def _hotline_reply(world: World) -> dict[str, Any]:
    return {"thread_id": _hotline_ids(world)[0], "client_id": "access-2", "priority": "routine",
            "template": "free", "fields": {"text": "Copy"}}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """The world, made once; each test gets a copy of its database."""
    db = tmp_path_factory.mktemp("world") / "line.db"
    made = make_world(f"sqlite:///{db}")
    hello = {"client_id": "access-1", "to_party": "b", "subject": "Exercise",
             "priority": "routine", "template": "free", "fields": {"text": "Hello"}}  # fmt: skip
    r = made.call("officer_a", "POST", "/v1/hotline/messages", hello)
    assert r.status_code == 201, r.text
    made.line.close()
    return made, db


@pytest.fixture
def world(template: tuple[World, Path], tmp_path: Path) -> Iterator[World]:
    made, db = template
    shutil.copy(db, tmp_path / "line.db")
    copy = made.again(f"sqlite:///{tmp_path / 'line.db'}")
    yield copy
    copy.line.close()


def test_the_table_names_every_route_of_the_api(world: World) -> None:
    served = {
        (m, r.path)
        for r in world.client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }
    tabled = {(m, _shown(p)) for m, p, _, _ in ROUTES.values()}
    assert served == tabled


def test_the_table_is_the_one_in_the_docs() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "access.md").read_text(encoding="utf-8")
    assert access_table() in doc


def access_table() -> str:
    """The table as markdown (docs/access.md holds it)."""
    lines = ["| route | " + " | ".join(CALLERS) + " |", "|---" * (len(CALLERS) + 1) + "|"]
    for name, (method, path, _, codes) in ROUTES.items():
        lines.append(f"| {name}: `{method} {_shown(path)}` | " + " | ".join(codes.split()) + " |")
    return "\n".join(lines) + "\n"


def _shown(path: str) -> str:
    """A route of the table as the API names it."""
    path = path.partition("?")[0].replace(SECRET_PLAN, "{plan_id}")
    for mine, api in (("{officer_c_key}", "{key_id}"), ("{ab}", "{agreement_id}"),
                      ("{alert}", "{alert_id}")):  # fmt: skip
        path = path.replace(mine, api)
    return path


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("who", CALLERS)
def test_each_caller_gets_what_the_table_says(world: World, route: str, who: str) -> None:
    method, path, body, codes = ROUTES[route]
    expected = int(codes.split()[CALLERS.index(who)])
    r = world.call(who, method, _path(world, path), body(world))
    assert r.status_code == expected, r.text
    if expected >= 400:  # the one error format
        error = r.json()["error"]
        assert set(error) == {"code", "message"} and error["message"]
    if not who.endswith("_a") and who != "admin":
        # nothing of party a's plan reaches a caller of another party, or none (but the
        # name it asked for itself)
        asked = SECRET_PLAN in path
        secrets: tuple[str, ...] = (f"{SECRET_LON}", f"{SECRET_LAT}")
        if who != "officer_e":  # under coordination, a's tracks are e's to see
            secrets += (SECRET_AIRCRAFT, SECRET_CALLSIGN)
        for secret in (() if asked else (SECRET_PLAN,)) + secrets:
            assert secret not in r.text


def test_tracks_are_shared_under_coordination_only(world: World) -> None:
    """e (coordination with a) sees a's aircraft in full; b (safety) and f (suspended) see
    none of them, only their own (each test's line is new: its feeds push again)."""
    for who, ident in (("feed_a", SECRET_AIRCRAFT), ("feed_b", "b-jet")):
        r = world.call(who, "POST", "/v1/tracks", {"states": [{**_state(world), "id": ident}]})
        assert r.status_code == 202, r.text
    seen = {
        who: {(t["party"], t["id"]) for t in world.call(who, "GET", "/v1/tracks").json()["tracks"]}
        for who in ("officer_a", "officer_b", "officer_e", "officer_f", "observer_a")
    }
    assert seen["officer_e"] == {("a", SECRET_AIRCRAFT)}
    assert seen["officer_b"] == {("b", "b-jet")}
    assert seen["officer_f"] == set()
    assert seen["officer_a"] == seen["observer_a"] == {("a", SECRET_AIRCRAFT)}


def test_a_party_sees_only_itself_and_the_parties_it_has_agreements_with(world: World) -> None:
    seen = {
        who: sorted(p["party_id"] for p in world.call(who, "GET", "/v1/parties").json())
        for who in (
            "admin",
            "officer_a",
            "officer_b",
            "officer_c",
            "observer_a",
            "officer_e",
            "officer_f",
        )
    }
    assert seen == {"admin": ["a", "b", "c", "d", "e", "f"],
                    "officer_a": ["a", "b", "d", "e", "f"],
                    "officer_b": ["a", "b"], "officer_c": ["c"],
                    "observer_a": ["a", "b", "d", "e", "f"], "officer_e": ["a", "e"],
                    "officer_f": ["a", "f"]}  # fmt: skip


def test_notices_under_safety_carry_the_region_only(world: World) -> None:
    notices = world.call("officer_b", "GET", "/v1/notices").json()
    assert len(notices) == 1
    n = notices[0]
    assert n["own_plan"] == "b-plan" and n["other_party"] == "a" and n["sharing"] == "safety"
    assert "other_plan" not in n and "other_volumes" not in n
    assert n["region"]["type"] == "MultiPolygon"
    # a's notice of the same conflict, with its own plan named as a names it
    (mine,) = world.call("officer_a", "GET", "/v1/notices").json()
    assert mine["own_plan"] == SECRET_PLAN and mine["other_party"] == "b"


def test_no_agreement_in_force_no_notice(world: World) -> None:
    """c's plan lies over a's and b's, but c has no agreement: it was accepted without
    conflicts, and no one was told of anyone."""
    assert world.call("officer_c", "GET", "/v1/notices").json() == []
    events = world.call("officer_c", "GET", "/v1/events").json()["events"]
    assert events == []
    for who in ("officer_a", "officer_b"):
        for n in world.call(who, "GET", "/v1/notices").json():
            assert n["other_party"] != "c"


def test_a_plan_name_of_another_party_is_free_and_tells_nothing(world: World) -> None:
    r = world.call("officer_b", "POST", "/v1/plans",
                   {"plan": plan_fc(SECRET_PLAN, -40.0, 10.0)})  # fmt: skip
    assert r.status_code == 201 and r.json()["plan_id"] == SECRET_PLAN
    mine = world.call("officer_b", "GET", f"/v1/plans/{SECRET_PLAN}").json()
    assert mine["party"] == "b" and mine["volumes"]["features"][0]["geometry"]["coordinates"] == [
        -40.0, 10.0
    ]  # fmt: skip
    theirs = world.call("officer_a", "GET", f"/v1/plans/{SECRET_PLAN}").json()
    assert theirs["party"] == "a"


def test_a_suspended_agreement_stops_the_checks_between_its_parties(world: World) -> None:
    r = world.call("admin", "PATCH", f"/v1/agreements/{world.agreement_ab}",
                   {"version": 1, "status": "suspended"})  # fmt: skip
    assert r.json()["status"] == "suspended"
    r = world.call("officer_b", "POST", "/v1/plans",
                   {"plan": plan_fc("b-plan-2", SECRET_LON, SECRET_LAT)})  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    r = world.call("admin", "PATCH", f"/v1/agreements/{world.agreement_ab}",
                   {"version": 2, "status": "in_force"})  # fmt: skip
    r = world.call("officer_b", "POST", "/v1/plans",
                   {"plan": plan_fc("b-plan-3", SECRET_LON, SECRET_LAT)})  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "missed"
