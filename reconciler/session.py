"""One run against one target: connect, discover, read live, plan. Used by every command."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from reconciler import __version__
from reconciler.collector import collector_paused
from reconciler.config import Connection, Target, load_targets, resolve_connection, select_target
from reconciler.desired import DesiredState
from reconciler.errors import InputError
from reconciler.identity import fold
from reconciler.lastseen import check_and_record
from reconciler.mapping import for_target
from reconciler.model import Org
from reconciler.plan.diff import diff
from reconciler.plan.model import Plan
from reconciler.plan.notes import deletion_notes
from reconciler.plan.safety import Approvals, PrivilegedMembers, check, standing_access
from reconciler.plan.saved import attach_snapshots, narrow
from reconciler.plan.select import expirations, parse_addresses, restrict, within_scope
from reconciler.plan.unique import unique_conflicts
from reconciler.policy import Policy
from reconciler.scim.client import ScimClient
from reconciler.scim.discovery import Capabilities, discover
from reconciler.scim.profiles import Profile, get_profile
from reconciler.scim.reader import LiveState, read_live


@dataclass(frozen=True)
class Tls:
    """How to verify the server: a CA bundle, or (loudly) not at all."""

    ca_bundle: Path | None = None
    insecure: bool = False

    def verify(self, target: Target) -> bool | str:
        if self.insecure:
            return False
        bundle = self.ca_bundle or target.ca_bundle
        return str(bundle) if bundle else True


@dataclass(frozen=True)
class Pace:
    """``--rate`` and ``--concurrency``: when given, they override the target's ``rate``
    and ``concurrency`` (and so the profile's defaults)."""

    rate: float | None = None
    concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.rate is not None and not (math.isfinite(self.rate) and self.rate > 0):
            raise InputError(f"--rate {self.rate:g}: give a positive number of requests per second")
        if self.concurrency is not None and self.concurrency < 1:
            raise InputError(f"--concurrency {self.concurrency}: give at least 1")

    def applied(self, target: Target) -> Target:
        return replace(
            target,
            rate=self.rate or target.rate,
            concurrency=self.concurrency or target.concurrency,
        )


@dataclass
class Session:
    """An open connection to one target, with what the server can do."""

    connection: Connection
    profile: Profile
    client: ScimClient
    caps: Capabilities

    @property
    def target(self) -> Target:
        return self.connection.target

    @property
    def policy(self) -> Policy:
        return self.target.policy

    @property
    def concurrency(self) -> int:
        return self.target.concurrency or self.profile.default_concurrency

    def read(self, like: Org | None = None) -> LiveState:
        """The live state, whole, after the last-seen guard; ``like`` (the desired org)
        lets the live model share the values the two agree on (see ``read_live``)."""
        with collector_paused():
            live = read_live(
                self.client,
                self.caps,
                self.profile,
                self.policy.marker_prefix,
                concurrency=self.concurrency,
                like=like,
                max_resources=self.target.max_resources,
            )
        check_and_record(live.org, self.connection.url)
        return live


def check_removal_policy(target: Target, profile: Profile) -> None:
    """Refuse a removal policy the target's server cannot honour as written."""
    policy = target.policy
    problems = list(
        profile.removal_problems(
            policy.on_remove,
            policy.delete_after,
            acknowledged=policy.acknowledge_irreversible_delete,
        )
    )
    if problems:
        raise InputError(f"target {target.name!r}: {problems[0]}")


def choose_target(directory: Path, name: str | None) -> Target:
    return select_target(load_targets(directory), name)


@contextmanager
def open_session(
    target: Target,
    *,
    profile: str | None = None,
    tls: Tls = Tls(),
    env: Mapping[str, str] | None = None,
    pace: Pace = Pace(),
) -> Iterator[Session]:
    """Connect to ``target`` and read its capabilities; the client is closed on exit."""
    target = pace.applied(target)
    connection = resolve_connection(target, os.environ if env is None else env, profile)
    chosen = get_profile(connection.profile)
    check_removal_policy(target, chosen)
    client = ScimClient(
        connection.url,
        connection.token,
        timeout=target.timeout,
        verify=tls.verify(target),
        rate=target.rate or chosen.default_rate,
        write_rate=target.write_rate or chosen.default_write_rate,
        user_agent=chosen.user_agent or f"scim-reconciler/{__version__}",
    )
    with client:
        yield Session(connection, chosen, client, discover(client, chosen))


@dataclass(frozen=True)
class PlanOptions:
    adopt: bool = False
    force: bool = False
    only: tuple[str, ...] = ()
    """``--only`` addresses (``user:NAME``, ``group:NAME``)."""
    digest: bool = False
    """Record the desired state's digest (a saved or JSON plan needs it; it costs a pass)."""
    approvals: Approvals = field(default_factory=Approvals)
    """What approves privileged changes (``--allow privileged``, pull-request reviews)."""
    at: datetime | None = None
    """The moment to plan as of (``plan --at``): which temporary memberships have ended."""
    expired_only: bool = False
    """Only the removals of ended temporary memberships (``apply --expired-only``)."""


def desired_for(target: Target, desired: DesiredState) -> Org:
    """The desired org as ``target`` sees it: its scope, then its mapping."""
    if target.scope is not None:
        known = {fold(g.display_name) for g in desired.org.groups}
        unknown = sorted(target.scope - known)
        if unknown:
            raise InputError(
                f"target {target.name!r}: scope names group {unknown[0]!r}, which the desired "
                "state does not define"
            )
    return for_target(desired.org, target.mapping, target.scope)


def planned(
    session: Session,
    desired: DesiredState,
    live: LiveState,
    options: PlanOptions = PlanOptions(),
    *,
    within: Plan | None = None,
    select: Callable[[Plan], Plan] | None = None,
) -> Plan:
    """The checked plan for ``desired`` against ``live`` under the target's policy.

    ``within`` (a saved plan, untrusted) narrows the fresh plan to the rows it holds
    (``saved.narrow``), and ``select`` (heal: what drift classes as changed or missing)
    to what it returns, before the one safety check every plan goes through."""
    policy = session.policy
    if options.adopt:
        policy = replace(policy, adopt=True)
    now = options.at or datetime.now(UTC)
    addresses = parse_addresses(options.only, desired.org, live.org) if options.only else []
    with collector_paused():
        wanted = desired_for(session.target, desired)
        plan = diff(
            wanted,
            live.org,
            policy,
            target=session.target.name,
            digest=desired.digest if options.digest else "",
            unstored=session.profile.unstored,
            complete=not live.partial,
            hidden_while_inactive=session.profile.hidden_while_inactive,
            now=now,
        )
    if session.target.scope is not None:
        plan = within_scope(plan, session.target.scope, wanted, live.org)
    plan = unique_conflicts(plan, live.org, session.profile.unique_primary)
    plan = deletion_notes(plan, session.profile.group_delete_note)
    if live.partial:
        plan = replace(plan, warnings=(*plan.warnings, *live.partial))
    if standing := standing_access(policy, wanted, now):
        plan = replace(plan, warnings=(*plan.warnings, *standing))
    if addresses:
        plan = restrict(plan, addresses)
    if options.expired_only:
        plan = expirations(plan)
    if within is not None:
        plan = narrow(plan, within, live.org)
    if select is not None:
        plan = select(plan)
    # Snapshots first: the limits tell a delete of an active user by what was read.
    snapshots = attach_snapshots(plan, live.org)
    members = PrivilegedMembers.of(policy, wanted, live.org)
    return check(
        snapshots,
        policy,
        force=options.force,
        approvals=options.approvals,
        members=members,
        now=now,
    )
