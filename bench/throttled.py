"""A first apply against a throttled server (issue 19, item 1).

An AWS-profile sandbox that accepts ``rate`` requests a second (a token bucket with
bursts of as many) and answers the rest 429 with no ``Retry-After``, as IAM Identity
Center does; ``scimctl apply --auto-approve`` of an org of ``users`` and ``groups`` into
it, empty, in a child process. Every request is counted where it arrives, at the server,
with its time and status. Two figures, each against its target:

- the share of requests answered 429 (at most 5 %);
- the time from the first request to the last, against what the accepted requests need
  at that rate (accepted ÷ rate; at most 1.25×).

The command's wall time (start-up and loading the YAML included) and the client's own
counts (its ``--report``) are reported beside them, with how many lines of its stderr
speak of throttling and of retrying. A plan run afterwards must be empty: the apply
converged. The server runs in this process, in threads; the measured command in its
own. Run alone: ``python -m bench.throttled --users 600 --groups 60 --rate 20``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: import the bench package from the repo
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.orggen import OrgSpec, generate, write_desired
from reconciler.sandbox.server import make_app, running

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "aws-identity-center"
TOKEN = "bench-throttled-token"
SHARE_TARGET = 0.05
TIME_TARGET = 1.25
TIMEOUT = 1800.0


class Counting:
    """WSGI middleware (outside the throttle) noting each request's arrival and status."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.seen: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        arrived = time.monotonic()

        def noting(status: str, headers: Any, exc_info: Any = None) -> Any:
            with self._lock:
                self.seen.append((arrived, int(status.split()[0])))
            return start_response(status, headers, exc_info)

        return self.app(environ, noting)


@dataclass(frozen=True)
class Throttled:
    users: int
    groups: int
    rate: float
    profile: str
    requests: int
    refused: int
    span_seconds: float
    command_seconds: float
    code: int
    client: dict[str, Any]
    """The client's own counts, from the apply's ``--report``."""
    throttling_lines: int
    retrying_lines: int
    converged: bool

    @property
    def accepted(self) -> int:
        return self.requests - self.refused

    @property
    def refused_share(self) -> float:
        return self.refused / max(1, self.requests)

    @property
    def bound_seconds(self) -> float:
        """What the accepted requests need at the server's rate."""
        return self.accepted / self.rate

    @property
    def time_ratio(self) -> float:
        return self.span_seconds / self.bound_seconds


def measure(
    users: int, groups: int, rate: float, *, profile: str = PROFILE, extra: Sequence[str] = ()
) -> Throttled:
    """One first apply of a generated org into an empty throttled sandbox."""
    org = generate(OrgSpec(users, groups))
    counting = Counting(make_app(TOKEN, profile, rate=rate))
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp, running(counting) as base:
        directory = Path(tmp) / "desired-state"
        write_desired(directory, org)
        env = {
            **os.environ,
            "SCIM_URL": f"{base}/v2",
            "SCIM_TOKEN": TOKEN,
            "SCIM_PROFILE": profile,
            "SCIMCTL_CACHE_DIR": str(Path(tmp) / "cache"),
            "NO_COLOR": "1",
        }
        report = Path(tmp) / "report.json"
        args = ["apply", "--dir", str(directory), "--auto-approve", "--report", str(report)]
        started = time.perf_counter()
        applied = _scimctl([*args, *extra], env)
        command_seconds = time.perf_counter() - started
        seen = list(counting.seen)
        client = json.loads(report.read_text()) if report.exists() else {}
        again = _scimctl(["plan", "--dir", str(directory), "--detailed-exitcode"], env)
    lines = applied.stderr.splitlines()
    return Throttled(
        users=users,
        groups=groups,
        rate=rate,
        profile=profile,
        requests=len(seen),
        refused=sum(1 for _, status in seen if status == 429),
        span_seconds=max(t for t, _ in seen) - min(t for t, _ in seen),
        command_seconds=command_seconds,
        code=applied.returncode,
        client={k: client.get(k) for k in ("requests", "retries", "throttled", "seconds")},
        throttling_lines=sum(1 for line in lines if "throttl" in line.lower()),
        retrying_lines=sum(1 for line in lines if line.startswith("retrying ")),
        converged=again.returncode == 0,
    )


def _scimctl(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reconciler", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def report(f: Throttled) -> str:
    bare = " (429 without Retry-After)" if f.profile == PROFILE else ""
    return (
        f"First apply, {f.users:,} users, {f.groups:,} groups, into a sandbox ({f.profile}) "
        f"allowing {f.rate:g} requests/s{bare}: exit {f.code}; "
        f"{f.requests:,} requests, {f.refused:,} answered 429 = {100 * f.refused_share:.1f}% "
        f"(target ≤ {100 * SHARE_TARGET:.0f}%); first to last request {f.span_seconds:.2f} s "
        f"against {f.accepted:,} accepted ÷ {f.rate:g}/s = {f.bound_seconds:.2f} s: "
        f"{f.time_ratio:.2f}× (target ≤ {TIME_TARGET}×); the command {f.command_seconds:.2f} s; "
        f"client: {f.client}; stderr lines: {f.throttling_lines} about throttling, "
        f"{f.retrying_lines} 'retrying'; a plan afterwards is empty: "
        f"{'yes' if f.converged else 'NO'}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a first apply against a throttled server")
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--groups", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s the server allows")
    parser.add_argument("--profile", default=PROFILE, help="the sandbox's (and the client's)")
    parser.add_argument("--repeat", type=int, default=1)
    args, extra = parser.parse_known_args(argv)
    for _ in range(args.repeat):
        figures = measure(args.users, args.groups, args.rate, profile=args.profile, extra=extra)
        print(report(figures), end="", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
