"""What the last apply of a target left undone, kept for drift to tell it apart.

A committed change that apply refused (a privileged group's member without an approval,
a protected user, a stale row of a saved plan, an operation switched off), or that it
could not make (it failed, it was not attempted, it was left in conflict), is still a
difference between git and the server the next day. Without this record drift could
only call it "changed out of band"; with it, drift says "refused" or "pending" and why.

After every whole apply (not ``--only``, ``--expired-only`` or ``--heal``, which leave
the rest of the plan alone) the rows it did not make are written, per target URL, to
``undone-<digest>.json`` beside the last-seen records (``$SCIMCTL_CACHE_DIR``; in CI the
templates keep that directory in the Actions cache, shared by apply and drift). A whole
apply that makes every change writes an empty record: nothing is left undone. The
record only narrows how drift names a difference: a row it does not name exactly (the
same resource, action and member or attribute) is classified as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.apply.report import Report, Result
from reconciler.identity import fold
from reconciler.lastseen import cache_dir, target_digest
from reconciler.plan.model import Change, Member, Plan, Status

REFUSED = "refused"
"""A safety rule or the policy held the row back."""
NOT_APPLIED = "not applied"
"""The row was planned but not made: it failed, was not attempted, or is in conflict."""


@dataclass(frozen=True)
class Held:
    """One row the last apply did not make."""

    address: str
    action: str
    status: str
    reason: str
    members: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "action": self.action,
            "status": self.status,
            "reason": self.reason,
            "members": sorted(self.members),
            "attributes": sorted(self.attributes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Held:
        return cls(
            str(data["address"]),
            str(data["action"]),
            str(data["status"]),
            str(data.get("reason") or ""),
            frozenset(str(m) for m in data.get("members", ())),
            frozenset(str(a) for a in data.get("attributes", ())),
        )


@dataclass(frozen=True)
class Undone:
    """The rows the last whole apply of a target did not make, and when it ran."""

    at: str
    held: tuple[Held, ...]

    def find(self, change: Change) -> Held | None:
        """The row held for ``change``'s resource and action, if any."""
        address = fold(change.address)
        for held in self.held:
            if fold(held.address) == address and held.action == change.action.value:
                return held
        return None


def member_id(member: Member) -> str:
    """How a member is named in the record (and matched by drift)."""
    return fold(member.key or member.id or member.user_name)


def held_rows(plan: Plan, report: Report | None = None) -> list[Held]:
    """The rows of ``plan`` that were not made: held back by a rule, or, per ``report``,
    failed or not attempted (none ran when there is no report)."""
    held = [c for c in plan.changes if c.status is not Status.PLANNED]
    rows = [_held(c, _status(c), c.reason or "") for c in held]
    if report is not None:
        failed = [o for o in report.outcomes if o.result is not Result.OK]
        rows += [_held(o.change, NOT_APPLIED, o.message) for o in failed]
        return rows
    why = "; ".join(plan.violations) or "other rows of the plan were refused"
    whole = f"the apply refused the whole plan ({why})"
    return rows + [_held(c, REFUSED, whole) for c in plan.executable]


def _status(change: Change) -> str:
    return NOT_APPLIED if change.status is Status.CONFLICT else REFUSED


def _held(change: Change, status: str, reason: str) -> Held:
    return Held(
        change.address,
        change.action.value,
        status,
        reason,
        frozenset(member_id(m) for m in change.members),
        frozenset(a.path for a in change.attributes),
    )


def remember_undone(url: str, rows: Iterable[Held], env: Mapping[str, str] | None = None) -> None:
    """Write the record of ``url``'s last whole apply (best effort, as the last-seen
    record: a directory that cannot be written must not fail an apply that ran)."""
    path = _path(url, os.environ if env is None else env)
    if path is None:
        return
    record = {
        "url": url,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "held": [row.to_dict() for row in rows],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as file:
            file.write(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    except OSError:
        pass


def undone(url: str, env: Mapping[str, str] | None = None) -> Undone | None:
    """The record of ``url``'s last whole apply; None without one (or one unreadable)."""
    path = _path(url, os.environ if env is None else env)
    try:
        data = json.loads(path.read_text()) if path is not None else None
        if not isinstance(data, dict):
            return None
        return Undone(str(data.get("at", "")), tuple(Held.from_dict(h) for h in data["held"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _path(url: str, env: Mapping[str, str]) -> Path | None:
    directory = cache_dir(env)
    return None if directory is None else directory / f"undone-{target_digest(url)}.json"
