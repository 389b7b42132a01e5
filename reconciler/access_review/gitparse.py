"""Reading git's output: ``git log -p -U0`` as commits and file patches, as plain data.

Everything git prints about people (names, emails, subjects) is untrusted text, kept as
it is here and escaped where it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.access_review.model import Commit
from reconciler.identity import fold

LOG_FORMAT = "%x00%H%x00%P%x00%an%x00%ae%x00%ct%x00%s"
"""Each commit's header line in ``git log --format``: NUL, then its fields NUL-separated
(a subject or a name holds no NUL; a patch line never starts with one)."""
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SCALAR = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^']|'')*)'|([^\s\[\]{},\"']+)")
COMMENT = re.compile(r"(?:^|\s)#.*$")
ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass(frozen=True)
class Hunk:
    """One ``-U0`` hunk: where it is in the file before and after, what it removes and adds."""

    old_start: int
    old_count: int
    new_start: int
    removed: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def index(self) -> int:
        """Where its lines are in the old file's list of lines (0-based): an insertion
        (nothing removed) comes after line ``old_start``."""
        return self.old_start - 1 if self.old_count else self.old_start


@dataclass(frozen=True)
class FilePatch:
    old: str | None
    """The file's path before (None: the patch creates it)."""
    new: str | None
    """The file's path after (None: the patch deletes it)."""
    hunks: tuple[Hunk, ...]


@dataclass(frozen=True)
class Logged:
    """One commit of the log: who and when, its first parent, and its patches."""

    commit: Commit
    parent: str
    """Its first parent ("" for a first commit)."""
    patches: tuple[FilePatch, ...]


def read_log(lines: Iterable[str]) -> Iterator[Logged]:
    """The commits of ``git log -p -U0 --format=LOG_FORMAT`` output, as they come."""
    header: list[str] | None = None
    body: list[str] = []
    for line in lines:
        if line.startswith("\0"):
            if header is not None:
                yield _logged(header, body)
            header, body = line.rstrip("\n").split("\0")[1:], []
        else:
            body.append(line.rstrip("\n"))
    if header is not None:
        yield _logged(header, body)


def _logged(header: list[str], body: list[str]) -> Logged:
    sha, parents, author, email, time, subject = (header + [""] * 6)[:6]
    try:
        moment = datetime.fromtimestamp(int(time), UTC)
    except (ValueError, OverflowError, OSError):
        moment = datetime.fromtimestamp(0, UTC)
    commit = Commit(sha, author, email, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), subject)
    return Logged(commit, parents.split(" ")[0], tuple(read_patches(body)))


def read_patches(lines: Iterable[str]) -> Iterator[FilePatch]:
    """The file patches of ``git diff -U0`` (or one commit's part of a log)."""
    patch: _Patch | None = None
    for line in lines:
        if line.startswith("diff --git "):
            if patch is not None:
                yield patch.done()
            patch = _Patch()
        elif patch is not None:
            patch.read(line.rstrip("\n"))
    if patch is not None:
        yield patch.done()


@dataclass
class _Patch:
    old: str | None = ""
    new: str | None = ""
    hunks: list[Hunk] = field(default_factory=list)
    hunk: list[int] | None = None
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def read(self, line: str) -> None:
        if self.hunk is not None and line[:1] in ("-", "+", "\\"):
            if line.startswith("-"):
                self.removed.append(line[1:])
            elif line.startswith("+"):
                self.added.append(line[1:])
            return  # "\ No newline at end of file" says nothing of lines
        match = HUNK.match(line)
        if match:
            self._close()
            old_count = 1 if match[2] is None else int(match[2])
            self.hunk = [int(match[1]), old_count, int(match[3])]
        elif line.startswith("new file mode"):
            self.old = None
        elif line.startswith("deleted file mode"):
            self.new = None
        elif line.startswith("rename from "):
            self.old = _path(line.removeprefix("rename from "), "")
        elif line.startswith("rename to "):
            self.new = _path(line.removeprefix("rename to "), "")
        elif line.startswith("--- ") and self.old is not None:
            self.old = _path(line[4:], "a/")
        elif line.startswith("+++ ") and self.new is not None:
            self.new = _path(line[4:], "b/")

    def _close(self) -> None:
        if self.hunk is not None:
            old_start, old_count, new_start = self.hunk
            removed, added = tuple(self.removed), tuple(self.added)
            self.hunks.append(Hunk(old_start, old_count, new_start, removed, added))
        self.hunk, self.removed, self.added = None, [], []

    def done(self) -> FilePatch:
        self._close()
        return FilePatch(self.old or None, self.new or None, tuple(self.hunks))


def _path(text: str, prefix: str) -> str | None:
    if text == "/dev/null":
        return None
    name = unquoted(text)
    return name.removeprefix(prefix) if prefix else name


def unquoted(text: str) -> str:
    """A path as git quoted it (``"dir/caf\\303\\251.yaml"``), unquoted."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    body, out, i = text[1:-1], bytearray(), 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            if body[i + 1] in ESCAPES:
                out.append(ESCAPES[body[i + 1]])
                i += 2
                continue
            if re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out += body[i].encode()
        i += 1
    return out.decode("utf-8", "replace")


def named(line: str) -> set[str]:
    """The folded scalars a line of YAML names (``- bob@…``, ``{user: bob@…, until: …}``,
    ``members: [alice@…, bob@…]``, quoted or not), comments left out."""
    text = COMMENT.sub("", line)
    found = set()
    for match in SCALAR.finditer(text):
        found.add(fold(next(group for group in match.groups() if group is not None)))
    return found


def names_member(line: str, member: str) -> bool:
    """Whether a line of YAML names ``member`` as one of its scalars."""
    return fold(member) in named(line)
