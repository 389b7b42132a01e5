"""The AWS read at scale (issue 11, item 6): a no-change plan on the aws-identity-center
profile through a proxy that adds ``latency`` to every request.

Two figures, each against its floor:

- requests: discovery, every page of ``/Users`` and ``/Groups`` (100 a page, the first
  one asked for with an empty ``cursor``), and one paged ``groups.value`` query per
  group (``bench.plantime.floor_requests``);
- wall time, against requests ÷ the profile's concurrency × latency: what the read would
  take if every request waited only for the latency and the profile's concurrency were
  always in use.

The sandbox serves one request at a time on one core and serializes a resource in about
a millisecond the first time (AWS serves in parallel): before the measured plan, the
same pages are downloaded once straight from the server with bare httpx
(``bench.floor.download``, not measured against the target, reported for reference), so
the plan meets a server that answers from its kept JSON.

Run alone: ``python -m bench.awsread --users 10000 --groups 1000 --latency 0.05``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the bench package from the repo
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.floor import Download, download
from bench.liveserver import TOKEN, serving
from bench.orggen import OrgData
from bench.plantime import PlanRun, floor_requests, paging_of, plan_once
from bench.proxy import delaying
from reconciler.desired import DesiredState
from reconciler.scim.profiles import get_profile

PROFILE = "aws-identity-center"
TIME_TARGET = 1.2


@dataclass(frozen=True)
class AwsRead:
    users: int
    groups: int
    latency: float
    concurrency: int
    floor_requests: int
    floor_membership_requests: int
    plan: PlanRun
    warm_up: Download

    @property
    def bound_seconds(self) -> float:
        """Requests ÷ concurrency × latency: the wall time if latency were all there is."""
        return self.plan.requests / self.concurrency * self.latency

    @property
    def time_ratio(self) -> float:
        return self.plan.seconds / self.bound_seconds


def measure(org: OrgData, desired: DesiredState, latency: float) -> AwsRead:
    """One no-change plan of ``org`` (loaded into an AWS sandbox) through the proxy."""
    paging = paging_of(PROFILE)
    sizes = [len(g["members"]) for g in org.groups]
    total, membership = floor_requests(paging, len(org.users), sizes)
    with serving(PROFILE, len(org.users), len(org.groups)) as live:
        warm_up = download(live.url, TOKEN, paging)
        with delaying(live.url, latency) as far:
            run = plan_once(far, PROFILE, desired)
    concurrency = get_profile(PROFILE).default_concurrency
    counts = (len(org.users), len(org.groups), latency, concurrency, total, membership)
    return AwsRead(*counts, run, warm_up)


def report(figures: AwsRead) -> str:
    f = figures
    return (
        f"AWS read, {f.users:,} users, {f.groups:,} groups, {f.latency * 1000:.0f} ms latency, "
        f"concurrency {f.concurrency}: {f.plan.requests:,} requests (floor "
        f"{f.floor_requests:,}, of which membership {f.plan.membership_requests:,} / "
        f"{f.floor_membership_requests:,}); {f.plan.seconds:.2f} s against "
        f"{f.bound_seconds:.2f} s = {f.time_ratio:.2f}× (target ≤ {TIME_TARGET}×); "
        f"{f.plan.changes} changes; the same pages with no latency (warm-up): "
        f"{f.warm_up.seconds:.2f} s\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    import tempfile

    from bench.orggen import OrgSpec, generate, write_desired
    from reconciler.desired import load_desired

    parser = argparse.ArgumentParser(description="the AWS read at scale, behind latency")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args(argv)
    org = generate(OrgSpec(args.users, args.groups))
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp:
        write_desired(Path(tmp), org)
        desired = load_desired(Path(tmp))
    print(report(measure(org, desired, args.latency)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
