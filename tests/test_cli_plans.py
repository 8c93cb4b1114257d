"""`deconflict plans ...` as a user meets it: the output of check, filing through a store
with the key, and one-line errors (exit 2) that name the feature, with nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_run import run

T = ("2026-11-24T08:00:00Z", "2026-11-24T10:00:00Z")


def feature(
    plan_id: str, party: str, geometry: dict[str, Any], lower: float = 0.0, upper: float = 10_000.0,
    times: tuple[str, str] = T, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    props = {"party": party, "plan_id": plan_id, "alt_lower_ft": lower, "alt_upper_ft": upper,
             "time_start": times[0], "time_end": times[1], **extra}  # fmt: skip
    return {"type": "Feature", "geometry": geometry, "properties": props}


def square(lon: float, lat: float, half: float = 0.1) -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def write(path: Path, *features: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


@pytest.fixture
def plans_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "plans.geojson",
        feature("B1", "blue", square(5.0, 45.0)),
        feature("B1", "blue", square(7.0, 45.0)),  # a second volume of B1, far east
        feature("R1", "red", point(7.15, 45.0), radius_m=2_000.0, lower=9_500, upper=12_000),
        feature("R2", "red", point(5.0, 45.0), radius_m=2_000.0, lower=12_000, upper=13_000),
        feature("B2", "blue", point(5.0, 45.0), radius_m=2_000.0),  # same party as B1
    )


def test_check_writes_the_conflicting_pairs(
    plans_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["plans", "check", str(plans_file)], capsys, monkeypatch)
    assert code == 0
    rows = json.loads(out)
    # R1 is 2 km from B1's second volume and overlaps its band; R2's band is 2,000 ft
    # above B1's, more than 1,000 ft
    assert [(r["plan_a"], r["plan_b"]) for r in rows] == [("B1", "R1")]
    (r,) = rows
    assert (r["party_a"], r["party_b"]) == ("blue", "red")
    assert (r["time_start"], r["time_end"]) == T
    assert (r["alt_lower_ft"], r["alt_upper_ft"]) == (9_500, 10_000)
    assert [(v["volume_a"], v["volume_b"]) for v in r["volumes"]] == [(1, 0)]
    assert err.strip() == "4 plans, 5 volumes: 1 conflicting pairs"
    code, out, _ = run(
        ["plans", "check", str(plans_file), "--vsep-ft", "2500"], capsys, monkeypatch
    )
    pairs = [(r["plan_a"], r["plan_b"]) for r in json.loads(out)]
    assert pairs == [("B1", "R1"), ("B1", "R2"), ("B2", "R2")]
    code, out, _ = run(
        ["plans", "check", str(plans_file), "--hsep-nm", "0", "--vsep-ft", "0"], capsys, monkeypatch
    )
    assert json.loads(out) == []  # R1's edge is 1.9 km from B1's: they do not intersect


BAD = {
    "self-intersecting": (
        feature(
            "X",
            "blue",
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        ),
        "feature 1 (plan_id 'X') polygon is not simple",
    ),
    "lower above upper": (
        feature("X", "blue", square(5, 45), lower=5000, upper=5000),
        "feature 1 (plan_id 'X') alt_lower_ft 5000 is not below alt_upper_ft 5000",
    ),
    "end before start": (
        feature("X", "blue", square(5, 45), times=(T[1], T[0])),
        "feature 1 (plan_id 'X') time_end is not after time_start",
    ),
    "missing property": (
        {
            "type": "Feature",
            "geometry": square(5, 45),
            "properties": {"party": "blue", "plan_id": "X"},
        },
        "feature 1 (plan_id 'X') misses the properties alt_lower_ft, alt_upper_ft, time_start, "
        "time_end",
    ),
    "unknown geometry": (
        feature("X", "blue", {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        "feature 1 (plan_id 'X') geometry 'LineString' is not supported",
    ),
    "circle without radius": (
        feature("X", "blue", point(5, 45)),
        "feature 1 (plan_id 'X') a Point needs the property radius_m",
    ),
    "time without zone": (
        feature("X", "blue", square(5, 45), times=("2026-11-24T08:00:00", T[1])),
        "has no time zone",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_features_are_named_and_nothing_is_written(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, message = BAD[case]
    path = write(tmp_path / "bad.geojson", feature("OK", "red", square(6, 45)), bad)
    out_path = tmp_path / "notices.json"
    code, out, err = run(["plans", "check", str(path), "-o", str(out_path)], capsys, monkeypatch)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("deconflict: error: ") and message in err
    assert str(path) in err
    assert not out_path.exists() and list(tmp_path.iterdir()) == [path]  # no temp file left
    db = tmp_path / "plans.db"
    code, _, err = run(["plans", "file", str(path), "--db", str(db)], capsys, monkeypatch)
    assert code == 2 and message in err
    code, out, _ = run(["plans", "list", "--db", str(db)], capsys, monkeypatch)
    assert code == 0 and out == ""  # the valid plan before the bad one was not filed either


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection"}', "has no list of features"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_files(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = tmp_path / "x.geojson"
    path.write_text(content)
    code, _, err = run(["plans", "check", str(path)], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_missing_file_and_bad_options(
    tmp_path: Path, plans_file: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    code, _, err = run(["plans", "check", str(tmp_path / "none.geojson")], capsys, monkeypatch)
    assert code == 2 and "no such file" in err
    code, _, err = run(["plans", "check", str(plans_file), "--hsep-nm", "-1"], capsys, monkeypatch)
    assert code == 2 and "--hsep-nm -1 is not in [0, 100]" in err
    code, _, err = run(["plans", "list", "--db", "mysql://x"], capsys, monkeypatch)
    assert code == 2 and "use sqlite:///PATH or postgresql://" in err
    code, _, err = run(["plans", "cancel", "NOPE", "--db", str(tmp_path / "p.db"), "--party", "x"],
                       capsys, monkeypatch)  # fmt: skip
    assert code == 2 and err.strip() == "deconflict: error: no plan 'NOPE'"


def test_filing_round_trip_with_the_key(
    plans_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    db = str(tmp_path / "plans.db")
    answers = tmp_path / "answers.json"
    code, _, err = run(["plans", "file", str(plans_file), "--db", db, "-o", str(answers)],
                       capsys, monkeypatch)  # fmt: skip
    assert code == 1 and "3 of 4 plans accepted" in err
    by_id = {a["plan_id"]: a for a in json.loads(answers.read_text())}
    assert by_id["R1"]["status"] == "missed" and by_id["R1"]["version"] is None
    (n,) = by_id["R1"]["notices"]
    assert n["other_plan_ref"] == by_id["B1"]["ref"] and "B1" not in json.dumps(n)
    r1 = feature("R1", "red", point(7.15, 45.0), radius_m=2_000.0, lower=9_500, upper=12_000)
    red = write(tmp_path / "red.geojson", r1)
    code, out, _ = run(["plans", "file", str(red), "--db", db, "--ack", str(answers)],
                       capsys, monkeypatch)  # fmt: skip
    assert code == 1 and json.loads(out)[0]["status"] == "conflicts"  # acknowledged, not allowed
    code, out, _ = run(["plans", "file", str(red), "--db", db, "--ack", str(answers),
                        "--allow-conflicts"], capsys, monkeypatch)  # fmt: skip
    assert code == 0 and json.loads(out)[0]["status"] == "accepted_with_conflicts"
    code, out, _ = run(["plans", "notices", "--db", db, "--party", "blue"], capsys, monkeypatch)
    (blue,) = [json.loads(line) for line in out.splitlines()]
    assert blue["own_plan"] == "B1" and "R1" not in json.dumps(blue)
    assert blue["other_version"] == 1 and blue["time_start"] == T[0]
    code, out, _ = run(["plans", "list", "--db", db], capsys, monkeypatch)
    assert [json.loads(line)["plan_id"] for line in out.splitlines()] == ["B1", "B2", "R1", "R2"]
    code, _, err = run(["plans", "cancel", "R1", "--db", db, "--party", "red"], capsys, monkeypatch)
    assert code == 0 and "cancelled" in err
    code, _, err = run(
        ["plans", "cancel", "R1", "--db", db, "--party", "blue"], capsys, monkeypatch
    )
    assert code == 2 and "no plan 'R1'" in err  # not blue's to cancel, and not disclosed


def test_help_explains(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["plans", "check", "--help"], capsys, monkeypatch)
    assert code == 0 and "--hsep-nm" in out and "WGS84" in out
    code, out, _ = run(["plans", "file", "--help"], capsys, monkeypatch)
    assert code == 0 and "--ack" in out and "Exit status" in out
