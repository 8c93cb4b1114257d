"""Alerting configurations: the built-ins hold the documented thresholds; bad files fail
with one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconflict.alerting.config import BUILT_IN, load_config
from deconflict.alerting.volumes import Cylinder, WellClear
from deconflict.errors import InputError

FT, NM = 0.3048, 1852.0


def test_do365b_thresholds() -> None:
    config = load_config("do365b")
    assert (config.lookahead_s, config.m, config.n) == (180.0, 2, 4)
    assert (config.hysteresis_s, config.persistence_s) == (5.0, 4.0)
    assert len(config.alerters) == 3
    phase1 = config.alerters[0]
    assert [lv.level for lv in phase1.levels] == [1, 2, 3]
    assert phase1.levels[0].volume == WellClear(0.66 * NM, 700 * FT, 35.0, 0.0)
    assert phase1.levels[2].volume == WellClear(0.66 * NM, 450 * FT, 35.0, 0.0)
    assert (phase1.levels[2].alerting_time_s, phase1.levels[2].early_alerting_time_s) == (25, 55)
    phase2 = config.alerters[1].levels[0].volume
    assert isinstance(phase2, WellClear) and phase2.dthr_m == pytest.approx(1500 * FT)
    noncoop = config.alerters[2]
    assert noncoop.levels[2].early_alerting_time_s == 90.0


def test_do365a_is_do365b_without_the_non_cooperative_alerter() -> None:
    a, b = load_config("do365a"), load_config("do365b")
    assert a.alerters == b.alerters[:2]


def test_cd3d() -> None:
    (alerter,) = load_config("cd3d").alerters
    (level,) = alerter.levels
    assert level.volume == Cylinder(5 * NM, 1000 * FT)
    assert level.alerting_time_s == 180.0


def test_every_built_in_loads() -> None:
    for name in BUILT_IN:
        assert load_config(name).name == name


def test_a_users_own_configuration(tmp_path: Path) -> None:
    path = tmp_path / "wide.toml"
    path.write_text(
        'name = "wide"\nlookahead_s = 240.0\n[[alerters]]\nname = "military"\nlevels = [\n'
        '  { level = 1, detector = "cylinder", d_nm = 10.0, h_ft = 2000.0,'
        " alerting_time_s = 180.0, early_alerting_time_s = 240.0 },\n]\n"
    )
    config = load_config(path)
    assert config.name == "wide" and config.lookahead_s == 240.0
    assert config.alerters[0].levels[0].volume == Cylinder(10 * NM, 2000 * FT)


LEVEL = '{ level = 1, detector = "cylinder", d_nm = 5.0, h_ft = 1000.0, alerting_time_s = 60.0 }'


def levels(*entries: str) -> str:
    return "lookahead_s = 180.0\n[[alerters]]\nlevels = [" + ", ".join(entries) + "]"


def level(old: str, new: str) -> str:
    return levels(LEVEL.replace(old, new))


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        ("lookahead_s = = 1", "not valid TOML"),
        ("lookahead_s = 180.0", "[[alerters]]"),
        (f"lookahead_s = -1.0\n[[alerters]]\nlevels = [{LEVEL}]", "'lookahead_s'"),
        (f"lookahead_s = 180.0\nm_of_n = [5, 4]\n[[alerters]]\nlevels = [{LEVEL}]", "m_of_n"),
        (levels(), "alerter 1"),
        (level("level = 1", "level = 4"), "'level'"),
        (level("cylinder", "sphere"), "'detector'"),
        (level("d_nm = 5.0", "d_nm = 5.0, d_ft = 1.0"), "exactly one of 'd_nm' and 'd_ft'"),
        (level("h_ft = 1000.0", 'h_ft = "high"'), "'h_ft'"),
        (levels(LEVEL, LEVEL), "increasing"),
    ],
)  # fmt: skip
def test_bad_configurations(tmp_path: Path, text: str, mentioned: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and mentioned in message


def test_unknown_name_lists_the_built_ins() -> None:
    with pytest.raises(InputError, match="built in: do365b, do365a, cd3d"):
        load_config("do999")
