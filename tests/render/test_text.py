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


def _renamed() -> Plan:
    from reconciler.plan.model import Action, Kind, Member

    ada = (Member("ada@x.com", "ada@x.com", "u-1"),)
    keep = "set `externalId: platform` on the new entry"
    return Plan.build(
        "aws",
        [
            Change(
                Kind.GROUP,
                Action.DELETE,
                "platform",
                "platform",
                id="g-1",
                members=ada,
                notes=(f"looks like a rename to 'platform-eng': {keep}", "assignments go"),
            ),
            Change(
                Kind.GROUP,
                Action.CREATE,
                "platform-eng",
                "platform-eng",
                notes=(f"looks like a rename of 'platform': {keep}",),
            ),
            Change(Kind.GROUP, Action.ADD_MEMBERS, "platform-eng", "platform-eng", members=ada),
        ],
    )


def test_notes_are_shown_under_the_head_of_their_row() -> None:
    lines = plan_text(_renamed()).plain.splitlines()
    head = lines.index("  - delete group platform")
    assert lines[head + 1 : head + 4] == [
        "      # looks like a rename to 'platform-eng': set `externalId: platform` on the new "
        "entry",
        "      # assignments go",
        "      - member ada@x.com (loses access)",
    ]
    head = lines.index("  + create group platform-eng")
    assert lines[head + 1 : head + 3] == [
        "      # looks like a rename of 'platform': set `externalId: platform` on the new entry",
        "      + member ada@x.com",
    ]


def test_notes_from_a_saved_plan_are_shown_escaped(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    plan = _renamed()
    hostile = replace(plan.changes[0], notes=(f"n {HOSTILE}",))
    saved = tmp_path / "plan.json"
    write_plan(replace(plan, changes=(hostile, *plan.changes[1:])), saved)
    shown = cli("show", saved)
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "\u202e" not in shown.out
    assert "# n clear\\u001b[2J" in shown.out
