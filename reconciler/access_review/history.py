"""Which commit granted each membership: git blame, once per file that lists members.

The commit that granted a membership is the last one that added the member to the
group's entry. ``git blame --porcelain -w`` names, for every line of a file, the last
commit that changed it, in one pass over the file's history: the member's line is mapped
to that commit. A change of the line is not always an addition, though (an ``until``
added to ``- bob@…``, a list sorted, a flow list ``[alice, bob]`` that gained a name, a
group moved to a new file), so the commit blame names is checked against its own diff (one
``git diff-tree -U0`` for all the commits of a file). The member was there before when

- the hunk that wrote the line also removed a line that names the member; or
- another hunk of the file removed such a line, and that line, in the parent's version
  of the file, is a member of the same group (a sort, a group moved within the file); or
- the file begins in that commit, and another file of the desired-state directory lost
  such a line, a member of the same group there (a group moved to a new file).

Then blame is asked again at the parent, for that line, a round at a time (one blame
per parent commit and file for all the lines that lead there), until the commit that
added the member. The line's first commit, when it is another, is kept as its last change.

Whitespace is no change (``-w``: a re-indented file grants nothing). A group moved into a
file that already existed counts as granted by the commit that moved it: its pull request
is the one to read. So does a member whose userName was changed (a new name, a new grant).
"""

from __future__ import annotations

import subprocess
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.access_review.gitparse import (
    Blamed,
    Hunk,
    naming,
    parse_blame,
    patches,
    per_commit,
)
from reconciler.access_review.model import Commit
from reconciler.access_review.places import Written, members_of
from reconciler.desired.yamlfile import load_yaml_text
from reconciler.errors import InputError, ReconcileError
from reconciler.escaping import printable
from reconciler.identity import fold

UNCOMMITTED = "0" * 40
WORKERS = 4
"""Files blamed at once (each blame is one git process)."""

Place = tuple[str, str, int]
"""(commit, the file's path in it, a line there)."""


@dataclass(frozen=True)
class Origin:
    """The commit that granted a membership (None: not committed yet), and the last one
    that changed its line, when that is another."""

    commit: Commit | None
    changed: Commit | None = None


@dataclass(frozen=True)
class _Thread:
    """A line followed back: where blame says it comes from now, and what it stands for."""

    sha: str
    path: str
    line: int
    """Its line in that commit's version of the file."""
    members: tuple[Written, ...]
    first: str
    """The commit blame named first: the last change of the line as it is now."""


@dataclass
class _Log:
    """What the blames and diffs of one file told so far."""

    commits: dict[str, Commit] = field(default_factory=dict)
    previous: dict[str, tuple[str, str]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, list[Hunk]] = field(default_factory=dict)

    def add(self, blamed: Blamed) -> Blamed:
        self.commits.update(blamed.commits)
        self.previous.update(blamed.previous)
        self.paths.update(blamed.paths)
        return blamed

    def origin(self, thread: _Thread) -> Origin:
        changed = None if thread.first == thread.sha else self.commits[thread.first]
        return Origin(self.commits[thread.sha], changed)


class History:
    """The git history of the repository that holds a desired-state directory."""

    def __init__(self, root: Path, head: str, scope: str = ".") -> None:
        self.root = root
        self.head = head
        self.scope = scope
        """The desired-state directory, relative to the top: where groups move between files."""
        self._members: dict[tuple[str, str], frozenset[tuple[str, str, int]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, directory: Path) -> History:
        """The history of ``directory``'s repository; an ``InputError`` when there is none
        to read whole (no repository, no commit, a shallow clone)."""
        shown = printable(str(directory))
        top = _run(directory, ["rev-parse", "--show-toplevel"], quiet=True)
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
        head = _run(root, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], quiet=True)
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
        """The origin of every membership written, one blame per file (files in parallel)."""
        by_file: dict[str, list[Written]] = defaultdict(list)
        for item in written:
            by_file[item.file].append(item)
        tracked = self._tracked(sorted(by_file))
        found: dict[Written, Origin] = {}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for origins in pool.map(
                lambda file: self._file(file, by_file[file], file in tracked), sorted(by_file)
            ):
                found.update(origins)
        return found

    def _tracked(self, files: Sequence[str]) -> set[str]:
        if not files:
            return set()
        listed = _run(self.root, ["ls-files", "-z", "--", *files]) or ""
        return set(listed.split("\0")) - {""}

    # --- one file ----------------------------------------------------------------------

    def _file(self, file: str, written: list[Written], tracked: bool) -> dict[Written, Origin]:
        """Blame ``file`` once, then follow back, a round at a time, the lines whose
        commit only carried a member over."""
        if not tracked:
            return {item: Origin(None) for item in written}
        log = _Log()
        blamed = log.add(self._blame(None, file, ()))
        found: dict[Written, Origin] = {}
        bundles: dict[tuple[str, int], list[Written]] = defaultdict(list)
        for item in written:
            bundles[blamed.lines[item.line]].append(item)  # a flow list: one line, many
        threads = []
        for (sha, line), items in bundles.items():
            if sha == UNCOMMITTED:
                found.update((item, Origin(None)) for item in items)
            else:
                threads.append(_Thread(sha, blamed.paths[sha], line, tuple(items), sha))
        while threads:
            self._diffs(log, {t.sha for t in threads})
            asked: dict[tuple[str, str], dict[int, list[_Thread]]] = defaultdict(
                lambda: defaultdict(list)
            )
            for thread in threads:
                carried = self._carried(log, thread)
                found.update((m, log.origin(thread)) for m in thread.members if m not in carried)
                moved: dict[Place, list[Written]] = defaultdict(list)
                for item, place in carried.items():
                    moved[place].append(item)
                for (sha, path, line), items in moved.items():
                    asked[(sha, path)][line].append(
                        _Thread("", "", line, tuple(items), thread.first)
                    )
            threads = [
                t for (sha, path), lines in asked.items() for t in self._back(log, sha, path, lines)
            ]
        return found

    def _carried(self, log: _Log, thread: _Thread) -> dict[Written, Place]:
        """The members of ``thread`` that its commit only carried over, each with where the
        parent named it (see the module's docstring)."""
        previous = log.previous.get(thread.sha)
        if previous is None:
            return self._moved_in(thread)
        parent, parent_path = previous
        hunks = log.diffs.get(thread.sha, [])
        own = next((h for h in hunks if h.writes(thread.line)), None)
        carried: dict[Written, Place] = {}
        for item in thread.members:
            lines = naming(own.removed, item.member) if own is not None else []
            if lines:
                carried[item] = (parent, parent_path, lines[0])
                continue
            elsewhere = [n for h in hunks if h is not own for n in naming(h.removed, item.member)]
            before = self._same_group(parent, parent_path, item, elsewhere)
            if before is not None:
                carried[item] = (parent, parent_path, before)
        return carried

    def _moved_in(self, thread: _Thread) -> dict[Written, Place]:
        """For a file that begins in the thread's commit: its members that another file
        of the desired state held, in the same group, in the commit's parent."""
        parent = _run(self.root, ["rev-parse", "--verify", "-q", f"{thread.sha}^1"], quiet=True)
        if parent is None:
            return {}
        parent = parent.strip()
        options = ["-p", "-U0", "-w", "--no-color", "--no-renames"]
        text = self._git(["diff-tree", *options, parent, thread.sha, "--", self.scope])
        carried: dict[Written, Place] = {}
        for old, _, hunks in patches(text.splitlines()):
            for item in thread.members:
                lines = [n for h in hunks for n in naming(h.removed, item.member)]
                before = self._same_group(parent, old, item, lines) if item not in carried else None
                if before is not None:
                    carried[item] = (parent, old, before)
        return carried

    def _same_group(self, sha: str, path: str, item: Written, lines: list[int]) -> int | None:
        """The first of ``lines`` that, in ``path`` at ``sha``, is the member ``item``
        names in the group ``item`` belongs to."""
        if not lines or path == "/dev/null":
            return None
        members = self._members_at(sha, path)
        name = fold(item.member)
        return next((n for n in lines if (item.group, name, n) in members), None)

    def _members_at(self, sha: str, path: str) -> frozenset[tuple[str, str, int]]:
        """(group key, folded member, line) of every member of ``path`` at ``sha``."""
        with self._lock:
            cached = self._members.get((sha, path))
        if cached is not None:
            return cached
        source = _run(self.root, ["cat-file", "blob", f"{sha}:{path}"], quiet=True) or ""
        try:
            doc = load_yaml_text(source.encode(), f"{path}@{sha[:12]}")
            found = frozenset((g, fold(m), n) for g, m, n in members_of(doc))
        except ReconcileError:  # not YAML then: it names no member
            found = frozenset()
        with self._lock:
            self._members[(sha, path)] = found
        return found

    def _back(
        self, log: _Log, sha: str, path: str, lines: dict[int, list[_Thread]]
    ) -> Iterator[_Thread]:
        """Where ``lines`` of ``path`` at ``sha`` come from: one blame for all of them."""
        blamed = log.add(self._blame(sha, path, sorted(lines)))
        for line, threads in lines.items():
            found, origin = blamed.lines[line]
            for thread in threads:
                yield _Thread(found, blamed.paths[found], origin, thread.members, thread.first)

    def _blame(self, sha: str | None, path: str, lines: Sequence[int]) -> Blamed:
        """``git blame`` of ``path`` (the working tree's, or at ``sha``), whole or ``lines``."""
        ranges = [arg for first, last in _ranges(lines) for arg in ("-L", f"{first},{last}")]
        revision = [sha] if sha else []
        return parse_blame(
            self._git(["blame", "--porcelain", "-w", *ranges, *revision, "--", path])
        )

    def _diffs(self, log: _Log, shas: Iterable[str]) -> None:
        """The hunks of the blamed file in each commit of ``shas`` not read yet (that has a
        parent), in one ``git diff-tree``."""
        pairs = {s: log.previous[s] for s in shas if s in log.previous and s not in log.diffs}
        if not pairs:
            return
        paths = sorted({log.paths[s] for s in pairs} | {p for _, p in pairs.values()})
        stdin = "".join(f"{sha} {parent}\n" for sha, (parent, _) in pairs.items())
        text = self._git(
            ["diff-tree", "--stdin", "-p", "-U0", "-w", "-M", "--no-color", "--", *paths],
            stdin,
        )
        for sha, body in per_commit(text):
            path = log.paths.get(sha, "")
            files = [(new, hunks) for _, new, hunks in patches(body) if new != "/dev/null"]
            exact = [hunks for new, hunks in files if new == path]
            log.diffs[sha] = (exact or [hunks for _, hunks in files] or [[]])[0]
        log.diffs.update((sha, []) for sha in pairs if sha not in log.diffs)

    def _git(self, args: list[str], stdin: str | None = None) -> str:
        text = _run(self.root, args, stdin)
        if text is None:
            raise InputError(f"git {args[0]} failed in {printable(str(self.root))}")
        return text


def _ranges(lines: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Sorted line numbers as runs (``-L`` ranges): 3, 4, 5, 9 → (3, 5), (9, 9)."""
    run: list[int] = []
    for line in lines:
        if run and line != run[-1] + 1:
            yield run[0], run[-1]
            run = []
        run.append(line)
    if run:
        yield run[0], run[-1]


def _run(
    where: Path, args: list[str], stdin: str | None = None, *, quiet: bool = False
) -> str | None:
    """git's standard output, or None when it fails (or is not installed)."""
    command = ["git", "-c", "core.quotePath=false", "-C", str(where), *args]
    try:
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            check=False,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError:
        if quiet:
            return None
        raise InputError("git is not installed: the access review reads the git history") from None
    return done.stdout if done.returncode == 0 else None
