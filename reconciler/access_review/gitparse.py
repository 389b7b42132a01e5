"""Reading git's output: ``git blame --porcelain`` and ``-U0`` patches, as plain data.

Everything git prints about people (names, emails, summaries) is untrusted text, kept
as it is here and escaped where it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.access_review.model import Commit
from reconciler.identity import same

SHA = re.compile(r"[0-9a-f]{40}")
HEADER = re.compile(r"^([0-9a-f]{40}) (\d+) (\d+)(?: \d+)?$")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SCALAR = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^']|'')*)'|([^\s\[\]{},\"']+)")
COMMENT = re.compile(r"(?:^|\s)#.*$")


@dataclass
class Blamed:
    """One ``git blame --porcelain``: each line's commit and its line in that commit,
    and each commit's details, path, and parent (where blame went on, when it did)."""

    lines: dict[int, tuple[str, int]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    previous: dict[str, tuple[str, str]] = field(default_factory=dict)
    """sha → (the parent blame went on to, the file's path there); none: the file
    begins in that commit."""
    paths: dict[str, str] = field(default_factory=dict)
    """sha → the file's path in that commit."""


@dataclass(frozen=True)
class Hunk:
    """One ``-U0`` hunk: the lines it writes in the commit, and the lines it removes."""

    start: int
    count: int
    removed: tuple[tuple[int, str], ...]
    """(line in the parent, text) of each removed line."""

    def writes(self, line: int) -> bool:
        return self.start <= line < self.start + self.count


def parse_blame(text: str) -> Blamed:
    blamed = Blamed()
    sha = ""
    details: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("\t"):
            if sha not in blamed.commits:
                blamed.commits[sha] = _commit(sha, details)
            continue
        header = HEADER.match(line)
        if header:
            sha = header[1]
            blamed.lines[int(header[3])] = (sha, int(header[2]))
            details = {}
            continue
        key, _, value = line.partition(" ")
        if key == "previous":
            parent, _, path = value.partition(" ")
            blamed.previous[sha] = (parent, path)
        elif key == "filename":
            blamed.paths[sha] = value
        else:
            details[key] = value
    return blamed


def _commit(sha: str, details: dict[str, str]) -> Commit:
    try:
        moment = datetime.fromtimestamp(int(details.get("committer-time", "0")), UTC)
    except (ValueError, OverflowError, OSError):
        moment = datetime.fromtimestamp(0, UTC)
    return Commit(
        sha=sha,
        author=details.get("author", ""),
        email=details.get("author-mail", "").removeprefix("<").removesuffix(">"),
        date=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        summary=details.get("summary", ""),
    )


def per_commit(text: str) -> Iterator[tuple[str, list[str]]]:
    """(commit, its lines) of ``git diff-tree --stdin`` output (a commit's line first)."""
    sha, body = "", list[str]()
    for line in text.splitlines():
        if SHA.fullmatch(line):
            if sha:
                yield sha, body
            sha, body = line, []
        else:
            body.append(line)
    if sha:
        yield sha, body


def patches(body: list[str]) -> Iterator[tuple[str, str, list[Hunk]]]:
    """(path before, path after, hunks) of each file's patch (``/dev/null``: none; a
    name git had to quote is left as quoted, and matches no path)."""
    old, new, lines = "", "", list[str]()
    started = False
    for line in body:
        if line.startswith("diff --git "):
            if started:
                yield old, new, list(_hunks(lines))
            old, new, lines, started = "", "", [], True
        elif not lines and line.startswith("--- "):
            old = line[4:].removeprefix("a/")
        elif not lines and line.startswith("+++ "):
            new = line[4:].removeprefix("b/")
        elif line.startswith("@@") or lines:
            lines.append(line)
    if started:
        yield old, new, list(_hunks(lines))


def _hunks(patch: list[str]) -> Iterator[Hunk]:
    hunk: Hunk | None = None
    at = 0
    removed: list[tuple[int, str]] = []
    for line in patch:
        match = HUNK.match(line)
        if match:
            if hunk is not None:
                yield Hunk(hunk.start, hunk.count, tuple(removed))
            count = 1 if match[4] is None else int(match[4])
            hunk, at, removed = Hunk(int(match[3]), count, ()), int(match[1]), []
        elif line.startswith("-"):
            removed.append((at, line[1:]))
            at += 1
    if hunk is not None:
        yield Hunk(hunk.start, hunk.count, tuple(removed))


def names_member(line: str, member: str) -> bool:
    """Whether a line of YAML names ``member`` as one of its scalars (``- bob@…``,
    ``{user: bob@…, until: …}``, ``members: [alice@…, bob@…]``, quoted or not)."""
    text = COMMENT.sub("", line)
    for match in SCALAR.finditer(text):
        value = next(group for group in match.groups() if group is not None)
        if same(value, member):
            return True
    return False


def naming(removed: tuple[tuple[int, str], ...], member: str) -> list[int]:
    """The lines (in the parent) of the removed lines that name ``member``."""
    return [line for line, text in removed if names_member(text, member)]
