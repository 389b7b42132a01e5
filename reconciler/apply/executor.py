"""Carry out a plan: ordered phases, bounded concurrency, going on past independent failures.

Phases, so that nothing references a resource that does not exist yet and no
member is removed after its user is gone:

1. users: adopt, update, deactivate, then create (a rename may free the name a
   create takes)
2. managers that a create or update could not set because the manager was created
   alongside (a manager whose create failed is skipped, and named)
3. groups: create, adopt, update
4. memberships: add, then remove (chunked to the profile's members per PATCH)
5. deletes: users, then groups

A change that depends on a failed one (a member whose create or adoption failed,
the members of a group whose create or adoption failed, a manager whose create
failed) is skipped and named in the report, which holds one outcome per change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.apply.kept import unkept
from reconciler.apply.report import Outcome, Report, Result
from reconciler.apply.requests import Client, Ids, Requests
from reconciler.errors import ReconcileError
from reconciler.model import MANAGER, Org
from reconciler.plan.model import MEMBERSHIP, Action, AttrChange, Change, Kind, Plan
from reconciler.scim.profiles import Profile

OnOutcome = Callable[[Outcome], None]
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Executor:
    """Applies the executable changes of a plan with one client."""

    client: Client
    profile: Profile
    live: Org
    concurrency: int = 8
    etags: bool = False
    on_outcome: OnOutcome = lambda outcome: None
    outcomes: list[Outcome] = field(default_factory=list)
    deferred: list[tuple[Change, str, AttrChange]] = field(default_factory=list)
    creating: set[str] = field(default_factory=set)
    """Keys of the users this run creates (their managed reports wait for them)."""
    failed: set[tuple[Kind, str | None]] = field(default_factory=set)
    """(kind, key) of the creates and adoptions that failed: what depends on them is skipped."""
    positions: dict[int, int] = field(default_factory=dict)
    """id() of each change run → the index of its outcome (a deferred manager may replace it)."""
    first_members: dict[str | None, Change] = field(default_factory=dict)
    """Key of each group this run creates → its row of members to add, when the profile
    sends members in a group's POST (``members_on_create``: Slack requires some)."""
    sent: dict[str | None, set[str]] = field(default_factory=dict)
    """Key of each group created with members → the ids its POST carried."""

    def run(self, plan: Plan) -> Report:
        started = time.monotonic()
        changes = plan.executable
        adoptions = [c for c in changes if c.action is Action.ADOPT]
        ids = Ids.of(self.live, adoptions)
        self.requests = Requests(self.client, self.profile, ids, self.etags)
        self.creating = {c.key for c in _of(changes, Kind.USER, Action.CREATE) if c.key}
        self._phase(
            _of(changes, Kind.USER, Action.ADOPT, Action.UPDATE, Action.DEACTIVATE), self._user
        )
        self._phase(_of(changes, Kind.USER, Action.CREATE), self._user)
        self._managers()
        if self.profile.members_on_create:
            created = {c.key for c in _of(changes, Kind.GROUP, Action.CREATE)}
            adds = _of(changes, Kind.GROUP, Action.ADD_MEMBERS)
            self.first_members = {c.key: c for c in adds if c.id is None and c.key in created}
        self.failed = self._failed()
        self._phase(
            _of(changes, Kind.GROUP, Action.CREATE, Action.ADOPT, Action.UPDATE), self._group
        )
        self.failed = self._failed()
        self._phase(_of(changes, Kind.GROUP, *MEMBERSHIP), self._members)
        self._phase(_of(changes, Kind.USER, Action.DELETE), self._delete)
        self._phase(_of(changes, Kind.GROUP, Action.DELETE), self._delete)
        sent = getattr(self.client, "requests_sent", 0)
        return Report(plan.target, tuple(self.outcomes), sent, time.monotonic() - started)

    def _failed(self) -> set[tuple[Kind, str | None]]:
        return {
            (o.change.kind, o.change.key)
            for o in self.outcomes
            if o.result is Result.FAILED and o.change.action in (Action.CREATE, Action.ADOPT)
        }

    def _phase(self, changes: list[Change], work: Callable[[Change], Outcome]) -> None:
        self._concurrently(changes, lambda c: _guarded(work, c), self._record)

    def _record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.positions[id(outcome.change)] = len(self.outcomes) - 1
        self.on_outcome(outcome)

    def _concurrently(
        self, items: list[T], work: Callable[[T], R], take: Callable[[R], None]
    ) -> None:
        """``take`` the result of ``work`` on each item, in order, with at most
        ``concurrency`` running at a time. Ctrl-C, while waiting or while ``take`` shows
        a result, starts nothing more: what is in flight finishes and is taken too."""
        if not items:
            return
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            futures = [pool.submit(work, item) for item in items]
            position = 0
            try:
                while position < len(futures):
                    result = futures[position].result()
                    position += 1
                    take(result)
            except KeyboardInterrupt:
                rest = futures[position:]
                for future in rest:
                    future.cancel()
                for future in rest:
                    if not future.cancelled():
                        take(future.result())
                raise
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _user(self, change: Change) -> Outcome:
        if change.action is Action.CREATE:
            new_id, deferred, answer = self.requests.create_user(change)
            self.requests.ids.created(change, new_id)
            if deferred is not None:
                self.deferred.append((change, new_id, deferred))
            return Outcome(change, Result.OK, "created", new_id, unkept(change, answer))
        later = self._later_manager(change)
        answer = self.requests.update_user(change, later)
        if later is not None and change.id is not None:
            self.deferred.append((change, change.id, later))
        return Outcome(change, Result.OK, _done(change), change.id, unkept(change, answer))

    def _later_manager(self, change: Change) -> AttrChange | None:
        """The manager an update must set only once the manager is created (same run)."""
        for attr in change.attributes:
            if attr.path == MANAGER and str(attr.after) in self.creating:
                return attr
        return None

    def _managers(self) -> None:
        """Set the managers that were created in this run (concurrently, as a phase); a
        failure replaces the outcome of the change it belongs to, so the report keeps one
        outcome per change."""
        self._concurrently(self.deferred, self._manager, self._replace)

    def _replace(self, outcome: Outcome | None) -> None:
        if outcome is not None:
            self.outcomes[self.positions[id(outcome.change)]] = outcome
            self.on_outcome(outcome)

    def _manager(self, deferred: tuple[Change, str, AttrChange]) -> Outcome | None:
        """Set one deferred manager: None when done, else the outcome that says why not."""
        change, user_id, attr = deferred
        done = "created" if change.action is Action.CREATE else _done(change)
        if self.requests.ids.users_by_key.get(str(attr.after)) is None:
            why = "create failed" if attr.after in self.creating else "is not on the server"
            message = f"{done}, but its manager {attr.after!r} was not set: the manager {why}"
            return Outcome(change, Result.SKIPPED, message, user_id)
        try:
            self.requests.set_manager(change, user_id, attr)
        except ReconcileError as error:
            message = f"{done}, but its manager was not set: {error}"
            return Outcome(change, Result.FAILED, message, user_id)
        return None

    def _group(self, change: Change) -> Outcome:
        if change.action is Action.CREATE:
            first = self._first_members(change)
            new_id, carried = self.requests.create_group(change, first)
            self.requests.ids.created(change, new_id)
            if not carried:
                return Outcome(change, Result.OK, "created", new_id)
            self.sent[change.key] = set(first)
            return Outcome(change, Result.OK, f"created with {len(first)} members", new_id)
        self.requests.update_group(change)
        return Outcome(change, Result.OK, _done(change), change.id)

    def _first_members(self, change: Change) -> list[str]:
        """The ids of the first members a group's POST carries (none unless the profile
        says so), of users that exist by now."""
        row = self.first_members.get(change.key)
        if row is None:
            return []
        ids = [
            uid
            for m in row.members
            if (Kind.USER, m.key) not in self.failed and (uid := self.requests.ids.member(m))
        ]
        return ids[: self.profile.members_on_create or 0]

    def _members(self, change: Change) -> Outcome:
        group_id = self.requests.ids.group(change)
        if group_id is None:
            return Outcome(change, Result.SKIPPED, f"group {change.name!r} was not created")
        if (Kind.GROUP, change.key) in self.failed:
            return Outcome(change, Result.SKIPPED, f"group {change.name!r} was not adopted")
        resolved = [
            (m, None if (Kind.USER, m.key) in self.failed else self.requests.ids.member(m))
            for m in change.members
        ]
        ids = [uid for _, uid in resolved if uid is not None]
        missing = [m.user_name for m, uid in resolved if uid is None]
        if change.action is Action.ADD_MEMBERS:
            carried = self.sent.get(change.key, set()) if change.id is None else set()
            self.requests.add_members(group_id, [i for i in ids if i not in carried])
        else:
            self.requests.remove_members(group_id, ids)
        if missing:
            names = ", ".join(missing)
            return Outcome(
                change,
                Result.SKIPPED,
                f"{len(ids)} done; skipped {names}: their create or adoption failed",
                group_id,
            )
        verb = "added" if change.action is Action.ADD_MEMBERS else "removed"
        return Outcome(change, Result.OK, f"{len(ids)} {verb}", group_id)

    def _delete(self, change: Change) -> Outcome:
        self.requests.delete(change)
        return Outcome(change, Result.OK, "deleted", change.id)


def _guarded(work: Callable[[Change], Outcome], change: Change) -> Outcome:
    """Run one change; a failure becomes its outcome, so independent changes go on."""
    try:
        return work(change)
    except ReconcileError as error:
        return Outcome(change, Result.FAILED, str(error))


def _of(changes: Iterable[Change], kind: Kind, *actions: Action) -> list[Change]:
    return [c for c in changes if c.kind is kind and c.action in actions]


def _done(change: Change) -> str:
    return {
        Action.ADOPT: "adopted",
        Action.UPDATE: "updated",
        Action.DEACTIVATE: "deactivated",
    }.get(change.action, "done")
