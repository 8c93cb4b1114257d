"""Areas with their own separation minima (e.g. 3 NM inside a terminal area), from GeoJSON.

Each feature is a Polygon or MultiPolygon in longitude/latitude degrees (RFC 7946) with the
properties ``hsep_nm`` and/or ``vsep_ft`` and, optionally, ``name``, ``lower_ft`` and
``upper_ft`` (the altitude band where the area applies; all altitudes when absent).

An aircraft takes the minima of the first feature (in file order) that contains it, or the
default minima outside every area. A pair is held to the larger minima of its two aircraft:
3 NM applies between two aircraft inside a terminal area, 5 NM between one inside and one
outside. Membership is decided at the snapshot's time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.errors import InputError
from deconflict.tactical import limits
from deconflict.units import ft_to_m, nm_to_m

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class MinimaArea:
    name: str
    outline: Any  #: shapely (Multi)Polygon in lon/lat degrees
    hsep_m: float | None
    vsep_m: float | None
    lower_m: float
    upper_m: float


def read_areas(path: str | os.PathLike[str]) -> tuple[MinimaArea, ...]:
    """Read a GeoJSON FeatureCollection (or a single Feature) of minima areas."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as f:
            document = json.load(f)
    except OSError as e:
        raise InputError(f"{source}: cannot read the areas file ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{source}: not valid JSON ({e})") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply") from None
    features: Any
    if isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
    else:
        raise InputError(f"{source}: expected a GeoJSON Feature or FeatureCollection")
    if not isinstance(features, list):
        raise InputError(f"{source}: 'features' must be a list")
    return tuple(_area(source, k + 1, f) for k, f in enumerate(features))


def _number(
    source: str, where: str, props: dict[str, Any], key: str, bounds: tuple[float, float]
) -> float | None:
    value = props.get(key)
    if value is None:
        return None
    try:
        plain = isinstance(value, int | float) and not isinstance(value, bool)
        number = float(value) if plain else None
    except OverflowError:  # an integer too large for a float
        number = None
    if number is None or not limits.within(number, bounds):
        raise InputError(
            f"{source}: {where}: property '{key}' must be a number in {limits.describe(bounds)}"
        )
    return number


def _area(source: str, number: int, feature: Any) -> MinimaArea:
    where = f"feature {number}"
    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        raise InputError(f"{source}: {where}: not a GeoJSON Feature with a geometry")
    geometry = feature["geometry"]
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise InputError(f"{source}: {where}: geometry must be a Polygon or MultiPolygon")
    try:
        outline = shapely.geometry.shape(geometry)
    except Exception as e:  # shapely raises several kinds on malformed coordinates
        raise InputError(f"{source}: {where}: malformed geometry ({e})") from None
    if outline.is_empty or not outline.is_valid:
        raise InputError(f"{source}: {where}: the polygon is empty or invalid")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise InputError(f"{source}: {where}: 'properties' must be an object")
    hsep = _number(source, where, props, "hsep_nm", limits.HSEP_NM)
    vsep = _number(source, where, props, "vsep_ft", limits.VSEP_FT)
    if hsep is None and vsep is None:
        raise InputError(f"{source}: {where}: give 'hsep_nm' and/or 'vsep_ft'")
    lower = _number(source, where, props, "lower_ft", limits.MIN_ALTITUDE_FT)
    upper = _number(source, where, props, "upper_ft", limits.MIN_ALTITUDE_FT)
    shapely.prepare(outline)
    return MinimaArea(
        name=str(props.get("name", where)),
        outline=outline,
        hsep_m=None if hsep is None else nm_to_m(hsep),
        vsep_m=None if vsep is None else ft_to_m(vsep),
        lower_m=-np.inf if lower is None else ft_to_m(lower),
        upper_m=np.inf if upper is None else ft_to_m(upper),
    )


def aircraft_minima(
    areas: tuple[MinimaArea, ...],
    lat_deg: F64,
    lon_deg: F64,
    alt_m: F64,
    hsep_m: float,
    vsep_m: float,
) -> tuple[F64, F64]:
    """Horizontal and vertical minima (m) of each aircraft: its first containing area's."""
    h = np.full(len(lat_deg), hsep_m)
    v = np.full(len(lat_deg), vsep_m)
    unassigned = np.ones(len(lat_deg), dtype=np.bool_)
    for area in areas:
        inside = (
            unassigned
            & (alt_m >= area.lower_m)
            & (alt_m <= area.upper_m)
            & shapely.contains_xy(area.outline, lon_deg, lat_deg)
        )
        if area.hsep_m is not None:
            h[inside] = area.hsep_m
        if area.vsep_m is not None:
            v[inside] = area.vsep_m
        unassigned &= ~inside
    return h, v
