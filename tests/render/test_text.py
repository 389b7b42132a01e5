"""The text rendering escapes what a saved plan file (untrusted) or a server put in a
plan's warnings and violations, as it does names and values."""

from __future__ import annotations

from pathlib import Path

from reconciler.plan.model import Change, Plan
from reconciler.plan.saved import write_plan
from reconciler.render.text import plan_text

HOSTILE = "clear\x1b[2J\x1b]0;owned\x07 then \u202ereversed"


def _plan() -> Plan:
    return Plan.build(
        "sandbox", list[Change](), warnings=(f"w {HOSTILE}",), violations=(f"v {HOSTILE}",)
    )


def test_warnings_and_violations_are_shown_escaped() -> None:
    shown = plan_text(_plan()).plain
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "Warning: w clear\\u001b[2J" in shown
    assert "Unsafe: v clear\\u001b[2J" in shown
    assert "\\u202ereversed" in shown


def test_show_escapes_a_saved_plans_warnings(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    saved = tmp_path / "plan.json"
    write_plan(_plan(), saved)
    shown = cli("show", saved)
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "\u202e" not in shown.out
    assert "Warning: w clear\\u001b[2J" in shown.out
