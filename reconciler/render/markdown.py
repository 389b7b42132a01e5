"""Plans and apply reports as GitHub-flavoured Markdown: a pull-request comment, a step summary.

Made for review: a hidden marker (so a workflow finds and updates its one sticky comment),
the counts first, then what needs a reviewer's attention (deletions, deactivations,
refusals, conflicts, unsafe limits), then the detail, collapsed, one ``<details>`` block per
resource kind. The output never exceeds ``LIMIT`` characters (GitHub refuses comments over
65,536): past it the *detail* is cut, with a note that points at the full JSON plan; the
counts are never cut, and the attention list only when it alone is enormous.

Every name and value comes from YAML or from the server, so none is written raw: inline
ones go through ``code()`` and the detail lives in a fenced block no name can close.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import quote

from reconciler.apply.report import Outcome, Report, Result
from reconciler.escaping import printable
from reconciler.plan.model import Action, Change, Kind, Plan, Status, plan_unit
from reconciler.plan.safety import PRIVILEGED, identity_change
from reconciler.render import blocks
from reconciler.render.blocks import HEAD, SHOWN
from reconciler.render.text import report_summary, summary_line, unkept_notes
from reconciler.render.values import show
from reconciler.scim.redaction import clipped

MARKER = "<!-- scim-reconciler:plan -->"
"""The start of every plan comment's marker; ``marker(target)`` is the one to search for."""

LIMIT = 60_000
"""Most characters a rendering may have: under GitHub's 65,536, with room for a footer."""

ATTENTION_LIMIT = 20_000
"""Most characters of the attention list, so that some detail always fits."""

CELL_LIMIT = 300
"""Most characters of one name or reason in a table cell."""

NOTE_LIMIT = 2_000
"""Most characters of one warning or unsafe-limit note."""

ARTIFACT_NOTE = (
    "the full plan is the JSON plan (`scimctl plan --out plan.json`), uploaded as an "
    "artifact of this workflow run"
)


def marker(target: str, what: str = "plan") -> str:
    """The hidden marker of ``target``'s comment: one sticky comment per target and kind."""
    safe = quote(target, safe="")
    while "--" in safe:  # an HTML comment must not hold "--"; .github/action/run.sh agrees
        safe = safe.replace("--", "-%2D")
    return f"<!-- scim-reconciler:{what} target={safe} -->"


# --- escaping -------------------------------------------------------------------------------

_MARKUP = re.compile(r"[&<>|\\`*_\[\]~$]")
"""What could start Markdown or HTML syntax, or split a table cell, anywhere in a line."""


visible = printable
"""``text`` on one line: unprintable characters become escapes a reader can see."""


def clip(text: str, limit: int = CELL_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the token of the run redacted before the cut
    (a cut through it would leave a piece that no later pass can tell from a name)."""
    return clipped(text, limit)


def literal(text: str, limit: int = CELL_LIMIT) -> str:
    """``text`` as Markdown/HTML that renders exactly as written, table cells included.

    Markup characters become numeric character references, so no ``|`` splits a table
    cell, no ``<`` opens a tag, and no ``*``, ``[``, ``$`` or backtick starts Markdown syntax.
    """
    return _MARKUP.sub(lambda m: f"&#{ord(m[0])};", clip(visible(text), limit))


def prose(text: str, limit: int = CELL_LIMIT) -> str:
    """``literal`` text outside code: an ``@name`` in it must not notify anyone on GitHub."""
    return literal(text, limit).replace("@", "@\u2060")


def code(text: str) -> str:
    """``text`` in a ``<code>`` element, safe anywhere: tables, lists, HTML blocks."""
    return f"<code>{literal(text)}</code>" if text else "<code>(empty)</code>"


def fence(body: str) -> str:
    """A code fence longer than any run of backticks in ``body``, so nothing can close it."""
    longest = max((len(run) for run in re.findall("`{3,}", body)), default=2)
    return "`" * (longest + 1)


def fenced(body: Sequence[str], language: str = "diff") -> list[str]:
    text = "\n".join(body)
    mark = fence(text)
    return [f"{mark}{language}", text, mark]


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: bool = False) -> list[str]:
    """A GFM table; cells must already be escaped. Blank lines around it are the caller's.

    With ``numeric``, every column but the first is right-aligned.
    """
    aligns = ["---", *(["--:" if numeric else "---"] * (len(header) - 1))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def details(summary: str, body: Sequence[str], *, open_: bool = False) -> list[str]:
    """A collapsed block: blank lines inside, so the Markdown in it renders on GitHub."""
    tag = "<details open>" if open_ else "<details>"
    return [f"{tag}<summary>{summary}</summary>", "", *body, "", "</details>"]


# --- budget ---------------------------------------------------------------------------------


@dataclass
class Budget:
    """Characters left; ``take`` keeps whole pieces while they fit and counts the rest."""

    left: int

    def take(self, pieces: Iterable[list[str]]) -> tuple[list[str], int]:
        kept: list[str] = []
        dropped = 0
        for piece in pieces:
            size = sum(len(line) + 1 for line in piece)
            if dropped or size > self.left:
                dropped += 1
                continue
            kept += piece
            self.left -= size
        return kept, dropped


def size(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


# --- the plan -------------------------------------------------------------------------------

KINDS = {Kind.USER: "Users", Kind.GROUP: "Groups"}
COLUMNS = ("create", "update", "deactivate", "delete", "members +", "members −")
"""Always shown; the columns of changes that will not run only when there are some."""
HELD = ("conflicts", "skipped", "refused")


def plan_markdown(plan: Plan, source: str = "desired-state/", *, limit: int = LIMIT) -> str:
    """The plan for a pull-request comment or a step summary, at most ``limit`` characters."""
    head = _plan_head(plan, source)
    if not (plan.changes or plan.warnings or plan.violations or plan.policy_change):
        return "\n".join(head)
    attention = _attention(plan, min(ATTENTION_LIMIT, limit // 3), limit * 3 // 4)
    budget = Budget(limit - size(head) - size(attention) - 400)
    return "\n".join([*head, *attention, *_plan_detail(plan, budget)])


def _plan_head(plan: Plan, source: str) -> list[str]:
    lines = [marker(plan.target), f"### scim-reconciler plan for {code(plan.target)}", ""]
    if not plan.changes:
        lines.append(f"**No changes.** Live state matches {code(source)}.")
    else:
        lines.append(f"**{literal(summary_line(plan, source).plain.strip())}**")
        lines += ["", *_verdict(plan), "", *_counts_table(plan)]
    return lines + _unmanaged(plan)


def _verdict(plan: Plan) -> list[str]:
    if plan.violations:
        return [
            "⛔ **Unsafe: apply will refuse this plan** (exit 3) unless given `--force`: see below."
        ]
    if not plan.safe:
        return ["⛔ **Some changes are refused by a safety rule** (exit 3): see below."]
    return ["Apply would make exactly these changes; nothing else on the server is touched."]


def _counts_table(plan: Plan) -> list[str]:
    counts = {kind: _kind_counts(plan, kind) for kind in Kind}
    columns = [*COLUMNS, *(c for c in HELD if any(counts[k][c] for k in Kind))]
    rows = [[f"**{KINDS[k]}**", *(str(counts[k][c]) for c in columns)] for k in Kind]
    return table(["", *columns], rows, numeric=True)


def _kind_counts(plan: Plan, kind: Kind) -> dict[str, int]:
    counts = dict.fromkeys((*COLUMNS, *HELD), 0)
    for change in plan.changes:
        if change.kind is kind:
            column, amount = _column(change)
            counts[column] += amount
    return counts


def _column(change: Change) -> tuple[str, int]:
    if change.status is Status.CONFLICT or change.action is Action.CONFLICT:
        return "conflicts", 1
    if change.status in (Status.SKIPPED, Status.REFUSED):
        return change.status.value, plan_unit(change)[1]  # the plan's units: one per member
    if change.action is Action.ADD_MEMBERS:
        return "members +", len(change.members)
    if change.action in (Action.REMOVE_MEMBERS, Action.EXPIRE_MEMBERS):
        return "members −", len(change.members)
    return ("update" if change.action is Action.ADOPT else change.action.value), 1


def _unmanaged(plan: Plan) -> list[str]:
    """How many live resources lack our marker, and which of them this plan touches."""
    counts = [_count(n, kind.removesuffix("s")) for kind, n in sorted(plan.unmanaged.items()) if n]
    touched = _touched_unmanaged(plan)
    if not counts and not touched:
        return []
    held = prose(", ".join(counts) or "none counted")
    if not touched:
        return ["", f"Unmanaged on the server, never touched: {held}."]
    return [
        "",
        f"Unmanaged on the server: {held}. **This plan touches some of them:** "
        f"{'; '.join(touched)}. The others are never touched.",
    ]


def _touched_unmanaged(plan: Plan) -> list[str]:
    """What a planned change does to resources without our marker (adopt, prune, members)."""
    planned = [c for c in plan.changes if c.status is Status.PLANNED]
    adopted = sum(1 for c in planned if c.action is Action.ADOPT)
    pruned = sum(1 for c in planned if c.key is None and c.action in REMOVALS)
    removed = {
        m.id or m.user_name
        for c in planned
        if c.action is Action.REMOVE_MEMBERS
        for m in c.members
        if not m.key
    }
    return [
        text
        for n, text in (
            (adopted, f"{_count(adopted, 'resource')} adopted (the ownership marker written)"),
            (pruned, f"{pruned} removed by `prune_unmanaged` (deactivated or deleted)"),
            (
                len(removed),
                f"{_count(len(removed), 'unmanaged user')} removed from managed groups "
                "(the memberships only)",
            ),
        )
        if n
    ]


REMOVALS = (Action.DEACTIVATE, Action.DELETE)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


# --- needs attention ------------------------------------------------------------------------

UNCUT = ("privileged", "refused", "identity")
"""Rows never cut for the attention budget: who gains or loses a privileged group's
access, and what a protected resource was refused (a rename that would carry it out of
its policy), are what a reviewer decides."""
ATTENTION_ORDER = (
    "conflict",
    "privileged",
    "refused",
    "identity",
    "delete",
    "deactivate",
    "skipped",
)


def attention_kind(change: Change) -> str | None:
    """Why a change needs a reviewer's eye, or None when it does not."""
    if change.status is Status.CONFLICT or change.action is Action.CONFLICT:
        return "conflict"
    if (change.reason or "").startswith(PRIVILEGED):
        return "privileged"
    if change.status is Status.REFUSED:
        return "refused"
    if change.status is Status.SKIPPED:
        return "skipped"
    if change.action is Action.ADOPT or identity_change(change):
        return "identity"  # who an account is: a rename hands its access to a new name
    if change.action in (Action.DELETE, Action.DEACTIVATE):
        return change.action.value
    return None


def _attention(plan: Plan, limit: int, privileged_limit: int) -> list[str]:
    """Notes and rows that need a reviewer, within ``limit``; privileged rows whatever it is.

    Who gains or loses a privileged group's access is what a reviewer approves, so those
    rows (and refused ones, ``UNCUT``) are never cut for the attention budget: only past
    ``privileged_limit`` (most of what a comment can hold) are their names counted
    instead of listed.
    """
    notes = [
        *_notes("Policy change", plan.policy_change),
        *_notes("Unsafe", plan.violations),
        *_notes("Warning", plan.warnings),
    ]
    rows = sorted(  # within a kind, rows with notes first (an AWS group's assignments)
        ((kind, change) for change in plan.changes if (kind := attention_kind(change))),
        key=lambda pair: (ATTENTION_ORDER.index(pair[0]), not pair[1].notes),
    )
    if not notes and not rows:
        return ["", "Nothing needs special attention: no deletions, deactivations or refusals."]
    privileged, unlisted = _privileged_rows(
        [(k, c) for k, c in rows if k in UNCUT], privileged_limit
    )
    budget = Budget(limit - size(privileged))
    kept_notes, dropped_notes = budget.take([note] for note in notes)
    others = [[_attention_row(k, c)] for k, c in rows if k not in UNCUT]
    kept_rows, dropped_rows = budget.take(others)
    first = min(len(kept_rows), sum(1 for k, _ in rows if k == "conflict"))
    kept_rows[first:first] = privileged  # in ATTENTION_ORDER: conflicts, privileged, refused
    lines = ["", f"#### Needs attention ({len(notes) + len(rows)})"]
    if kept_notes:
        lines += ["", *kept_notes]
    if kept_rows:
        lines += ["", *table(["", "change", "resource", "detail"], []), *kept_rows]
    dropped = dropped_notes + dropped_rows + unlisted
    if dropped:
        lines += ["", f"_…and {dropped} more not shown here: {ARTIFACT_NOTE}._"]
    return lines


def _privileged_rows(pairs: list[tuple[str, Change]], limit: int) -> tuple[list[str], int]:
    """Every privileged (and refused) row with every name; past ``limit``, the first
    ``SHOWN`` names of each and a count; past it even so, the rows that fit and how many
    did not."""
    rows = [_attention_row(k, c) for k, c in pairs]
    if size(rows) <= limit:
        return rows, 0
    capped = [[_attention_row(k, c, names=SHOWN)] for k, c in pairs]
    return Budget(limit).take(capped)


WARNINGS_SHOWN = 20
"""A report's warnings shown at most (each is capped at ``NOTE_LIMIT``)."""


def _notes(label: str, texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        yield f"- **{label}:** {prose(text, NOTE_LIMIT)}"


LABELS = {
    "conflict": "❗ **conflict**",
    "privileged": "🔒 **privileged**",
    "refused": "⛔ **refused**",
    "identity": "🪪 **identity**",
    "delete": "🗑️ **delete**",
    "deactivate": "⏸️ **deactivate**",
    "skipped": "⏭️ **skipped**",
}


def _attention_row(kind: str, change: Change, names: int | None = None) -> str:
    resource = f"{change.kind} {code(change.name)}"
    shown = SHOWN if kind not in UNCUT else names
    return f"| {LABELS[kind]} | {HEAD[change.action]} | {resource} | {_why(change, shown)} |"


def _why(change: Change, names: int | None = SHOWN) -> str:
    """The reason, the notes, and who: every member named, or the first ``names`` and a
    count."""
    parts = [prose(change.reason, NOTE_LIMIT)] if change.reason else []
    parts += [prose(note, NOTE_LIMIT) for note in change.notes]
    if change.members:
        parts.append(_who(change, names))
    if change.action in (Action.DELETE, Action.DEACTIVATE) and change.key is None:
        parts.append("unmanaged: pruned by policy")
    elif change.action is Action.DELETE:
        parts.append("not in the desired state")
    elif change.action is Action.DEACTIVATE:
        parts += [prose(f"{a.path}: {show(a.before)} → {show(a.after)}") for a in change.attributes]
    if renamed := identity_change(change):
        parts.append(prose(renamed, NOTE_LIMIT))
    if change.action is Action.ADOPT:
        parts.append(prose(blocks.taken_over(change), NOTE_LIMIT))
    return "; ".join(dict.fromkeys(parts)) or "—"


def _who(change: Change, names: int | None) -> str:
    """``+2 members: <code>a</code>, <code>b</code>``: who gains or loses access."""
    count = _count(len(change.members), "member")
    if change.action is Action.DELETE:
        head = f"{count} lose{'s' * (len(change.members) == 1)} access"
    else:
        head = ("+" if change.action is Action.ADD_MEMBERS else "−") + count
    shown = change.members if names is None else change.members[:names]
    listed = ", ".join(code(m.user_name) for m in shown)
    more = len(change.members) - len(shown)
    tail = f" and {more} more (all in the JSON plan)" if more else ""
    return f"{head}: {listed}{tail}"


# --- detail ---------------------------------------------------------------------------------


def _plan_detail(plan: Plan, budget: Budget) -> list[str]:
    """One block per kind, users first; groups take the budget first (who joins what)."""
    detail: dict[Kind, list[str]] = {}
    for kind in (Kind.GROUP, Kind.USER):
        changes = [c for c in plan.changes if c.kind is kind]
        if changes:
            detail[kind] = ["", *_kind_detail(kind, changes, budget)]
    return [line for kind in Kind for line in detail.get(kind, [])]


def _kind_detail(kind: Kind, changes: list[Change], budget: Budget) -> list[str]:
    blocks = [_block(list(group)) for _, group in groupby(changes, key=lambda c: c.name)]
    kept, dropped = budget.take(blocks)
    body = fenced(kept) if kept else []
    if dropped:
        body += [
            "",
            f"**{dropped} of {len(blocks)} {kind}s not shown** (too long for a "
            f"comment): {ARTIFACT_NOTE}.",
        ]
    return details(f"<b>{KINDS[kind]}</b>: {_count(len(blocks), kind)} with changes", body)


def _block(changes: list[Change]) -> list[str]:
    lines = [blocks.head(changes, visible)]
    for change in changes:
        lines += [f"{sign}     {line}" for sign, line in blocks.details(change, visible)]
    return lines


# --- the apply report -----------------------------------------------------------------------

RESULT_LABELS = {Result.OK: "✅ done", Result.FAILED: "❌ failed", Result.SKIPPED: "⏭️ skipped"}


def report_markdown(report: Report, *, limit: int = LIMIT, warnings: Sequence[str] = ()) -> str:
    """What an apply did, per change, for a step summary or an issue (at most ``limit``);
    ``warnings``: the plan's (heal names there what it left pending)."""
    notes = list(_notes("Warning", warnings[:WARNINGS_SHOWN]))
    head = _report_head(report) + ([*notes, ""] if notes else [])
    problems = [o for o in report.outcomes if o.result is not Result.OK]
    attention = _report_attention(problems, min(ATTENTION_LIMIT, limit // 3))
    budget = Budget(limit - size(head) - size(attention) - 400)
    rows, dropped = budget.take([_outcome_row(o)] for o in report.outcomes)
    body = table(["result", "change", "resource", "message"], []) + rows if rows else []
    if dropped:
        body += [
            "",
            f"**{dropped} of {len(report.outcomes)} rows not shown**: the full "
            "report is the JSON report (`scimctl apply --report report.json`).",
        ]
    tail = ["", *details(f"All {len(report.outcomes)} changes", body)] if report.outcomes else []
    return "\n".join([*head, *attention, *tail])


def _report_head(report: Report) -> list[str]:
    counts = report.counts()
    return [
        marker(report.target, "apply"),
        f"### scim-reconciler apply to {code(report.target)}",
        "",
        f"**{literal(report_summary(report).plain.strip())}**",
        "",
        *table(
            ["done", "failed", "skipped", "requests", "seconds"],
            [
                [
                    str(counts["ok"]),
                    str(counts["failed"]),
                    str(counts["skipped"]),
                    str(report.requests),
                    f"{report.seconds:.1f}",
                ]
            ],
            numeric=True,
        ),
        *(line for note in unkept_notes(report) for line in ("", f"⚠️ {prose(note)}")),
    ]


def _report_attention(problems: Sequence[Outcome], limit: int) -> list[str]:
    if not problems:
        return []
    rows, dropped = Budget(limit).take([_outcome_row(o)] for o in problems)
    lines = ["", f"#### Needs attention ({len(problems)})", ""]
    lines += [*table(["result", "change", "resource", "message"], []), *rows]
    if dropped:
        lines += ["", f"_…and {dropped} more not shown here: see the JSON report._"]
    return lines


def _outcome_row(outcome: Outcome) -> str:
    change = outcome.change
    message = prose(outcome.message) if outcome.message else "—"
    resource = f"{change.kind} {code(change.name)}"
    return f"| {RESULT_LABELS[outcome.result]} | {HEAD[change.action]} | {resource} | {message} |"
