"""The server's members beside git's, paired and flagged: pure, on in-memory orgs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.access_review.gather import review_groups, selected_keys
from reconciler.access_review.model import Approval, Commit, Flag, Grant, PullRequest
from reconciler.errors import InputError
from reconciler.model import Group, Org, User
from reconciler.policy import Policy

NOW = datetime(2027, 3, 1, tzinfo=UTC)
POLICY = Policy(privileged_groups=frozenset({"admins"}))
COMMIT = Commit("a" * 40, "Ann", "ann@example.com", "2027-01-01T00:00:00Z", "grant")


def user(name: str, managed: bool = True) -> User:
    return User(name, name if managed else None, id=f"id-{name}")


WANTED = Org(
    users=tuple(User(n, n) for n in ("ann", "ben", "cat", "dan", "eve")),
    groups=(
        Group("engineering", "engineering", frozenset({"ann", "ben", "cat"})),
        Group("Admins", "admins", frozenset({"ann", "eve", "dan"}), until={"eve": "2027-02-01"}),
        Group("finance", "finance", frozenset({"ben"})),
    ),
)
LIVE = Org(
    users=(user("ann"), user("Ben"), user("dan"), user("eve"), user("mallory", managed=False)),
    groups=(
        Group("engineering", "engineering", frozenset({"id-ann", "id-Ben", "id-mallory"})),
        Group("admins", "admins", frozenset({"id-ann", "id-eve"}), id="g-admins"),
        Group("legacy", None, frozenset({"id-dan"}), id="g-legacy"),
    ),
)


def grant(pull: PullRequest | None = None, commit: Commit | None = COMMIT) -> Grant:
    return Grant("desired-state/groups.yaml", 3, commit, pull=pull)


def test_members_are_paired_flagged_and_listed_apart_privileged_groups_first() -> None:
    grants = {
        ("admins", "ann"): grant(),
        ("admins", "eve"): grant(),
        ("admins", "dan"): grant(commit=None),
        ("engineering", "ben"): grant(),
    }
    groups = review_groups(WANTED, LIVE, POLICY, grants, now=NOW)
    assert [(g.name, g.privileged, g.in_git, g.on_server) for g in groups] == [
        ("Admins", True, True, True),
        ("engineering", False, True, True),
        ("finance", False, True, False),
        ("legacy", False, False, True),
    ]
    admins, engineering, finance, legacy = groups
    assert [(m.user, m.flags) for m in admins.members] == [
        ("ann", ()),
        ("eve", (Flag.PAST_UNTIL,)),
    ]
    assert admins.members[1].until == "2027-02-01"
    assert [(m.user, m.reason, m.flags) for m in admins.pending] == [
        (
            "dan",
            "the server does not list it as a member (not applied yet, or refused)",
            (Flag.UNCOMMITTED,),
        ),
    ]
    assert [(m.user, m.grant is not None, m.flags) for m in engineering.members] == [
        ("ann", False, ()),  # in git, but no place found: nothing to flag, nothing granted
        ("Ben", True, ()),
        ("mallory", False, (Flag.OUT_OF_BAND,)),
    ]
    assert [(m.user, m.reason) for m in engineering.pending] == [
        ("cat", "the user is not on the server")
    ]
    assert [(m.user, m.reason) for m in finance.pending] == [
        ("ben", "the group is not on the server")
    ]
    assert [(m.user, m.flags) for m in legacy.members] == [("dan", (Flag.OUT_OF_BAND,))]


def test_an_ended_membership_gone_from_the_server_is_no_surprise() -> None:
    live = Org(LIVE.users, (Group("admins", "admins", frozenset({"id-ann"})),))
    (admins,) = review_groups(WANTED, live, POLICY, {}, now=NOW, only=["ADMINS"])
    reasons = {m.user: m.reason for m in admins.pending}
    assert reasons["eve"] == "its until (2027-02-01) has passed"


def test_pull_request_flags_need_the_pull_requests_read() -> None:
    self_approved = PullRequest(
        2, "", "t", "ben-b", "", (Approval("Ben-B", ""), Approval("cat-c", "")), ("dan-d",)
    )
    unapproved = PullRequest(3, "", "t", "ben-b", "", (), ("ben-b",))
    by_committer = PullRequest(4, "", "t", "ann-a", "", (Approval("dan-d", ""),), ("dan-d",))
    grants = {
        ("admins", "ann"): grant(self_approved),
        ("admins", "eve"): grant(None),
        ("engineering", "ann"): grant(unapproved),
        ("engineering", "ben"): grant(by_committer),
    }
    read = review_groups(WANTED, LIVE, POLICY, grants, now=NOW, pulls_read=True)
    flags = {(g.name, m.user): m.flags for g in read for m in g.members}
    assert flags[("Admins", "ann")] == (Flag.SELF_APPROVED,)
    assert self_approved.self_approvers == ("Ben-B",)
    assert flags[("Admins", "eve")] == (Flag.NO_PULL_REQUEST, Flag.PAST_UNTIL)
    assert flags[("engineering", "ann")] == (Flag.NOT_APPROVED,)
    assert flags[("engineering", "Ben")] == (Flag.SELF_APPROVED,)
    unread = review_groups(WANTED, LIVE, POLICY, {("admins", "eve"): grant(None)}, now=NOW)
    assert {(g.name, m.user): m.flags for g in unread for m in g.members}[("Admins", "eve")] == (
        Flag.PAST_UNTIL,
    )


def test_only_the_groups_asked_for_by_any_of_their_names() -> None:
    assert selected_keys(WANTED, LIVE, ["ADMINS", "legacy"]) == {"admins"}
    groups = review_groups(WANTED, LIVE, POLICY, {}, now=NOW, only=["ADMINS", "legacy"])
    assert [g.name for g in groups] == ["Admins", "legacy"]
    with pytest.raises(InputError, match="--group 'nobody': no group of that name"):
        selected_keys(WANTED, LIVE, ["nobody"])
