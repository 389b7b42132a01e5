"""Ctrl-C while an outcome is being shown: the writes already in flight finish and are
reported as done, never as "not attempted" (which would hide a change the server made)."""

from __future__ import annotations

import threading

import httpx
import pytest

from reconciler.apply.executor import Executor
from reconciler.apply.report import Outcome, Result
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.scim.client import ScimClient
from reconciler.scim.profiles import get_profile
from tests.profiles.scimfake import BASE, TOKEN, FakeScim, desired, read

NAMES = [f"user{i}@example.com" for i in range(8)]


def test_ctrl_c_while_showing_an_outcome_keeps_the_writes_in_flight() -> None:
    fake = FakeScim()
    profile = get_profile("generic")
    live = read(fake, profile)
    plan = diff(desired(NAMES, {}), live.org, Policy())
    interrupted = threading.Event()

    def server(request: httpx.Request) -> httpx.Response:
        first = b"user0@" in request.content
        if request.method == "POST" and not first:
            interrupted.wait(10)  # in flight when the main thread is interrupted
        return fake(request)

    def show(outcome: Outcome) -> None:
        if not interrupted.is_set():  # one Ctrl-C, while the first outcome is shown
            interrupted.set()
            raise KeyboardInterrupt

    with ScimClient(BASE, TOKEN, transport=httpx.MockTransport(server)) as client:
        executor = Executor(client, profile, live.org, concurrency=4, on_outcome=show)
        with pytest.raises(KeyboardInterrupt):
            executor.run(plan)
    created = {u["userName"] for u in fake.users.values()}
    reported = {o.change.name for o in executor.outcomes if o.result is Result.OK}
    assert len(created) > 1  # writes were in flight when Ctrl-C came
    assert reported == created
