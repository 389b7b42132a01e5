"""Apply progress: a bar on a terminal, periodic plain lines in CI logs, a line per result."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reconciler.apply.report import Outcome
from reconciler.cli.output import out
from reconciler.render.text import outcome_line

PLAIN_EVERY = 10.0
"""Seconds between plain progress lines when not on a terminal."""


@contextmanager
def progress(total: int) -> Iterator[Callable[[Outcome], None]]:
    """A callback that shows each outcome and advances the progress display."""
    if out.is_terminal and total:
        with _bar(total) as show:
            yield show
    else:
        yield _plain(total)


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
            bar.console.print(outcome_line(outcome))
            bar.advance(task)

        yield show


def _plain(total: int) -> Callable[[Outcome], None]:
    state = {"done": 0, "last": time.monotonic()}

    def show(outcome: Outcome) -> None:
        out.print(outcome_line(outcome))
        state["done"] += 1
        now = time.monotonic()
        if now - state["last"] >= PLAIN_EVERY and state["done"] < total:
            state["last"] = now
            share = 100 * state["done"] // max(total, 1)
            out.print(f"progress: {state['done']}/{total} changes ({share}%)")

    return show
