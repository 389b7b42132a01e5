"""Carry out a plan: ordered phases, bounded concurrency, going on past independent failures.

Phases, so that nothing references a resource that does not exist yet and no
member is removed after its user is gone:

1. users: create, adopt, update, deactivate
2. managers that a create could not set because the manager was created alongside
3. groups: create, adopt, update
4. memberships: add, then remove (chunked to the profile's members per PATCH)
5. deletes: users, then groups

A change that depends on a failed one (a member whose create failed, the members
of a group whose create failed) is skipped and named in the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from reconciler.apply.report import Outcome, Report, Result
from reconciler.apply.requests import Client, Ids, Requests
from reconciler.errors import ReconcileError
from reconciler.model import Org
from reconciler.plan.model import Action, AttrChange, Change, Kind, Plan
from reconciler.scim.profiles import Profile

OnOutcome = Callable[[Outcome], None]


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

    def run(self, plan: Plan) -> Report:
        started = time.monotonic()
        changes = plan.executable
        adoptions = [c for c in changes if c.action is Action.ADOPT]
        ids = Ids.of(self.live, adoptions)
        self.requests = Requests(self.client, self.profile, ids, self.etags)
        self._phase(
            _of(changes, Kind.USER, Action.CREATE, Action.ADOPT, Action.UPDATE, Action.DEACTIVATE),
            self._user,
        )
        self._managers()
        self._phase(
            _of(changes, Kind.GROUP, Action.CREATE, Action.ADOPT, Action.UPDATE), self._group
        )
        self._phase(
            _of(changes, Kind.GROUP, Action.ADD_MEMBERS, Action.REMOVE_MEMBERS), self._members
        )
        self._phase(_of(changes, Kind.USER, Action.DELETE), self._delete)
        self._phase(_of(changes, Kind.GROUP, Action.DELETE), self._delete)
        sent = getattr(self.client, "requests_sent", 0)
        return Report(plan.target, tuple(self.outcomes), sent, time.monotonic() - started)

    def _phase(self, changes: list[Change], work: Callable[[Change], Outcome]) -> None:
        if not changes:
            return
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            for outcome in pool.map(lambda c: _guarded(work, c), changes):
                self.outcomes.append(outcome)
                self.on_outcome(outcome)

    def _user(self, change: Change) -> Outcome:
        if change.action is Action.CREATE:
            new_id, deferred = self.requests.create_user(change)
            self.requests.ids.created(change, new_id)
            if deferred is not None:
                self.deferred.append((change, new_id, deferred))
            return Outcome(change, Result.OK, "created", new_id)
        self.requests.update_user(change)
        return Outcome(change, Result.OK, _done(change), change.id)

    def _managers(self) -> None:
        for change, user_id, attr in self.deferred:
            try:
                self.requests.set_manager(change, user_id, attr)
            except ReconcileError as error:
                outcome = Outcome(change, Result.FAILED, f"created, but manager not set: {error}")
                self.outcomes.append(outcome)
                self.on_outcome(outcome)

    def _group(self, change: Change) -> Outcome:
        if change.action is Action.CREATE:
            new_id = self.requests.create_group(change)
            self.requests.ids.created(change, new_id)
            return Outcome(change, Result.OK, "created", new_id)
        self.requests.update_group(change)
        return Outcome(change, Result.OK, _done(change), change.id)

    def _members(self, change: Change) -> Outcome:
        group_id = self.requests.ids.group(change)
        if group_id is None:
            return Outcome(change, Result.SKIPPED, f"group {change.name!r} was not created")
        resolved = [(m, self.requests.ids.member(m)) for m in change.members]
        ids = [uid for _, uid in resolved if uid is not None]
        missing = [m.user_name for m, uid in resolved if uid is None]
        if change.action is Action.ADD_MEMBERS:
            self.requests.add_members(group_id, ids)
        else:
            self.requests.remove_members(group_id, ids)
        if missing:
            names = ", ".join(missing)
            return Outcome(
                change,
                Result.SKIPPED,
                f"{len(ids)} done; skipped {names}: their create failed",
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
