"""Alerting configurations: alerters, their alert levels and detectors, as data (TOML).

``load_config("do365b")`` loads a built-in configuration (``configs/*.toml``: do365b,
do365a, cd3d); any other argument is the path of a user's TOML file of the same form::

    name = "wide"
    lookahead_s = 180.0
    hysteresis_s = 5.0
    persistence_s = 4.0
    m_of_n = [2, 4]
    [[alerters]]
    name = "military"
    levels = [
      { level = 1, detector = "cylinder", d_nm = 10.0, h_ft = 2000.0,
        alerting_time_s = 180.0, early_alerting_time_s = 240.0 },
    ]

A ``well_clear`` level takes ``dthr_nm`` or ``dthr_ft``, ``zthr_ft``, ``tthr_s`` and
``tcoa_s``; a ``cylinder`` level takes ``d_nm`` or ``d_ft``, and ``h_ft``.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from deconflict.alerting.volumes import Cylinder, Volume, WellClear
from deconflict.errors import InputError
from deconflict.units import ft_to_m, nm_to_m

BUILT_IN = ("do365b", "do365a", "cd3d")
LEVEL_NAMES = {1: "preventive", 2: "corrective", 3: "warning"}


@dataclass(frozen=True)
class AlertLevel:
    level: int  #: 1 preventive, 2 corrective, 3 warning
    volume: Volume
    alerting_time_s: float
    early_alerting_time_s: float


@dataclass(frozen=True)
class Alerter:
    name: str
    levels: tuple[AlertLevel, ...]  #: in increasing level


@dataclass(frozen=True)
class AlertingConfig:
    name: str
    lookahead_s: float
    hysteresis_s: float
    persistence_s: float
    m: int
    n: int
    alerters: tuple[Alerter, ...]  #: alerter k (1-based) is alerters[k - 1]
    #: the ownship's alerter applies to all its intruders (else each intruder's own)
    ownship_centric: bool = False


def load_config(name_or_path: str | os.PathLike[str]) -> AlertingConfig:
    """A built-in configuration by name, or a TOML file by path."""
    source = os.fspath(name_or_path)
    try:
        if source in BUILT_IN:
            text = resources.files("deconflict.alerting").joinpath(f"configs/{source}.toml")
            data = tomllib.loads(text.read_text(encoding="utf-8"))
        else:
            with open(source, "rb") as f:
                data = tomllib.load(f)
    except FileNotFoundError:
        known = ", ".join(BUILT_IN)
        raise InputError(f"{source}: no such configuration file (built in: {known})") from None
    except OSError as e:
        raise InputError(f"{source}: cannot read ({e.strerror or e})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{source}: not valid TOML ({e})") from None
    return _config(source, data)


class _Reader:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, source: str, where: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise InputError(f"{source}: {where} must be a table")
        self.source, self.where, self.table = source, where, table

    def fail(self, message: str) -> InputError:
        return InputError(f"{self.source}: {self.where}: {message}")

    def number(self, key: str, *, positive: bool = False, default: float | None = None) -> float:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(f"missing '{key}'")
        plain = isinstance(value, int | float) and not isinstance(value, bool)
        if not plain or not math.isfinite(value) or value < 0 or (positive and value == 0):
            kind = "a positive" if positive else "a non-negative"
            raise self.fail(f"'{key}' must be {kind} number, not {value!r}")
        return float(value)

    def distance_m(self, stem: str) -> float:
        """``{stem}_nm`` or ``{stem}_ft``, exactly one, in metres."""
        given = [k for k in (f"{stem}_nm", f"{stem}_ft") if k in self.table]
        if len(given) != 1:
            raise self.fail(f"give exactly one of '{stem}_nm' and '{stem}_ft'")
        value = self.number(given[0], positive=True)
        return nm_to_m(value) if given[0].endswith("_nm") else ft_to_m(value)


def _config(source: str, data: Any) -> AlertingConfig:
    top = _Reader(source, "configuration", data)
    m_of_n = data.get("m_of_n", [2, 4])
    if not (
        isinstance(m_of_n, list)
        and len(m_of_n) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in m_of_n)
        and 1 <= m_of_n[0] <= m_of_n[1]
    ):
        raise top.fail("'m_of_n' must be [M, N] with 1 <= M <= N")
    alerters = data.get("alerters")
    if not isinstance(alerters, list) or not alerters:
        raise top.fail("needs at least one [[alerters]] table")
    return AlertingConfig(
        name=str(data.get("name", os.path.basename(source))),
        lookahead_s=top.number("lookahead_s", positive=True),
        hysteresis_s=top.number("hysteresis_s", default=5.0),
        persistence_s=top.number("persistence_s", default=4.0),
        m=m_of_n[0],
        n=m_of_n[1],
        alerters=tuple(_alerter(source, k, a) for k, a in enumerate(alerters, start=1)),
        ownship_centric=_flag(top, "ownship_centric"),
    )


def _flag(reader: _Reader, key: str) -> bool:
    value = reader.table.get(key, False)
    if not isinstance(value, bool):
        raise reader.fail(f"'{key}' must be true or false")
    return value


def _alerter(source: str, number: int, data: Any) -> Alerter:
    reader = _Reader(source, f"alerter {number}", data)
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels:
        raise reader.fail("needs a non-empty 'levels' list")
    parsed = tuple(
        _level(source, f"alerter {number} level entry {k}", x) for k, x in enumerate(levels, 1)
    )
    numbers = [level.level for level in parsed]
    if numbers != sorted(set(numbers)):
        raise reader.fail("levels must be distinct and in increasing order")
    return Alerter(name=str(data.get("name", f"alerter {number}")), levels=parsed)


def _level(source: str, where: str, data: Any) -> AlertLevel:
    reader = _Reader(source, where, data)
    level = data.get("level")
    if level not in LEVEL_NAMES:
        raise reader.fail("'level' must be 1 (preventive), 2 (corrective) or 3 (warning)")
    detector = data.get("detector")
    volume: Volume
    if detector == "well_clear":
        volume = WellClear(
            dthr_m=reader.distance_m("dthr"),
            zthr_m=ft_to_m(reader.number("zthr_ft", positive=True)),
            tthr_s=reader.number("tthr_s"),
            tcoa_s=reader.number("tcoa_s", default=0.0),
        )
    elif detector == "cylinder":
        volume = Cylinder(
            d_m=reader.distance_m("d"), h_m=ft_to_m(reader.number("h_ft", positive=True))
        )
    else:
        raise reader.fail("'detector' must be 'well_clear' or 'cylinder'")
    alerting = reader.number("alerting_time_s", positive=True)
    early = reader.number("early_alerting_time_s", default=alerting)
    if early < alerting:
        raise reader.fail("'early_alerting_time_s' must be at least 'alerting_time_s'")
    return AlertLevel(
        level=level, volume=volume, alerting_time_s=alerting, early_alerting_time_s=early
    )
