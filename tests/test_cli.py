"""The command line as a user meets it: exit codes, output, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from cli_run import run
from deconflict import sample
from deconflict.progress import progress_bar
from deconflict.tactical.engine import Criteria, detect
from deconflict.writers import CONFLICT_COLUMNS, write_states


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sample.csv"
    with open(path, "w", newline="") as f:
        write_states(sample.dense_box(600, seed=5, width_m=200_000.0), f)
    return path


def test_detect_writes_the_documented_csv(
    sample_csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["detect", str(sample_csv)], capsys, monkeypatch)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == CONFLICT_COLUMNS
    body = rows[1:]
    assert len(body) > 10
    assert all(r[1] < r[2] for r in body)
    assert body == sorted(body, key=lambda r: (float(r[0]), r[1], r[2]))
    assert {r[10] for r in body} <= {"true", "false"}
    assert f"{len(body)} conflicts" in err
    assert err.count("\n") == 1  # the one-line summary


def test_detect_matches_the_python_api(
    sample_csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from deconflict.readers import read_states

    code, out, _ = run(
        ["detect", str(sample_csv), "--hsep-nm", "3", "--cross-party-only"], capsys, monkeypatch
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    api = detect(read_states(sample_csv).states, Criteria(hsep_nm=3.0, cross_party_only=True))
    assert [(r["id1"], r["id2"]) for r in rows] == list(zip(api.id1, api.id2, strict=True))
    assert all(r["party1"] != r["party2"] for r in rows)
    assert np.allclose([float(r["dcpa_nm"]) for r in rows], api.dcpa_m / 1852.0, atol=1e-4)


def test_detect_to_file_prints_a_table(
    sample_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out_csv = tmp_path / "conflicts.csv"
    code, out, err = run(["detect", str(sample_csv), "-o", str(out_csv)], capsys, monkeypatch)
    assert code == 0
    assert "conflicts" in out and "dcpa NM" in out  # the short table
    assert out_csv.read_text().startswith(",".join(CONFLICT_COLUMNS))
    assert str(out_csv) in err


def test_sample_and_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = ["sample", "world", "-n", "300", "-o", str(tmp_path / "w.csv")]
    code, _, _ = run(world, capsys, monkeypatch)
    assert code == 0
    assert len((tmp_path / "w.csv").read_text().splitlines()) == 301
    code, _, err = run(["demo", "--dir", str(tmp_path / "demo")], capsys, monkeypatch)
    assert code == 0
    assert (tmp_path / "demo" / "conflicts.csv").exists()
    assert "conflicts" in err


@pytest.mark.parametrize("command", [[], ["detect"], ["sample"], ["demo"]])
def test_help(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run([*command, "--help"], capsys, monkeypatch)
    assert code == 0
    assert "Usage:" in out
    if command == ["detect"]:
        for option in ("--hsep-nm", "--vsep-ft", "--lookahead-s", "--cross-party-only", "--window"):
            assert option in out


def bad_files(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    missing_column = tmp_path / "nocol.csv"
    missing_column.write_text("timestamp,id,latitude,longitude,groundspeed,track,vertical_rate\n")
    good = tmp_path / "good.csv"
    header = "timestamp,id,latitude,longitude,altitude,groundspeed,track,vertical_rate\n"
    good.write_text(header + "0,a,10,10,30000,400,90,0\n0,b,10,10.1,30000,400,90,0\n")
    one_bad = tmp_path / "one_bad.csv"
    one_bad.write_text(header + "0,a,10,10,30000,400,90,0\n0,b,95,10,30000,400,90,0\n")
    areas = tmp_path / "areas.geojson"
    areas.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature"}]}))
    return {
        "missing file": (["detect", str(tmp_path / "nope.csv")], "nope.csv"),
        "missing column": (["detect", str(missing_column)], "altitude"),
        "bad option value": (["detect", str(good), "--hsep-nm", "-1"], "hsep_nm"),
        "not a number": (["detect", str(good), "--lookahead-s", "abc"], "lookahead"),
        "unknown option": (["detect", str(good), "--frobnicate"], "frobnicate"),
        "no party column": (["detect", str(good), "--cross-party-only"], "party"),
        "strict": (["detect", str(one_bad), "--strict"], "latitude"),
        "unwritable output": (["detect", str(good), "-o", str(tmp_path / "no/dir/x.csv")], "x.csv"),
        "bad areas": (["detect", str(good), "--areas", str(areas)], "areas.geojson"),
        "bad window": (["detect", str(good), "--window", "0"], "window"),
        "unknown command": (["frobnicate"], "frobnicate"),
        "demo into a file": (["demo", "--dir", str(good)], "good.csv"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "missing column",
        "bad option value",
        "not a number",
        "unknown option",
        "no party column",
        "strict",
        "unwritable output",
        "bad areas",
        "bad window",
        "unknown command",
        "demo into a file",
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args, mentioned = bad_files(tmp_path)[case]
    code, _, err = run(args, capsys, monkeypatch)
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("deconflict: error:")
    assert mentioned in err
    assert "Traceback" not in err


def test_bad_rows_are_reported_and_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "some_bad.csv"
    f.write_text(
        "timestamp,id,latitude,longitude,altitude,groundspeed,track,vertical_rate\n"
        "0,a,10,10,30000,400,90,0\n"
        "0,b,10,10.01,30000,400,90,0\n"
        "0,c,10,10,200000,400,90,0\n"
    )
    code, out, err = run(["detect", str(f)], capsys, monkeypatch)
    assert code == 0
    assert "1 bad rows" in err and "altitude" in err and "4" in err  # line 4 of the file
    assert len(out.splitlines()) == 2  # header and the pair a-b


def test_progress_bar_appears_only_after_the_delay() -> None:
    def shown(delay_s: float) -> str:
        screen = io.StringIO()
        terminal = Console(file=screen, force_terminal=True, width=100)
        with progress_bar("detecting", "snapshots", delay_s, terminal) as advance:
            for done in range(1, 4):
                advance(done, 4)
        return screen.getvalue()

    assert shown(3600.0) == ""  # quick work: no bar at all
    assert "detecting" in shown(0.0) and "3/4 snapshots" in shown(0.0)


def test_summary_speaks_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "pair.csv"
    f.write_text(
        "timestamp,id,latitude,longitude,altitude,groundspeed,track,vertical_rate\n"
        "0,a,10,10,30000,0,90,0\n0,b,10,10.01,30000,0,90,0\n"
    )
    code, _, err = run(["detect", str(f)], capsys, monkeypatch)
    assert code == 0
    assert err.startswith("1 conflict (1 in loss of separation now) in 1 snapshot of 2 aircraft")


DAA = Path(__file__).parent / "data" / "daidalus"


def test_alerting_writes_the_documented_csv(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from deconflict.alerting.config import load_config
    from deconflict.alerting.engine import alert_encounter
    from deconflict.daa import read_daa
    from deconflict.writers import ALERT_COLUMNS

    code, out, err = run(["alerting", str(DAA / "g_three.daa")], capsys, monkeypatch)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == ALERT_COLUMNS
    api = alert_encounter(read_daa(DAA / "g_three.daa"), load_config("do365b"))
    assert [int(r[4]) for r in rows[1:]] == api.alert_level.tolist()
    assert {r[5] for r in rows[1:]} >= {"inf"}
    assert "warning" in err and err.count("\n") == 1


@pytest.mark.parametrize("config", ["do365a", "cd3d"])
def test_alerting_with_other_configurations(
    config: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["alerting", str(DAA / "a_headon.daa"), "--config", config]
    code, out, err = run(args, capsys, monkeypatch)
    assert code == 0 and config in err
    assert len(out.splitlines()) == 182  # header and 181 steps


@pytest.mark.parametrize(
    ("args", "mentioned"),
    [
        (["alerting", "states.csv"], "states.csv"),
        (["alerting", str(DAA / "a_headon.daa"), "--alerter", "7"], "--alerter"),
        (["alerting", str(DAA / "a_headon.daa"), "--config", "do999"], "do999"),
        (["alerting", "missing.daa"], "missing.daa"),
    ],
)
def test_alerting_errors(
    args: list[str],
    mentioned: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(args, capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1 and mentioned in err


def test_alerting_on_state_vectors(
    sample_csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["alerting", str(sample_csv)], capsys, monkeypatch)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["ownship"] != r["intruder"] for r in rows)
    pairs = {(r["ownship"], r["intruder"]) for r in rows}
    assert all((b, a) in pairs for a, b in pairs)  # both directions of every pair
    assert "with do365b" in err
