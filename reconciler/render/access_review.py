"""Access reviews as text, Markdown, CSV and JSON, each sealed with a digest of itself.

Names come from the server and from git, titles and logins from GitHub: none is written
raw. Text goes through ``printable``; Markdown through the plan comment's escapers
(``code`` for names and logins, ``prose`` for titles and people's names, so an ``@`` in
them notifies no one); CSV through ``printable`` and a guard against formula injection (a
cell a spreadsheet would evaluate, one starting with ``=``, ``+``, ``-`` or ``@``, starts
with an apostrophe).

The seal: text, Markdown and CSV end with one line, ``digest: sha256:HEX (…)``, the
SHA-256 of every byte above it (``head -n -1 review.md | sha256sum``). JSON carries
``"digest"``: the SHA-256 of the rest of the object written with sorted keys, no spaces,
UTF-8 (``json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).
The token of the run is redacted before the seal, so the digest is of what is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from reconciler.access_review.model import (
    FLAG_TEXT,
    Commit,
    Flag,
    GroupReview,
    Membership,
    PullRequest,
    Review,
)
from reconciler.escaping import printable
from reconciler.render.markdown import code, literal, prose, table
from reconciler.scim.redaction import redacted

FORMATS = ("text", "markdown", "csv", "json")
SHORT = 12
"""Characters of a commit's SHA shown where a reader looks (the whole one is in JSON/CSV)."""
LINK = re.compile(r"^https://[^\s()<>\[\]\"'`]+$")
FORMULA = ("=", "+", "-", "@")


def rendered(review: Review, fmt: str) -> str:
    """``review`` in ``fmt`` (one of ``FORMATS``), redacted and sealed."""
    if fmt == "json":
        return review_json(review)
    sealed: dict[str, Callable[[Review], str]] = {
        "text": review_text,
        "markdown": review_markdown,
        "csv": review_csv,
    }
    body = redacted(sealed[fmt](review))
    return body + seal(body)


def seal(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return f"digest: sha256:{digest} (the SHA-256 of every line above this one)\n"


def review_json(review: Review) -> str:
    data = json.loads(redacted(json.dumps(review.to_dict(), ensure_ascii=False)))
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["digest"] = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- what every rendering says -------------------------------------------------------------


def _source(review: Review) -> str:
    if review.github:
        return f"read from GitHub ({review.github})"
    return "not read: git alone"


def _flagged(review: Review) -> str:
    counts = review.flagged()
    return ", ".join(f"{n} {flag.value}" for flag, n in counts.items()) or "nothing"


def _counts(group: GroupReview) -> str:
    parts = [f"{len(group.members)} on the server"]
    if group.pending:
        parts.append(f"{len(group.pending)} in git only")
    if not group.in_git:
        parts.append("the group is not in git")
    if not group.on_server:
        parts.append("the group is not on the server")
    return ", ".join(parts)


def _approvals(pull: PullRequest) -> str:
    if not pull.approvals:
        return "no approval of its final commit"
    return ", ".join(f"{a.login} ({a.at or 'time unknown'})" for a in pull.approvals)


# --- text --------------------------------------------------------------------------------------


def review_text(review: Review) -> str:
    p = printable
    lines = [
        f"Access review of target {p(review.target)} ({p(review.url)})",
        f"  made {review.made_at} from {p(review.directory)} at commit {review.commit}",
        f"  pull requests: {p(_source(review))}",
        *(f"  note: {p(note)}" for note in review.notes),
        f"  flagged: {_flagged(review)}",
    ]
    for group in review.groups:
        privileged = " (privileged)" if group.privileged else ""
        lines += ["", f"{p(group.name)}{privileged}: {_counts(group)}"]
        for member in group.members:
            lines += _member_text(member, "  ")
        if group.pending:
            lines.append("  in git, not on the server:")
            for member in group.pending:
                lines += _member_text(member, "    ")
    return "\n".join(lines) + "\n\n"


def _member_text(member: Membership, indent: str) -> list[str]:
    p = printable
    until = f" (until {p(member.until)})" if member.until else ""
    lines = [f"{p(member.user)}{until}"]
    if member.reason:
        lines.append(f"  not on the server: {p(member.reason)}")
    grant = member.grant
    if grant is not None:
        place = f"{p(grant.file)}:{grant.line}"
        if grant.commit is None:
            lines.append(f"  written at {place}, not committed")
        else:
            lines.append(f"  granted by {_commit_text(grant.commit)} ({place})")
        if grant.changed is not None:
            lines.append(f"  line last changed by {_commit_text(grant.changed)}")
        if grant.pull is not None:
            lines.append(f"  {_pull_text(grant.pull)}")
    lines += [f"  ! {_flag_text(flag, member)}" for flag in member.flags]
    return [indent + line for line in lines]


def _commit_text(commit: Commit) -> str:
    p = printable
    who = f"{p(commit.author)} <{p(commit.email)}>"
    return f"{commit.sha[:SHORT]} on {commit.date} by {who}: {_quoted(commit.summary)}"


def _quoted(text: str) -> str:
    return printable(json.dumps(text, ensure_ascii=False))


def _pull_text(pull: PullRequest) -> str:
    p = printable
    title = _quoted(pull.title)
    merged = f", merged {pull.merged_at}" if pull.merged_at else ""
    return (
        f"pull request #{pull.number} {title}, asked by {p(pull.author) or '(unknown)'}"
        f"{merged}; approved by {p(_approvals(pull))}"
    )


def _flag_text(flag: Flag, member: Membership) -> str:
    text = FLAG_TEXT[flag]
    pull = member.grant.pull if member.grant is not None else None
    if flag is Flag.SELF_APPROVED and pull is not None:
        text += ": " + ", ".join(pull.self_approvers)
    return printable(text)


# --- Markdown --------------------------------------------------------------------------------

COLUMNS = ("member", "until", "granted by", "date", "author", "pull request", "asked by")
COLUMNS_END = ("approved by", "flags")


def review_markdown(review: Review) -> str:
    about = [
        ["server", code(review.url)],
        ["made at", literal(review.made_at)],
        ["commit", f"{code(review.commit)} of {code(review.directory)}"],
        ["pull requests", literal(_source(review))],
        ["flagged", literal(_flagged(review))],
    ]
    lines = [f"## Access review of {code(review.target)}", "", *table(["", ""], about)]
    if review.notes:
        lines += ["", *(f"> **Note:** {prose(note, 2_000)}  " for note in review.notes)]
    for group in review.groups:
        lines += ["", *_group_markdown(group)]
    return "\n".join(lines) + "\n\n"  # the seal is a line of its own, in no table


def _group_markdown(group: GroupReview) -> list[str]:
    privileged = " (privileged)" if group.privileged else ""
    lines = [f"### {literal(group.name)}{privileged}", "", f"{literal(_counts(group))}."]
    if group.members:
        rows = [_member_row(m) for m in group.members]
        lines += ["", *table([*COLUMNS, *COLUMNS_END], rows)]
    if group.pending:
        rows = [[*_member_row(m), literal(m.reason)] for m in group.pending]
        lines += ["", "**In git, not on the server**", ""]
        lines += table([*COLUMNS, *COLUMNS_END, "why not on the server"], rows)
    return lines


def _member_row(member: Membership) -> list[str]:
    grant = member.grant
    commit = grant.commit if grant is not None else None
    pull = grant.pull if grant is not None else None
    if grant is None:
        granted = "not in git"
    elif commit is None:
        granted = f"not committed ({code(f'{grant.file}:{grant.line}')})"
    else:
        granted = f"{code(commit.sha[:SHORT])} ({code(f'{grant.file}:{grant.line}')})"
    return [
        code(member.user),
        literal(member.until or ""),
        granted,
        literal(commit.date) if commit else "",
        prose(commit.author) if commit else "",
        _pull_markdown(pull) if pull else "",
        code(pull.author) if pull and pull.author else "",
        _approvals_markdown(pull) if pull else "",
        "<br>".join(f"⚠️ {literal(_flag_text(f, member))}" for f in member.flags),
    ]


def _pull_markdown(pull: PullRequest) -> str:
    number = f"#{pull.number}"
    shown = f"[{number}]({pull.url})" if LINK.match(pull.url) else number
    return f"{shown} {prose(pull.title)}"


def _approvals_markdown(pull: PullRequest) -> str:
    if not pull.approvals:
        return "none of its final commit"
    return "<br>".join(f"{code(a.login)} {literal(a.at)}" for a in pull.approvals)


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "group",
    "privileged",
    "member",
    "on_server",
    "in_git",
    "until",
    "flags",
    "not_on_server_because",
    "file",
    "line",
    "commit",
    "commit_date",
    "author",
    "author_email",
    "summary",
    "line_changed_by",
    "pull_request",
    "pull_request_title",
    "asked_by",
    "merged_at",
    "approved_by",
    "committers",
)


def review_csv(review: Review) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in review.groups:
        for member in (*group.members, *group.pending):
            writer.writerow([cell(v) for v in _csv_row(group, member)])
    writer.writerow([])
    for key, value in _about(review):
        writer.writerow([cell(key), cell(value)])
    return buffer.getvalue()


def cell(value: Any) -> str:
    """A CSV cell: escaped, and never a formula a spreadsheet would evaluate."""
    text = printable("" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA) else text


def _csv_row(group: GroupReview, member: Membership) -> list[Any]:
    grant = member.grant
    commit = grant.commit if grant else None
    pull = grant.pull if grant else None
    return [
        group.name,
        _yes(group.privileged),
        member.user,
        _yes(member.live),
        _yes(grant is not None),
        member.until,
        " ".join(f.value for f in member.flags),
        member.reason,
        grant.file if grant else "",
        grant.line if grant else "",
        *_commit_cells(commit),
        grant.changed.sha if grant and grant.changed else "",
        pull.number if pull else "",
        pull.title if pull else "",
        pull.author if pull else "",
        pull.merged_at if pull else "",
        " ".join(f"{a.login} {a.at}".strip() for a in pull.approvals) if pull else "",
        " ".join(pull.committers) if pull else "",
    ]


def _commit_cells(commit: Commit | None) -> list[str]:
    if commit is None:
        return ["", "", "", "", ""]
    return [commit.sha, commit.date, commit.author, commit.email, commit.summary]


def _about(review: Review) -> Iterator[tuple[str, str]]:
    yield "access review of target", review.target
    yield "server", review.url
    yield "made at", review.made_at
    yield "commit", review.commit
    yield "directory", review.directory
    yield "pull requests", _source(review)
    for note in review.notes:
        yield "note", note


def _yes(value: bool) -> str:
    return "yes" if value else "no"
