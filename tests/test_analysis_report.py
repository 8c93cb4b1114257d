"""The incident review's HTML report (deconflict.analysis.report), on small handmade reviews."""

from __future__ import annotations

import base64
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from deconflict.analysis.report import (
    altitude_band_ft,
    closest_profiles,
    encounters_per_band,
    encounters_per_hour,
    lead_bins_s,
    lead_times,
    plot_per_hour,
    run_around,
    write_report,
)
from deconflict.analysis.review import AIRCRAFT, CLOSEST, CONFLICTS, LOSSES, PROFILES, Review

T0_S = 1_714_564_800.0  # 2024-05-01T12:00:00Z
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE_CALLSIGN = "<script>alert(1)</script>"
HOSTILE_PARTY = 'blue" onload="x'
HOSTILE_INPUT = "<img src=x onerror=alert(2)>.csv"
SECTIONS = {
    "summary": "Summary",
    "per-hour": "Encounters per hour (UTC)",
    "altitude": "Encounters per altitude band",
    "map": "Where they happened",
    "profiles": "Profiles of the closest pairs",
    "lead-times": "Alert lead times",
    "tables": "Tables",
}
NAN = math.nan


def pair(id1: str, id2: str, callsign1: str = "AFR1", callsign2: str = "BAW2") -> dict[str, Any]:
    return {
        "id1": id1,
        "id2": id2,
        "party1": "blue",
        "party2": HOSTILE_PARTY,
        "callsign1": callsign1,
        "callsign2": callsign2,
    }


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def loss(id1: str, id2: str, start_s: float, altitude_ft: float, **extra: Any) -> dict[str, Any]:
    return {
        **pair(id1, id2, callsign1=HOSTILE_CALLSIGN),
        "start_s": start_s,
        "end_s": start_s + 30.0,
        "duration_s": 30.0,
        "min_hsep_nm": 3.2,
        "min_vsep_ft": 400.0,
        "time_min_s": start_s + 12.5,
        "latitude_deg": 48.8,
        "longitude_deg": 2.4,
        "altitude_ft": altitude_ft,
        "hsep_applied_nm": 5.0,
        "vsep_applied_ft": 1000.0,
        **extra,
    }


def conflict(start_s: float, leads_s: tuple[float, float, float] | None) -> dict[str, Any]:
    """A predicted conflict reaching the warning level; ``leads_s`` None: no loss followed."""
    los_start_s = NAN if leads_s is None else start_s + 60.0
    lead_p, lead_c, lead_w = (NAN, NAN, NAN) if leads_s is None else leads_s
    return {
        **pair("a", "b"),
        "start_s": start_s,
        "end_s": start_s + 90.0,
        "max_level": 3,
        "preventive_s": start_s,
        "corrective_s": start_s + 20.0,
        "warning_s": start_s + 40.0,
        "los_start_s": los_start_s,
        "lead_preventive_s": lead_p,
        "lead_corrective_s": lead_c,
        "lead_warning_s": lead_w,
        "latitude_deg": 48.8,
        "longitude_deg": 2.4,
        "altitude_ft": 12_000.0,
    }


def close(id1: str, id2: str, time_s: float, hsep_nm: float, altitude_ft: float) -> dict[str, Any]:
    return {
        **pair(id1, id2, callsign2=HOSTILE_CALLSIGN),
        "time_s": time_s,
        "hsep_nm": hsep_nm,
        "vsep_ft": 800.0,
        "latitude_deg": 48.9,
        "longitude_deg": 2.2,
        "altitude_ft": altitude_ft,
        "start_s": time_s - 40.0,
        "end_s": time_s + 40.0,
        "loss": hsep_nm < 5.0,
    }


def profile(id1: str, id2: str, rank: int, cpa_s: float, hsep_nm: float) -> list[dict[str, Any]]:
    return [
        {
            "id1": id1,
            "id2": id2,
            "rank": rank,
            "time_s": cpa_s + dt_s,
            "hsep_nm": hsep_nm + abs(dt_s) / 20.0,
            "vsep_ft": 800.0 + abs(dt_s),
            "altitude1_ft": 12_000.0 + dt_s,
            "altitude2_ft": 12_800.0,
        }
        for dt_s in np.arange(-60.0, 61.0, 10.0)
    ]


def sample_review() -> Review:
    """Two losses, four predicted conflicts (three led to a loss, one of them raised late at
    the corrective and warning levels), three close encounters with two profiles."""
    losses = frame(
        [loss("a", "b", T0_S + 100.0, 12_000.0), loss("c", "d", T0_S + 3_700.0, 31_000.0)],
        LOSSES,
    )
    conflicts = frame(
        [
            conflict(T0_S + 40.0, (60.0, 40.0, 20.0)),
            conflict(T0_S + 200.0, (35.0, -5.0, -25.0)),
            conflict(T0_S + 3_650.0, (120.0, 100.0, 80.0)),
            conflict(T0_S + 7_300.0, None),
        ],
        CONFLICTS,
    )
    closest = frame(
        [
            close("a", "b", T0_S + 112.5, 3.2, 12_000.0),
            close("c", "d", T0_S + 3_712.0, 4.1, 31_000.0),
            close("e", "f", T0_S + 7_350.0, 8.0, 24_000.0),
        ],
        CLOSEST,
    )
    aircraft = frame(
        [
            {
                "id": name,
                "party": "blue",
                "callsign": HOSTILE_CALLSIGN,
                "first_s": T0_S,
                "last_s": T0_S + 7_400.0,
                "states": 700,
                "losses": 1,
                "conflicts": 1,
                "closest": 1,
                "min_hsep_nm": 3.2,
            }
            for name in "abcdef"
        ],
        AIRCRAFT,
    )
    profiles = frame(
        profile("a", "b", 1, T0_S + 112.5, 3.2) + profile("c", "d", 2, T0_S + 3_712.0, 4.1),
        PROFILES,
    )
    meta = {
        "inputs": [HOSTILE_INPUT, "day2/*.parquet"],
        "criteria": {"hsep_nm": 5.0, "vsep_ft": 1000.0, "alerting": "do365b"},
        "states": 4_200,
        "aircraft": 6,
        "time_start_s": T0_S,
        "time_end_s": T0_S + 7_400.0,
        "elapsed_s": 12.5,
    }
    return Review(losses, conflicts, closest, aircraft, profiles, meta)


def empty_review() -> Review:
    return Review(
        losses=frame([], LOSSES),
        conflicts=frame([], CONFLICTS),
        closest=frame([], CLOSEST),
        aircraft=frame([], AIRCRAFT),
        profiles=frame([], PROFILES),
    )


class Document(HTMLParser):
    """What the tests read back from the report: tags, image sources, headings, section text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.headings: list[str] = []
        self.section_text: dict[str, str] = {}
        self._heading: str | None = None
        self._section: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]
        if tag in ("h1", "h2", "h3"):
            self._heading = ""
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.section_text[self._section] = ""
        elif self._section is not None and tag in ("td", "th", "tr", "p", "li"):
            self.section_text[self._section] += " "  # cells read apart

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(self._heading)
            self._heading = None
        if tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading += data
        if self._section is not None:
            self.section_text[self._section] += data

    def images(self) -> list[bytes]:
        prefix = "data:image/png;base64,"
        sources = [value for name, value in self.attributes if name == "src"]
        assert all(s.startswith(prefix) for s in sources), "only inline PNG images"
        return [base64.b64decode(s[len(prefix) :], validate=True) for s in sources]


def read_report(path: Path) -> tuple[str, Document]:
    text = path.read_text(encoding="utf-8")
    document = Document()
    document.feed(text)
    document.close()
    return text, document


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Document]:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(sample_review(), path, closest_pairs=10)
    return read_report(path)


def test_report_is_one_html_document_with_every_section(
    sample_report: tuple[str, Document],
) -> None:
    text, document = sample_report
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    assert document.tags.count("html") == 1
    assert document.tags.count("body") == 1
    assert document.headings[0] == "Incident review"
    assert set(SECTIONS.values()) <= set(document.headings)
    assert set(document.section_text) == set(SECTIONS)
    assert {"Inputs", "Criteria", "Closest approaches", "Losses of separation"} <= set(
        document.headings
    )


def test_images_are_inline_pngs_one_per_plot(sample_report: tuple[str, Document]) -> None:
    _, document = sample_report
    images = document.images()
    # per hour, altitude bands, map, lead times, and one profile per pair (two pairs)
    assert len(images) == 4 + 2
    assert all(image.startswith(PNG_SIGNATURE) for image in images)
    assert all(len(image) > 1000 for image in images)


def test_nothing_is_fetched_at_view_time(sample_report: tuple[str, Document]) -> None:
    text, document = sample_report
    links = [value for name, value in document.attributes if name in ("src", "href")]
    assert not [link for link in links if re.match(r"\s*(https?:)?//", link)]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text)
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()
    assert "@import" not in text and "url(" not in text


def test_strings_from_the_data_are_escaped(sample_report: tuple[str, Document]) -> None:
    text, document = sample_report
    for hostile in (HOSTILE_CALLSIGN, HOSTILE_PARTY, HOSTILE_INPUT):
        assert hostile not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "blue&quot; onload=&quot;x" in text
    assert "&lt;img src=x onerror=alert(2)&gt;.csv" in text
    assert "onload" not in {name for name, _ in document.attributes}
    # read back as text, they are the data
    assert HOSTILE_INPUT in document.section_text["summary"]
    assert HOSTILE_CALLSIGN in document.section_text["tables"]


def test_summary_states_the_run(sample_report: tuple[str, Document]) -> None:
    _, document = sample_report
    summary = document.section_text["summary"]
    assert "2024-05-01T12:00:00Z" in summary
    assert "2024-05-01T14:03:20Z" in summary
    assert "4,200" in summary
    assert "do365b" in summary
    assert "12.5" in summary
    assert (
        "2 losses of separation, 4 predicted conflicts and 3 close encounters among 6 aircraft"
        in summary
    )


def test_lead_time_counts_match_the_conflicts(sample_report: tuple[str, Document]) -> None:
    _, document = sample_report
    leads = " ".join(document.section_text["lead-times"].split())
    assert "4 predicted conflicts; 3 led to a loss of separation; 0 were raised late" in leads
    # level, raised, led to a loss, raised late, median lead
    assert "preventive 4 3 0 60.0" in leads
    assert "corrective 4 3 1 40.0" in leads
    assert "warning 4 3 1 20.0" in leads

    counted = {t.level: t for t in lead_times(sample_review().conflicts)}
    assert (counted["warning"].raised, counted["warning"].timed, counted["warning"].late) == (
        4,
        3,
        1,
    )
    assert counted["preventive"].median_s == 60.0


def test_tables_list_the_closest_and_every_loss(sample_report: tuple[str, Document]) -> None:
    _, document = sample_report
    tables = document.section_text["tables"]
    assert "The 3 closest of 3" in tables
    assert "All 2, by start time" in tables
    assert "2024-05-01T12:01:52.5Z" in tables  # closest approach of a-b, with tenths
    assert "horizontal separation (NM)" in tables and "min vertical separation (ft)" in tables
    assert tables.index("3.20") < tables.index("4.10") < tables.index("8.00")


def test_loss_table_is_capped_and_says_how_many_are_left_out(tmp_path: Path) -> None:
    review = empty_review()
    rows = [
        loss("a", "b", T0_S + 60.0 * i, 10_000.0, min_hsep_nm=1.0 + i / 100) for i in range(205)
    ]
    review.losses = frame(rows, LOSSES)
    path = tmp_path / "report.html"
    write_report(review, path)
    _, document = read_report(path)
    tables = document.section_text["tables"]
    assert "The 200 with the smallest horizontal separation; 5 more are left out" in tables
    assert "2.99" in tables and "3.00" not in tables  # the five widest are the ones left out


def test_empty_review_writes_a_report_that_says_none(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    write_report(empty_review(), path)
    text, document = read_report(path)
    assert text.startswith("<!DOCTYPE html>")
    assert document.images() == []
    assert set(SECTIONS.values()) <= set(document.headings)
    for anchor in SECTIONS:
        if anchor != "summary":
            assert "None:" in document.section_text[anchor], anchor
    assert "0 losses of separation" in document.section_text["summary"]


def test_conflicts_without_losses_have_no_lead_time_plot(tmp_path: Path) -> None:
    review = empty_review()
    review.conflicts = frame([conflict(T0_S, None), conflict(T0_S + 500.0, None)], CONFLICTS)
    path = tmp_path / "report.html"
    write_report(review, path)
    _, document = read_report(path)
    leads = document.section_text["lead-times"]
    assert "2 predicted conflicts; 0 led to a loss" in leads
    assert "None:" in leads
    assert len(document.images()) == 1  # per hour only: no positions of losses or encounters


def test_a_map_across_the_antimeridian_and_missing_positions(tmp_path: Path) -> None:
    review = empty_review()
    rows = [close("a", "b", T0_S, 6.0, 35_000.0), close("c", "d", T0_S + 60.0, 7.0, 36_000.0)]
    rows[0]["longitude_deg"], rows[1]["longitude_deg"] = 179.8, -179.7
    rows.append({**close("e", "f", T0_S, 6.0, NAN), "latitude_deg": NAN})
    review.closest = frame(rows, CLOSEST)
    path = tmp_path / "report.html"
    write_report(review, path)
    _, document = read_report(path)
    assert len(document.images()) == 3  # per hour, altitude, map
    assert "None:" in document.section_text["profiles"]


def test_encounters_per_hour_counts_exactly() -> None:
    review = empty_review()
    review.losses = frame(
        [loss("a", "b", T0_S + 10.0, 9_000.0), loss("a", "c", T0_S + 3_599.9, 9_000.0)], LOSSES
    )
    review.conflicts = frame(
        [conflict(T0_S - 1.0, None), conflict(T0_S + 3_600.0, None), conflict(NAN, None)],
        CONFLICTS,
    )
    review.closest = frame([close("a", "b", T0_S + 4 * 3_600.0 + 5.0, 4.0, 9_000.0)] * 3, CLOSEST)
    counts = encounters_per_hour(review)
    assert list(counts.index) == [int(T0_S) + h * 3_600 for h in range(-1, 5)]
    assert counts["losses"].tolist() == [0, 2, 0, 0, 0, 0]
    assert counts["conflicts"].tolist() == [1, 0, 1, 0, 0, 0]
    assert counts["closest"].tolist() == [0, 0, 0, 0, 0, 3]
    assert encounters_per_hour(empty_review()).empty


def test_altitude_bands_are_finer_when_the_data_spans_little() -> None:
    assert altitude_band_ft(np.array([1_000.0, 41_000.0])) == 5_000
    assert altitude_band_ft(np.array([10_100.0, 12_900.0])) == 250
    assert altitude_band_ft(np.array([10_000.0, NAN])) == 100
    assert altitude_band_ft(np.array([NAN])) == 5_000

    band_ft, counts = encounters_per_band(sample_review())
    assert band_ft == 1_000  # 12,000 to 31,000 ft: 20 bands
    assert counts.index[0] == 12_000 and counts.index[-1] == 31_000 and len(counts) == 20
    assert list(counts.loc[12_000]) == [1, 1]
    assert list(counts.loc[24_000]) == [0, 1]
    assert list(counts.loc[31_000]) == [1, 1]
    assert int(counts.to_numpy().sum()) == 5


def test_many_hours_plot_as_lines() -> None:
    review = empty_review()
    review.closest = frame(
        [close("a", "b", T0_S + h * 3_600.0, 6.0, 9_000.0) for h in range(0, 240, 7)], CLOSEST
    )
    counts = encounters_per_hour(review)
    assert len(counts) == 239 and int(counts["closest"].sum()) == 35
    assert plot_per_hour(counts).startswith(PNG_SIGNATURE)


def test_lead_time_bins_are_round_and_split_at_zero() -> None:
    edges = lead_bins_s(np.array([-25.0, -5.0, 20.0, 35.0, 40.0, 60.0, 80.0, 100.0, 120.0]))
    width = edges[1] - edges[0]
    assert width in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
    assert np.allclose(np.diff(edges), width)
    assert 0.0 in edges and edges[0] <= -25.0 and edges[-1] > 120.0
    assert len(lead_bins_s(np.array([-3_000.0, 90_000.0]))) - 1 <= 60
    assert lead_bins_s(np.array([7.0])).tolist() == [7.0, 8.0]


def test_a_profile_shows_the_encounter_of_its_closest_approach() -> None:
    times_s = np.array([0.0, 1.0, 2.0, 3.0, 500.0, 501.0, 502.0, 9_000.0])
    assert run_around(times_s, 1.5) == slice(0, 4)
    assert run_around(times_s, 501.0) == slice(4, 7)
    assert run_around(times_s, 8_000.0) == slice(7, 8)
    assert run_around(np.array([5.0]), 5.0) == slice(0, 1)


def test_profiles_with_two_encounters_plot_the_closest(tmp_path: Path) -> None:
    review = sample_review()
    later = profile("a", "b", 1, T0_S + 9_000.0, 4.5)
    unknown = {**later[0], "time_s": NAN}
    review.profiles = frame([*later, unknown, *profile("a", "b", 1, T0_S + 112.5, 3.2)], PROFILES)
    later_close = close("a", "b", T0_S + 9_000.0, 4.5, 12_000.0)
    review.closest = pd.concat([review.closest, frame([later_close], CLOSEST)], ignore_index=True)
    path = tmp_path / "report.html"
    (chosen,) = closest_profiles(review, 1)
    assert len(chosen.rows) == 13 and chosen.time_cpa_s == T0_S + 112.5
    write_report(review, path, closest_pairs=1)
    _, document = read_report(path)
    profiles = document.section_text["profiles"]
    assert "closest approach 3.20 NM and 800 ft apart, at 2024-05-01T12:01:52.5Z" in profiles
    assert len(document.images()) == 4 + 1
