"""Agreement with DAIDALUS 2.0.4 on our own encounter files (tests/data/daidalus).

The expected values are DAIDALUS's own outputs (see the README there), row by row: the
alert level (raw and after hysteresis), the time to violation of each level's volume
(within the issue's 0.01 s), and the geometry columns.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from deconflict.alerting.config import AlertingConfig, load_config
from deconflict.alerting.engine import Alerts, alert_encounter
from deconflict.daa import read_daa

DATA = Path(__file__).parent / "data" / "daidalus"
ENCOUNTERS = sorted(p.stem for p in DATA.glob("*.daa"))
NM, FT = 1852.0, 0.3048


def daidalus_rows(name: str, conf: str) -> list[dict[str, str]]:
    with open(DATA / f"{name}.{conf}.csv", newline="") as f:
        reader = csv.reader(f, skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        next(reader)  # units
        return [dict(zip(header, (v.strip() for v in row), strict=False)) for row in reader]


def number(text: str) -> float:
    """DAIDALUS prints infinity as 'infty' and leaves undefined values blank."""
    return math.inf if text in ("infty", "") else float(text)


def ours(name: str, config: AlertingConfig) -> tuple[Alerts, dict[tuple[float, str], int]]:
    alerts = alert_encounter(read_daa(DATA / f"{name}.daa"), config)
    index = {
        (float(t), str(x)): k
        for k, (t, x) in enumerate(zip(alerts.time_s, alerts.intruder, strict=True))
    }
    return alerts, index


def without_hysteresis(config: AlertingConfig) -> AlertingConfig:
    return dataclasses.replace(config, hysteresis_s=0.0, persistence_s=0.0, m=1, n=1)


@pytest.mark.parametrize("name", ENCOUNTERS)
@pytest.mark.parametrize(("conf", "raw"), [("do365b.p12", False), ("do365b_nohyst", True)])
def test_alert_levels_and_times_match_daidalus(name: str, conf: str, raw: bool) -> None:
    config = load_config("do365b")
    alerts, index = ours(name, without_hysteresis(config) if raw else config)
    expected = daidalus_rows(name, conf)
    assert expected and len(expected) == len(alerts)
    for row in expected:
        k = index[(float(row["Time"]), row["Traffic"])]
        where = (name, row["Time"], row["Traffic"])
        assert alerts.alerter[k] == int(row["Alerter"]), where
        assert alerts.alert_level[k] == int(row["Alert Level"]), where
        for level in (1, 2, 3):
            theirs = number(row[f"Time to Volume of Alert({level})"])
            mine = float(alerts.time_to_violation_s[k, level - 1])
            assert (mine == theirs) if math.isinf(theirs) else abs(mine - theirs) <= 0.01, where


@pytest.mark.parametrize("name", ENCOUNTERS)
def test_geometry_columns_match_daidalus(name: str) -> None:
    alerts, index = ours(name, load_config("do365b"))
    for row in daidalus_rows(name, "do365b.p12"):
        k = index[(float(row["Time"]), row["Traffic"])]
        where = (name, row["Time"], row["Traffic"])
        assert alerts.hsep_m[k] / NM == pytest.approx(
            number(row["Horizontal Separation"]), abs=1e-6
        ), where
        assert alerts.vsep_m[k] / FT == pytest.approx(
            number(row["Vertical Separation"]), abs=1e-6
        ), where
        tcpa = row["Projected TCPA"]
        if tcpa.lower() == "nan":
            assert math.isnan(alerts.tcpa_s[k]), where
        else:
            assert alerts.tcpa_s[k] == pytest.approx(float(tcpa), rel=1e-6, abs=1e-3), where
            assert alerts.dcpa_m[k] / NM == pytest.approx(
                number(row["Projected DCPA"]), abs=1e-6
            ), where
        assert alerts.tcoa_s[k] == pytest.approx(number(row["Projected TCOA"]), abs=1e-6), where
        assert alerts.taumod_s[k] == pytest.approx(
            number(row["Projected TAUMOD (WCV*)"]), abs=1e-6
        ), where


@pytest.mark.parametrize("name", ENCOUNTERS)
def test_cd3d_matches_daidalus(name: str) -> None:
    alerts, index = ours(name, load_config("cd3d"))
    expected = daidalus_rows(name, "cd3d")
    assert len(expected) == len(alerts)
    for row in expected:
        k = index[(float(row["Time"]), row["Traffic"])]
        where = (name, row["Time"], row["Traffic"])
        assert alerts.alert_level[k] == int(row["Alert Level"]), where
        theirs = number(row["Time to Volume of Alert(1)"])
        mine = float(alerts.time_to_violation_s[k, 0])
        assert (mine == theirs) if math.isinf(theirs) else abs(mine - theirs) <= 0.01, where


def test_do365a_has_no_non_cooperative_alerter() -> None:
    alerts, index = ours("g_three", load_config("do365a"))
    for row in daidalus_rows("g_three", "do365a"):
        k = index[(float(row["Time"]), row["Traffic"])]
        assert alerts.alert_level[k] == int(row["Alert Level"])
    assert np.all(alerts.alerter <= 2)
