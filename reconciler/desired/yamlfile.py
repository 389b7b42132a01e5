"""Load one YAML desired-state file safely and fast, keeping where every value is.

``load_yaml`` returns a ``YamlDocument``: the file's plain data (dict, list, str,
int, float, bool, None) and ``mark(path)`` / ``key_mark(path)`` to turn a JSON path
found by a later check into ``file:line:column``. Whatever is wrong with the file
itself is raised at once as ``ValidationFailed``, every problem that can be found:

- larger than ``max_bytes`` (refused from its size, before it is read), not UTF-8,
  not YAML, or more than one YAML document;
- a duplicate key, a key that is not a string, a tag other than the standard ones
  of JSON-like data, a float JSON cannot hold (``.inf``, ``.nan``);
- aliases that recurse or would expand past a budget (see ``yamlaliases``).

Speed: LibYAML composes the node graph, one walk builds the data. Marks cost
nothing until asked for: a document keeps its source bytes (a 1,000-user file is
400 kB; its node graph would take 12 MB) and composes them again on the first
``mark`` call, which happens only when something is wrong. ``load_many`` spreads
many files over a process pool when they are big enough to be worth it.
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import Node

from reconciler.collector import collector_paused
from reconciler.desired.yamlaliases import check_aliases, may_have_aliases
from reconciler.desired.yamldata import Built, build_partial, find_pair
from reconciler.desired.yamlparse import (
    DEFAULT_MAX_BYTES,
    check_encoding,
    check_size,
    compose,
    line_column,
    read_source,
)
from reconciler.desired.yamlrecover import recover
from reconciler.errors import Problem, ProblemLog, ValidationFailed

__all__ = [
    "DEFAULT_MAX_BYTES",
    "PARALLEL_MIN_BYTES",
    "JsonPath",
    "Mark",
    "YamlDocument",
    "load_many",
    "load_yaml",
    "load_yaml_text",
]

PARALLEL_MIN_BYTES = 4 * 2**20
"""Below this many bytes in all, ``load_many`` loads here: about 0.5 s of work, while
starting a pool costs about 0.15 s."""

JsonPath = tuple[str | int, ...]

TOO_DEEP = "lists and mappings nest too deeply to load; flatten the structure"


@dataclass(frozen=True, slots=True)
class Mark:
    """A place in a file, as editors count: both 1-based, columns in characters."""

    line: int
    column: int


class YamlDocument:
    """One loaded file: its display ``path``, its plain ``data`` and marks on demand."""

    __slots__ = (
        "_composed",
        "_packed",
        "_root",
        "_source",
        "blamed",
        "data",
        "path",
        "problems",
        "schema_valid",
        "unread",
    )

    def __init__(
        self,
        path: str,
        data: Any,
        source: bytes,
        packed: bool = False,
        problems: ProblemLog | None = None,
        blamed: frozenset[tuple[int, int]] = frozenset(),
        schema_valid: bool = True,
        unread: frozenset[str] = frozenset(),
    ) -> None:
        self.path = path
        self.data = data
        self.problems = ProblemLog() if problems is None else problems
        """What reading found wrong in a document loaded with ``partial=True``."""
        self.blamed = blamed
        """The (line, column) of values reading replaced by null (see ``yamldata.Built``)."""
        self.schema_valid = schema_valid
        """False when the ``check`` it was loaded with found problems."""
        self.unread = unread
        """Names written in entries that are not valid YAML (``yamlrecover``): they may
        define users the cross-file checks cannot see yet."""
        self._source = source
        self._packed = packed
        """Whether ``_source`` is zlib-compressed."""
        self._root: Node | None = None
        self._composed = False

    def __reduce__(
        self,
    ) -> tuple[
        type[YamlDocument],
        tuple[str, Any, bytes, bool, ProblemLog, frozenset[tuple[int, int]], bool, frozenset[str]],
    ]:
        # Never the node graph. The source is only read again for the marks of a
        # problem; it travels (and stays) compressed: 52 MB raw at 100,000 users, 5 packed.
        source = self._source if self._packed else zlib.compress(self._source, 1)
        state = (self.problems, self.blamed, self.schema_valid, self.unread)
        return YamlDocument, (self.path, self.data, source, True, *state)

    def __repr__(self) -> str:
        return f"YamlDocument({self.path!r})"

    def mark(self, path: JsonPath) -> Mark:
        """Where the value at ``path`` starts, e.g. ``("users", 3, "name", "givenName")``.

        For a path that does not exist, the mark of its deepest existing ancestor. A
        value reached through an alias is marked where its anchor is.
        """
        node, _ = self._locate(path)
        return _mark(node)

    def key_mark(self, path: JsonPath) -> Mark:
        """Where the mapping key of the last element of ``path`` is, else ``mark(path)``."""
        node, key_node = self._locate(path)
        return _mark(key_node or node)

    def _locate(self, path: JsonPath) -> tuple[Node | None, Node | None]:
        node = self._root_node()
        key_node = None
        for element in path:
            if node is None:
                break
            pair = find_pair(node, element)
            if pair is None:
                return node, None
            key_node, node = pair
        return node, key_node

    def checked(self, root: Node | None, check: Check) -> None:
        """Run ``check``, its marks taken from ``root`` (this document's node graph), and
        add its problems to ``problems``; ``schema_valid`` says whether it found none."""
        self._root, self._composed = root, True
        try:
            before = self.problems.count
            self.problems.extend(check(self))
            self.schema_valid = self.problems.count == before
        finally:
            self._root, self._composed = None, False

    def _root_node(self) -> Node | None:
        if not self._composed:
            source = zlib.decompress(self._source) if self._packed else self._source
            self._root = compose(source, self.path)
            self._composed = True
        return self._root


def _mark(node: Node | None) -> Mark:
    return Mark(*line_column(None if node is None else node.start_mark))


Check = Callable[["YamlDocument"], Iterable[Problem]]
"""A check of a loaded document (its schema), run while the node graph is at hand."""


def load_yaml(
    path: Path,
    display: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    partial: bool = False,
    check: Check | None = None,
) -> YamlDocument:
    """Load the file at ``path``; problems name it ``display`` (default: ``str(path)``).

    Raises ``ValidationFailed`` with every problem found in the file; with ``partial``,
    only when no data could be read at all (not YAML, not UTF-8, too big, an alias
    bomb): a duplicate key or a refused tag is then in the document's ``problems``,
    and its data goes on to the other checks. ``check`` (with ``partial``) runs on the
    document before the node graph that loading built is let go: the marks of its
    problems cost no second parse, and its problems join the document's.
    """
    shown = str(path) if display is None else display
    source = read_source(path, shown, max_bytes)
    return load_yaml_text(source, shown, max_bytes=max_bytes, partial=partial, check=check)


def load_yaml_text(
    text: bytes,
    display: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    partial: bool = False,
    check: Check | None = None,
) -> YamlDocument:
    """Load YAML from bytes, exactly as ``load_yaml`` loads a file holding them."""
    check_size(text, display, max_bytes)
    check_encoding(text, display)
    with collector_paused():
        recovered = None
        try:
            root, built = _data(text, display)
        except ValidationFailed:
            recovered = recover(text, display) if partial else None
            if recovered is None:
                raise
            text = recovered.text
            root, built = _data(text, display)
            built.problems.extend(recovered.problems)
        if not partial:
            built.problems.raise_if_any()
        blamed = built.blamed | recovered.nulls if recovered else built.blamed
        unread = recovered.names if recovered else frozenset()
        doc = YamlDocument(
            display, built.data, text, problems=built.problems, blamed=blamed, unread=unread
        )
        if check is not None and built.data is not None:
            doc.checked(root, check)
        del root  # the node graph is freed before the collector is back
    return doc


def _data(text: bytes, display: str) -> tuple[Node | None, Built]:
    try:
        root = compose(text, display)
        if root is not None and may_have_aliases(text):
            check_aliases(root, text, display)
        return root, build_partial(root, display)
    except RecursionError:  # LibYAML stops at 1,000 levels; Python's stack may stop sooner
        raise ValidationFailed([Problem(display, 1, 1, TOO_DEEP)]) from None


def load_many(
    paths: Sequence[Path],
    displays: Sequence[str] | None = None,
    jobs: int | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    check: Check | None = None,
) -> list[YamlDocument | ProblemLog]:
    """Load every file: for each, in input order, its document or its problems.

    Problems are returned, not raised, so the caller can gather those of all files. A
    document is loaded with ``partial=True``: what reading (and ``check``, which must
    be picklable) found is in its ``problems``.
    ``jobs`` caps the worker processes; by default one per usable CPU, and none at
    all (loading here) when the files total less than ``PARALLEL_MIN_BYTES``.
    """
    shown = [str(path) for path in paths] if displays is None else list(displays)
    if len(shown) != len(paths):
        raise ValueError("load_many needs one display name per path")
    workers = _workers(paths, jobs)
    if workers <= 1:
        return [
            _load_or_problems(path, name, max_bytes, check)
            for path, name in zip(paths, shown, strict=True)
        ]
    largest_first = sorted(range(len(paths)), key=lambda i: -_size(paths[i]))
    results: list[YamlDocument | ProblemLog] = [ProblemLog() for _ in paths]
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_start_method())
    with pool, collector_paused():  # unpickling the results is the work left here
        futures = {
            i: pool.submit(_load_or_problems, paths[i], shown[i], max_bytes, check)
            for i in largest_first
        }
        for i, future in futures.items():
            results[i] = future.result()
    return results


def _load_or_problems(
    path: Path, display: str, max_bytes: int, check: Check | None
) -> YamlDocument | ProblemLog:
    try:
        return load_yaml(path, display, max_bytes=max_bytes, partial=True, check=check)
    except ValidationFailed as failed:
        return failed.log()


def _start_method() -> multiprocessing.context.BaseContext:
    """A clean server process to fork workers from: safe when threads run (unlike fork)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _workers(paths: Sequence[Path], jobs: int | None) -> int:
    if jobs is not None:
        return min(jobs, len(paths))
    if len(paths) < 2 or sum(_size(path) for path in paths) < PARALLEL_MIN_BYTES:
        return 1
    return min(_usable_cpus(), len(paths))


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # load_yaml will say why
