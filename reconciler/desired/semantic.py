"""Checks a schema cannot express: uniqueness and references across files, identifiers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.desired.identifiers import identifier_values, unreadable
from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem
from reconciler.identity import fold, key_of_name
from reconciler.model import MULTI_VALUED
from reconciler.temporary import end_text, expired, parse_end

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


def semantic_problems(
    docs: Sequence[YamlDocument], unread: Unread | None = None
) -> Iterator[Problem]:
    """Duplicates, dangling references and unreadable identifiers across every document.

    Runs on documents that may have failed the schema too: whatever is not of the
    expected type is skipped here (the schema has reported it). A member or manager
    that names no user read, but a name that something not read may define (``unread``,
    and each document's unread entries), is not called undefined: the problem of what
    could not be read says it is checked once that reads.
    """
    users = list(entries(docs, "users"))
    groups = list(entries(docs, "groups"))
    readable: set[str] = set()
    yield from _identifiers(users, "users", readable)
    yield from _identifiers(groups, "groups", readable)
    yield from _duplicates(users, "userName", "user")
    yield from _duplicates(users, "externalId", "user externalId")
    yield from _shared_keys(users, "userName", "user")
    yield from _duplicates(groups, "displayName", "group")
    yield from _duplicates(groups, "externalId", "group externalId")
    yield from _shared_keys(groups, "displayName", "group")
    yield from _primaries(users)
    names = {
        u.data["userName"]: fold(u.data["userName"])
        for u in users
        if isinstance(u.data.get("userName"), str)
    }
    unread = unread or Unread()
    maybe = unread.names | {fold(name) for doc in docs for name in doc.unread}
    yield from _references(users, groups, names, Unread(maybe, unread.anything))
    yield from _manager_cycles(users)


def _identifiers(found: list[Entry], kind: str, readable: set[str]) -> Iterator[Problem]:
    """Unreadable identifiers; the readable userNames are added to ``readable`` (members
    and managers repeat them: they are then not looked at again)."""
    for entry in found:
        bad = False
        for path, text in identifier_values(entry.data, kind, readable):
            reason = unreadable(text)
            if reason is not None:
                bad = bad or path == ("userName",)
                yield entry.problem(f"{_dotted((*entry.path, *path))}: {reason}", *path)
        name = entry.data.get("userName")
        if kind == "users" and not bad and name.__class__ is str:
            readable.add(name)


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _duplicates(found: list[Entry], attribute: str, noun: str) -> Iterator[Problem]:
    first: dict[str, Entry] = {}
    for entry in found:
        value = entry.data.get(attribute)
        if not isinstance(value, str):
            continue
        key = fold(value)
        if key in first:
            where = first[key].place()
            yield entry.problem(f"{noun} {value!r} is defined twice (first at {where})", attribute)
        else:
            first[key] = entry


def _shared_keys(found: list[Entry], attribute: str, noun: str) -> Iterator[Problem]:
    """Two entries whose keys are one, refused at each of them: a key made from an
    explicit ``externalId`` and a key made from another entry's name are one namespace
    (``{userName: mallory@…, externalId: alice@…}`` beside ``alice@…`` would take
    Alice's account). Entries whose keys come from the same field are ``_duplicates``'s."""
    holders: dict[str, list[tuple[Entry, str]]] = {}
    for entry in found:
        explicit, name = entry.data.get("externalId"), entry.data.get(attribute)
        if isinstance(explicit, str) and explicit:
            holders.setdefault(fold(explicit), []).append((entry, "externalId"))
        elif isinstance(name, str):
            holders.setdefault(key_of_name(name), []).append((entry, attribute))
    for key, sharing in holders.items():
        if len({source for _, source in sharing}) < 2:
            continue
        for entry, source in sharing:
            others = ", ".join(
                f"{noun} {_label(other, attribute)} at {other.place()}"
                for other, _ in sharing
                if other is not entry
            )
            yield entry.problem(
                f"{noun} {_label(entry, attribute)} has the key {key!r} (from its {source}), "
                f"which is also the key of {others}: each {noun} needs a key of its own "
                "(give one of them another externalId)",
                source,
            )


def _label(entry: Entry, attribute: str) -> str:
    return repr(entry.data.get(attribute))


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


@dataclass(frozen=True)
class Unread:
    """What could not be read may define: the names its text writes (folded), and whether
    it could hold anything at all (a file not read)."""

    names: frozenset[str] = frozenset()
    anything: bool = False


class Known(set[str]):
    """The user names defined, and what could not be read may define besides."""

    def __init__(self, names: Iterable[str], unread: Unread) -> None:
        super().__init__(names)
        self.unread = unread

    def __contains__(self, name: object) -> bool:
        return set.__contains__(self, name) or self.unread.anything or name in self.unread.names


def _references(
    users: list[Entry], groups: list[Entry], folded: dict[str, str], unread: Unread = Unread()
) -> Iterator[Problem]:
    """Managers and members that name no user. ``folded``: each userName as written →
    its fold (members and managers nearly always repeat a userName as written).
    ``unread``: what may define more, so that a name it holds is not called undefined."""
    plain = not (unread.names or unread.anything)  # nearly always: a set, at C speed
    names = set(folded.values()) if plain else Known(folded.values(), unread)
    for entry in users:
        enterprise = entry.data.get("enterprise")
        manager = enterprise.get("manager") if isinstance(enterprise, dict) else None
        if isinstance(manager, str) and (folded.get(manager) or fold(manager)) not in names:
            yield entry.problem(
                f"manager {manager!r} is not a user defined in the desired state",
                "enterprise",
                "manager",
            )
    for entry in groups:
        members = entry.data.get("members")
        yield from _members(entry, members if isinstance(members, list) else [], names, folded)


def _manager_of(entry: Entry) -> str | None:
    enterprise = entry.data.get("enterprise")
    manager = enterprise.get("manager") if isinstance(enterprise, dict) else None
    return manager if isinstance(manager, str) else None


def _manager_cycles(users: list[Entry]) -> Iterator[Problem]:
    """A user who is their own manager, or managers that come round in a loop: no
    server can set such a chain one user after the other, and it is always a mistake.
    Each user is walked once (linear in the users, however long the chains)."""
    first: dict[str, Entry] = {}
    for entry in users:
        name = entry.data.get("userName")
        if isinstance(name, str):
            first.setdefault(fold(name), entry)
    done: set[str] = set()
    for start in first:
        path: list[str] = []
        on_path: dict[str, int] = {}
        step: str | None = start
        while step is not None and step in first and step not in done:
            on_path[step] = len(path)
            path.append(step)
            done.add(step)
            manager = _manager_of(first[step])
            step = fold(manager) if manager is not None else None
            if step in on_path:
                loop = path[on_path[step] :]
                for at, name in enumerate(loop):
                    turn = [*loop[at:], *loop[:at], name]
                    chain = [first[n].data["userName"] for n in turn]
                    yield first[name].problem(_loop(chain), "enterprise", "manager")
                break


def _loop(chain: list[str]) -> str:
    if len(chain) == 2:
        return f"user {chain[0]!r} is their own manager; remove the manager or name another"
    shown = " → ".join(repr(name) for name in chain)
    return f"managers go round in a loop ({shown}); a chain of managers must end"


def _members(
    entry: Entry, members: list[Any], names: set[str], known: dict[str, str]
) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, item in enumerate(members):
        member = item if item.__class__ is str else member_name(item)
        if member is None:
            continue
        folded = known.get(member) or fold(member)
        if folded not in names:
            yield entry.problem(
                f"member {member!r} of group {entry.data.get('displayName')!r} is not a "
                "user defined in the desired state",
                *member_place(item, index),
            )
        elif folded in seen:
            yield entry.problem(f"member {member!r} is listed twice", *member_place(item, index))
        seen.add(folded)
        if item.__class__ is dict:
            yield from _end(entry, item, index)


def member_name(item: Any) -> str | None:
    """The userName a member entry names (``alice@…`` or ``{user: alice@…, until: …}``)."""
    if isinstance(item, dict):
        item = item.get("user")
    return item if isinstance(item, str) else None


def member_place(item: Any, index: int) -> tuple[str | int, ...]:
    """Where a member entry's userName is written."""
    return ("members", index, "user") if isinstance(item, dict) else ("members", index)


def _end(entry: Entry, item: Any, index: int) -> Iterator[Problem]:
    until = item.get("until") if isinstance(item, dict) else None
    if not isinstance(until, str):
        return
    try:
        parse_end(until)
    except ValueError as error:
        place = (*entry.path, "members", index, "until")
        yield entry.problem(f"{_dotted(place)}: {error}", "members", index, "until")


def expired_members(docs: Sequence[YamlDocument], now: datetime) -> Iterator[Problem]:
    """A warning (not a failure) at each membership whose ``until`` has passed: the plan
    removes it."""
    for entry in entries(docs, "groups"):
        members = entry.data.get("members")
        for index, item in enumerate(members if isinstance(members, list) else ()):
            until = item.get("until") if isinstance(item, dict) else None
            if not isinstance(until, str):
                continue
            try:
                end = parse_end(until)
            except ValueError:
                continue
            if expired(end, now):
                yield entry.problem(
                    f"warning: the membership of {member_name(item)!r} in group "
                    f"{entry.data.get('displayName')!r} ended {end_text(until)}: the plan "
                    "removes it; delete the entry once it is removed",
                    "members",
                    index,
                    "until",
                )
