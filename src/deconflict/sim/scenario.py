"""Scenario files (TOML): what the simulator flies, read and checked into frozen records.

Every mistake is one line naming the file and the place, e.g.
``scenario.toml: aircraft[3].route[1]: latitude 95.0 is beyond ±90°``. The format is in
``docs/simulator.md``; ``scenarios/levant.toml`` is a complete example.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from deconflict.errors import InputError
from deconflict.sim.performance import TypeSpec, has_model

#: the scenarios shipped with the package, loadable by name
BUILT_IN = ("levant",)
LEVELS = {"preventive": 1, "corrective": 2, "warning": 3}


class ScenarioError(InputError):
    """A scenario file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class Point:
    latitude_deg: float
    longitude_deg: float


@dataclass(frozen=True)
class Waypoint:
    point: Point
    altitude_ft: float | None = None
    speed_kt: float | None = None


@dataclass(frozen=True)
class Party:
    party_id: str
    name: str
    feed_key: str | None
    officer_key: str | None


@dataclass(frozen=True)
class Agreement:
    parties: tuple[str, str]
    sharing: str
    allow_plan_conflicts: bool


@dataclass(frozen=True)
class Aircraft:
    """One aircraft flying a route from its first waypoint (``repeat``: for ever)."""

    aircraft_id: str
    party: str
    type_name: str
    callsign: str
    start_s: float
    altitude_ft: float
    speed_kt: float | None
    route: tuple[Waypoint, ...]
    repeat: bool


@dataclass(frozen=True)
class Overflight:
    """A stream of civil aircraft from ``origin`` to ``destination``, one every ``every_s``."""

    party: str
    type_name: str
    origin: Point
    destination: Point
    every_s: float
    altitudes_ft: tuple[float, ...]
    callsign_prefix: str
    speed_kt: float | None


@dataclass(frozen=True)
class Side:
    aircraft_id: str
    party: str
    type_name: str
    callsign: str
    track_deg: float
    speed_kt: float


@dataclass(frozen=True)
class Encounter:
    """Two aircraft placed to meet at ``point`` at ``at_s`` with a horizontal miss of
    ``miss_nm`` and ``b`` ``vertical_offset_ft`` above ``a``; with ``break_off_s``, ``b``
    turns away by ``break_off_turn_deg`` that long before the meeting."""

    name: str
    at_s: float
    point: Point
    altitude_ft: float
    miss_nm: float
    vertical_offset_ft: float
    lead_s: float
    after_s: float
    break_off_s: float
    break_off_turn_deg: float
    expect_level: int | None
    a: Side
    b: Side


@dataclass(frozen=True)
class Volume:
    """A plan's volume: a circle (``radius_nm``) or a polygon (``polygon``)."""

    center: Point | None
    radius_nm: float | None
    polygon: tuple[Point, ...]
    alt_lower_ft: float
    alt_upper_ft: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class PlanSpec:
    party: str
    plan_id: str
    acknowledge: bool
    at_s: float
    volumes: tuple[Volume, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    description: str
    start_s: float  #: the epoch of a run written to a file (UNIX s)
    duration_s: float
    step_s: float
    seed: int
    parties: tuple[Party, ...]
    agreements: tuple[Agreement, ...]
    types: dict[str, TypeSpec]
    aircraft: tuple[Aircraft, ...]
    overflights: tuple[Overflight, ...]
    encounters: tuple[Encounter, ...]
    plans: tuple[PlanSpec, ...]

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.party_id == party_id)


# -- reading ------------------------------------------------------------------------------


class _At:
    """A place in the file, for messages: ``aircraft[3].route``."""

    def __init__(self, source: str, path: str = "") -> None:
        self.source, self.path = source, path

    def __truediv__(self, name: str | int) -> _At:
        if isinstance(name, int):
            return _At(self.source, f"{self.path}[{name}]")
        return _At(self.source, f"{self.path}.{name}" if self.path else name)

    def fail(self, message: str) -> ScenarioError:
        where = f"{self.path}: " if self.path else ""
        return ScenarioError(f"{self.source}: {where}{message}")


def _table(
    value: Any,
    at: _At,
    allowed: set[str],
    required: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise at.fail(f"must be a table, not {_kind(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise at.fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise at.fail(f"missing key {missing[0]!r}")
    return value


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _list(value: Any, at: _At) -> list[Any]:
    if not isinstance(value, list):
        raise at.fail(f"must be a list, not {_kind(value)}")
    return value


def _str(value: Any, at: _At) -> str:
    if not isinstance(value, str) or not value.strip():
        raise at.fail("must be a non-empty string")
    return value


def _num(value: Any, at: _At, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise at.fail(f"must be a number, not {_kind(value)}")
    if not lo <= value <= hi:
        raise at.fail(f"{value} is outside [{lo:g}, {hi:g}]")
    return float(value)


def _bool(value: Any, at: _At) -> bool:
    if not isinstance(value, bool):
        raise at.fail("must be true or false")
    return value


def _opt(
    d: dict[str, Any], key: str, at: _At, lo: float = -math.inf, hi: float = math.inf
) -> float | None:
    return None if key not in d else _num(d[key], at / key, lo, hi)


ALT_FT = (-1000.0, 60_000.0)
SPEED_KT = (40.0, 1200.0)


def _point(value: Any, at: _At, bases: dict[str, Point]) -> Point:
    if isinstance(value, str):
        if value not in bases:
            raise at.fail(f"no base {value!r} (bases: {', '.join(sorted(bases)) or 'none'})")
        return bases[value]
    if not isinstance(value, list) or len(value) != 2:
        raise at.fail("must be [latitude, longitude] or a base's name")
    lat = _num(value[0], at, -90.0, 90.0)
    lon = _num(value[1], at, -180.0, 180.0)
    return Point(lat, lon)


def _waypoint(value: Any, at: _At, bases: dict[str, Point]) -> Waypoint:
    if isinstance(value, dict):
        d = _table(value, at, {"point", "altitude_ft", "speed_kt"}, {"point"})
        return Waypoint(
            _point(d["point"], at / "point", bases),
            _opt(d, "altitude_ft", at, *ALT_FT),
            _opt(d, "speed_kt", at, *SPEED_KT),
        )
    return Waypoint(_point(value, at, bases))


def _circle(center: Point, radius_m: float, points: int, start_deg: float = 0.0) -> list[Point]:
    import numpy as np

    from deconflict.geo import destination

    az = start_deg + np.arange(points) * 360.0 / points
    lat, lon = destination(
        np.full(points, center.latitude_deg),
        np.full(points, center.longitude_deg),
        az,
        np.full(points, radius_m),
    )
    return [Point(float(a), float(o)) for a, o in zip(lat, lon, strict=True)]


def _route_of(
    d: dict[str, Any], at: _At, bases: dict[str, Point]
) -> tuple[tuple[Waypoint, ...], bool]:
    """The waypoints and whether they repeat, from exactly one of route, orbit,
    racetrack, patrol."""
    given = [k for k in ("route", "orbit", "racetrack", "patrol") if k in d]
    if len(given) != 1:
        raise at.fail(
            "needs exactly one of route, orbit, racetrack, patrol"
            + (f" (has {', '.join(given)})" if given else "")
        )
    kind = given[0]
    here = at / kind
    alt, speed = _opt(d, "altitude_ft", at, *ALT_FT), _opt(d, "speed_kt", at, *SPEED_KT)
    if kind == "route":
        items = _list(d["route"], here)
        if len(items) < 2:
            raise here.fail("needs at least two waypoints")
        points = tuple(_waypoint(w, here / i, bases) for i, w in enumerate(items))
        return points, _bool(d.get("repeat", False), at / "repeat")
    if "repeat" in d:
        raise (at / "repeat").fail(f"only for a route ({kind}s repeat by themselves)")
    if kind == "orbit":
        o = _table(d["orbit"], here, {"center", "radius_nm", "points"}, {"center", "radius_nm"})
        center = _point(o["center"], here / "center", bases)
        radius = _num(o["radius_nm"], here / "radius_nm", 0.5, 500.0) * 1852.0
        n = int(_num(o.get("points", 16), here / "points", 3, 360))
        ring = _circle(center, radius, n)
        return tuple(Waypoint(p, alt, speed) for p in ring), True
    if kind == "racetrack":
        r = _table(d["racetrack"], here, {"from", "to"}, {"from", "to"})
        ends = (_point(r["from"], here / "from", bases), _point(r["to"], here / "to", bases))
        if ends[0] == ends[1]:
            raise here.fail("its two ends are the same point")
        return tuple(Waypoint(p, alt, speed) for p in ends), True
    p = _table(d["patrol"], here, {"area"}, {"area"})
    corners = _list(p["area"], here / "area")
    if len(corners) < 3:
        raise (here / "area").fail("needs at least three corners")
    area = [_point(c, here / "area" / i, bases) for i, c in enumerate(corners)]
    return tuple(Waypoint(c, alt, speed) for c in area), True


def _iso_s(value: Any, at: _At) -> float:
    text = _str(value, at)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise at.fail(f"{text!r} is not an ISO-8601 time") from None
    if when.tzinfo is None:
        raise at.fail(f"{text!r} has no zone (add Z for UTC)")
    return when.timestamp()


def _key(d: dict[str, Any], name: str, at: _At, environ: dict[str, str]) -> str | None:
    if name in d and f"{name}_env" in d:
        raise at.fail(f"give {name} or {name}_env, not both")
    if name in d:
        return _str(d[name], at / name)
    if f"{name}_env" in d:
        var = _str(d[f"{name}_env"], at / f"{name}_env")
        return environ.get(var) or None
    return None


def parse(data: dict[str, Any], source: str, environ: dict[str, str] | None = None) -> Scenario:
    """A scenario from a TOML document already read."""
    env = dict(os.environ if environ is None else environ)
    top = _At(source)
    d = _table(
        data,
        top,
        {
            "name",
            "description",
            "start",
            "duration_s",
            "step_s",
            "seed",
            "parties",
            "agreements",
            "bases",
            "types",
            "aircraft",
            "overflights",
            "encounters",
            "plans",
        },
        {"parties"},
    )
    parties: list[Party] = []
    for i, p in enumerate(_list(d["parties"], top / "parties")):
        at = top / "parties" / i
        t = _table(
            p,
            at,
            {"id", "name", "feed_key", "feed_key_env", "officer_key", "officer_key_env"},
            {"id"},
        )
        pid = _str(t["id"], at / "id")
        if any(q.party_id == pid for q in parties):
            raise (at / "id").fail(f"party {pid!r} is given twice")
        parties.append(
            Party(
                pid,
                str(t.get("name", pid)),
                _key(t, "feed_key", at, env),
                _key(t, "officer_key", at, env),
            )
        )
    if not parties:
        raise (top / "parties").fail("needs at least one party")
    party_ids = {p.party_id for p in parties}

    def party(value: Any, at: _At) -> str:
        pid = _str(value, at)
        if pid not in party_ids:
            raise at.fail(f"no party {pid!r} (parties: {', '.join(sorted(party_ids))})")
        return pid

    agreements = []
    for i, a in enumerate(_list(d.get("agreements", []), top / "agreements")):
        at = top / "agreements" / i
        t = _table(a, at, {"parties", "sharing", "allow_plan_conflicts"}, {"parties"})
        two = _list(t["parties"], at / "parties")
        if len(two) != 2:
            raise (at / "parties").fail("must name two parties")
        pa, pb = party(two[0], at / "parties" / 0), party(two[1], at / "parties" / 1)
        if pa == pb:
            raise (at / "parties").fail("must name two different parties")
        sharing = _str(t.get("sharing", "safety"), at / "sharing")
        if sharing not in ("safety", "coordination"):
            raise (at / "sharing").fail(f"{sharing!r} is not safety or coordination")
        agreements.append(
            Agreement(
                (pa, pb),
                sharing,
                _bool(t.get("allow_plan_conflicts", False), at / "allow_plan_conflicts"),
            )
        )

    bases: dict[str, Point] = {}
    base_table = d.get("bases", {})
    for name, value in _table(base_table, top / "bases", set(base_table)).items():
        at = top / "bases" / name
        b = _table(value, at, {"lat", "lon", "elevation_ft"}, {"lat", "lon"})
        bases[name] = Point(
            _num(b["lat"], at / "lat", -90, 90), _num(b["lon"], at / "lon", -180, 180)
        )

    types: dict[str, TypeSpec] = {}
    type_table = d.get("types", {})
    for name, value in _table(type_table, top / "types", set(type_table)).items():
        at = top / "types" / name
        t = _table(
            value,
            at,
            {"based_on", "cruise_tas_kt", "climb_rate_fpm", "descent_rate_fpm", "ceiling_ft"},
            {"based_on"},
        )
        base = _str(t["based_on"], at / "based_on").lower()
        if not has_model(base):
            raise (at / "based_on").fail(f"OpenAP has no type {base!r}")
        types[name] = TypeSpec(
            name,
            base,
            _opt(t, "cruise_tas_kt", at, *SPEED_KT),
            _opt(t, "climb_rate_fpm", at, 100.0, 60_000.0),
            _opt(t, "descent_rate_fpm", at, 100.0, 60_000.0),
            _opt(t, "ceiling_ft", at, 1000.0, 70_000.0),
        )

    def type_name(value: Any, at: _At) -> str:
        name = _str(value, at)
        if name in types:
            return name
        if has_model(name):
            types.setdefault(name, TypeSpec(name, name.lower()))
            return name
        raise at.fail(
            f"no type {name!r}: an OpenAP type (e.g. a320, b738, a332) or one "
            "of the scenario's [types]"
        )

    ids: set[str] = set()

    def new_id(value: Any, at: _At) -> str:
        ident = _str(value, at)
        if ident in ids:
            raise at.fail(f"aircraft id {ident!r} is used twice")
        ids.add(ident)
        return ident

    duration_s = _num(d.get("duration_s", 3600.0), top / "duration_s", 1.0, 7 * 86400.0)
    aircraft = []
    for i, a in enumerate(_list(d.get("aircraft", []), top / "aircraft")):
        at = top / "aircraft" / i
        t = _table(
            a,
            at,
            {
                "id",
                "party",
                "type",
                "callsign",
                "start_s",
                "altitude_ft",
                "speed_kt",
                "route",
                "repeat",
                "orbit",
                "racetrack",
                "patrol",
            },
            {"id", "party", "type", "altitude_ft"},
        )
        ident = new_id(t["id"], at / "id")
        route, repeat = _route_of(t, at, bases)
        aircraft.append(
            Aircraft(
                ident,
                party(t["party"], at / "party"),
                type_name(t["type"], at / "type"),
                _str(t.get("callsign", ident), at / "callsign"),
                _num(t.get("start_s", 0.0), at / "start_s", 0.0, duration_s),
                _num(t["altitude_ft"], at / "altitude_ft", *ALT_FT),
                _opt(t, "speed_kt", at, *SPEED_KT),
                route,
                repeat,
            )
        )

    overflights = []
    for i, o in enumerate(_list(d.get("overflights", []), top / "overflights")):
        at = top / "overflights" / i
        t = _table(
            o,
            at,
            {
                "party",
                "type",
                "from",
                "to",
                "every_s",
                "altitudes_ft",
                "callsign_prefix",
                "speed_kt",
            },
            {"party", "type", "from", "to", "every_s", "altitudes_ft"},
        )
        levels = _list(t["altitudes_ft"], at / "altitudes_ft")
        if not levels:
            raise (at / "altitudes_ft").fail("needs at least one altitude")
        origin, dest = _point(t["from"], at / "from", bases), _point(t["to"], at / "to", bases)
        if origin == dest:
            raise (at / "to").fail("is the same point as from")
        overflights.append(
            Overflight(
                party(t["party"], at / "party"),
                type_name(t["type"], at / "type"),
                origin,
                dest,
                _num(t["every_s"], at / "every_s", 10.0, 86400.0),
                tuple(_num(x, at / "altitudes_ft" / k, *ALT_FT) for k, x in enumerate(levels)),
                _str(t.get("callsign_prefix", f"OVF{i}"), at / "callsign_prefix"),
                _opt(t, "speed_kt", at, *SPEED_KT),
            )
        )

    encounters = []
    for i, e in enumerate(_list(d.get("encounters", []), top / "encounters")):
        at = top / "encounters" / i
        t = _table(
            e,
            at,
            {
                "name",
                "at_s",
                "point",
                "altitude_ft",
                "miss_nm",
                "vertical_offset_ft",
                "lead_s",
                "after_s",
                "break_off_s",
                "break_off_turn_deg",
                "expect",
                "a",
                "b",
            },
            {"at_s", "point", "altitude_ft", "a", "b"},
        )
        at_s = _num(t["at_s"], at / "at_s", 0.0, duration_s)
        lead_s = _num(t.get("lead_s", min(at_s, 240.0)), at / "lead_s", 0.0, at_s)
        sides = []
        for name in ("a", "b"):
            sat = at / name
            s = _table(
                t[name],
                sat,
                {"id", "party", "type", "callsign", "track_deg", "speed_kt"},
                {"id", "party", "type", "track_deg", "speed_kt"},
            )
            ident = new_id(s["id"], sat / "id")
            sides.append(
                Side(
                    ident,
                    party(s["party"], sat / "party"),
                    type_name(s["type"], sat / "type"),
                    _str(s.get("callsign", ident), sat / "callsign"),
                    _num(s["track_deg"], sat / "track_deg", -360.0, 360.0) % 360.0,
                    _num(s["speed_kt"], sat / "speed_kt", *SPEED_KT),
                )
            )
        expect = t.get("expect")
        if expect is not None and expect not in LEVELS:
            raise (at / "expect").fail(f"{expect!r} is not one of {', '.join(LEVELS)}")
        break_off_s = _num(t.get("break_off_s", 0.0), at / "break_off_s", 0.0, lead_s)
        encounters.append(
            Encounter(
                _str(t.get("name", f"encounter {i}"), at / "name"),
                at_s,
                _point(t["point"], at / "point", bases),
                _num(t["altitude_ft"], at / "altitude_ft", *ALT_FT),
                _num(t.get("miss_nm", 0.0), at / "miss_nm", 0.0, 50.0),
                _num(
                    t.get("vertical_offset_ft", 0.0), at / "vertical_offset_ft", -10_000.0, 10_000.0
                ),
                lead_s,
                _num(t.get("after_s", 300.0), at / "after_s", 0.0, 86400.0),
                break_off_s,
                _num(t.get("break_off_turn_deg", 90.0), at / "break_off_turn_deg", -180.0, 180.0),
                None if expect is None else LEVELS[expect],
                sides[0],
                sides[1],
            )
        )
        if sides[0].party == sides[1].party:
            raise at.fail("a and b must be of different parties")

    plans = []
    plan_ids: set[tuple[str, str]] = set()
    for i, p in enumerate(_list(d.get("plans", []), top / "plans")):
        at = top / "plans" / i
        t = _table(
            p,
            at,
            {"party", "plan_id", "acknowledge", "at_s", "volumes"},
            {"party", "plan_id", "volumes"},
        )
        pid, plan_id = party(t["party"], at / "party"), _str(t["plan_id"], at / "plan_id")
        if (pid, plan_id) in plan_ids:
            raise (at / "plan_id").fail(f"plan {plan_id!r} of {pid} is given twice")
        plan_ids.add((pid, plan_id))
        volumes = []
        items = _list(t["volumes"], at / "volumes")
        if not items:
            raise (at / "volumes").fail("needs at least one volume")
        for k, v in enumerate(items):
            vat = at / "volumes" / k
            vt = _table(
                v,
                vat,
                {
                    "center",
                    "radius_nm",
                    "polygon",
                    "alt_lower_ft",
                    "alt_upper_ft",
                    "start_s",
                    "end_s",
                },
                {"alt_lower_ft", "alt_upper_ft", "start_s", "end_s"},
            )
            if ("center" in vt) == ("polygon" in vt):
                raise vat.fail("needs either center and radius_nm, or polygon")
            center = radius = None
            polygon: tuple[Point, ...] = ()
            if "center" in vt:
                center = _point(vt["center"], vat / "center", bases)
                if "radius_nm" not in vt:
                    raise vat.fail("missing key 'radius_nm'")
                radius = _num(vt["radius_nm"], vat / "radius_nm", 0.01, 500.0)
            else:
                corners = _list(vt["polygon"], vat / "polygon")
                if len(corners) < 3:
                    raise (vat / "polygon").fail("needs at least three corners")
                polygon = tuple(
                    _point(c, vat / "polygon" / j, bases) for j, c in enumerate(corners)
                )
            lower = _num(vt["alt_lower_ft"], vat / "alt_lower_ft", *ALT_FT)
            upper = _num(vt["alt_upper_ft"], vat / "alt_upper_ft", *ALT_FT)
            if upper <= lower:
                raise (vat / "alt_upper_ft").fail(f"{upper:g} is not above alt_lower_ft {lower:g}")
            start = _num(vt["start_s"], vat / "start_s", -86400.0, 30 * 86400.0)
            end = _num(vt["end_s"], vat / "end_s", -86400.0, 30 * 86400.0)
            if end <= start:
                raise (vat / "end_s").fail(f"{end:g} is not after start_s {start:g}")
            volumes.append(Volume(center, radius, polygon, lower, upper, start, end))
        plans.append(
            PlanSpec(
                pid,
                plan_id,
                _bool(t.get("acknowledge", True), at / "acknowledge"),
                _num(t.get("at_s", 0.0), at / "at_s", 0.0, duration_s),
                tuple(volumes),
            )
        )

    return Scenario(
        name=str(d.get("name", Path(source).stem)),
        source=source,
        description=str(d.get("description", "")),
        start_s=_iso_s(d["start"], top / "start") if "start" in d else 1_796_200_000.0,
        duration_s=duration_s,
        step_s=_num(d.get("step_s", 1.0), top / "step_s", 0.1, 10.0),
        seed=int(_num(d.get("seed", 0), top / "seed", 0, 2**32 - 1)),
        parties=tuple(parties),
        agreements=tuple(agreements),
        types=types,
        aircraft=tuple(aircraft),
        overflights=tuple(overflights),
        encounters=tuple(encounters),
        plans=tuple(plans),
    )


def load(name_or_path: str | Path, environ: dict[str, str] | None = None) -> Scenario:
    """A scenario by file path, or by the name of a built-in one (``levant``)."""
    text_name = str(name_or_path)
    if text_name in BUILT_IN and not Path(text_name).exists():
        ref = resources.files("deconflict.sim") / "scenarios" / f"{text_name}.toml"
        return loads(ref.read_text(encoding="utf-8"), f"{text_name}.toml", environ)
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            f"{path}: no such scenario file (built-in: {', '.join(BUILT_IN)})"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    return loads(text, path.name, environ)


def loads(text: str, source: str, environ: dict[str, str] | None = None) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{source}: not TOML: {e}") from None
    return parse(data, source, environ)
