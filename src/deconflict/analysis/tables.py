"""The review's tables from the partitions' findings: intervals and runs joined across
partition boundaries, then the columns of ``review`` in the units of the field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from deconflict.analysis import intervals
from deconflict.analysis.review import AIRCRAFT, CLOSEST, CONFLICTS, LOSSES, PROFILES, Review
from deconflict.analysis.scan import RUN_COLUMNS, ReviewOptions, Scanned
from deconflict.tactical.engine import THRESHOLD_EPSILON_M
from deconflict.units import FT_M, NM_M

F64 = NDArray[np.float64]


def _join_intervals(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Intervals of all partitions, those that touch across a boundary joined."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=["id1", "id2", *intervals.PIECE_COLUMNS])
    key = frame.groupby(["id1", "id2"], sort=True).ngroup().to_numpy(dtype=np.int64)
    names = frame.groupby(["id1", "id2"], sort=True).size().index
    cols = {c: frame[c].to_numpy(dtype=np.float64) for c in intervals.PIECE_COLUMNS}
    pair, joined = intervals.join(key, cols)
    ids = names[pair.astype(np.int64)]
    return pd.DataFrame({"id1": ids.get_level_values(0), "id2": ids.get_level_values(1), **joined})


def _join_runs(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Runs of alerting grid times of all partitions, consecutive ones joined."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=["id1", "id2", *RUN_COLUMNS])
    frame = frame.sort_values(["id1", "id2", "k_first"], kind="stable").reset_index(drop=True)
    same_pair = (frame["id1"] == frame["id1"].shift()) & (frame["id2"] == frame["id2"].shift())
    new = ~same_pair | (frame["k_first"] != frame["k_last"].shift() + 1)
    frame["run"] = new.cumsum()
    by = frame.groupby("run", sort=True)
    out = by.first()
    out["k_last"] = by["k_last"].max()
    out["max_level"] = by["max_level"].max()
    for c in ("k_preventive", "k_corrective", "k_warning"):
        out[c] = by[c].min()
    return out.reset_index(drop=True)


def _with_pairs(frame: pd.DataFrame, aircraft: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each aircraft's party and callsign after id1 and id2."""
    party = aircraft.set_index("id")["party"]
    callsign = aircraft.set_index("id")["callsign"]
    out = frame.copy()
    out.insert(2, "party1", out["id1"].map(party).fillna("").astype(str))
    out.insert(3, "party2", out["id2"].map(party).fillna("").astype(str))
    out.insert(4, "callsign1", out["id1"].map(callsign).fillna("").astype(str))
    out.insert(5, "callsign2", out["id2"].map(callsign).fillna("").astype(str))
    return out


def _aircraft(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=["id", "party", "callsign", "first_s", "last_s", "states"])
    frame = frame.sort_values(["id", "last_s"], kind="stable")
    by = frame.groupby("id", sort=True)
    out = pd.DataFrame(
        {
            "party": by["party"].last(),
            "first_s": by["first_s"].min(),
            "last_s": by["last_s"].max(),
            "states": by["states"].sum(),
        }
    )
    named = frame.sort_values(["id", "callsign_s"], kind="stable").groupby("id", sort=True)
    out["callsign"] = named["callsign"].last()
    return out.reset_index()


def _overlaps(a: pd.DataFrame, b: pd.DataFrame) -> NDArray[np.bool_]:
    """For each interval of ``a``, whether an interval of the same pair in ``b`` overlaps it
    (or touches it)."""
    if a.empty or b.empty:
        return np.zeros(len(a), dtype=np.bool_)
    left = a[["id1", "id2", "start_s", "end_s"]].reset_index(names="row")
    merged = left.merge(
        b[["id1", "id2", "start_s", "end_s"]], on=["id1", "id2"], suffixes=("", "_b")
    )
    hit = merged[
        (merged["start_s_b"] <= merged["end_s"]) & (merged["start_s"] <= merged["end_s_b"])
    ]
    out = np.zeros(len(a), dtype=np.bool_)
    out[hit["row"].to_numpy(dtype=np.int64)] = True
    return out


def _leads(conflicts: pd.DataFrame, losses: pd.DataFrame, step_s: float) -> pd.Series:
    """For each predicted conflict, the start of the first loss of its pair that is under
    way at its first grid time or starts before one step after its last (NaN: none)."""
    out = pd.Series(np.nan, index=conflicts.index)
    if conflicts.empty or losses.empty:
        return out
    left = conflicts[["id1", "id2", "start_s", "end_s"]].reset_index(names="row")
    merged = left.merge(
        losses[["id1", "id2", "start_s", "end_s"]].rename(
            columns={"start_s": "los_s", "end_s": "los_end_s"}
        ),
        on=["id1", "id2"],
    )
    inside = merged[
        (merged["los_end_s"] >= merged["start_s"]) & (merged["los_s"] <= merged["end_s"] + step_s)
    ]
    first = inside.groupby("row")["los_s"].min()
    out.loc[first.index] = first.to_numpy()
    return out


def build(scanned: Sequence[Scanned], options: ReviewOptions) -> Review:
    """The review's tables from every partition's findings (the profiles empty: they come
    from a second pass, ``closest_pairs`` then ``profiles``)."""
    step_s = options.step_s
    aircraft = _aircraft([s.aircraft for s in scanned])
    tolerance_m = options.criteria.vsep_tolerance_ft * FT_M

    loss = _join_intervals([s.losses for s in scanned])
    losses = _with_pairs(
        pd.DataFrame(
            {
                "id1": loss["id1"],
                "id2": loss["id2"],
                "start_s": loss["start_s"],
                "end_s": loss["end_s"],
                "duration_s": loss["end_s"] - loss["start_s"],
                "min_hsep_nm": loss["min_h_m"] / NM_M,
                "min_vsep_ft": loss["min_v_m"] / FT_M,
                "time_min_s": loss["time_min_s"],
                "latitude_deg": loss["latitude_deg"],
                "longitude_deg": loss["longitude_deg"],
                "altitude_ft": loss["altitude_m"] / FT_M,
                "hsep_applied_nm": (loss["h_limit_m"] + THRESHOLD_EPSILON_M) / NM_M,
                "vsep_applied_ft": (loss["v_limit_m"] + THRESHOLD_EPSILON_M + tolerance_m) / FT_M,
            }
        ),
        aircraft,
    )[LOSSES].astype({"start_s": float, "end_s": float})

    near = _join_intervals([s.close for s in scanned])
    closest = _with_pairs(
        pd.DataFrame(
            {
                "id1": near["id1"],
                "id2": near["id2"],
                "time_s": near["time_min_s"],
                "hsep_nm": near["min_h_m"] / NM_M,
                "vsep_ft": near["v_at_min_m"] / FT_M,
                "latitude_deg": near["latitude_deg"],
                "longitude_deg": near["longitude_deg"],
                "altitude_ft": near["altitude_m"] / FT_M,
                "start_s": near["start_s"],
                "end_s": near["end_s"],
            }
        ),
        aircraft,
    )
    closest["loss"] = _overlaps(closest, losses)
    closest = closest[CLOSEST]

    runs = _join_runs([s.alerts for s in scanned])
    conflicts = pd.DataFrame(
        {
            "id1": runs["id1"],
            "id2": runs["id2"],
            "start_s": runs["k_first"].astype(np.float64) * step_s,
            "end_s": runs["k_last"].astype(np.float64) * step_s,
            "max_level": runs["max_level"].astype(np.int64),
        }
    )
    for name in ("preventive", "corrective", "warning"):
        k = runs[f"k_{name}"].astype(np.float64)
        conflicts[f"{name}_s"] = np.where(np.isfinite(k), k * step_s, np.nan)
    conflicts["los_start_s"] = _leads(conflicts, losses, step_s)
    for name in ("preventive", "corrective", "warning"):
        conflicts[f"lead_{name}_s"] = conflicts["los_start_s"] - conflicts[f"{name}_s"]
    conflicts["latitude_deg"] = runs["latitude_deg"]
    conflicts["longitude_deg"] = runs["longitude_deg"]
    conflicts["altitude_ft"] = runs["altitude_m"] / FT_M
    conflicts = _with_pairs(conflicts, aircraft)[CONFLICTS]

    table = aircraft.copy()
    for name, frame in (("losses", losses), ("conflicts", conflicts), ("closest", closest)):
        counts = pd.concat([frame["id1"], frame["id2"]]).value_counts()
        table[name] = table["id"].map(counts).fillna(0).astype(np.int64)
    smallest = (
        pd.concat(
            [
                closest[["id1", "hsep_nm"]].rename(columns={"id1": "id"}),
                closest[["id2", "hsep_nm"]].rename(columns={"id2": "id"}),
            ]
        )
        .groupby("id")["hsep_nm"]
        .min()
    )
    table["min_hsep_nm"] = table["id"].map(smallest).astype(np.float64)
    table = table[AIRCRAFT]

    profiles = pd.DataFrame({c: [] for c in PROFILES})
    return Review(
        losses.reset_index(drop=True),
        conflicts.reset_index(drop=True),
        closest.reset_index(drop=True),
        table.reset_index(drop=True),
        profiles,
    )


def closest_pairs(closest: pd.DataFrame, pairs: int) -> pd.DataFrame:
    """The ``pairs`` pairs with the closest approaches, ranked from 1, each with the start
    and end of its closest encounter."""
    best = (
        closest.sort_values(["hsep_nm", "vsep_ft", "id1", "id2"], kind="stable")
        .drop_duplicates(["id1", "id2"])
        .head(max(pairs, 0))[["id1", "id2", "start_s", "end_s"]]
        .reset_index(drop=True)
    )
    best["rank"] = np.arange(1, len(best) + 1, dtype=np.int64)
    return best


def profiles(parts: Sequence[pd.DataFrame], ranked: pd.DataFrame) -> pd.DataFrame:
    """The grid times of the ranked pairs' closest encounters, from the second pass."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty or ranked.empty:
        return pd.DataFrame({c: [] for c in PROFILES})
    frame = frame[frame["id1"].notna()]
    out = frame.merge(ranked, on=["id1", "id2"])
    out = out[(out["time_s"] >= out["start_s"]) & (out["time_s"] <= out["end_s"])]
    out = out.drop_duplicates(["id1", "id2", "time_s"]).sort_values(["rank", "time_s"])
    return (
        pd.DataFrame(
            {
                "id1": out["id1"],
                "id2": out["id2"],
                "rank": out["rank"].astype(np.int64),
                "time_s": out["time_s"].astype(np.float64),
                "hsep_nm": out["hsep_m"] / NM_M,
                "vsep_ft": out["vsep_m"] / FT_M,
                "altitude1_ft": out["altitude1_m"] / FT_M,
                "altitude2_ft": out["altitude2_m"] / FT_M,
            }
        )
        .reset_index(drop=True)[PROFILES]
        .astype({"id1": "str", "id2": "str"})
    )


def write_tables(review: Review, outdir: Path) -> list[Path]:
    """Each table as ``OUTDIR/<table>.parquet``; the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in review.TABLES:
        path = outdir / f"{name}.parquet"
        tmp = path.with_suffix(".parquet.part")
        getattr(review, name).to_parquet(tmp, index=False)
        tmp.replace(path)
        written.append(path)
    return written
