"""Checks across files that a schema cannot express: uniqueness and references."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem
from reconciler.model import MULTI_VALUED

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Entry:
    """One user or group entry of one document."""

    doc: YamlDocument
    path: Path
    data: dict[str, Any]

    def problem(self, message: str, *sub: str | int) -> Problem:
        mark = self.doc.mark((*self.path, *sub))
        return Problem(self.doc.path, mark.line, mark.column, message)

    def place(self) -> str:
        mark = self.doc.mark(self.path)
        return f"{self.doc.path}:{mark.line}"


def entries(docs: Sequence[YamlDocument], kind: str) -> Iterator[Entry]:
    """Every well-formed ``kind`` ("users"/"groups") entry of the documents, in order."""
    for doc in docs:
        items = doc.data.get(kind) if isinstance(doc.data, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                yield Entry(doc, (kind, index), item)


def semantic_problems(docs: Sequence[YamlDocument]) -> list[Problem]:
    """Duplicates and dangling references across every document of the desired state."""
    users = list(entries(docs, "users"))
    groups = list(entries(docs, "groups"))
    problems = [
        *_duplicates(users, "userName", "user"),
        *_duplicates(users, "externalId", "user externalId"),
        *_duplicates(groups, "displayName", "group"),
        *_duplicates(groups, "externalId", "group externalId"),
        *_primaries(users),
    ]
    names = {str(u.data["userName"]).casefold() for u in users if "userName" in u.data}
    problems += _references(users, groups, names)
    return problems


def _duplicates(found: list[Entry], attribute: str, noun: str) -> Iterator[Problem]:
    first: dict[str, Entry] = {}
    for entry in found:
        value = entry.data.get(attribute)
        if not isinstance(value, str):
            continue
        key = value.casefold()
        if key in first:
            where = first[key].place()
            yield entry.problem(f"{noun} {value!r} is defined twice (first at {where})", attribute)
        else:
            first[key] = entry


def _primaries(users: list[Entry]) -> Iterator[Problem]:
    for entry in users:
        for attribute in MULTI_VALUED:
            values = entry.data.get(attribute)
            if not isinstance(values, list):
                continue
            primaries = [
                i for i, v in enumerate(values) if isinstance(v, dict) and v.get("primary")
            ]
            if len(primaries) > 1:
                yield entry.problem(
                    f"{attribute}: only one value may be primary", attribute, primaries[1]
                )


def _references(users: list[Entry], groups: list[Entry], names: set[str]) -> Iterator[Problem]:
    known: Callable[[Any], bool] = lambda value: str(value).casefold() in names  # noqa: E731
    for entry in users:
        manager = (entry.data.get("enterprise") or {}).get("manager")
        if manager is not None and not known(manager):
            yield entry.problem(
                f"manager {manager!r} is not a user defined in the desired state",
                "enterprise",
                "manager",
            )
    for entry in groups:
        seen: set[str] = set()
        for index, member in enumerate(entry.data.get("members") or []):
            folded = str(member).casefold()
            if not known(member):
                yield entry.problem(
                    f"member {member!r} of group {entry.data.get('displayName')!r} is not a "
                    "user defined in the desired state",
                    "members",
                    index,
                )
            elif folded in seen:
                yield entry.problem(f"member {member!r} is listed twice", "members", index)
            seen.add(folded)
