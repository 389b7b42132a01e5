"""Apply progress: a bar on a terminal, periodic plain lines in CI logs, a line per result."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reconciler.apply.report import Outcome
from reconciler.cli.output import out
from reconciler.render.text import outcome_line

PLAIN_EVERY = 10.0
"""Seconds between plain progress lines when not on a terminal, results or not."""

MARKS = (25, 50, 75)
"""Percentages at which a plain progress line is printed as well."""


@contextmanager
def progress(total: int) -> Iterator[Callable[[Outcome], None]]:
    """A callback that shows each outcome and advances the progress display."""
    if out.is_terminal and total:
        with _bar(total) as show:
            yield show
    else:
        with _plain(total) as show:
            yield show


@contextmanager
def _bar(total: int) -> Iterator[Callable[[Outcome], None]]:
    columns = (
        TextColumn("applying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task("apply", total=total)

        def show(outcome: Outcome) -> None:
            # Count first, then render: printing a line redraws the bar as last rendered,
            # which (rendered 10 times a second) lags behind fast results.
            bar.advance(task)
            bar.refresh()
            bar.console.print(outcome_line(outcome))

        yield show


class _Plain:
    """Progress for CI logs: a line at each of ``MARKS`` and every ``PLAIN_EVERY``
    seconds, from a timer, so a slow apply (retries, throttling) still shows life."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.marks = [m for m in MARKS if total]

    def show(self, outcome: Outcome) -> None:
        out.print(outcome_line(outcome))
        with self.lock:
            self.done += 1
            share = 100 * self.done // max(self.total, 1)
            passed = [m for m in self.marks if share >= m]
            self.marks = [m for m in self.marks if share < m]
        if passed and self.done < self.total:
            self.line()

    def line(self) -> None:
        with self.lock:
            done, total = self.done, self.total
        share = 100 * done // max(total, 1)
        seconds = time.monotonic() - self.started
        out.print(f"progress: {done} of {total} changes ({share}%) after {seconds:.0f}s")

    def tick(self) -> None:
        while not self.stop.wait(PLAIN_EVERY):
            self.line()


@contextmanager
def _plain(total: int) -> Iterator[Callable[[Outcome], None]]:
    plain = _Plain(total)
    ticker = threading.Thread(target=plain.tick, name="progress", daemon=True)
    if total:
        ticker.start()
    try:
        yield plain.show
    finally:
        plain.stop.set()
        if total:
            ticker.join()
