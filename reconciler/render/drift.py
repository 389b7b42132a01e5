"""Drift reports as text (terminal, CI log) and Markdown (issue body, step summary)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text

from reconciler.drift import Drift, DriftClass, DriftItem

MARKER = "<!-- scim-reconciler:drift -->"
STYLE = {
    DriftClass.CHANGED: "yellow",
    DriftClass.MISSING: "red",
    DriftClass.PENDING: "cyan",
    DriftClass.UNMANAGED: "magenta",
}
TITLE = {
    DriftClass.CHANGED: "Changed out of band",
    DriftClass.MISSING: "Missing on the server",
    DriftClass.PENDING: "Pending (in the desired state, not applied)",
    DriftClass.UNMANAGED: "Unmanaged (no ownership marker)",
}


def drift_text(drift: Drift) -> Text:
    out = Text()
    for cls in DriftClass:
        items = [i for i in drift.items if i.drift is cls]
        if not items:
            continue
        out.append(f"{TITLE[cls]} ({len(items)}):\n", style=f"bold {STYLE[cls]}")
        for item in items:
            out.append(f"  {item.kind} {item.name}: {item.detail}\n")
    out.append(summary(drift) + "\n", style="bold")
    return out


def summary(drift: Drift) -> str:
    counts = drift.counts()
    parts = ", ".join(f"{counts[c.value]} {c.value}" for c in DriftClass)
    base = f" against {drift.baseline}" if drift.baseline else ""
    return f"Drift on target {drift.target}{base}: {parts}."


def drift_markdown(drift: Drift) -> str:
    lines = [MARKER, f"### scim-reconciler drift on `{drift.target}`", "", f"**{summary(drift)}**"]
    for cls in DriftClass:
        items = [i for i in drift.items if i.drift is cls]
        if items:
            lines += ["", f"<details><summary>{TITLE[cls]} ({len(items)})</summary>", ""]
            lines += list(_rows(items))
            lines += ["", "</details>"]
    return "\n".join(lines)


def _rows(items: list[DriftItem]) -> Iterator[str]:
    yield "| kind | name | detail |"
    yield "|---|---|---|"
    for item in items:
        yield f"| {item.kind} | {_cell(item.name)} | {_cell(item.detail)} |"


def _cell(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    escaped = escaped.replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())
