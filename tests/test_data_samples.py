"""`deconflict data samples`: the real recordings of the `traffic` wheel, fetched once into a
cache and printed; an unreachable registry is one line and exit status 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli_run import run
from deconflict import data


def test_samples_in_a_cache_are_printed_without_a_download(
    quickstart_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    cache = tmp_path / "cache"
    (cache / "samples").mkdir(parents=True)
    shutil.copy(quickstart_json, cache / "samples" / quickstart_json.name)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # a download would fail
    code, out, err = run(["data", "samples", "--cache-dir", str(cache), "quickstart"], capsys,
                         monkeypatch)  # fmt: skip
    assert code == 0 and err == ""
    assert out.splitlines() == [str(cache / "samples" / "quickstart.json.gz")]
    assert Path(out.strip()).read_bytes() == quickstart_json.read_bytes()


def test_every_sample_by_default_from_the_environments_cache(
    quickstart_json: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fixture fetched the wheel into the default cache, and one wheel holds every sample
    monkeypatch.setenv("DECONFLICT_CACHE", str(quickstart_json.parent.parent))
    code, out, _ = run(["data", "samples"], capsys, monkeypatch)
    paths = [Path(p) for p in out.splitlines()]
    assert code == 0 and [p.name for p in paths] == [Path(s).name for s in data.SAMPLES.values()]
    assert all(p.read_bytes()[:2] == b"\x1f\x8b" for p in paths)  # gzip, as shipped


def test_an_unreachable_registry_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in [("PIP_INDEX_URL", "http://127.0.0.1:9/simple"),
                        ("PIP_EXTRA_INDEX_URL", ""), ("PIP_FIND_LINKS", ""),
                        ("PIP_RETRIES", "0"), ("PIP_TIMEOUT", "2"), ("PIP_NO_CACHE_DIR", "1"),
                        ("PIP_CONFIG_FILE", "/dev/null")]:  # fmt: skip
        monkeypatch.setenv(name, value)
    cache = tmp_path / "empty-cache"
    code, out, err = run(["data", "samples", "--cache-dir", str(cache), "savan"], capsys,
                         monkeypatch)  # fmt: skip
    lines = err.strip().splitlines()
    assert code == 2 and not out
    assert lines[0].startswith("deconflict: fetching the traffic==")  # the progress line
    assert lines[-1].startswith("deconflict: error: cannot fetch the traffic==")
    assert "cannot be reached" in lines[-1] and len(lines) == 2
    assert not (cache / "samples" / "savan.json.gz").exists()


def test_an_unknown_sample_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["data", "samples", "--cache-dir", str(tmp_path), "paris"], capsys,
                       monkeypatch)  # fmt: skip
    assert code == 2 and err.strip() == (
        "deconflict: error: unknown sample 'paris'; known: quickstart, switzerland, savan"
    )


def test_help_names_the_samples_and_the_registry(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["data", "samples", "--help"], capsys, monkeypatch)
    text = " ".join(out.split())
    assert code == 0
    for words in ("quickstart", "switzerland", "savan", "PyPI", "--cache-dir", "once"):
        assert words in text, words
