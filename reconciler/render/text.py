"""The Terraform-style text plan, and apply results, for a terminal or a CI log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import groupby

from rich.text import Text

from reconciler.apply.report import Outcome, Report, Result
from reconciler.escaping import printable
from reconciler.mapping import unmanaging_line
from reconciler.plan.model import Change, Plan, Status, Summary, plan_unit
from reconciler.render import blocks
from reconciler.render.blocks import HEAD

FORCE = " (apply refuses the plan unless given --force)"
"""Said beside every safety limit a plan breaks: what lets it through, when it is meant."""
STYLE = {"+": "green", "~": "yellow", "-": "red", "&": "cyan", "!": "magenta"}


def plan_text(plan: Plan, source: str = "desired-state/") -> Text:
    """The whole plan: one block per changed resource, then the summary line."""
    out = Text()
    for line in _warnings(plan):
        out.append(line + "\n", style="yellow")
    for _, block in groupby(plan.changes, key=lambda c: (c.kind, c.name)):
        out.append_text(_block(list(block)))
    for violation in plan.violations:
        out.append(f"Unsafe: {printable(violation)}{FORCE}\n", style="bold red")
    out.append_text(summary_line(plan, source))
    return out


def _warnings(plan: Plan) -> Iterator[str]:
    for change in plan.policy_change:
        yield f"Policy change: {printable(change)}"
    for warning in plan.warnings:
        yield f"Warning: {printable(warning)}"


def _block(changes: list[Change]) -> Text:
    text = Text()
    text.append(f"  {blocks.head(changes, printable)}\n", style=STYLE[blocks.symbol(changes)])
    for change in changes:
        for sign, line in blocks.details(change, printable):
            text.append(f"      {sign} {line}\n", style="yellow" if sign == blocks.NOTE else "")
    return text


def summary_line(plan: Plan, source: str = "desired-state/") -> Text:
    counts = plan.summary()
    if not plan.changes:
        return Text(f"No changes. Live state matches {source}.\n", style="green")
    text = Text("Plan: ", style="bold")
    text.append(_counts(counts, plan))
    return text


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``, ``0 memberships``."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def _counts(s: Summary, plan: Plan) -> str:
    line = (
        f"{s.create} to create, {s.update} to update, {s.deactivate} to deactivate, "
        f"{s.delete} to delete; {plural(s.memberships, 'membership change')}."
    )
    extra = [f"{s.conflicts} in conflict"] if s.conflicts else []
    for status in (Status.SKIPPED, Status.REFUSED):
        if held := [c for c in plan.changes if c.status is status]:
            extra.append(f"{status.value}: {in_plan_units(held)}")
    return line + (f" ({'; '.join(extra)})" if extra else "") + "\n"


def in_plan_units(changes: Iterable[Change]) -> str:
    """Rows counted as the plan's summary counts them: ``1 to delete, 3 membership
    changes`` (a row of three members is three membership changes)."""
    counts: Counter[str] = Counter()
    for change in changes:
        unit, size = plan_unit(change)
        counts[unit] += size
    return _units(counts)


def _units(counts: Mapping[str, int]) -> str:
    words = [
        f"{counts[a]} to {a}" for a in ("create", "update", "deactivate", "delete") if counts[a]
    ]
    if counts["memberships"]:
        words.append(plural(counts["memberships"], "membership change"))
    return ", ".join(words) or "nothing"


def outcome_line(outcome: Outcome) -> Text:
    """One line per applied change."""
    style = {Result.OK: "green", Result.FAILED: "red", Result.SKIPPED: "yellow"}[outcome.result]
    change = outcome.change
    text = Text(f"  {outcome.result.value:<7}", style=style)
    text.append(f" {HEAD[change.action]} {change.kind} {printable(change.name)}")
    if outcome.message:
        text.append(f": {printable(outcome.message)}")
    if outcome.unkept:
        paths = ", ".join(u.path for u in outcome.unkept)
        text.append(f" (the server did not keep {paths})", style="yellow")
    return text


NAMED = 5
"""Resources named in a note about an attribute the server did not keep; then a count."""


def unkept_notes(report: Report) -> list[str]:
    """One note per attribute the server did not keep, naming the users and what to do."""
    notes = []
    for dropped, names in report.unkept().items():
        shown = ", ".join(printable(n) for n in names[:NAMED])
        more = f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
        head = f"The server did not keep {dropped.path} for {shown}{more}: "
        if dropped.default:
            notes.append(
                head + "the desired state fills it in (the YAML does not write it), so plans "
                "no longer ask for it where the server has none."
            )
        else:
            notes.append(
                head + "every plan will show this update again. To stop managing "
                f"{dropped.path} on target {printable(report.target)!r}, add "
                f"{unmanaging_line(dropped.path, report.target)}."
            )
    return notes


def report_summary(report: Report) -> Text:
    """One line: the changes (plan rows) done, failed and skipped, and what it took
    (requests, and the retries among them); then what was done in the plan's units."""
    counts = report.counts()
    style = "red" if report.failed else "green"
    head = f"Apply stopped ({report.stopped})" if report.stopped else "Apply"
    line = (
        f"{head}: {counts['ok']} done, {counts['failed']} failed, {counts['skipped']} skipped "
        f"in {report.seconds:.1f}s ({plural(report.requests, 'request')}, {_retries(report)})."
    )
    if report.stopped:
        line += f" {plural(report.not_attempted, 'change')} not attempted."
    a = report.applied()
    units = (
        f" Applied, as the plan counts: {a['create']} created, {a['update']} updated, "
        f"{a['deactivate']} deactivated, {a['delete']} deleted; "
        f"{plural(a['memberships'], 'membership change')}"
    )
    if report.refused:
        units += f"; refused: {_units(report.refused_units())}"
    return Text(line + units + ".", style=style)


def _retries(report: Report) -> str:
    if not report.retries:
        return "no retries"
    throttled = f", {report.throttled} after 429 Too Many Requests" if report.throttled else ""
    return f"{plural(report.retries, 'retry', 'retries')}{throttled}"
