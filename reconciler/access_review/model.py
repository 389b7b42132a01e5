"""The access review as plain data: what the renderers show, built once by ``gather``.

Every string here may come from outside (a server's names, a git author, a pull
request's title): it is kept as read, and escaped only where it leaves the program
(``reconciler.render.access_review``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.identity import same


class Flag(StrEnum):
    """What a reviewer should look at in one membership."""

    OUT_OF_BAND = "out-of-band"
    """On the server, not in git: added by hand, or by another tool."""
    SELF_APPROVED = "self-approved"
    """An approver of the pull request also asked for it or committed to it."""
    NO_PULL_REQUEST = "no-pull-request"
    """The granting commit came from no pull request (pushed straight to the branch)."""
    NOT_APPROVED = "not-approved"
    """The pull request has no approving review of its final commit."""
    UNCOMMITTED = "uncommitted"
    """The membership is in the working tree, not in any commit."""
    PAST_UNTIL = "past-until"
    """Temporary access past its end and still on the server (the expiry is overdue)."""


FLAG_TEXT = {
    Flag.OUT_OF_BAND: "out of band: on the server, not in git",
    Flag.SELF_APPROVED: "approved by its own requester or committer",
    Flag.NO_PULL_REQUEST: "granted by a commit that came from no pull request",
    Flag.NOT_APPROVED: "its pull request has no approval of its final commit",
    Flag.UNCOMMITTED: "not committed: only in the working tree",
    Flag.PAST_UNTIL: "past its until and still on the server",
}


@dataclass(frozen=True)
class Commit:
    """A commit as git tells it: who wrote it, and when it was committed (UTC)."""

    sha: str
    author: str
    email: str
    date: str
    """The committer date, ISO 8601 in UTC (``2026-01-02T10:00:00Z``)."""
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "author": self.author,
            "email": self.email,
            "date": self.date,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Approval:
    login: str
    at: str
    """When the approving review was submitted, as GitHub says (ISO 8601), or empty."""

    def to_dict(self) -> dict[str, Any]:
        return {"login": self.login, "at": self.at}


@dataclass(frozen=True)
class PullRequest:
    """The pull request a granting commit came from: who asked, why, who approved."""

    number: int
    url: str
    title: str
    author: str
    merged_at: str
    approvals: tuple[Approval, ...] = ()
    """The standing approvals of its final commit (``reconciler.github.reviews``)."""
    committers: tuple[str, ...] = ()
    """The logins that wrote or committed its commits."""

    @property
    def self_approvers(self) -> tuple[str, ...]:
        """The approvers who also asked for it or committed to it (logins compare as
        GitHub compares them: case aside)."""
        people = (self.author, *self.committers)
        return tuple(a.login for a in self.approvals if any(same(a.login, p) for p in people))

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "url": self.url,
            "title": self.title,
            "author": self.author,
            "merged_at": self.merged_at,
            "approvals": [a.to_dict() for a in self.approvals],
            "committers": list(self.committers),
            "self_approved_by": list(self.self_approvers),
        }


@dataclass(frozen=True)
class Grant:
    """Where a membership is written in git, and the commit that added it there."""

    file: str
    line: int
    commit: Commit | None
    """The last commit that added the member to the group's entry; None: uncommitted."""
    changed: Commit | None = None
    """The last commit that changed the member's line without adding it (its ``until``,
    its spelling, its indentation), when that is another commit."""
    pull: PullRequest | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "commit": self.commit.to_dict() if self.commit else None,
            "line_changed_by": self.changed.to_dict() if self.changed else None,
            "pull_request": self.pull.to_dict() if self.pull else None,
        }


@dataclass(frozen=True)
class Membership:
    """One member of one group: on the server, in git, or both."""

    user: str
    """The userName the server shows (or, not on the server, the desired one)."""
    live: bool
    grant: Grant | None
    """Where git grants it; None: not in git (out of band)."""
    until: str | None = None
    flags: tuple[Flag, ...] = ()
    reason: str = ""
    """Why a membership of git is not on the server (the review lists those apart)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "on_server": self.live,
            "in_git": self.grant is not None,
            "until": self.until,
            "flags": [f.value for f in self.flags],
            "not_on_server_because": self.reason or None,
            "grant": self.grant.to_dict() if self.grant else None,
        }


@dataclass(frozen=True)
class GroupReview:
    name: str
    privileged: bool
    in_git: bool
    on_server: bool
    members: tuple[Membership, ...]
    """The members on the server, by name."""
    pending: tuple[Membership, ...] = ()
    """The members of git that the server does not list, by name."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.name,
            "privileged": self.privileged,
            "in_git": self.in_git,
            "on_server": self.on_server,
            "members": [m.to_dict() for m in self.members],
            "in_git_not_on_server": [m.to_dict() for m in self.pending],
        }


@dataclass(frozen=True)
class Review:
    """The whole access review of one target, as of one commit and one moment."""

    target: str
    url: str
    commit: str
    directory: str
    made_at: str
    github: str
    """Where the pull requests came from (``owner/name``), or empty: git alone."""
    groups: tuple[GroupReview, ...]
    notes: tuple[str, ...] = ()
    """What the reader must know about the sources (git alone, uncommitted edits, a
    listing the server may have cut short)."""

    def flagged(self) -> dict[Flag, int]:
        """How many memberships carry each flag (flags with none left out)."""
        counts = {flag: 0 for flag in Flag}
        for group in self.groups:
            for member in (*group.members, *group.pending):
                for flag in member.flags:
                    counts[flag] += 1
        return {flag: n for flag, n in counts.items() if n}

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "url": self.url,
            "commit": self.commit,
            "directory": self.directory,
            "made_at": self.made_at,
            "github": self.github or None,
            "notes": list(self.notes),
            "flagged": {flag.value: n for flag, n in self.flagged().items()},
            "groups": [g.to_dict() for g in self.groups],
        }
