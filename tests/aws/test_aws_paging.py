"""Listing against the AWS-profile sandbox, which answers a listing without ``cursor`` in
the non-paginated shape (one page of at most 100) as AWS documents: the reader asks for
cursor paging with an empty ``cursor``, reads pages of 100 whole, and refuses the older
unpaged listing (capped at 50) rather than plan from it."""

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
    assert pages[0].startswith("GET /Users?count=100&cursor= -> 200")
    assert pages[1].startswith("GET /Users?count=100&cursor=")
    assert not [line for line in plan.err.splitlines() if "startIndex" in line]


def test_more_than_100_users_and_100_groups_apply_then_plan_empty(
    cli, tmp_path: Path, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: with more than 100 users the read used to stop at the first 100 (AWS's
    non-paginated answer), so the next plan created users who existed."""
    users = names(230)
    groups = {f"team{n:03d}": users[n : n + 3] for n in range(130)}
    org = write_org(tmp_path / "org", users, groups)

    applied = cli("apply", "--dir", org, "--auto-approve", env=aws_server.env)
    plan = cli("plan", "--dir", org, "--detailed-exitcode", "-v", env=aws_server.env)

    assert applied.code == 0, applied.out + applied.err
    assert len(aws_server.users()) == 230 and len(aws_server.groups()) == 130
    assert plan.code == 0, plan.out + plan.err
    assert "No changes." in plan.out
    listings = logged(plan.err, "GET", "/Users?count=100&cursor=") + logged(
        plan.err, "GET", "/Groups?count=100&cursor="
    )
    assert len([line for line in listings if "filter" not in line]) == 3 + 2
    assert not logged(plan.err, "GET", "/Users?count=100 ")  # never a cursor-less listing
    assert "read the members of 130 groups in 130 requests" in plan.err


def test_the_older_unpaged_listing_is_a_failed_read_with_no_write(
    cli, tmp_path: Path, legacy_server: Server, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """A server that answers the non-paginated shape although cursor paging was asked for
    (here the older documents' listing, capped at 50) may hide the rest: no plan at all."""
    leavers = names(55, prefix="leaver")
    for server in (legacy_server, aws_server):
        for name in leavers:  # managed users, since removed from the desired state
            _create_managed_user(server, name)
    org = write_org(tmp_path / "org", names(1, prefix="stayer"), {})

    capped = cli("apply", "--dir", org, "--auto-approve", env=legacy_server.env)
    whole = cli("plan", "--dir", org, env=aws_server.env)

    assert capped.code == 1, capped.out + capped.err
    assert "asked for cursor paging (cursor=), the server answered in the non-paginated" in (
        capped.err
    )
    assert "nothing was planned" in capped.err
    assert "Plan:" not in capped.out
    assert len(legacy_server.http.get("/Users").json()["Resources"]) == 50  # nothing created
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


def test_the_generic_profile_against_aws_names_the_profile_to_use(
    cli, tmp_path: Path, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """AWS answers a startIndex listing with 400: plan says which profile pages as AWS."""
    org = write_org(tmp_path / "org", names(1), {})

    plan = cli("plan", "--dir", org, env={**aws_server.env, "SCIM_PROFILE": "generic"})

    assert plan.code == 1, plan.out + plan.err
    assert "Unsupported query parameters: startIndex" in plan.err
    assert "use --profile aws-identity-center" in plan.err
