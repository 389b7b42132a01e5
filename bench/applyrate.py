"""Apply throughput against a server far away: creates and memberships through a delaying proxy.

The server holds a base org; the desired state adds ``creates`` users, each added to one
of the base groups (so as many membership changes as creates). The plan is made as
``scimctl apply`` makes it, then ``Executor.run`` is timed, with every request recorded
(method, path, start, end) by a thin wrapper around the real client. Throughput is the
creates' rate over the span of the POSTs, against the bound ``concurrency / latency``;
memberships are counted in PATCH requests against the fewest the profile allows (one
per ``members_per_patch`` members of each group).
"""

from __future__ import annotations

import math
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.liveserver import TOKEN, serving
from bench.orggen import OrgData, OrgSpec, extension, generate, write_desired
from bench.proxy import delaying
from reconciler.apply.executor import Executor
from reconciler.apply.report import Result
from reconciler.config import Target
from reconciler.desired import DesiredState, load_desired
from reconciler.plan.model import Action
from reconciler.scim.client import ScimClient
from reconciler.session import open_session, planned


@dataclass(frozen=True)
class Scenario:
    profile: str
    base_users: int = 2000
    base_groups: int = 40
    creates: int = 2000


@dataclass(frozen=True)
class ApplyRun:
    profile: str
    concurrency: int
    latency: float
    creates: int
    membership_changes: int
    requests: Mapping[str, int]
    patch_floor: int
    seconds: float
    create_seconds: float
    client_cpu_seconds: float
    """CPU time this process (the client: no server, no proxy) spent in the apply."""
    failed: int

    @property
    def create_rate(self) -> float:
        return self.creates / self.create_seconds

    @property
    def client_cpu_per_request(self) -> float:
        return self.client_cpu_seconds / max(1, sum(self.requests.values()))

    @property
    def bound(self) -> float:
        """Requests per second ``concurrency`` requests in flight allow at this latency."""
        return self.concurrency / self.latency if self.latency else math.inf

    @property
    def share_of_bound(self) -> float:
        return self.create_rate / self.bound


class Recorder:
    """The client, with each request's method, path, start and end written down."""

    def __init__(self, client: ScimClient) -> None:
        self.client = client
        self.calls: list[tuple[str, str, float, float]] = []
        self._lock = threading.Lock()

    @property
    def requests_sent(self) -> int:
        return self.client.requests_sent

    @contextmanager
    def _record(self, method: str, path: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.calls.append((method, path, started, time.perf_counter()))

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        with self._record("GET", path):
            return self.client.get(path, params)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._record("POST", path):
            return self.client.post(path, body)

    def patch(
        self, path: str, body: Mapping[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any] | None:
        with self._record("PATCH", path):
            return self.client.patch(path, body, if_match=if_match)

    def delete(self, path: str, *, if_match: str | None = None) -> None:
        with self._record("DELETE", path):
            self.client.delete(path, if_match=if_match)

    def span(self, method: str, prefix: str) -> float:
        times = [(s, e) for m, p, s, e in self.calls if m == method and p.startswith(prefix)]
        return max(e for _, e in times) - min(s for s, _ in times) if times else 0.0


def desired_org(scenario: Scenario) -> OrgData:
    base = generate(OrgSpec(scenario.base_users, scenario.base_groups))
    groups = [{"displayName": g["displayName"], "members": list(g["members"])} for g in base.groups]
    new = extension(base, groups, scenario.creates, random.Random(3))
    return OrgData(base.users + new, groups)


def measure_all(scenario: Scenario, latency: float) -> tuple[ApplyRun, ApplyRun, ApplyRun]:
    """The scenario applied at the profile's default concurrency with ``latency``, by the
    server alone (no latency), and at concurrency 1 with ``latency``: one server, a fresh
    tenant for each run."""
    with tempfile.TemporaryDirectory() as tmp:
        write_desired(Path(tmp), desired_org(scenario))
        desired = load_desired(Path(tmp))
    base = (scenario.profile, scenario.base_users, scenario.base_groups)
    with serving(*base, tenants=3) as live, delaying(live.urls[0], latency) as far:
        default = measure(scenario, desired, far, latency, None)
        alone = measure(scenario, desired, live.urls[1], 0.0, None)
        single = measure(scenario, desired, _same_proxy(far, live.urls[2]), latency, 1)
    return default, alone, single


def _same_proxy(proxy: str, url: str) -> str:
    """``url``'s path behind the proxy (which forwards any path to the same server)."""
    return f"{urlsplit(proxy)._replace(path=urlsplit(url).path).geturl()}"


def measure(
    scenario: Scenario, desired: DesiredState, url: str, latency: float, concurrency: int | None
) -> ApplyRun:
    """Apply the desired state once; ``concurrency`` None: the profile's default."""
    env = {"SCIM_URL": url, "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": scenario.profile}
    with open_session(Target(name="bench", concurrency=concurrency), env=env) as session:
        state = session.read()
        plan = planned(session, desired, state)
        recorder = Recorder(session.client)
        executor = Executor(
            recorder,
            session.profile,
            state.org,
            concurrency=session.concurrency,
            etags=session.caps.etags,
        )
        started, cpu = time.perf_counter(), time.process_time()
        report = executor.run(plan)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        per_patch = session.profile.members_per_patch
        used = session.concurrency
    memberships = [c for c in plan.executable if c.action is Action.ADD_MEMBERS]
    return ApplyRun(
        profile=scenario.profile,
        concurrency=used,
        latency=latency,
        creates=sum(1 for c in plan.executable if c.action is Action.CREATE),
        membership_changes=sum(len(c.members) for c in memberships),
        requests=dict(Counter(m for m, *_ in recorder.calls)),
        patch_floor=sum(math.ceil(len(c.members) / per_patch) for c in memberships),
        seconds=seconds,
        create_seconds=recorder.span("POST", "/Users"),
        client_cpu_seconds=cpu,
        failed=sum(1 for o in report.outcomes if o.result is not Result.OK),
    )
