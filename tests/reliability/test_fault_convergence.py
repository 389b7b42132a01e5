"""Issue 5, item 1: a 500-change plan converges through a network that fails often.

A fault proxy sits between the reconciler and a real sandbox and injects 10% 5xx,
5% 429 (half with Retry-After), 2% connection resets and 1% timeouts, before or
after the server acted. Each run reads, plans and applies through the proxy; a run
that does not finish leaves a report naming every failed change, and the next run
picks up the rest. At the end, read straight from the server: the plan is empty, no
user or group exists twice, and the unmanaged users and group are exactly as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.apply.executor import Executor
from reconciler.apply.report import Report, Result
from reconciler.desired import load_desired
from reconciler.errors import ScimError
from reconciler.plan.model import Plan
from tests.conftest import Server
from tests.faults.proxy import FaultProxy, Faults
from tests.reliability.support import GROUP_SCHEMA, create, open_session, plan_of, scim_user

pytestmark = pytest.mark.integration

NEW_USERS = 420
MANAGED = 60  # 30 get a new title, 15 stay as they are, 15 leave the YAML (deactivated)
UNMANAGED = 10
NEW_GROUPS = 20
MAX_RUNS = 4
FAULTS = Faults(errors=0.10, throttle=0.05, resets=0.02, timeouts=0.01, hold=1.5)
CLIENT_TIMEOUT = 1.0


def _seed(server: Server) -> dict[str, Any]:
    """The server before the first run: unmanaged users and group, managed users and groups."""
    outsiders = [
        create(server, "/Users", scim_user(f"outsider{i}@ex.com")) for i in range(UNMANAGED)
    ]
    create(
        server,
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "outsiders",
            "members": [{"value": u["id"]} for u in outsiders],
        },
    )
    managed = [
        create(
            server, "/Users", scim_user(f"m{i:02d}@ex.com", f"scimctl:m{i:02d}@ex.com", title="Old")
        )
        for i in range(MANAGED)
    ]
    create(
        server,
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "legacy", "externalId": "scimctl:legacy"},
    )
    eng = {
        "schemas": [GROUP_SCHEMA],
        "displayName": "eng",
        "externalId": "scimctl:eng",
        "members": [{"value": u["id"]} for u in managed[:10]],
    }
    create(server, "/Groups", eng)
    return _unmanaged_state(server)


def _unmanaged_state(server: Server) -> dict[str, Any]:
    users = {
        u["id"]: u
        for u in server.users()
        if not str(u.get("externalId", "")).startswith("scimctl:")
    }
    groups = {
        g["id"]: g
        for g in server.groups()
        if not str(g.get("externalId", "")).startswith("scimctl:")
    }
    members = {g["displayName"]: server.member_names(g["displayName"]) for g in groups.values()}
    return {"users": users, "groups": groups, "members": members}


def _desired(directory: Path) -> None:
    users: list[dict[str, Any]] = []
    for i in range(NEW_USERS):
        users.append(_yaml_user(f"new{i:03d}@ex.com", title="New"))
    for i in range(MANAGED - 15):
        users.append(_yaml_user(f"m{i:02d}@ex.com", title="Old" if i >= 30 else "Promoted"))
    groups = [
        {
            "displayName": f"team-{g:02d}",
            "members": [f"new{i:03d}@ex.com" for i in range(g * 21, g * 21 + 21)],
        }
        for g in range(NEW_GROUPS)
    ]
    groups.append({"displayName": "eng", "members": [f"m{i:02d}@ex.com" for i in range(5, 15)]})
    (directory / "org.yaml").write_text(yaml.safe_dump({"users": users, "groups": groups}))


def _yaml_user(user_name: str, **extra: Any) -> dict[str, Any]:
    local = user_name.split("@", 1)[0]
    return {
        "userName": user_name,
        "name": {"givenName": local.title(), "familyName": "Tester"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        **extra,
    }


def _run(url: str, profile: str, directory: Path) -> tuple[Plan, Report | None]:
    """One `scimctl apply`, through the Python API: read, plan, apply."""
    session = open_session(url, profile, timeout=CLIENT_TIMEOUT)
    with session.client:
        desired = load_desired(directory)
        live = session.read()
        plan = plan_of(session, desired, live)
        if not plan.executable:
            return plan, None
        executor = Executor(
            session.client,
            session.profile,
            live.org,
            concurrency=session.concurrency,
            etags=session.caps.etags,
        )
        return plan, executor.run(plan)


def _check_report(plan: Plan, report: Report) -> None:
    """Every executable change has exactly one outcome, and every failure says why."""
    planned = Counter((c.address, c.action) for c in plan.executable)
    reported = Counter((o.change.address, o.change.action) for o in report.outcomes)
    assert reported == planned
    for outcome in report.outcomes:
        if outcome.result is not Result.OK:
            assert outcome.message, outcome


def _describe(runs: list[tuple[Plan, Report | None] | ScimError]) -> str:
    lines = ["no convergence:"]
    for run in runs:
        if isinstance(run, ScimError):
            lines.append(f"  read failed: {run}")
            continue
        plan, report = run
        lines.append(f"  {len(plan.executable)} changes: {report and report.counts()}")
        failed = [o for o in (report.outcomes if report else ()) if o.result is not Result.OK]
        lines += [f"    {o.change.address} {o.result}: {o.message}" for o in failed[:10]]
    return "\n".join(lines)


@pytest.mark.parametrize("profile", ["generic", "aws-identity-center"])
def test_a_500_change_plan_converges_through_faults(
    tenant: Callable[[str], Server],
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
    profile: str,
) -> None:
    server = tenant(profile)
    before = _seed(server)
    _desired(tmp_path)
    faulty = proxy(server.url, FAULTS, seed=5)

    runs: list[tuple[Plan, Report | None] | ScimError] = []
    for _ in range(MAX_RUNS):
        try:
            plan, report = _run(faulty.base(server.url), profile, tmp_path)
        except ScimError as error:  # a read that failed after retries: no plan, no write
            runs.append(error)
            continue
        runs.append((plan, report))
        if report is None:
            break
        _check_report(plan, report)
    first = runs[0]
    assert not isinstance(first, ScimError), first
    assert len(first[0].executable) >= 500
    assert isinstance(runs[-1], tuple) and runs[-1][1] is None, _describe(runs)
    assert sum(faulty.injected.values()) > 50, faulty.injected

    plan, report = _run(server.url, profile, tmp_path)  # straight to the server
    assert report is None and not plan.changes, plan.changes

    names = Counter(u["userName"].casefold() for u in server.users())
    assert [n for n, count in names.items() if count > 1] == []
    assert sum(names.values()) == NEW_USERS + MANAGED + UNMANAGED
    groups = Counter(g["displayName"] for g in server.groups())
    assert [n for n, count in groups.items() if count > 1] == []
    assert _unmanaged_state(server) == before
    unmanaged_ids = set(before["users"]) | set(before["groups"])
    touched = [
        r
        for r in faulty.writes()
        if r.method != "POST" and r.path.rsplit("/", 1)[-1] in unmanaged_ids
    ]
    assert touched == []
    assert server.user("m45@ex.com")["active"] is False
    assert server.user("m05@ex.com")["title"] == "Promoted"
    assert server.member_names("eng") == {f"m{i:02d}@ex.com" for i in range(5, 15)}
    assert "legacy" not in groups
