"""The strategic conflict rule, between volumes and between plans.

Two volumes conflict when their time windows overlap (start_a < end_b and start_b < end_a),
the vertical gap between their bands is less than V (bands that overlap have a negative
gap), and their outlines are less than H apart along the ellipsoid (0 when they meet or one
holds the other). ``H = 0`` and ``V = 0`` mean plain intersection: interiors that share a
point, bands that overlap by more than a point. Plans of different parties conflict when
some pair of their volumes does.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from deconflict.plans import cells
from deconflict.plans.geometry import Cap, cap, horizontal_conflict, horizontal_conflicts
from deconflict.plans.volume import Plan, Volume4D
from deconflict.units import NM_M

#: the defaults of the rule: 5 NM and 1,000 ft
DEFAULT_HSEP_M = 5.0 * NM_M
DEFAULT_VSEP_FT = 1000.0


@dataclass(frozen=True)
class Separation:
    """The minima of the rule: horizontal (metres) and vertical (feet)."""

    hsep_m: float = DEFAULT_HSEP_M
    vsep_ft: float = DEFAULT_VSEP_FT


@dataclass(frozen=True)
class VolumeConflict:
    """Two volumes in conflict: which, and where in time and altitude. The band is the
    overlap of the two bands, or the gap between them when they are less than V apart."""

    index_a: int
    index_b: int
    time_start_s: float
    time_end_s: float
    alt_lower_ft: float
    alt_upper_ft: float


@dataclass(frozen=True)
class PlanConflict:
    """Two plans in conflict, ``plan_a < plan_b``; the window and band enclose all their
    conflicting pairs of volumes."""

    plan_a: str
    plan_b: str
    party_a: str
    party_b: str
    volumes: tuple[VolumeConflict, ...]

    @property
    def time_start_s(self) -> float:
        return min(v.time_start_s for v in self.volumes)

    @property
    def time_end_s(self) -> float:
        return max(v.time_end_s for v in self.volumes)

    @property
    def alt_lower_ft(self) -> float:
        return min(v.alt_lower_ft for v in self.volumes)

    @property
    def alt_upper_ft(self) -> float:
        return max(v.alt_upper_ft for v in self.volumes)


def times_overlap(a: Volume4D, b: Volume4D) -> bool:
    return a.time_start_s < b.time_end_s and b.time_start_s < a.time_end_s


def vertical_gap_ft(a: Volume4D, b: Volume4D) -> float:
    """How far apart the bands are (negative: how much they overlap)."""
    return max(b.alt_lower_ft - a.alt_upper_ft, a.alt_lower_ft - b.alt_upper_ft)


def volumes_conflict(
    a: Volume4D, b: Volume4D, sep: Separation, cap_a: Cap | None = None, cap_b: Cap | None = None
) -> VolumeConflict | None:
    """The conflict between two volumes under the rule, or None (indices left at 0)."""
    if not times_overlap(a, b) or not vertical_gap_ft(a, b) < sep.vsep_ft:
        return None
    if not horizontal_conflict(a.outline, b.outline, sep.hsep_m, cap_a, cap_b):
        return None
    return _where_and_when(a, b)


def volumes_conflicts(
    a: Volume4D, cap_a: Cap, others: Sequence[Volume4D], caps: Sequence[Cap], sep: Separation
) -> list[VolumeConflict | None]:
    """``volumes_conflict(a, b, sep, cap_a, cap_b)`` for each of ``others`` and its cap: the
    windows and bands of all at once, then the outlines of those that pass them, together
    (``geometry.horizontal_conflicts``). Indices left at 0."""
    if len(others) != len(caps):
        raise ValueError(f"{len(others)} volumes but {len(caps)} caps")
    out: list[VolumeConflict | None] = [None] * len(others)
    if not others:
        return out
    start = np.array([v.time_start_s for v in others], dtype=np.float64)
    end = np.array([v.time_end_s for v in others], dtype=np.float64)
    lower = np.array([v.alt_lower_ft for v in others], dtype=np.float64)
    upper = np.array([v.alt_upper_ft for v in others], dtype=np.float64)
    # ``vertical_gap_ft``, with max's own rule (the first unless the second is greater)
    above, below = lower - a.alt_upper_ft, a.alt_lower_ft - upper
    gap = np.where(below > above, below, above)
    ok = (a.time_start_s < end) & (start < a.time_end_s) & (gap < sep.vsep_ft)
    which = np.flatnonzero(ok).tolist()
    if not which:
        return out
    hits = horizontal_conflicts(
        a.outline, cap_a, [others[i].outline for i in which], [caps[i] for i in which], sep.hsep_m
    )
    for i, hit in zip(which, hits.tolist(), strict=True):
        if hit:
            out[i] = _where_and_when(a, others[i])
    return out


def _where_and_when(a: Volume4D, b: Volume4D) -> VolumeConflict:
    """The window and band of two volumes in conflict (indices left at 0)."""
    lower = max(a.alt_lower_ft, b.alt_lower_ft)
    upper = min(a.alt_upper_ft, b.alt_upper_ft)
    return VolumeConflict(
        0,
        0,
        max(a.time_start_s, b.time_start_s),
        min(a.time_end_s, b.time_end_s),
        min(lower, upper),
        max(lower, upper),
    )


def plan_conflict(
    a: Plan,
    b: Plan,
    sep: Separation,
    pairs: Sequence[tuple[int, int]] | None = None,
    caps: dict[tuple[str, int], Cap] | None = None,
) -> PlanConflict | None:
    """The conflict between two plans (all their volume pairs, or the candidate ``pairs``)."""
    if a.plan_id > b.plan_id:
        a, b = b, a
        pairs = None if pairs is None else [(j, i) for i, j in pairs]
    caps = caps if caps is not None else {}
    if pairs is None:
        pairs = [(i, j) for i in range(len(a.volumes)) for j in range(len(b.volumes))]

    def cap_of(plan: Plan, i: int) -> Cap:
        return caps.get((plan.plan_id, i)) or cap(plan.volumes[i].outline)

    by_a: dict[int, list[int]] = defaultdict(list)
    for i, j in sorted(set(pairs)):
        by_a[i].append(j)
    found = []
    for i, js in by_a.items():  # each of a's volumes against its candidates at once
        hits = volumes_conflicts(
            a.volumes[i], cap_of(a, i), [b.volumes[j] for j in js], [cap_of(b, j) for j in js], sep
        )
        for j, hit in zip(js, hits, strict=True):
            if hit is not None:
                found.append(replace(hit, index_a=i, index_b=j))
    if not found:
        return None
    return PlanConflict(a.plan_id, b.plan_id, a.party, b.party, tuple(found))


def candidate_pairs(
    plans: Sequence[Plan], sep: Separation, caps: dict[tuple[str, int], Cap]
) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
    """Pairs of plans of different parties whose volumes may conflict, with the candidate
    pairs of volumes: the cell index in memory (the same keys as the store's)."""
    table: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for p, plan in enumerate(plans):
        for v, vol in enumerate(plan.volumes):
            c = caps[(plan.plan_id, v)]
            for b in cells.buckets(vol.time_start_s, vol.time_end_s):
                for k in cells.cell_keys(c.centre_ecef_m, c.radius_m):
                    table[(b, k)].append((p, v))
    keys = sorted(table)
    found: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)

    for p, plan in enumerate(plans):
        for v, vol in enumerate(plan.volumes):
            c = caps[(plan.plan_id, v)]
            ranges = cells.probe_ranges(c.centre_ecef_m, c.radius_m + sep.hsep_m)
            for b in cells.buckets(vol.time_start_s, vol.time_end_s):
                for lo, hi in ranges:
                    start = bisect.bisect_left(keys, (b, lo))
                    stop = bisect.bisect_right(keys, (b, hi))
                    for key in keys[start:stop]:
                        for q, w in table[key]:
                            if q > p and plans[q].party != plan.party:
                                found[(p, q)].add((v, w))
    for (p, q), vw in sorted(found.items()):
        yield p, q, sorted(vw)


def check_plans(plans: Sequence[Plan], sep: Separation = Separation()) -> list[PlanConflict]:
    """Every conflicting pair of plans of different parties, sorted by (plan_a, plan_b)."""
    caps = {(p.plan_id, i): cap(v.outline) for p in plans for i, v in enumerate(p.volumes)}
    out = []
    for p, q, pairs in candidate_pairs(plans, sep, caps):
        hit = plan_conflict(plans[p], plans[q], sep, pairs, caps)
        if hit is not None:
            out.append(hit)
    return sorted(out, key=lambda c: (c.plan_a, c.plan_b))
