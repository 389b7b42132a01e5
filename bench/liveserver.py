"""The sandbox SCIM server (scim2-server) in a child process, loaded with a generated org.

Loading is setup, not measured: each user and group is validated by scim2-server as a
POST body would be (``ScimService.read_creation``) and stored with
``InMemoryStorage.create``, straight into the tenant's storage, with no HTTP. Ids are
the generator's (derived from names), so managers and members can be set at once.

The parent starts it with ``serving(profile, spec)``, which yields the SCIM base URL.
Run on its own (``python -m bench.liveserver --users 1000 --groups 100``) it prints the
URL and serves until interrupted.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.child import running

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
TENANT = "bench"
READY = "READY "
START_TIMEOUT = 1800.0
"""Seconds to wait for a server to load and listen (100,000 users take a few minutes)."""


@dataclass(frozen=True)
class Live:
    """A running server: the SCIM URL of each tenant, and how long loading took."""

    urls: list[str]
    load_seconds: float

    @property
    def url(self) -> str:
        return self.urls[0]


@contextmanager
def serving(
    profile: str, users: int, groups: int, *, seed: int = 7, tenants: int = 1
) -> Iterator[Live]:
    """Run a server in a child process for the duration of the block.

    Each of its ``tenants`` is loaded with the same org, so that runs which change the
    server can each start from it.
    """
    with running(
        "bench.liveserver",
        f"--profile={profile}",
        f"--users={users}",
        f"--groups={groups}",
        f"--seed={seed}",
        f"--tenants={tenants}",
    ) as proc:
        yield _wait_ready(proc)


def _wait_ready(proc: subprocess.Popen[str]) -> Live:
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:  # the child prints a handful of lines at most
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the bench server exited with {proc.wait(timeout=10)}")
        if line.startswith(READY):
            found = json.loads(line[len(READY) :])
            return Live(found["urls"], found["load_seconds"])
    raise RuntimeError("the bench server did not start in time")


# --- in the child ---------------------------------------------------------------------------


def load(app: Any, users: list[dict[str, Any]], groups: list[dict[str, Any]]) -> None:
    """Store the org's users and groups in one tenant application's storage."""
    from bench.orggen import group_body, group_id, user_body, user_id

    inner = getattr(app, "app", app)  # the AWS emulation wraps scim2-server's application
    service, storage = inner.service, inner.storage

    def generate_id(resource_type: Any, resource: Any) -> str:
        if resource_type.name == "User":
            return user_id(resource.user_name)
        return group_id(resource.display_name)

    storage.generate_id = generate_id
    content_type = "application/scim+json"
    with service.provider:
        for kind, entries, body_of in (
            ("User", users, user_body),
            ("Group", groups, group_body),
        ):
            resource_type = service.get_resource_type(kind)
            for entry in entries:
                body = json.dumps(body_of(entry)).encode()
                resource = service.read_creation(resource_type, body, content_type)
                storage.create(resource_type, resource)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.orggen import OrgSpec, generate
    from reconciler.sandbox.server import make_app, serve_forever

    parser = argparse.ArgumentParser(description="a loaded sandbox SCIM server for the bench")
    parser.add_argument("--profile", default="generic")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tenants", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    org = generate(OrgSpec(args.users, args.groups, args.seed))
    dispatcher: Any = make_app(TOKEN, args.profile, tenants=True)
    names = [f"{TENANT}{n}" if n else TENANT for n in range(args.tenants)]
    for name in names:
        load(dispatcher.get_application(name), org.users, org.groups)
    del org
    gc.collect()
    gc.freeze()  # what was loaded stays: the collector need not walk it on every request
    loaded = time.perf_counter() - started

    def ready(base: str) -> None:
        urls = [f"{base}/{name}/v2" for name in names]
        found = {"urls": urls, "load_seconds": round(loaded, 2)}
        print(READY + json.dumps(found), flush=True)

    serve_forever(dispatcher, port=0, ready=ready)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
