"""Managers created in the same apply as their reports are set afterwards, as a phase:
concurrently, not one request at a time (an org applied for the first time has one such
PATCH per user with a manager). Counted through a proxy, not timed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.faults.proxy import FaultProxy, Forward, Incoming, Reply

pytestmark = pytest.mark.integration

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
REPORTS = 8


class InFlight:
    """Holds the manager's create and each manager PATCH a moment, and counts how many
    PATCHes were in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.seen = 0

    def __call__(self, incoming: Incoming, forward: Forward) -> Reply | None:
        if incoming.method == "POST" and b'"userName":"boss@ex.com"' in incoming.body:
            time.sleep(0.5)  # every report is created before its manager: all wait for it
            return forward(incoming)
        if incoming.method != "PATCH" or b"manager" not in incoming.body:
            return None
        with self.lock:
            self.now += 1
            self.seen += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.2)
            return forward(incoming)
        finally:
            with self.lock:
                self.now -= 1


def test_managers_created_alongside_their_reports_are_set_concurrently(
    cli,  # type: ignore[no-untyped-def]
    server: Server,
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    names = "    name: {givenName: A, familyName: B}\n"  # AWS requires them
    users = [f"  - userName: boss@ex.com\n{names}"] + [
        f"  - userName: r{i}@ex.com\n{names}    enterprise: {{manager: boss@ex.com}}\n"
        for i in range(REPORTS)
    ]
    (tmp_path / "org.yaml").write_text("users:\n" + "".join(users))
    counting = InFlight()
    faulty = proxy(server.url, intercept=counting)
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}

    result = cli("apply", "--dir", tmp_path, "--auto-approve", env=env)

    assert result.code == 0, result.out + result.err
    assert counting.seen == REPORTS
    assert counting.most > 1, "the deferred manager PATCHes were sent one at a time"
    boss = server.user("boss@ex.com")["id"]
    for i in range(REPORTS):
        assert server.user(f"r{i}@ex.com")[ENTERPRISE]["manager"]["value"] == boss
