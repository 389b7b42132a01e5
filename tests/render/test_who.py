"""Who, not how many: privileged memberships and deleted groups name their members (12.6),
and the plan says which unmanaged resources it touches (12.7)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.apply.report import Outcome, Result
from reconciler.plan.model import Action, Change, Kind, Member, Plan, Status
from reconciler.render.markdown import LIMIT, plan_markdown
from reconciler.render.text import outcome_line, plan_text
from tests.conftest import Server
from tests.render.test_markdown import group, large_plan, user
from tests.workflow.helpers import set_policy

APPROVED = "privileged group: approved by alice-gh (alice-gh) on pull request #7 at aaaaaaaaaaaa"


def visible(markdown: str) -> str:
    """What a reviewer sees without opening a collapsed block."""
    return markdown.split("<details>", 1)[0]


def admins(count: int, action: Action = Action.ADD_MEMBERS) -> Change:
    names = [f"admin{n:04}@example.com" for n in range(count)]
    return group("aws-admins", action, *names, id="g-1").with_status(Status.PLANNED, APPROVED)


def test_every_privileged_member_is_named_in_a_20000_change_plan() -> None:
    big = large_plan()
    plan = Plan.build("aws", [*big.changes, admins(300), admins(2, Action.REMOVE_MEMBERS)])
    text = plan_markdown(plan)
    assert len(text) <= LIMIT
    shown = visible(text)
    assert "🔒 **privileged**" in shown
    for n in range(300):
        assert f"<code>admin{n:04}@example.com</code>" in shown
    assert (
        "−2 members: <code>admin0000@example.com</code>, <code>admin0001@example.com</code>"
        in shown
    )


def test_privileged_names_are_never_traded_for_other_attention_rows() -> None:
    removals = [user(f"gone{n:05}@example.com", Action.DELETE, id=f"u{n}") for n in range(5_000)]
    plan = Plan.build("aws", [*removals, admins(50)])
    shown = visible(plan_markdown(plan))
    assert all(f"admin{n:04}@example.com" in shown for n in range(50))
    assert "more not shown here" in shown  # the deletions are what gets cut


@pytest.mark.parametrize("limit", [LIMIT, 10_000])
def test_privileged_names_past_what_a_comment_holds_are_counted_within_the_limit(
    limit: int,
) -> None:
    plan = Plan.build("aws", [admins(5_000)])
    text = plan_markdown(plan, limit=limit)
    assert len(text) <= limit
    assert "<code>admin0049@example.com</code> and 4950 more (all in the JSON plan)" in text


def test_group_memberships_take_the_detail_budget_before_users() -> None:
    joiners = [f"joiner{n:02}@example.com" for n in range(40)]
    plan = Plan.build("aws", [*large_plan().changes, group("eng", Action.ADD_MEMBERS, *joiners)])
    text = plan_markdown(plan)
    assert all(f"+     member {name}" in text for name in joiners)


def deleted_group(count: int) -> Change:
    members = tuple(Member(f"m{n:03}@example.com", f"m{n:03}", f"u{n}") for n in range(count))
    return Change(Kind.GROUP, Action.DELETE, "finance", "finance", id="g-9", members=members)


def test_a_group_deletion_lists_who_loses_access_capped_with_a_count() -> None:
    plan = Plan.build("aws", [deleted_group(120)])
    shown = visible(plan_markdown(plan))
    assert "120 members lose access: <code>m000@example.com</code>" in shown
    assert "<code>m049@example.com</code> and 70 more (all in the JSON plan)" in shown
    assert "m050@example.com" not in shown
    text = plan_text(plan).plain
    assert "- member m049@example.com (loses access)" in text
    assert "m050@example.com" not in text
    assert "- … and 70 more members lose access" in text


def test_text_plan_names_an_approved_privileged_change_and_its_approver() -> None:
    text = plan_text(Plan.build("aws", [admins(2)])).plain
    assert f"~ update group aws-admins  ({APPROVED})" in text
    assert "+ member admin0001@example.com" in text


# --- 12.7: unmanaged -----------------------------------------------------------------------


def with_unmanaged(*changes: Change) -> Plan:
    return Plan.build("aws", list(changes), unmanaged={"users": 3, "groups": 1})


def test_unmanaged_are_never_touched_when_nothing_touches_them() -> None:
    text = plan_markdown(with_unmanaged(user("a@x.com")))
    assert "Unmanaged on the server, never touched: 1 group, 3 users." in text


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            Change(Kind.USER, Action.DEACTIVATE, "stranger@x.com", None, id="u1"),
            "1 removed by `prune_unmanaged` (deactivated or deleted)",
        ),
        (
            Change(
                Kind.GROUP,
                Action.REMOVE_MEMBERS,
                "eng",
                "eng",
                id="g1",
                members=(Member("stranger@x.com", "", "u1"),),
            ),
            "1 unmanaged user removed from managed groups (the memberships only)",
        ),
        (
            Change(Kind.USER, Action.ADOPT, "bob@x.com", "bob@x.com", id="u2"),
            "1 resource adopted (the ownership marker written)",
        ),
    ],
)
def test_a_plan_that_touches_unmanaged_resources_says_so(change: Change, said: str) -> None:
    text = plan_markdown(with_unmanaged(change))
    assert "never touched" not in text.replace("The others are never touched", "")
    assert "**This plan touches some of them:**" in text
    assert said in text


@pytest.mark.integration
def test_deleting_a_group_from_git_names_its_members_in_the_plan(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    set_policy(org)
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    groups = org / "groups" / "groups.yaml"

    data = yaml.safe_load(groups.read_text())
    (security,) = [g for g in data["groups"] if g["displayName"] == "security"]
    data["groups"].remove(security)
    groups.write_text(yaml.safe_dump(data))
    plan = cli("plan", "--dir", org, env=generic_server.env)
    for name in security["members"]:
        assert f"- member {name} (loses access)" in plan.out
    markdown = cli("plan", "--dir", org, "--format", "markdown", env=generic_server.env)
    assert f"lose access: <code>{security['members'][0]}</code>" in visible(markdown.out)


@pytest.mark.integration
def test_deleting_a_privileged_group_needs_its_approval(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, privileged_groups=["security"])
    allow = ("--allow", "privileged")
    assert cli("apply", "--dir", org, "--auto-approve", *allow, env=generic_server.env).code == 0
    groups = org / "groups" / "groups.yaml"

    data = yaml.safe_load(groups.read_text())
    data["groups"] = [g for g in data["groups"] if g["displayName"] != "security"]
    groups.write_text(yaml.safe_dump(data))
    refused = cli("apply", "--dir", org, "--auto-approve", "--force", env=generic_server.env)
    assert refused.code == 3, refused.out
    assert "security" in {g["displayName"] for g in generic_server.groups()}
    applied = cli("apply", "--dir", org, "--auto-approve", *allow, env=generic_server.env)
    assert applied.code == 0, applied.out + applied.err
    assert "security" not in {g["displayName"] for g in generic_server.groups()}


def test_apply_lines_show_server_text_escaped() -> None:
    change = user("evil\x1b[2J\u202e@example.com", Action.DELETE, id="u1")
    line = outcome_line(Outcome(change, Result.FAILED, "HTTP 500: \x1b]0;owned\x07")).plain
    warned = plan_text(Plan.build("aws", [], warnings=("name \x1b[31mred",))).plain
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in line + warned
    assert "evil\\u001b[2J\\u202e@example.com: HTTP 500: \\u001b]0;owned\\u0007" in line
