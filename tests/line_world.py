"""A small line for the service's tests: three parties, agreements, keys of every kind, and
plans that conflict, behind an in-process HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from deconflict.line.line import OPERATOR, Line
from deconflict.service.app import create_app

#: where party a's plan is: coordinates that must reach no other party under ``safety``
SECRET_LON, SECRET_LAT = 33.123457, 34.654321
SECRET_PLAN = "a-secret-plan"
#: a's aircraft: its id and callsign must reach no other party under ``safety``
SECRET_AIRCRAFT, SECRET_CALLSIGN = "a-secret-jet", "HIDDEN7"


def plan_fc(plan_id: str | None, lon: float, lat: float, radius_m: float = 20_000.0,
            **props: Any) -> dict[str, Any]:  # fmt: skip
    """A one-volume plan as the API takes it (a GeoJSON FeatureCollection)."""
    properties: dict[str, Any] = {
        "radius_m": radius_m, "alt_lower_ft": 10_000, "alt_upper_ft": 20_000,
        "time_start": "2026-11-25T08:00:00Z", "time_end": "2026-11-25T10:00:00Z", **props,
    }  # fmt: skip
    if plan_id is not None:
        properties["plan_id"] = plan_id
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": properties,
                      "geometry": {"type": "Point", "coordinates": [lon, lat]}}],
    }  # fmt: skip


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    line: Line
    client: TestClient
    tokens: dict[str, str | None]
    key_ids: dict[str, str]
    agreement_ab: str
    agreement_ad: str
    clock: Clock
    #: an alert between a's and b's aircraft (a, b in ``safety``)
    alert_ab: str = ""

    def again(self, url: str) -> World:
        """The same world on a copy of its database at ``url``."""
        from deconflict.store import open_store

        line = Line(open_store(url), clock=self.clock)
        return World(line, TestClient(create_app(line)), self.tokens, self.key_ids,
                     self.agreement_ab, self.agreement_ad, self.clock, self.alert_ab)  # fmt: skip

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        token = self.tokens[who]
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return self.client.request(method, path, headers=headers, json=body)


def make_world(url: str) -> World:
    """Parties a-f: a and b in an agreement in force (safety, conflicts allowed), a and e
    in one in force at coordination, a and f in a suspended one, a and d in a terminated
    one, c in none. Plans: a's secret plan, b's plan over it
    (acknowledged: accepted with conflicts), c's plan over it too (no agreement)."""
    from deconflict.store import open_store

    clock = Clock(1_795_600_000.0)
    line = Line(open_store(url), clock=clock)
    for p in "abcdef":
        line.add_party(OPERATOR, p, f"Party {p.upper()}")
    tokens: dict[str, str | None] = {"anonymous": None, "malformed": "not-a-key"}
    key_ids = {}
    for who, role, party in [
        ("admin", "admin", None), ("officer_a", "officer", "a"), ("officer_b", "officer", "b"),
        ("officer_c", "officer", "c"), ("feed_a", "feed", "a"), ("observer_a", "observer", "a"),
        ("feed_b", "feed", "b"), ("feed_c", "feed", "c"), ("officer_e", "officer", "e"),
        ("officer_f", "officer", "f"),
        ("revoked_a", "officer", "a"),
    ]:  # fmt: skip
        info, token = line.create_key(OPERATOR, role, party, who)
        tokens[who], key_ids[who] = token, info.key_id
    info, token = line.create_key(OPERATOR, "officer", "a", "expired", clock.now + 10.0)
    tokens["expired_a"], key_ids["expired_a"] = token, info.key_id
    line.revoke_key(OPERATOR, key_ids["revoked_a"])
    ab = line.make_agreement(OPERATOR, "a", "b", {"allow_plan_conflicts": True})
    ad = line.make_agreement(OPERATOR, "a", "d", {"sharing": "coordination"})
    line.change_agreement(OPERATOR, ad.agreement_id, 1, "terminated")
    line.make_agreement(OPERATOR, "a", "e", {"sharing": "coordination"})
    af = line.make_agreement(OPERATOR, "a", "f", {})
    line.change_agreement(OPERATOR, af.agreement_id, 1, "suspended")
    clock.now += 60.0  # the expired key has expired
    world = World(line, TestClient(create_app(line)), tokens, key_ids, ab.agreement_id,
                  ad.agreement_id, clock)  # fmt: skip
    r = world.call("officer_a", "POST", "/v1/plans",
                   {"plan": plan_fc(SECRET_PLAN, SECRET_LON, SECRET_LAT)})  # fmt: skip
    assert r.status_code == 201, r.text
    near = plan_fc("b-plan", SECRET_LON + 0.1, SECRET_LAT + 0.05)
    r = world.call("officer_b", "POST", "/v1/plans", {"plan": near})
    assert r.status_code == 409, r.text
    known = {n["other_plan_ref"]: n["other_version"] for n in r.json()["notices"]}
    r = world.call("officer_b", "POST", "/v1/plans", {"plan": near, "known": known})
    assert r.json()["status"] == "accepted_with_conflicts", r.text
    r = world.call("officer_c", "POST", "/v1/plans",
                   {"plan": plan_fc("c-plan", SECRET_LON - 0.05, SECRET_LAT - 0.05)})  # fmt: skip
    assert r.json()["status"] == "accepted", r.text
    # a's and b's aircraft head-on, 8 NM apart, and c's beside them (no agreement)
    for who, ident, lon, track in [("feed_a", SECRET_AIRCRAFT, 19.95, 90.0),
                                   ("feed_b", "b-jet", 20.05, 270.0),
                                   ("feed_c", "c-jet", 20.0, 0.0)]:  # fmt: skip
        r = world.call(who, "POST", "/v1/tracks", {"states": [
            {"id": ident, "callsign": SECRET_CALLSIGN if who == "feed_a" else "OTHER",
             "time_s": clock.now, "latitude_deg": 40.0, "longitude_deg": lon,
             "altitude_ft": 30_000, "groundspeed_kt": 450, "track_deg": track,
             "vertical_rate_fpm": 0},
        ]})  # fmt: skip
        assert r.status_code == 202, r.text
    (raised,) = line.live.tick()
    world.alert_ab = raised.record.alert_id
    return world
