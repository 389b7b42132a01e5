"""What the client does with AWS's documented rules, against the literal AWS sandbox.

Rows of docs/providers/aws.md whose client column needs more than "never sends it".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
from tests.profiles.scimfake import FakeScim, read
from tests.sandbox.conftest import TOKEN, Tenant

pytestmark = pytest.mark.integration

USER = """\
  - userName: {name}
    externalId: {key}
    name: {{givenName: User, familyName: {local}}}
    emails: [{{value: {email}, type: work, primary: true}}]
    active: {active}
"""


@pytest.fixture
def client(aws: Tenant) -> Iterator[ScimClient]:
    with ScimClient(str(aws.http.base_url).rstrip("/"), TOKEN) as scim:
        yield scim


def write_users(directory: Path, *users: tuple[str, str, str, bool]) -> Path:
    """A users.yaml of (key, userName, email, active) entries, written as a user would."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = "".join(
        USER.format(key=key, name=name, local=key, email=email, active=str(active).lower())
        for key, name, email, active in users
    )
    (directory / "users.yaml").write_text("users:\n" + entries)
    return directory


def plan_for(org: Path, client: ScimClient) -> tuple[Plan, LiveState]:
    live = read_live(client, discover(client, PROFILE), PROFILE, "scimctl:")
    return diff(load_desired(org).org, live.org, Policy()), live


def apply(org: Path, client: ScimClient) -> Report:
    plan, live = plan_for(org, client)
    return Executor(client, PROFILE, live.org, concurrency=PROFILE.default_concurrency).run(plan)


def test_a_primary_email_someone_else_holds_fails_that_create_only(
    tmp_path: Path, aws: Tenant, client: ScimClient
) -> None:
    """Provisioning considerations: "If you are provisioning a primary email address,
    this attribute value must be unique for each user": a 409 for a taken email fails
    that change with a message that names the email, and the other changes go on."""
    aws.create_user("stranger", emails=[{"value": "ada@example.com", "primary": True}])
    org = write_users(
        tmp_path / "org",
        ("ada", "ada@example.com", "ada@example.com", True),
        ("bob", "bob@example.com", "bob@example.com", True),
    )

    report = apply(org, client)

    results = {o.change.name: (o.result.value, o.message) for o in report.outcomes}
    assert results["bob@example.com"] == ("ok", "created")
    assert results["ada@example.com"][0] == "failed"
    assert "another of its unique attributes (an email?) is taken" in results["ada@example.com"][1]


def test_a_rename_and_a_deactivation_go_in_one_patch_with_one_operation_each(
    tmp_path: Path, aws: Tenant, client: ScimClient
) -> None:
    """PatchUser: no "Multiple PATCH operations on userName or active attribute", and no
    ``remove`` of either: a rename plus a deactivation is one replace each, and converges."""
    org = tmp_path / "org"
    assert not apply(
        write_users(org, ("ada", "ada@example.com", "ada@example.com", True)), client
    ).failed

    write_users(org, ("ada", "ada.l@example.com", "ada.l@example.com", False))
    report = apply(org, client)

    assert not report.failed, [o.message for o in report.outcomes]
    (stored,) = aws.http.get("/Users").json()["Resources"]
    assert (stored["userName"], stored["active"]) == ("ada.l@example.com", False)
    assert not plan_for(org, client)[0].has_changes


def test_short_cursor_pages_are_followed_while_next_cursor_is_there() -> None:
    """ListUsers: "Paginated calls may return less results than count but as long as
    nextCursor is present in the response, additional pages are available." A server
    answering 7 to count=100 is read to the end, and the read is complete."""
    fake = FakeScim(paging="cursor", max_count=7, members_inline=False)
    for index in range(30):
        fake.add_user(f"user{index:02d}@example.com")

    live = read(fake, PROFILE)

    assert len(live.org.users) == 30
    assert not live.partial
    assert {s.params["count"] for s in fake.requests("GET", "/Users")} == {"100"}
    assert len(fake.requests("GET", "/Users")) >= 5
