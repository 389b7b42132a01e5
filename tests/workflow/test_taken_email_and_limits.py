"""Issue 19 item 14: on AWS IAM Identity Center a primary email another live user holds
is a conflict in the plan, not a 409 at apply; and a plan over a safety limit says that
`--force` is what lets it through."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Server, _server
from tests.workflow.helpers import remove_user, set_policy

pytestmark = pytest.mark.integration

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def aws(sandbox_bases: dict[str, str]):  # type: ignore[no-untyped-def]
    yield from _server(sandbox_bases, "aws-identity-center")


def test_a_primary_email_held_by_an_unmanaged_user_is_a_conflict_in_the_plan(  # type: ignore[no-untyped-def]
    cli, org: Path, aws: Server
) -> None:
    holder = aws.http.post(
        "/Users",
        json={
            "schemas": [USER],
            "userName": "ada.l@corp.example.com",
            "displayName": "Ada L",
            "name": {"givenName": "Ada", "familyName": "L"},
            "emails": [{"value": "Ada.Lovelace@example.com", "primary": True}],
        },
    )
    assert holder.status_code == 201, holder.text
    plan = cli("plan", "--dir", org, env=aws.env)
    assert plan.code == 3, plan.out + plan.err
    row = next(line for line in plan.out.splitlines() if "user ada.lovelace@example.com" in line)
    assert row.startswith("  ! conflict user ada.lovelace@example.com")
    assert "held by the live user 'ada.l@corp.example.com'" in row and "unmanaged" in row
    assert "member ada.lovelace@example.com" not in plan.out  # nothing that needs her
    applied = cli("apply", "--dir", org, "--auto-approve", env=aws.env)
    assert applied.code == 3, applied.out + applied.err
    assert " failed" not in applied.out.replace("0 failed", "")  # no 409 at apply
    assert "answered 409" not in applied.out + applied.err
    assert "manager of grace.hopper@example.com is ada.lovelace@example.com" in plan.out
    names = {u["userName"] for u in aws.users()}
    assert "ada.lovelace@example.com" not in names and "grace.hopper@example.com" in names


def test_the_limit_line_names_force(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    set_policy(org, limits={"deactivations": {"count": 1}})
    for name in ("john.nash@example.com", "mary.jackson@example.com"):
        remove_user(org, name)
    plan = cli("plan", "--dir", org, env=env)
    assert plan.code == 3
    unsafe = [line for line in plan.out.splitlines() if line.startswith("Unsafe: ")]
    assert unsafe == [
        "Unsafe: 2 deactivations exceed the limit of 1 per run (apply refuses the plan unless "
        "given --force)"
    ]
    applied = cli("apply", "--dir", org, "--auto-approve", env=env)
    assert applied.code == 3
    assert "if it is meant, apply again with --force" in applied.err
