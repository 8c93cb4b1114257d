"""Hysteresis on synthetic raw levels: what a duty officer would see step by step."""

from __future__ import annotations

import numpy as np
import pytest

from deconflict.alerting.alerter import Hysteresis, almost_equal, almost_less
from deconflict.alerting.config import load_config


def reported(raw: list[int], times: list[float] | None = None) -> list[int]:
    """The reported levels of one pair fed these raw levels (1 s apart by default)."""
    memory = Hysteresis(1, load_config("do365b"))
    times = times if times is not None else [float(t) for t in range(len(raw))]
    active = np.array([True])
    out = []
    for t, level in zip(times, raw, strict=True):
        now = np.array([t])
        memory.begin(now, active)
        out.append(int(memory.end(now, active, np.array([level]))[0]))
    return out


def test_a_single_step_blip_raises_nothing() -> None:
    assert reported([0, 0, 0, 3, 0, 0, 0]) == [0] * 7


def test_two_of_four_raise_the_level() -> None:
    assert reported([0, 0, 3, 0, 3, 0, 0, 0, 0, 0]) == [0, 0, 0, 0, 3, 3, 3, 3, 0, 0]


def test_a_raised_level_is_held_for_four_seconds() -> None:
    # raised at t=2 (second raw 2); the raw level drops at once, the report holds 4 s
    got = reported([0, 2, 2, 0, 0, 0, 0, 0, 0])
    assert got[2] == 2
    assert got[2:6] == [2, 2, 2, 2]  # t - t_raise < 4 s
    assert got[6] == 0


def test_the_first_sample_is_reported_at_once() -> None:
    assert reported([3, 3, 3])[0] == 3


def test_a_gap_longer_than_the_hysteresis_time_forgets() -> None:
    # a warning, then 6 s without data: the history restarts from the new raw level
    assert reported([3, 3, 0], [0.0, 1.0, 7.0]) == [3, 3, 0]
    # exactly 5 s keeps the history, and persistence (raised at t=0) has ended
    assert reported([3, 3, 0, 0], [0.0, 1.0, 6.0, 7.0])[2] == 3


def test_time_going_back_forgets() -> None:
    assert reported([3, 0], [10.0, 9.0]) == [3, 0]


def test_almost_comparisons() -> None:
    a = np.array([25.0, 25.0, 24.9, 1.0])
    b = np.array([25.0, np.nextafter(25.0, 26.0), 25.0, np.inf])
    assert almost_equal(a, b).tolist() == [True, True, False, False]
    assert almost_less(a, b).tolist() == [False, False, True, True]
    assert almost_less(np.array([np.inf]), np.array([np.inf])).tolist() == [False]


@pytest.mark.parametrize("pairs", [1, 50])
def test_pairs_are_independent(pairs: int) -> None:
    memory = Hysteresis(pairs, load_config("do365b"))
    active = np.ones(pairs, dtype=np.bool_)
    raw = np.arange(pairs) % 4
    for t in range(3):
        now = np.full(pairs, float(t))
        memory.begin(now, active)
        got = memory.end(now, active, raw)
    assert got.tolist() == raw.tolist()
