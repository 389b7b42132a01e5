"""Apply progress off a terminal (a CI log): lines on a timer and at 25/50/75 %."""

from __future__ import annotations

import time

import pytest

from reconciler.apply.report import Outcome, Result
from reconciler.cli import progress
from reconciler.plan.model import Action, Change, Kind

CHANGE = Change(Kind.USER, Action.CREATE, "ada@example.com", "ada@example.com")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("progress:")]


def test_a_slow_apply_prints_progress_with_no_result_coming(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY", 0.01)
    seen: list[str] = []
    with progress.progress(4):  # no outcome arrives: every request is being retried
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = _lines(capsys)
    assert seen and seen[0].startswith("progress: 0 of 4 changes (0%) after ")


def test_progress_lines_at_each_quarter(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY", 3600.0)  # the timer never fires here
    with progress.progress(8) as show:
        for _ in range(8):
            show(Outcome(CHANGE, Result.OK, "created"))
    shown = [line.split(" after ")[0] for line in _lines(capsys)]
    assert shown == [
        "progress: 2 of 8 changes (25%)",
        "progress: 4 of 8 changes (50%)",
        "progress: 6 of 8 changes (75%)",
    ]


def test_the_bar_on_a_terminal_advances_with_each_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19 item 12: the bar stayed at 0/20 while twelve creates printed `ok`."""
    import io
    import re

    from rich.console import Console

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(progress, "out", terminal)
    with progress.progress(20) as show:
        for _ in range(12):
            show(Outcome(CHANGE, Result.OK, "created"))
    text = screen.getvalue()
    counts = []
    for part in text.split("create user ada@example.com")[1:]:  # what follows each result line
        shown = re.search(r"(\d+)/20", part)
        counts.append(int(shown.group(1)) if shown else None)
    assert counts == list(range(1, 13))
