"""The Terraform-style text plan, and apply results, for a terminal or a CI log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby

from rich.text import Text

from reconciler.apply.report import Outcome, Report, Result
from reconciler.plan.model import Action, Change, Plan, Status, Summary
from reconciler.render.values import show

STYLE = {"+": "green", "~": "yellow", "-": "red", "&": "cyan", "!": "magenta"}
HEAD = {
    Action.CREATE: "create",
    Action.ADOPT: "adopt",
    Action.UPDATE: "update",
    Action.ADD_MEMBERS: "update",
    Action.REMOVE_MEMBERS: "update",
    Action.DEACTIVATE: "deactivate",
    Action.DELETE: "delete",
    Action.CONFLICT: "conflict",
}


def plan_text(plan: Plan, source: str = "desired-state/") -> Text:
    """The whole plan: one block per changed resource, then the summary line."""
    out = Text()
    for line in _warnings(plan):
        out.append(line + "\n", style="yellow")
    for _, block in groupby(plan.changes, key=lambda c: (c.kind, c.name)):
        out.append_text(_block(list(block)))
    for violation in plan.violations:
        out.append(f"Unsafe: {violation}\n", style="bold red")
    out.append_text(summary_line(plan, source))
    return out


def _warnings(plan: Plan) -> Iterator[str]:
    for warning in plan.warnings:
        yield f"Warning: {warning}"


def _block(changes: list[Change]) -> Text:
    first = changes[0]
    symbol = first.action.symbol
    if len(changes) > 1 and {c.action for c in changes} <= {
        Action.ADD_MEMBERS,
        Action.REMOVE_MEMBERS,
        Action.UPDATE,
    }:
        symbol = "~"
    text = Text()
    text.append(f"  {symbol} {HEAD[first.action]} {first.kind} {first.name}", style=STYLE[symbol])
    text.append(_status(changes) + "\n")
    for change in changes:
        for line in _detail(change):
            text.append(f"      {line}\n")
    return text


def _status(changes: Iterable[Change]) -> str:
    notes = {f"{c.status.value}: {c.reason}" for c in changes if c.status is not Status.PLANNED}
    return "".join(f"  ({note})" for note in sorted(notes))


def _detail(change: Change) -> Iterator[str]:
    for attr in change.attributes:
        if change.action is Action.CREATE:
            yield f"{attr.path}: {show(attr.after)}"
        else:
            yield f"{attr.path}: {show(attr.before)} → {show(attr.after)}"
    if change.action in (Action.CREATE, Action.ADOPT) and change.external_id:
        yield f"externalId: {show(change.external_id)} (ownership marker)"
    sign = "+" if change.action is Action.ADD_MEMBERS else "-"
    for member in change.members:
        yield f"{sign} member {member.user_name}"


def summary_line(plan: Plan, source: str = "desired-state/") -> Text:
    counts = plan.summary()
    if not plan.changes:
        return Text(f"No changes. Live state matches {source}.\n", style="green")
    text = Text("Plan: ", style="bold")
    text.append(_counts(counts))
    return text


def _counts(s: Summary) -> str:
    line = (
        f"{s.create} to create, {s.update} to update, {s.deactivate} to deactivate, "
        f"{s.delete} to delete; {s.memberships} membership changes."
    )
    extra = [
        f"{n} {label}"
        for n, label in (
            (s.conflicts, "in conflict"),
            (s.skipped, "skipped"),
            (s.refused, "refused"),
        )
        if n
    ]
    return line + (f" ({', '.join(extra)})" if extra else "") + "\n"


def outcome_line(outcome: Outcome) -> Text:
    """One line per applied change."""
    style = {Result.OK: "green", Result.FAILED: "red", Result.SKIPPED: "yellow"}[outcome.result]
    change = outcome.change
    text = Text(f"  {outcome.result.value:<7}", style=style)
    text.append(f" {HEAD[change.action]} {change.kind} {change.name}")
    if outcome.message:
        text.append(f": {outcome.message}")
    return text


def report_summary(report: Report) -> Text:
    counts = report.counts()
    style = "red" if report.failed else "green"
    return Text(
        f"Apply: {counts['ok']} done, {counts['failed']} failed, {counts['skipped']} skipped "
        f"in {report.seconds:.1f}s ({report.requests} requests).",
        style=style,
    )
