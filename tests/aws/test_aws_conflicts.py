"""409 on create against the AWS-profile sandbox: someone created the resource between
our read and our write. With our marker it is ours, found and used; without it, the
change fails with a message that says what to do, and nothing is duplicated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from orgfiles import write_org

from reconciler.apply.executor import Executor
from reconciler.apply.report import Report
from reconciler.desired import load_desired
from reconciler.plan.diff import diff
from reconciler.plan.model import Plan
from reconciler.policy import Policy
from reconciler.scim.client import ScimClient
from reconciler.scim.discovery import discover
from reconciler.scim.profiles.aws import PROFILE
from reconciler.scim.reader import LiveState, read_live
from tests.conftest import TOKEN, Server

pytestmark = pytest.mark.integration

ADA = "ada@example.com"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def client(aws_server: Server) -> Iterator[ScimClient]:
    with ScimClient(aws_server.url, TOKEN) as scim:
        yield scim


def plan_for(org: Path, client: ScimClient) -> tuple[Plan, LiveState]:
    live = read_live(client, discover(client, PROFILE), PROFILE, "scimctl:")
    return diff(load_desired(org).org, live.org, Policy()), live


def run(plan: Plan, live: LiveState, client: ScimClient) -> Report:
    return Executor(client, PROFILE, live.org, concurrency=PROFILE.default_concurrency).run(plan)


def test_a_409_on_create_finds_our_own_user_and_group_and_goes_on(
    tmp_path: Path, aws_server: Server, client: ScimClient
) -> None:
    org = write_org(tmp_path / "org", [ADA], {"admins": [ADA]})
    plan, live = plan_for(org, client)
    user = _post(aws_server, "/Users", _user(ADA, externalId=f"scimctl:{ADA}"))
    group = _post(
        aws_server,
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "admins", "externalId": "scimctl:admins"},
    )

    report = run(plan, live, client)

    assert not report.failed, [o.message for o in report.outcomes]
    created = {o.change.name: o.id for o in report.outcomes if o.message == "created"}
    assert created == {ADA: user["id"], "admins": group["id"]}
    assert [u["userName"] for u in aws_server.users()] == [ADA]
    assert [g["displayName"] for g in aws_server.groups()] == ["admins"]
    assert aws_server.member_names("admins") == {ADA}


def test_a_409_from_a_user_that_is_not_ours_fails_that_change_only(
    tmp_path: Path, aws_server: Server, client: ScimClient
) -> None:
    org = write_org(tmp_path / "org", [ADA, "bob@example.com"], {})
    plan, live = plan_for(org, client)
    _post(aws_server, "/Users", _user(ADA))  # no marker: someone else's

    report = run(plan, live, client)

    results = {o.change.name: (o.result.value, o.message) for o in report.outcomes}
    assert results["bob@example.com"] == ("ok", "created")
    assert results[ADA][0] == "failed"
    assert "exists on the server without our marker; run plan again" in results[ADA][1]
    assert sorted(u["userName"] for u in aws_server.users()) == [ADA, "bob@example.com"]


def _user(name: str, **extra: Any) -> dict[str, Any]:
    local = name.split("@")[0]
    return {
        "schemas": [USER_SCHEMA],
        "userName": name,
        "displayName": f"User {local}",
        "name": {"givenName": "User", "familyName": local},
        "emails": [{"value": name, "type": "work", "primary": True}],
        **extra,
    }


def _post(server: Server, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = server.http.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
