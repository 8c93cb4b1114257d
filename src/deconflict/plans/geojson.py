"""Plans as GeoJSON: a FeatureCollection where each Feature is one volume.

A feature's geometry is a Polygon (positions [longitude, latitude]; edges are geodesics)
or a Point with the property ``radius_m`` (a circle). Its properties are ``party``,
``plan_id``, ``alt_lower_ft``, ``alt_upper_ft``, ``time_start`` and ``time_end``
(ISO-8601 with a time zone, e.g. ``2026-11-24T08:00:00Z``), and optionally ``version``
(the version of the plan an update replaces). Features that share a ``plan_id`` are the
volumes of one plan. Every error names the feature.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deconflict.errors import InputError
from deconflict.plans.validate import volume_problem
from deconflict.plans.volume import Circle, Outline, Plan, Volume4D, polygon

PROPERTIES = ("party", "plan_id", "alt_lower_ft", "alt_upper_ft", "time_start", "time_end")
#: the largest plans file read (bytes)
MAX_BYTES = 256 * 1024 * 1024


def parse_time(text: object) -> float:
    """Seconds since the epoch of an ISO-8601 time with a time zone."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an ISO-8601 time string")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 time") from None
    if t.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (write e.g. {text}Z for UTC)")
    return t.timestamp()


def format_time(time_s: float) -> str:
    """ISO-8601 UTC with a Z, to the second (or finer when needed)."""
    t = datetime.fromtimestamp(time_s, UTC)
    text = t.isoformat(timespec="microseconds" if t.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _number(props: dict[str, Any], name: str) -> float:
    value = props[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite")
    return float(value)


def _outline(geometry: object, props: dict[str, Any]) -> Outline:
    if not isinstance(geometry, dict):
        raise ValueError("has no geometry")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Point":
        if "radius_m" not in props:
            raise ValueError("a Point needs the property radius_m (a circle)")
        if not (isinstance(coords, list) and len(coords) in (2, 3)):
            raise ValueError("Point coordinates must be [longitude, latitude]")
        lon, lat = (float(c) for c in coords[:2])
        return Circle(lat, lon, _number(props, "radius_m"))
    if kind == "Polygon":
        if not (isinstance(coords, list) and coords and all(isinstance(r, list) for r in coords)):
            raise ValueError("Polygon coordinates must be a list of rings")
        rings = []
        for ring in coords:
            if not all(isinstance(p, list) and len(p) in (2, 3) for p in ring):
                raise ValueError("Polygon positions must be [longitude, latitude]")
            rings.append([(float(p[0]), float(p[1])) for p in ring])
        return polygon(*rings)
    raise ValueError(f"geometry {kind!r} is not supported (use Polygon, or Point with radius_m)")


def _volume(feature: object) -> tuple[str, str, Volume4D]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("is not a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise ValueError("has no properties")
    missing = [p for p in PROPERTIES if props.get(p) is None]
    if missing:
        raise ValueError(
            f"misses the propert{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}"
        )
    party, plan_id = props["party"], props["plan_id"]
    if not isinstance(party, str) or not party.strip():
        raise ValueError("party must be a non-empty string")
    if not isinstance(plan_id, str | int) or isinstance(plan_id, bool) or not str(plan_id).strip():
        raise ValueError("plan_id must be a non-empty string")
    volume = Volume4D(
        _outline(feature.get("geometry"), props),
        _number(props, "alt_lower_ft"),
        _number(props, "alt_upper_ft"),
        parse_time(props["time_start"]),
        parse_time(props["time_end"]),
    )
    problem = volume_problem(volume)
    if problem:
        raise ValueError(problem)
    return party, str(plan_id), volume


def _name(n: int, feature: object) -> str:
    plan = None
    if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
        plan = feature["properties"].get("plan_id")
    return f"feature {n}" + (f" (plan_id {plan!r})" if plan is not None else "")


def parse_plans(document: object, source: str = "input") -> list[Plan]:
    """Plans from a parsed GeoJSON FeatureCollection, in order of first appearance."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InputError(f"{source}: not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise InputError(f"{source}: the FeatureCollection has no list of features")
    volumes: dict[str, list[Volume4D]] = {}
    parties: dict[str, str] = {}
    versions: dict[str, int] = {}
    for n, feature in enumerate(features):
        try:
            party, plan_id, volume = _volume(feature)
        except (ValueError, TypeError, OverflowError) as e:
            raise InputError(f"{source}: {_name(n, feature)} {e}") from None
        if parties.setdefault(plan_id, party) != party:
            raise InputError(
                f"{source}: {_name(n, feature)} belongs to party {party!r}, "
                f"but plan {plan_id!r} belongs to party {parties[plan_id]!r}"
            )
        volumes.setdefault(plan_id, []).append(volume)
        version = feature["properties"].get("version") if isinstance(feature, dict) else None
        if version is not None:
            if isinstance(version, bool) or not isinstance(version, int) or version < 0:
                raise InputError(f"{source}: {_name(n, feature)} version must be a whole number")
            if versions.setdefault(plan_id, version) != version:
                raise InputError(
                    f"{source}: {_name(n, feature)} has another version than the other "
                    f"features of plan {plan_id!r}"
                )
    return [
        Plan(pid, parties[pid], tuple(vols), version=versions.get(pid, 0))
        for pid, vols in volumes.items()
    ]


def read_plans(path: Path) -> list[Plan]:
    """Plans from a GeoJSON file (see the module's docstring)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 2**20} MiB")
    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    return parse_plans(document, str(path))
