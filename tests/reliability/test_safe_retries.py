"""Issue 5, item 2: retries are safe. A POST whose answer is lost is never repeated
blindly: the reconciler looks the resource up by its name and continues from what it
finds, so no user is ever created twice. Driven through `scimctl apply`, with the
client timeout at 1 s from targets.yaml, against both sandboxes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.apply.executor import Executor
from reconciler.apply.report import Result
from reconciler.desired import load_desired
from tests.conftest import Result as CliResult
from tests.conftest import Server
from tests.faults.proxy import FaultProxy, Forward, Incoming, Reply
from tests.reliability.support import (
    create,
    open_session,
    plan_of,
    scim_user,
    write_targets,
)

pytestmark = pytest.mark.integration

ADA = "ada@example.com"
ORG = f"""
users:
  - userName: {ADA}
    name: {{givenName: Ada, familyName: Lovelace}}
    emails: [{{value: {ADA}, type: work, primary: true}}]
  - userName: alan@example.com
    name: {{givenName: Alan, familyName: Turing}}
    emails: [{{value: alan@example.com, type: work, primary: true}}]
groups:
  - displayName: analysts
    members: [{ADA}, alan@example.com]
"""
HOLD = 2.0  # longer than the 1 s client timeout of targets.yaml


def _ada_post(incoming: Incoming) -> bool:
    return (
        incoming.method == "POST"
        and incoming.path.endswith("/Users")
        and ADA.encode() in incoming.body
    )


def once(match: Callable[[Incoming], bool], act: Callable[[Incoming, Forward], Reply]):  # type: ignore[no-untyped-def]
    """An intercept that acts on the first request ``match`` picks, and lets all else through."""
    done = threading.Event()

    def intercept(incoming: Incoming, forward: Forward) -> Reply | None:
        if done.is_set() or not match(incoming):
            return None
        done.set()
        return act(incoming, forward)

    return intercept


def served_then_lost(incoming: Incoming, forward: Forward) -> Reply:
    """The server creates the user; its answer never comes back."""
    forward(incoming)
    return Reply(action="hold", hold=HOLD)


def never_served(incoming: Incoming, forward: Forward) -> Reply:
    """The request is swallowed: the server never sees it."""
    return Reply(action="hold", hold=HOLD)


def served_late(incoming: Incoming, forward: Forward) -> Reply:
    """The request reaches the server only after the client gave up on it."""
    time.sleep(HOLD)
    forward(incoming)
    return Reply(action="reset")


def _org(tmp_path: Path, url: str) -> Path:
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    write_targets(directory, url, timeout=1)
    return directory


def _apply(cli, directory: Path, server: Server, proxy_url: str) -> tuple[CliResult, dict]:  # type: ignore[no-untyped-def]
    report = directory.parent / "report.json"
    env = {**server.env, "SCIM_URL": proxy_url}
    result = cli("apply", "--dir", directory, "--auto-approve", "--report", report, env=env)
    return result, json.loads(report.read_text()) if report.exists() else {}


def _ada_posts(proxy: FaultProxy) -> tuple[int, int]:
    """(POSTs of ada the proxy received, POSTs of ada that reached the server)."""
    return len([r for r in proxy.requests() if _ada_post(r)]), len(
        [r for r in proxy.served() if _ada_post(r)]
    )


def _lookups(proxy: FaultProxy) -> list[str]:
    return [
        r.query.get("filter", "")
        for r in proxy.requests()
        if r.method == "GET" and "filter" in r.query
    ]


@pytest.mark.parametrize(
    ("fault", "received", "reached"),
    [
        (served_then_lost, 1, 1),  # looked up, found, never sent again
        (never_served, 2, 1),  # looked up, not found: sent again, once
    ],
    ids=["answer-lost", "request-lost"],
)
def test_a_post_that_times_out_is_looked_up_not_repeated_blindly(
    cli,
    tmp_path: Path,
    server: Server,
    proxy: Callable[..., FaultProxy],
    fault,
    received: int,
    reached: int,  # type: ignore[no-untyped-def]
) -> None:
    faulty = proxy(server.url, intercept=once(_ada_post, fault))
    directory = _org(tmp_path, server.url)

    result, report = _apply(cli, directory, server, faulty.base(server.url))

    assert result.code == 0, result.out + result.err
    assert _ada_posts(faulty) == (received, reached)
    assert f'userName eq "{ADA}"' in _lookups(faulty)
    assert [u["userName"] for u in server.users()].count(ADA) == 1
    outcomes = {(o["address"], o["action"]): o for o in report["outcomes"]}
    assert outcomes[(f"user:{ADA}", "create")]["result"] == "ok"
    assert server.member_names("analysts") == {ADA, "alan@example.com"}
    again = cli("plan", "--dir", directory, "--detailed-exitcode", env=server.env)
    assert again.code == 0, again.out + again.err


def test_a_post_that_lands_after_the_client_gave_up_makes_no_second_user(
    tmp_path: Path, server: Server, proxy: Callable[..., FaultProxy]
) -> None:
    """The worst case: the first POST reaches the server only after the look-up found
    nothing and the POST was sent again. userName is unique, so the late copy is
    refused (409) and there is still one user."""
    faulty = proxy(server.url, intercept=once(_ada_post, served_late))
    directory = _org(tmp_path, server.url)
    session = open_session(faulty.base(server.url), server.profile, timeout=1.0)
    with session.client:
        live = session.read()
        plan = plan_of(session, load_desired(directory), live)
        report = Executor(session.client, session.profile, live.org).run(plan)
    assert not report.failed, report.outcomes
    deadline = time.monotonic() + 10
    while _ada_posts(faulty)[1] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the late copy is still on its way to the server
    assert _ada_posts(faulty) == (2, 2)
    assert [u["userName"] for u in server.users()].count(ADA) == 1


def test_a_group_post_without_answer_and_not_found_is_not_sent_again(
    tmp_path: Path, generic_server: Server, proxy: Callable[..., FaultProxy]
) -> None:
    """Group names need not be unique (the generic sandbox accepts two of a name), so a
    lost group create is not resent on a guess: the change fails, its memberships are
    skipped and named, and the next run finishes the work, with one group."""
    server = generic_server

    def group_post(incoming: Incoming) -> bool:
        return incoming.method == "POST" and incoming.path.endswith("/Groups")

    faulty = proxy(server.url, intercept=once(group_post, never_served))
    directory = _org(tmp_path, server.url)
    session = open_session(faulty.base(server.url), "generic", timeout=1.0)
    with session.client:
        live = session.read()
        plan = plan_of(session, load_desired(directory), live)
        report = Executor(session.client, session.profile, live.org).run(plan)
    results = {(o.change.address, o.change.action.value): o for o in report.outcomes}
    create_group = results[("group:analysts", "create")]
    assert create_group.result is Result.FAILED
    assert "was not sent again" in create_group.message
    members = results[("group:analysts", "add-members")]
    assert members.result is Result.SKIPPED
    assert "analysts" in members.message

    session = open_session(server.url, "generic")
    with session.client:
        live = session.read()
        plan = plan_of(session, load_desired(directory), live)
        assert not Executor(session.client, session.profile, live.org).run(plan).failed
    assert [g["displayName"] for g in server.groups()] == ["analysts"]
    assert server.member_names("analysts") == {ADA, "alan@example.com"}


def test_a_conditional_patch_whose_answer_was_lost_is_checked_not_failed(
    tmp_path: Path, generic_server: Server, proxy: Callable[..., FaultProxy]
) -> None:
    """With ETags, the retry of a PATCH that was applied meets 412 (the resource changed:
    by that PATCH). The reconciler reads the user back and, finding the change made,
    counts it done instead of failing on its own success."""
    server = generic_server
    create(server, "/Users", scim_user(ADA, f"scimctl:{ADA}", title="Old"))
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(f"users:\n  - userName: {ADA}\n    title: New\n")

    def patch(incoming: Incoming) -> bool:
        return incoming.method == "PATCH" and "if-match" in incoming.headers

    faulty = proxy(server.url, intercept=once(patch, lambda i, f: (f(i), Reply(action="reset"))[1]))
    session = open_session(faulty.base(server.url), "generic", timeout=1.0)
    assert session.caps.etags
    with session.client:
        live = session.read()
        plan = plan_of(session, load_desired(directory), live)
        report = Executor(session.client, session.profile, live.org, etags=True).run(plan)
    (outcome,) = report.outcomes
    assert outcome.result is Result.OK, outcome.message
    assert [r.method for r in faulty.served()].count("PATCH") == 2
    assert server.user(ADA)["title"] == "New"
