"""Plan volumes: building outlines and the bounds every volume is held to."""

from __future__ import annotations

import numpy as np

from deconflict.plans.validate import volume_problem
from deconflict.plans.volume import MAX_DURATION_S, Volume4D, polygon
from plan_factory import T0, square


def test_rings_lose_every_closing_copy_and_repeated_vertices() -> None:
    ring = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0), (0.0, 0.0)]
    (got,) = polygon(ring).rings
    assert np.array_equal(got, np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]))


def test_a_window_longer_than_the_limit_is_refused_with_a_way_out() -> None:
    base = square(45.0, 5.0, 0.1)
    ok = Volume4D(base.outline, 0.0, 1_000.0, T0, T0 + MAX_DURATION_S)
    assert volume_problem(ok) is None
    # a window of millennia would register millions of time buckets: refused
    long = Volume4D(base.outline, 0.0, 1_000.0, T0, T0 + MAX_DURATION_S + 1.0)
    assert (
        volume_problem(long)
        == "time window lasts 31.0 days, more than 31: split it into several volumes"
    )
