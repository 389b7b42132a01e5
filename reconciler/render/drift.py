"""Drift reports as text (terminal, CI log) and Markdown (issue body, step summary).

Every name, member and value comes from the server or from files, so none is written
raw: text goes through ``printable``, Markdown through the plan comment's escapers
(``code``, ``prose``). The Markdown is at most ``LIMIT`` characters (under an issue
body's 65,536 and a step summary's 1 MiB): past it whole rows are left out and counted,
every ``<details>`` is closed, and a note points at the full JSON report.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.text import Text

from reconciler.drift import AttrDrift, Drift, DriftClass, DriftItem
from reconciler.escaping import printable
from reconciler.render.blocks import SHOWN
from reconciler.render.markdown import LIMIT, Budget, code, details, literal, size, table
from reconciler.render.values import show

MARKER = "<!-- scim-reconciler:drift -->"
STYLE = {
    DriftClass.CHANGED: "yellow",
    DriftClass.MISSING: "red",
    DriftClass.PENDING: "cyan",
    DriftClass.REFUSED: "red",
    DriftClass.UNMANAGED: "magenta",
    DriftClass.OVERDUE: "red",
}
TITLE = {
    DriftClass.CHANGED: "Changed out of band",
    DriftClass.MISSING: "Missing on the server",
    DriftClass.PENDING: "Pending (in the desired state, not applied)",
    DriftClass.REFUSED: "Refused (in the desired state, held back by a rule at the last apply)",
    DriftClass.UNMANAGED: "Unmanaged (no ownership marker)",
    DriftClass.OVERDUE: "Overdue (temporary access past its end, not yet removed)",
}
REPORT_NOTE = (
    "the full report is the JSON report (`scimctl drift --report drift.json`), uploaded as "
    "an artifact of this workflow run"
)


def drift_text(drift: Drift) -> Text:
    out = Text()
    for cls in DriftClass:
        items = [i for i in drift.items if i.drift is cls]
        if not items:
            continue
        out.append(f"{TITLE[cls]} ({len(items)}):\n", style=f"bold {STYLE[cls]}")
        for item in items:
            out.append(f"  {item.kind} {printable(item.name)}: {printable(item.describe())}\n")
            for attr in item.attributes:
                out.append(f"      {_attr_text(attr)}\n")
    out.append(printable(summary(drift)) + "\n", style="bold")
    return out


def _attr_text(attr: AttrDrift) -> str:
    return printable(f"{attr.path}: git {show(attr.git)}, server {show(attr.server)}")


def summary(drift: Drift) -> str:
    counts = drift.counts()
    parts = ", ".join(f"{counts[c.value]} {c.value}" for c in DriftClass)
    base = f" against {drift.baseline}" if drift.baseline else ""
    return f"Drift on target {drift.target}{base}: {parts}."


def drift_markdown(drift: Drift, *, limit: int = LIMIT) -> str:
    """The report for an issue body or a step summary, at most ``limit`` characters."""
    head = [
        MARKER,
        f"### scim-reconciler drift on {code(drift.target)}",
        "",
        f"**{literal(summary(drift), 2_000)}**",
    ]
    budget = Budget(limit - size(head) - 1_000)
    lines = list(head)
    for cls in DriftClass:
        items = [i for i in drift.items if i.drift is cls]
        if items:
            lines += ["", *_section(cls, items, budget)]
    return "\n".join(lines)


def _section(cls: DriftClass, items: Sequence[DriftItem], budget: Budget) -> list[str]:
    rows, dropped = budget.take([_row(item)] for item in items)
    body = table(["kind", "name", "detail"], []) + rows if rows else []
    if dropped:
        body += ["", f"**{dropped} of {len(items)} not shown** (too long): {REPORT_NOTE}."]
    return details(f"{TITLE[cls]} ({len(items)})", body)


def _row(item: DriftItem) -> str:
    cell = "<br>".join(_detail(item))
    return f"| {item.kind} | {code(item.name)} | {cell} |"


def _detail(item: DriftItem) -> Iterator[str]:
    head = literal(item.detail)
    if item.members:
        shown = ", ".join(code(name) for name in item.members[:SHOWN])
        more = len(item.members) - SHOWN
        head += f": {shown}" + (f" and {more} more" if more > 0 else "")
    yield head
    for attr in item.attributes:
        yield f"{code(attr.path)}: git {code(show(attr.git))}, server {code(show(attr.server))}"
