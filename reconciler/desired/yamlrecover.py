"""Read what can be read of a file that is not valid YAML, one list entry at a time.

A wrong indent in one user must not hide the rest of its file, nor make every member
that names a user of that file look undefined. When a file does not compose, its
top-level lists (``users:``, ``groups:``) are cut into entries at the entries' own
indentation; an entry that does not compose on its own is reported once, with the
parser's words at its place, and replaced by ``null`` on its first line (its other
lines left blank), so that every other entry keeps its line, column and index. The
userNames the unread entries write are read from their text, so the cross-file checks
leave alone what those entries may define.

Only block lists of entries are cut; a file whose trouble lies elsewhere (a broken
``users:`` line, a flow list across lines, a tab before a key) stays unread whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from reconciler.desired.yamlparse import new_loader, syntax_problem
from reconciler.errors import Problem

MOST = 50
"""Entries a file may have unread before it is given up as a whole."""

_KEY = re.compile(r"[A-Za-z_][\w-]*\s*:(\s|$)")
_ITEM = re.compile(r"( *)-(\s|$)")
_COMMENT = re.compile(r"(^|\s)#.*$")
NAMES = re.compile(r"""userName\s*:\s*(?:"([^"\n]+)"|'([^'\n]+)'|([^\s,{}\[\]#"']+))""")
"""The users an unread entry may define, ``userName: x``, as best its text tells."""


@dataclass(frozen=True)
class Recovered:
    """The text that composes, what could not be read, and the names it may hold."""

    text: bytes
    problems: tuple[Problem, ...]
    nulls: frozenset[tuple[int, int]]
    """(line, column) of each ``null`` put for an unread entry (blamed: not reported again)."""
    names: frozenset[str]
    """Names written in the unread entries (as written: fold them to compare)."""


def recover(source: bytes, display: str) -> Recovered | None:
    """The entries of ``source`` that compose, or None when it cannot be cut that way (a
    character the reader refuses, for one, stays the whole file's problem)."""
    try:
        return _recover(source, display)
    except (yaml.YAMLError, RecursionError):
        return None


def _recover(source: bytes, display: str) -> Recovered | None:
    text = source.decode("utf-8").removeprefix("\ufeff")
    lines = text.split("\n")
    entries = _entries(lines)
    if not entries:
        return None
    problems: list[Problem] = []
    nulls: set[tuple[int, int]] = set()
    names: set[str] = set()
    for _ in range(MOST + 1):
        failure = _failure("\n".join(lines))
        if failure is None:
            blank = "\n".join(lines).encode()
            return Recovered(blank, tuple(problems), frozenset(nulls), frozenset(names))
        culprit = _culprit(lines, entries, failure.problem_mark or failure.context_mark)
        if culprit is None:
            return None
        start, end, indent, error = culprit
        words = _names(lines[start:end])
        names.update(words)
        problems.append(_problem(error, text, display, words))
        lines[start] = " " * indent + "- null"
        for index in range(start + 1, end):
            lines[index] = ""
        nulls.add((start + 1, indent + 3))
        entries = [e for e in entries if e[0] != start]
    return None


def _failure(text: str) -> yaml.MarkedYAMLError | None:
    try:
        new_loader(text.encode()).get_single_node()
    except yaml.MarkedYAMLError as error:
        return error
    return None


def _entries(lines: list[str]) -> list[tuple[int, int, int, int]]:
    """(first line, end, indent, key line) of each entry of each top-level block list,
    0-based, ``end`` exclusive."""
    found: list[tuple[int, int, int, int]] = []
    index = 0
    while index < len(lines):
        if not _KEY.match(lines[index]) or _COMMENT.sub("", lines[index].split(":", 1)[1]).strip():
            index += 1
            continue
        key, index = index, index + 1
        starts: list[int] = []
        indent = None
        while index < len(lines):
            line = lines[index]
            stripped = line.strip()
            if (
                stripped
                and not stripped.startswith("#")
                and not line[:1].isspace()
                and (not line.startswith("-"))
            ):
                break  # the next top-level key
            item = _ITEM.match(line)
            if item and (indent is None or len(item.group(1)) == indent):
                indent = len(item.group(1))
                starts.append(index)
            index += 1
        ends = [*starts[1:], index][: len(starts)]
        found += [(s, e, indent or 0, key) for s, e in zip(starts, ends, strict=True)]
    return found


def _culprit(
    lines: list[str], entries: list[tuple[int, int, int, int]], mark: yaml.Mark | None
) -> tuple[int, int, int, yaml.MarkedYAMLError] | None:
    """The entry that fails on its own, where the whole text failed at ``mark``: the one
    holding it, else the one before (an unclosed quote runs into the next entry)."""
    if mark is None:
        return None
    at = [i for i, (s, e, _, _) in enumerate(entries) if s <= mark.line < e]
    if not at:
        at = [i for i, (s, _, _, _) in enumerate(entries) if s <= mark.line]
        at = at[-1:]
    for position in (at[0], at[0] - 1) if at else ():
        if position < 0:
            continue
        start, end, indent, key = entries[position]
        alone = [""] * len(lines)
        alone[key] = lines[key]
        alone[start:end] = lines[start:end]
        error = _failure("\n".join(alone[:end]))
        if error is not None:
            return start, end, indent, error
    return None


def _names(lines: list[str]) -> list[str]:
    return unread_names("\n".join(lines))


def unread_names(text: str) -> list[str]:
    """The userNames ``text`` writes, in order, each once."""
    found: dict[str, None] = {}
    for match in NAMES.finditer(text):
        name = next(group for group in match.groups() if group)
        found.setdefault(name.strip(), None)
    return list(found)


def _problem(error: yaml.MarkedYAMLError, text: str, display: str, names: list[str]) -> Problem:
    problem = syntax_problem(error, text, display)
    if not names:
        return problem
    shown = ", ".join(repr(name) for name in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    message = (
        f"{problem.message}; this entry was not read, so what names {shown}{more} "
        "elsewhere is checked once it reads"
    )
    return Problem(problem.file, problem.line, problem.column, message)
