"""The slack profile: the requests it makes against a server shaped as Slack's SCIM
documentation describes (index paging up to 1,000, members on the group, 429 with
Retry-After), and its removal and rate rules."""

from __future__ import annotations

from scimfake import MARKER, FakeScim, converge, desired, read

from reconciler.apply.executor import Executor
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.scim.discovery import discover
from reconciler.scim.profiles import get_profile
from reconciler.scim.profiles.slack import PROFILE
from reconciler.scim.reader import read_live

NAMES = [f"user{i:04d}@example.com" for i in range(2500)]


def test_it_is_registered_under_its_name() -> None:
    assert get_profile("slack") is PROFILE


def test_users_are_listed_1000_at_a_time_even_when_the_server_offers_more() -> None:
    fake = FakeScim(max_count=5000, config={"filter": {"supported": True, "maxResults": 5000}})
    for name in NAMES:
        fake.add_user(name)

    live = read(fake, PROFILE)

    pages = [s.params for s in fake.requests("GET", "/Users")]
    assert pages == [
        {"count": "1000", "startIndex": "1"},
        {"count": "1000", "startIndex": "1001"},
        {"count": "1000", "startIndex": "2001"},
    ]
    assert len(live.org.users) == 2500


def test_members_come_with_the_group() -> None:
    fake = FakeScim()
    ids = [fake.add_user(name) for name in NAMES[:5]]
    fake.add_group("design", ids)

    live = read(fake, PROFILE)

    assert not [s for s in fake.sent if "filter" in s.params]
    assert [g.members for g in live.org.groups] == [frozenset(ids)]


def test_membership_changes_go_100_per_patch() -> None:
    fake = FakeScim()
    for name in NAMES[:250]:
        fake.add_user(name)
    gid = fake.add_group("everyone")

    report = converge(fake, PROFILE, desired(NAMES[:250], {"everyone": NAMES[:250]}))

    patches = [s.body["Operations"] for s in fake.requests("PATCH", f"/Groups/{gid}")]
    assert [len(ops[0]["value"]) for ops in patches] == [100, 100, 50]
    assert not report.failed


def test_a_429_waits_as_long_as_retry_after_says() -> None:
    fake = FakeScim(throttle=2, retry_after="7")
    fake.add_user(NAMES[0])
    waited: list[float] = []

    live = read(fake, PROFILE, sleep=waited.append)

    assert waited == [7.0, 7.0]
    assert len(live.org.users) == 1


def test_a_group_left_out_is_deleted_for_good() -> None:
    fake = FakeScim()
    gid = fake.add_group("old-team")

    report = converge(fake, PROFILE, desired([], {}))

    assert [(s.method, s.path) for s in fake.sent if s.method != "GET"] == [
        ("DELETE", f"/Groups/{gid}")
    ]
    assert not report.failed


def test_on_remove_delete_is_refused_because_delete_only_deactivates() -> None:
    refused = list(PROFILE.removal_problems("delete", 86400, acknowledged=True))

    assert refused == [
        "on_remove: delete: on slack, DELETE /Users only deactivates a user, so every plan "
        "would delete it again; keep on_remove: deactivate (the default)",
        "delete_after: on slack, DELETE /Users only deactivates a user, so every plan "
        "would delete it again; remove delete_after",
    ]
    assert list(PROFILE.removal_problems("deactivate")) == []


def test_the_default_rates_stay_below_slacks_org_wide_limits() -> None:
    assert PROFILE.default_rate is not None and PROFILE.default_write_rate is not None
    assert PROFILE.default_rate * 60 <= 1000  # reads a minute, shared by all SCIM apps
    assert PROFILE.default_write_rate * 60 <= 180  # per write endpoint (600 for all writes)


def test_a_session_with_the_profile_reads_pages_of_1000(cli, tmp_path, generic_server) -> None:  # type: ignore[no-untyped-def]
    env = {**generic_server.env, "SCIM_PROFILE": "slack"}

    result = cli("check", "--dir", tmp_path, env=env)

    assert result.code == 0, result.out + result.err
    assert "  ok   profile: slack:" in result.out
    assert "  ok   paging: index, 1000 per page" in result.out


def test_what_slack_would_rewrite_or_refuse_is_reported_offline(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """User attributes: userName "Required Max of 21 characters. Support periods .,
    underscores _, and hyphens -. All other special characters are converted to
    underscores." Email "Required"; nickName: "Max length is 21 characters";
    displayName: "Max of 80 characters"."""
    org = tmp_path / "org"
    org.mkdir()
    (org / "users.yaml").write_text(
        "users:\n"
        "  - userName: ada.lovelace_1815-x\n"
        f"    displayName: {'x' * 81}\n"
        "    emails: [{value: ada@example.com, primary: true}]\n"
        "  - userName: grace@example.com\n"
        "    nickName: the-admiral-of-cobol-and-compilers\n"
        "    emails: [{value: grace@example.com, primary: true}]\n"
        "  - userName: a_name_longer_than_21_chars\n"
    )

    result = cli("validate", "--profile", "slack", "--dir", org)

    f = f"{org}/users.yaml"
    rule = (
        "slack takes in userName at most 21 letters, digits, periods, underscores and "
        "hyphens (Slack rewrites anything else, so every plan would rename the user again)"
    )
    assert result.err.splitlines() == [
        f"{f}:3:18: slack takes in displayName at most 80 characters",
        f"{f}:5:15: {rule}",
        f"{f}:6:15: slack takes in nickName at most 21 characters",
        f"{f}:8:5: slack requires emails",
        f"{f}:8:15: {rule}",
        "Error: 5 problems found; nothing was changed.",
    ]


def test_a_group_409_whose_look_up_slack_refuses_fails_that_change_only() -> None:
    """Filter: "it's possible to filter the list by the `username`, `email`,
    `restricted`, and `ultra_restricted` attributes" (no ``displayName``). The look-up
    after a 409 on a group create may be refused: that change fails with the server's
    answer, the users are created all the same."""
    fake = FakeScim(filterable=frozenset({"userName", "email"}))
    with fake.client() as client:
        live = read_live(client, discover(client, PROFILE), PROFILE, MARKER)
        plan = diff(desired(NAMES[:2], {"team": []}), live.org, Policy())
        fake.add_group("team")  # someone else's, created between plan and apply
        report = Executor(client, PROFILE, live.org, concurrency=1).run(plan)

    results = {o.change.name: o.result.value for o in report.outcomes}
    assert results == {NAMES[0]: "ok", NAMES[1]: "ok", "team": "failed"}
    assert [s.params["filter"] for s in fake.sent if "filter" in s.params] == [
        'displayName eq "team"'
    ]
