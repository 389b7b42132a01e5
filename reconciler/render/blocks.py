"""One plan block (a changed resource) as plain lines, shared by the text and Markdown plans."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from reconciler.plan.model import MEMBERSHIP, Action, Change, Kind, Member, Status
from reconciler.render.values import show
from reconciler.temporary import end_text

Escape = Callable[[str], str]

HEAD = {
    Action.CREATE: "create",
    Action.ADOPT: "adopt",
    Action.UPDATE: "update",
    Action.ADD_MEMBERS: "update",
    Action.REMOVE_MEMBERS: "update",
    Action.EXPIRE_MEMBERS: "update",
    Action.DEACTIVATE: "deactivate",
    Action.DELETE: "delete",
    Action.CONFLICT: "conflict",
}
BLOCK = {*MEMBERSHIP, Action.UPDATE}
"""Rows that together make one ``~ update`` block of a group."""
NOTE = "#"
"""The sign of a note's line (``Change.notes``): a comment, in a diff as in YAML."""
SHOWN = 50
"""Most members of a deleted group named in a plan; the rest are counted."""


def _same(text: str) -> str:
    return text


def symbol(changes: list[Change]) -> str:
    """The block's sign: its first action's, or ``~`` for an update with memberships."""
    actions = {c.action for c in changes}
    return "~" if len(changes) > 1 and actions <= BLOCK else changes[0].action.symbol


def head(changes: list[Change], escape: Escape = _same) -> str:
    """``~ update group finance`` and any status notes of the block's rows."""
    first = changes[0]
    line = f"{symbol(changes)} {HEAD[first.action]} {first.kind} {escape(first.name)}"
    return line + _status(changes, escape)


def _status(changes: Iterable[Change], escape: Escape) -> str:
    notes = {_note(c, escape) for c in changes if c.status is not Status.PLANNED or c.reason}
    return "".join(f"  ({note})" for note in sorted(notes))


def _note(change: Change, escape: Escape) -> str:
    """``refused: why``; a planned row with a reason (an approved privileged one): the reason."""
    reason = escape(change.reason or "")
    return reason if change.status is Status.PLANNED else f"{change.status.value}: {reason}"


def details(change: Change, escape: Escape = _same) -> Iterator[tuple[str, str]]:
    """(sign, line) for each attribute, the marker written, each note (``NOTE``) and
    each member."""
    for attr in change.attributes:
        path = escape(attr.path)
        if change.action is Action.CREATE:
            yield "+", f"{path}: {escape(show(attr.after))}"
        else:
            yield "~", f"{path}: {escape(show(attr.before))} → {escape(show(attr.after))}"
    if change.action is Action.ADOPT:
        yield "&", taken_over(change, escape)
    if change.action in (Action.CREATE, Action.ADOPT) and change.external_id:
        yield "+", f"externalId: {escape(show(change.external_id))} (ownership marker)"
    for note in change.notes:
        yield NOTE, escape(note)
    if change.action is Action.DELETE:
        yield from _losing_access(change, escape)
        return
    sign = "+" if change.action is Action.ADD_MEMBERS else "-"
    for member in change.members:
        yield sign, f"member {escape(member.user_name)}{_end(change, member, escape)}"


def _end(change: Change, member: Member, escape: Escape) -> str:
    """`` (until 2027-01-31)`` beside a temporary member, `` (expired …)`` beside an
    expired one."""
    if member.until is None:
        return ""
    word = "expired" if change.action is Action.EXPIRE_MEMBERS else "until"
    return f" ({word} {escape(shown_end(member.until))})"


def shown_end(until: str) -> str:
    """An end as the plan shows it (an unreadable one, from a plan file: as written)."""
    try:
        return end_text(until)
    except ValueError:
        return until


def taken_over(change: Change, escape: Escape = _same) -> str:
    """The live resource an adopt takes over, by its own name and id (never only the
    desired name: adopting by a name that merely resembles it would hand it over)."""
    before = change.before or {}
    name = before.get("userName" if change.kind is Kind.USER else "displayName")
    marker = before.get("externalId")
    held = f"externalId {show(marker)}" if marker else "no externalId"
    return escape(f"takes over the live {change.kind} {show(name)} (id {show(change.id)}, {held})")


def _losing_access(change: Change, escape: Escape) -> Iterator[tuple[str, str]]:
    """The members of a deleted group, who lose the access it gives: the first ``SHOWN``."""
    for member in change.members[:SHOWN]:
        yield "-", f"member {escape(member.user_name)} (loses access)"
    if len(change.members) > SHOWN:
        yield "-", f"… and {len(change.members) - SHOWN} more members lose access"
