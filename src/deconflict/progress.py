"""Progress bars for long work on the command line."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


@contextmanager
def progress_bar(
    what: str, unit: str, delay_s: float = 1.0, console: Console | None = None
) -> Iterator[Callable[[float, float], None]]:
    """A callback ``advance(done, total)`` that shows a bar (``done/total unit``) only once
    the work has taken ``delay_s``, and only on a terminal: rich draws nothing into a pipe
    or a log. The bar goes when the work ends."""
    started = time.perf_counter()
    bar: Progress | None = None
    task: TaskID | None = None

    def advance(done: float, total: float) -> None:
        nonlocal bar, task
        if bar is None:
            if time.perf_counter() - started < delay_s or done >= total:
                return
            bar = Progress(
                TextColumn(what),
                BarColumn(),
                TextColumn(f"{{task.completed:.0f}}/{{task.total:.0f}} {unit}"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=True,
            )
            bar.start()
            task = bar.add_task(what, total=total)
        assert task is not None
        bar.update(task, completed=done)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.stop()
