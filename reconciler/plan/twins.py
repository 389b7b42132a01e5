"""Twins: live resources that share one ownership marker (or, for groups, one name).

A marker on two live users means one of them is not what it claims to be: a copied
``externalId``, or a hand-made account that took someone's marker. Two managed
groups with one marker or one name are what two applies at once leave behind. In
both cases any pick is arbitrary, and a wrong one hands an identity, or a group's
access, to another account. So the diff picks none: each set of twins is one
conflict row naming every twin (name and id), and no twin is updated, renamed,
deactivated, deleted, adopted or has its memberships changed until a person
resolves it on the server.

Pure data, no I/O; ``find`` costs one dictionary look-up, and a read without twins
(the usual case) costs one pass to count the markers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from reconciler.identity import fold
from reconciler.model import Group, User
from reconciler.plan.model import Action, Change, Kind, Status

R = TypeVar("R", User, Group)

SHOWN = 10
"""Twins named in one row; a marker copied onto thousands of accounts is counted after."""

RESOLVE = (
    "none of them is written until a person resolves it on the server (remove the marker "
    "from the one that is not ours, or delete the extra copy)"
)


@dataclass
class Twins(Generic[R]):
    """The sets of twins among one kind of live resources."""

    kind: Kind
    sets: list[tuple[R, ...]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    by_key: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    names: dict[str, R] = field(default_factory=dict)
    """Folded name → a twin that holds it."""
    reported: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, kind: Kind, live: tuple[R, ...], prefix: str) -> Twins[R]:
        """Twins by marker (users and groups) and by folded name (managed groups)."""
        twins: Twins[R] = cls(kind)
        for key, found in _shared(live, _key):
            twins._add(found, f"carry one ownership marker {prefix + key!r}", key=key)
        if kind is Kind.GROUP:
            for name, found in _shared(live, _folded_name):
                if {r.id for r in found} <= twins.ids:
                    twins.by_name.setdefault(name, twins.by_key[found[0].key or ""])
                    continue  # the same copies as a shared marker: one row says it
                twins._add(found, f"managed by us are named {_name(found[0])!r}", name=name)
        return twins

    def _add(self, found: tuple[R, ...], what: str, *, key: str = "", name: str = "") -> None:
        index = len(self.sets)
        listed = ", ".join(f"{_name(r)!r} (id {r.id!r})" for r in found[:SHOWN])
        if len(found) > SHOWN:
            listed += f" and {len(found) - SHOWN} more"
        self.sets.append(found)
        self.reasons.append(f"{len(found)} live {self.kind}s {what}: {listed}; {RESOLVE}")
        if key:
            self.by_key.setdefault(key, index)
        if name:
            self.by_name.setdefault(name, index)
        self.ids.update(r.id for r in found if r.id is not None)
        self.names.update((fold(_name(r)), r) for r in found)

    def __bool__(self) -> bool:
        return bool(self.sets)

    def rest(self, live: Iterable[R]) -> tuple[R, ...]:
        """The live resources that are no twin."""
        return tuple(r for r in live if r.id not in self.ids)

    def find(self, want: R) -> int | None:
        """The set of twins a desired resource maps to, by key or by name."""
        found = self.by_key.get(want.key or "")
        if found is None:
            found = self.by_name.get(fold(_name(want)))
        return found

    def row(self, want: R) -> Change | None:
        """The conflict row of a desired resource that maps to twins (by key or name)
        or whose name a twin holds; None when it maps to none, or to twins whose row
        another desired resource already gave."""
        found = self.find(want)
        if found is not None:
            return self.conflict(found, want) or _row(self.kind, want, self.reasons[found])
        twin = self.names.get(fold(_name(want)))
        return None if twin is None else _name_held(self.kind, want, twin)

    def conflict(self, index: int, want: R | None = None) -> Change | None:
        """The one row of a set of twins (None when it was already given)."""
        if index in self.reported:
            return None
        self.reported.add(index)
        shown = want if want is not None else self.sets[index][0]
        return _row(self.kind, shown, self.reasons[index])

    def unreported(self) -> list[Change]:
        """The rows of the sets no desired resource maps to."""
        rows = (self.conflict(index) for index in range(len(self.sets)))
        return [row for row in rows if row is not None]


def _name_held(kind: Kind, want: User | Group, twin: User | Group) -> Change:
    """A desired resource whose name a twin holds: a conflict too, never a create."""
    reason = (
        f"its name is held by the live {kind} {_name(twin)!r} (id {twin.id!r}), whose "
        f"ownership marker is shared with another {kind}: {RESOLVE}"
    )
    return _row(kind, want, reason)


def _row(kind: Kind, shown: User | Group, reason: str) -> Change:
    """The conflict row that names ``shown``, with ``reason``."""
    change = Change(kind, Action.CONFLICT, _name(shown), shown.key)
    return change.with_status(Status.CONFLICT, reason)


def _shared(live: tuple[R, ...], label: Callable[[R], str]) -> list[tuple[str, tuple[R, ...]]]:
    """(label, resources) for each label that more than one managed resource has."""
    if label is _key:  # the usual case, and 100,000 users: one pass, no call per user
        keys = [r.key for r in live if r.key is not None]
        if len(set(keys)) == len(keys):
            return []
    managed = [r for r in live if r.key is not None]
    labels = [label(r) for r in managed]
    if len(set(labels)) == len(labels):
        return []
    grouped: dict[str, list[R]] = {}
    for resource, text in zip(managed, labels, strict=True):
        grouped.setdefault(text, []).append(resource)
    return sorted(
        (text, tuple(sorted(found, key=lambda r: r.id or "")))
        for text, found in grouped.items()
        if len(found) > 1
    )


def _key(resource: User | Group) -> str:
    return resource.key or ""


def _folded_name(resource: User | Group) -> str:
    return fold(_name(resource))


def _name(resource: User | Group) -> str:
    return resource.user_name if isinstance(resource, User) else resource.display_name
