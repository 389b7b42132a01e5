"""The diff cost: CPU time to build both canonical models and diff them, with no HTTP.

The desired model is built from the data the YAML loader would return
(``reconciler.desired.build.build_org``); the live one from the JSON a listing returns,
by the reader itself (``reconciler.scim.reader.read_live``: the listing checks, then
``parse_user`` / ``parse_group``) served pages of 1,000 from memory instead of HTTP; then
``reconciler.plan.diff.diff`` compares them. Each step runs with the cycle collector
paused, as ``load_desired``, ``Session.read`` and ``planned`` run them. Run in a fresh
process per size, so one measurement's heap does not slow the next one's::

    python -m bench.diffcost --users 100000 --groups 10000 --changes 0.01 [--profile]

``--collector-running`` measures the same with the collector left running throughout
(as before the plan paused it), for reference.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reconciler.collector import collector_paused
from reconciler.scim.discovery import Capabilities

ROOT = Path(__file__).resolve().parent.parent
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PAGE = 1000
MEMORY_CAPS = Capabilities(
    paging="index", page_size=PAGE, patch=True, etags=True, bulk=False, filter=True
)


@dataclass(frozen=True)
class DiffCost:
    users: int
    groups: int
    fraction: float
    changes: int
    desired_seconds: float
    live_seconds: float
    diff_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.desired_seconds + self.live_seconds + self.diff_seconds


def measure(
    users: int, groups: int, fraction: float, profile: bool = False, running: bool = False
) -> DiffCost:
    """Generate the inputs (not timed), then time the three steps in CPU seconds.

    ``running``: leave the cycle collector running, instead of pausing it around each
    step as the plan does.
    """
    from bench.orggen import MARKER, OrgSpec, generate, group_resource, user_resource, with_changes
    from reconciler.desired.build import build_org
    from reconciler.desired.yamlfile import YamlDocument
    from reconciler.plan.diff import diff
    from reconciler.policy import Policy
    from reconciler.scim.profiles import get_profile
    from reconciler.scim.reader import read_live

    org = generate(OrgSpec(users, groups))
    wanted = with_changes(org, fraction) if fraction else org
    docs = [
        YamlDocument(f"users-{i:04d}.yaml", {"users": wanted.users[i : i + 1000]}, b"")
        for i in range(0, len(wanted.users), 1000)
    ]
    docs.append(YamlDocument("groups.yaml", {"groups": wanted.groups}, b""))
    server = MemoryServer(
        {
            "/Users": [user_resource(u) for u in org.users],
            "/Groups": [group_resource(g) for g in org.groups],
        }
    )
    gc.collect()
    step = nullcontext if running else collector_paused
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    clock = time.process_time
    started = clock()
    with step():
        desired = build_org(docs)
    built = clock()
    with step():
        live = read_live(server, MEMORY_CAPS, get_profile("generic"), MARKER, like=desired)
    parsed = clock()
    with step():
        plan = diff(desired, live.org, Policy())
    done = clock()
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    if not fraction and plan.changes:
        raise RuntimeError(f"the no-change org planned {len(plan.changes)} changes")
    return DiffCost(
        users, groups, fraction, len(plan.changes), built - started, parsed - built, done - parsed
    )


class MemoryServer:
    """Answers the reader's GETs from lists in memory, as an index-paged server would."""

    def __init__(self, collections: Mapping[str, list[dict[str, Any]]]) -> None:
        self.collections = collections

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        found = self.collections[path]
        query = params or {}
        start = int(query.get("startIndex", 1))
        page = found[start - 1 : start - 1 + int(query.get("count", PAGE))]
        body = {"schemas": [LIST_RESPONSE], "totalResults": len(found), "startIndex": start}
        return {**body, "Resources": page}


def in_subprocess(users: int, groups: int, fraction: float, running: bool = False) -> DiffCost:
    """``measure`` in a fresh interpreter."""
    command = [
        sys.executable,
        "-m",
        "bench.diffcost",
        f"--users={users}",
        f"--groups={groups}",
        f"--changes={fraction}",
        *(["--collector-running"] if running else []),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return DiffCost(**found)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU time of building both models and diffing")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--changes", type=float, default=0.0, help="fraction of users changed")
    parser.add_argument("--profile", action="store_true", help="cProfile to stderr")
    parser.add_argument(
        "--collector-running", action="store_true", help="do not pause the cycle collector"
    )
    args = parser.parse_args(argv)
    cost = measure(args.users, args.groups, args.changes, args.profile, args.collector_running)
    print(json.dumps(asdict(cost)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
