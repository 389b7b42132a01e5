"""Plan requests and plan time, against the floor, on a loaded server.

A no-change plan through the real code (``open_session`` → ``Session.read`` →
``planned``), its requests counted by the client, against:

- the floor in requests, computed from the org: discovery, plus every listing page at
  the largest page size the server allows, plus (AWS) one paged membership query per
  group;
- the floor in time: ``bench.floor.download`` of the same pages with bare httpx.

Runs alternate (floor, plan, floor, plan …) and the best of each is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.floor import Download, Paging, download
from bench.liveserver import TOKEN
from reconciler.config import Target
from reconciler.desired import DesiredState
from reconciler.scim.profiles import get_profile
from reconciler.session import open_session, planned


@dataclass(frozen=True)
class PlanRun:
    seconds: float
    requests: int
    membership_requests: int
    changes: int


@dataclass(frozen=True)
class PlanFigures:
    profile: str
    floor_requests: int
    floor_membership_requests: int
    plan: PlanRun
    bare: Download

    @property
    def time_ratio(self) -> float:
        return self.plan.seconds / self.bare.seconds


def paging_of(profile: str, server_max: int = 1000) -> Paging:
    """How a profile pages against the sandbox (generic: the server's maxResults)."""
    chosen = get_profile(profile)
    size = min(chosen.page_size or server_max, server_max)
    per_group = chosen.membership_read == "per-group"
    return Paging(chosen.paging or "index", size, per_group, chosen.default_concurrency)


def pages(count: int, size: int) -> int:
    """Pages of a listing of ``count`` resources: an empty listing still takes one."""
    return max(1, math.ceil(count / size))


def floor_requests(paging: Paging, users: int, group_sizes: Sequence[int]) -> tuple[int, int]:
    """(all requests, membership requests) the floor of a no-change plan takes."""
    membership = sum(pages(n, paging.size) for n in group_sizes) if paging.members_per_group else 0
    listing = pages(users, paging.size) + pages(len(group_sizes), paging.size)
    return 1 + listing + membership, membership


def plan_once(url: str, profile: str, desired: DesiredState) -> PlanRun:
    """One no-change plan through the real code, timed from connecting to the checked plan."""
    env = {"SCIM_URL": url, "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": profile}
    started = time.perf_counter()
    with open_session(Target(name="bench"), env=env) as session:
        live = session.read()
        plan = planned(session, desired, live)
        requests = session.client.requests_sent
    seconds = time.perf_counter() - started
    return PlanRun(seconds, requests, live.membership_requests, len(plan.changes))


def measure(
    url: str, profile: str, desired: DesiredState, group_sizes: Sequence[int], repeat: int = 1
) -> PlanFigures:
    paging = paging_of(profile)
    total, membership = floor_requests(paging, len(desired.org.users), group_sizes)
    bare: Download | None = None
    best: PlanRun | None = None
    for _ in range(max(1, repeat)):
        got = download(url, TOKEN, paging)
        bare = got if bare is None or got.seconds < bare.seconds else bare
        run = plan_once(url, profile, desired)
        best = run if best is None or run.seconds < best.seconds else best
    assert bare is not None and best is not None
    return PlanFigures(profile, total, membership, best, bare)
