"""Which commit granted each membership: the desired state's history, read in one pass.

The commit that granted a membership is the last one that added the member to the
group's entry. ``git blame`` names the last commit that *changed* each line, which is not
always the one that added the member: an ``until`` added to ``- bob@…``, a list sorted or
re-indented, a flow list ``[alice, bob]`` that gained a name, a group moved to another
file all rewrite a member's line without granting anything. Following such a line back
costs blame another run at each of those commits (minutes on a long history), so the
history is read once instead, the way blame reads it, with the member in mind:

``git log --first-parent -p -U0 -w -M`` of the desired-state directory, oldest first (one
git process), replayed in memory: every line of every file carries the commit that wrote
it, and, for each member it names that it only carried over, the commit that added that
member. A line written by a hunk that also removed a line naming the member carries that
line's origin for the member (an ``until``, a flow list, a sort, a spelling); one whose
member another hunk or file of the same commit removed carries it when that removed line
was a member of the same group (a sort across hunks, a group moved within or between
files: the two files are read at the commit and its parent to tell). Anything else that
names a member adds it: that commit granted it. Whitespace is no change (``-w``).

The main line (``--first-parent``) is the history the review is made at: a membership
merged from a branch is granted by the merge commit (whose pull request GitHub names).
Edits not committed yet are replayed last (``git diff HEAD``): a member they add has no
commit; a file git does not track has none either.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.access_review.gitparse import (
    LOG_FORMAT,
    FilePatch,
    Hunk,
    Logged,
    named,
    read_log,
    read_patches,
)
from reconciler.access_review.model import Commit
from reconciler.access_review.places import Written, members_of
from reconciler.desired.yamlfile import load_yaml_text
from reconciler.errors import InputError, ReconcileError
from reconciler.escaping import printable
from reconciler.identity import fold

NOT_COMMITTED = ""
DIFF = [
    "-p",
    "-U0",
    "-w",
    "-M",
    "--no-color",
    "--no-ext-diff",
    "--src-prefix=a/",
    "--dst-prefix=b/",
]


@dataclass(frozen=True)
class Origin:
    """The commit that granted a membership (None: not committed yet), and the last one
    that changed its line, when that is another."""

    commit: Commit | None
    changed: Commit | None = None


class _Line:
    """One line of a file as the replay has it: the commit that wrote it, and, for the
    members it only carried over, the commit that added each."""

    __slots__ = ("carried", "commit")

    def __init__(self, commit: str, carried: dict[str, str] | None = None) -> None:
        self.commit = commit
        self.carried = carried

    def origin(self, member: str) -> str:
        """The commit that added ``member`` (folded) to this line's entry."""
        return self.carried.get(member, self.commit) if self.carried else self.commit


Removed = dict[str, list[tuple[str, int, str]]]
"""Folded member → (path before, line before, the commit that added it) of each line a
commit removed that names it."""


class History:
    """The git history of the repository that holds a desired-state directory."""

    def __init__(self, root: Path, head: str, scope: str = ".") -> None:
        self.root = root
        self.head = head
        self.scope = scope
        """The desired-state directory, relative to the top of the repository."""
        self.commits: dict[str, Commit] = {}
        self._files: dict[str, list[_Line]] = {}
        self._members: dict[tuple[str, str], dict[int, set[tuple[str, str]]]] = {}
        self._replayed = False

    @classmethod
    def of(cls, directory: Path) -> History:
        """The history of ``directory``'s repository; an ``InputError`` when there is none
        to read whole (no repository, no commit, a shallow clone)."""
        shown = printable(str(directory))
        top = _run(directory, ["rev-parse", "--show-toplevel"])
        if top is None:
            raise InputError(
                f"{shown} is not in a git repository: the access review reads who granted "
                "each membership from its history"
            )
        root = Path(top.strip())
        if (_run(root, ["rev-parse", "--is-shallow-repository"]) or "").strip() == "true":
            raise InputError(
                f"{shown}: the git history is shallow (a clone with --depth, or "
                "actions/checkout without fetch-depth: 0): commits before its cut would be "
                "taken for the ones that granted access; fetch the whole history"
            )
        head = _run(root, ["rev-parse", "--verify", "-q", "HEAD^{commit}"])
        if head is None:
            raise InputError(f"{shown}: the repository has no commit yet")
        history = cls(root, head.strip())
        history.scope = history.relative(directory) or "."
        return history

    def relative(self, path: Path) -> str:
        """``path`` as git names it: relative to the top of the repository."""
        relative = path.resolve().relative_to(self.root.resolve()).as_posix()
        return "" if relative == "." else relative

    def uncommitted(self, directory: Path) -> bool:
        """Whether ``directory`` holds edits (or new files) that HEAD does not."""
        status = _run(self.root, ["status", "--porcelain", "--", self.relative(directory) or "."])
        return bool((status or "").strip())

    def origins(self, written: Iterable[Written]) -> dict[Written, Origin]:
        """The origin of every membership written (the history is read on the first call)."""
        written = list(written)
        if not self._replayed:
            self._replay()
            self._replayed = True
        self._check_lengths({item.file for item in written})
        return {item: self._origin(item) for item in written}

    def _origin(self, item: Written) -> Origin:
        lines = self._files.get(item.file)
        if lines is None or not 0 < item.line <= len(lines):
            return Origin(None)
        line = lines[item.line - 1]
        sha = line.origin(fold(item.member))
        if sha == NOT_COMMITTED:
            return Origin(None)
        changed = line.commit if line.commit not in (sha, NOT_COMMITTED) else None
        return Origin(self.commits[sha], self.commits[changed] if changed else None)

    # --- the replay ----------------------------------------------------------------------

    def _replay(self) -> None:
        command = ["log", "--first-parent", "--diff-merges=first-parent", "--reverse"]
        command += [*DIFF, f"--format={LOG_FORMAT}", self.head, "--", self.scope]
        with _streamed(self.root, command) as lines:
            for logged in read_log(lines):
                self.commits[logged.commit.sha] = logged.commit
                self._apply(logged)
        worktree = _run(self.root, ["diff", *DIFF, "HEAD", "--", self.scope]) or ""
        patches = tuple(read_patches(worktree.splitlines()))
        if patches:
            empty = Commit(NOT_COMMITTED, "", "", "", "")
            self._apply(Logged(empty, self.head, patches))

    def _apply(self, logged: Logged) -> None:
        """One commit: each file's lines after it, every line it writes with its origins."""
        removed = self._removed(logged.patches)
        after: dict[str, list[_Line]] = {}
        for patch in logged.patches:
            lines = self._files.pop(patch.old, []) if patch.old else []
            for hunk in reversed(patch.hunks):  # the last first: the earlier ones stay put
                start = hunk.index
                old = lines[start : start + len(hunk.removed)]
                lines[start : start + len(hunk.removed)] = self._written(
                    logged, patch, hunk, old, removed
                )
            if patch.new:
                after[patch.new] = lines
        self._files.update(after)

    def _removed(self, patches: tuple[FilePatch, ...]) -> Removed:
        found: Removed = defaultdict(list)
        for patch in patches:
            lines = self._files.get(patch.old or "", [])
            for hunk in patch.hunks:
                for k, text in enumerate(hunk.removed):
                    number = hunk.old_start + k
                    line = lines[number - 1] if number <= len(lines) else _Line(NOT_COMMITTED)
                    for member in named(text):
                        found[member].append((patch.old or "", number, line.origin(member)))
        return found

    def _written(
        self, logged: Logged, patch: FilePatch, hunk: Hunk, old: list[_Line], removed: Removed
    ) -> list[_Line]:
        """The lines ``hunk`` writes, each carrying the members it only carried over."""
        sha = logged.commit.sha
        if not removed:  # nothing removed anywhere in the commit: every name is new
            return [_Line(sha) for _ in hunk.added]
        here: dict[str, str] = {}
        for text, line in zip(hunk.removed, old, strict=False):
            for member in named(text):
                here.setdefault(member, line.origin(member))
        written = []
        for k, text in enumerate(hunk.added):
            carried = {}
            for member in named(text):
                origin = here.get(member)
                if origin is None and member in removed and patch.new:
                    where = (patch.new, hunk.new_start + k)
                    origin = self._moved(logged, member, where, removed[member])
                if origin is not None:
                    carried[member] = origin
            written.append(_Line(sha, carried or None))
        return written

    def _moved(
        self,
        logged: Logged,
        member: str,
        where: tuple[str, int],
        before: list[tuple[str, int, str]],
    ) -> str | None:
        """The origin of ``member`` written at ``where`` when another hunk or file of the
        commit removed it from the same group, else None (it is added here)."""
        path, line = where
        groups = {
            g for g, m in self._members_at(logged.commit.sha, path).get(line, ()) if m == member
        }
        for old_path, old_line, origin in before:
            old = self._members_at(logged.parent, old_path).get(old_line, ())
            if any((group, member) in old for group in groups):
                return origin
        return None

    def _members_at(self, sha: str, path: str) -> dict[int, set[tuple[str, str]]]:
        """Line → (group key, folded member) of ``path`` at ``sha`` ("": the working tree)."""
        key = (sha, path)
        if key not in self._members:
            if sha == NOT_COMMITTED:
                file = self.root / path
                source = file.read_bytes() if file.is_file() else b""
            else:
                source = (_run(self.root, ["cat-file", "blob", f"{sha}:{path}"]) or "").encode()
            found: dict[int, set[tuple[str, str]]] = defaultdict(set)
            try:
                for group, member, line in members_of(load_yaml_text(source, f"{path}@{sha[:12]}")):
                    found[line].add((group, fold(member)))
            except ReconcileError:  # not YAML then: it names no member
                pass
            self._members[key] = found
        return self._members[key]

    def _check_lengths(self, paths: Iterable[str]) -> None:
        """The replay must end where the files are: a file whose lines it counts otherwise
        would put members on wrong lines, so it is refused."""
        for path in sorted(paths):
            file, lines = self.root / path, self._files.get(path)
            if lines is not None and file.is_file() and not file.is_symlink():
                data = file.read_bytes()
                count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
                if count != len(lines):
                    raise InputError(
                        f"{printable(path)}: its git history could not be followed line by "
                        f"line ({len(lines)} lines replayed, {count} in the file)"
                    )


def _run(where: Path, args: list[str]) -> str | None:
    """git's standard output, or None when it fails."""
    try:
        done = subprocess.run(
            _command(where, args),
            capture_output=True,
            check=False,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError:
        raise InputError("git is not installed: the access review reads the git history") from None
    return done.stdout if done.returncode == 0 else None


class _streamed:
    """git's output, line by line as it comes (the replay runs while git reads)."""

    def __init__(self, where: Path, args: list[str]) -> None:
        self.command = _command(where, args)

    def __enter__(self) -> Iterator[str]:
        try:
            self.process = subprocess.Popen(
                self.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError:
            raise InputError(
                "git is not installed: the access review reads the git history"
            ) from None
        assert self.process.stdout is not None
        return iter(self.process.stdout)

    def __exit__(self, *exc: object) -> None:
        _, error = self.process.communicate()
        if self.process.returncode and exc[0] is None:
            first = printable(error.strip().splitlines()[0] if error.strip() else "")
            raise InputError(f"git log failed: {first}")


def _command(where: Path, args: list[str]) -> list[str]:
    return ["git", "-c", "core.quotePath=false", "-C", str(where), *args]
