"""Listing against the AWS-profile sandbox: cursor pages of 100, and the older unpaged
listing capped at 50, from which nothing may be removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from orgfiles import logged, names, write_org

from tests.conftest import Server

pytestmark = pytest.mark.integration

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_120_users_are_read_in_two_cursor_pages(cli, tmp_path: Path, aws_server: Server) -> None:  # type: ignore[no-untyped-def]
    org = write_org(tmp_path / "org", names(120), {})
    assert cli("apply", "--dir", org, "--auto-approve", env=aws_server.env).code == 0

    plan = cli("plan", "--dir", org, "--detailed-exitcode", "-v", env=aws_server.env)

    assert plan.code == 0, plan.out + plan.err
    assert "No changes." in plan.out
    pages = logged(plan.err, "GET", "/Users")
    assert len(pages) == 2
    assert pages[0].startswith("GET /Users?count=100 -> 200")
    assert pages[1].startswith("GET /Users?count=100&cursor=")
    assert not [line for line in plan.err.splitlines() if "startIndex" in line]


def test_the_older_50_cap_yields_a_plan_without_removals_and_says_why(
    cli, tmp_path: Path, legacy_server: Server, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    leavers = names(55, prefix="leaver")
    for server in (legacy_server, aws_server):
        for name in leavers:  # managed users, since removed from the desired state
            _create_managed_user(server, name)
    org = write_org(tmp_path / "org", names(1, prefix="stayer"), {})

    capped = cli("plan", "--dir", org, env=legacy_server.env)
    whole = cli("plan", "--dir", org, env=aws_server.env)

    assert capped.code == 0, capped.out + capped.err
    assert not [line for line in capped.out.splitlines() if line.startswith("  - ")]
    assert "Plan: 1 to create, 0 to update, 0 to deactivate, 0 to delete" in capped.out
    assert (
        "Warning: GET /Users returned exactly 50 resources and no next page" in capped.out
        and "nothing is deactivated or deleted on the strength of it" in capped.out
    )
    assert "- deactivate user leaver054@example.com" in whole.out  # the control: all 55 seen


def _create_managed_user(server: Server, name: str) -> None:
    local = name.split("@")[0]
    response = server.http.post(
        "/Users",
        json={
            "schemas": [USER_SCHEMA],
            "userName": name,
            "externalId": f"scimctl:{name}",
            "displayName": f"User {local}",
            "name": {"givenName": "User", "familyName": local},
            "emails": [{"value": name, "type": "work", "primary": True}],
        },
    )
    assert response.status_code == 201, response.text
