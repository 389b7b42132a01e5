"""The github-emu profile: the requests it makes against a server shaped as GitHub's
SCIM REST documentation describes (index paging, one filter, members on the group)."""

from __future__ import annotations

from scimfake import MARKER, FakeScim, Recorder, converge, desired, read

from reconciler import __version__
from reconciler.apply.executor import Executor
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.sandbox.server import make_app, running
from reconciler.scim.discovery import discover
from reconciler.scim.profiles import get_profile
from reconciler.scim.profiles.base import ACKNOWLEDGE_IRREVERSIBLE
from reconciler.scim.profiles.github_emu import PROFILE
from reconciler.scim.reader import read_live
from tests.conftest import TOKEN

NAMES = [f"user{i:03d}_acme" for i in range(250)]


def test_it_is_registered_under_its_name() -> None:
    assert get_profile("github-emu") is PROFILE


def test_users_are_listed_by_start_index_and_count_of_100() -> None:
    fake = FakeScim(paging="index")
    for name in NAMES:
        fake.add_user(name)

    live = read(fake, PROFILE)

    pages = [s.params for s in fake.requests("GET", "/Users")]
    assert pages == [
        {"count": "100", "startIndex": "1"},
        {"count": "100", "startIndex": "101"},
        {"count": "100", "startIndex": "201"},
    ]
    assert len(live.org.users) == 250


def test_a_server_advertising_smaller_pages_is_asked_for_those() -> None:
    fake = FakeScim(config={"filter": {"supported": True, "maxResults": 30}})
    for name in NAMES[:40]:
        fake.add_user(name)

    read(fake, PROFILE)

    assert [s.params["startIndex"] for s in fake.requests("GET", "/Users")] == ["1", "31"]
    assert {s.params["count"] for s in fake.requests("GET", "/Users")} == {"30"}


def test_every_request_carries_the_user_agent_github_requires() -> None:
    fake = FakeScim()
    fake.add_user(NAMES[0])

    converge(fake, PROFILE, desired(NAMES[:3], {"team": NAMES[:3]}), user_agent=PROFILE.user_agent)

    assert PROFILE.user_agent == f"scim-reconciler/{__version__}"
    assert len(fake.sent) > 5
    assert {s.headers.get("user-agent") for s in fake.sent} == {PROFILE.user_agent}


def test_members_come_with_the_group_no_filter_per_group() -> None:
    fake = FakeScim()
    ids = [fake.add_user(name) for name in NAMES[:3]]
    fake.add_group("team", ids)

    live = read(fake, PROFILE)

    assert not [s for s in fake.sent if "filter" in s.params]
    assert live.membership_requests == 0
    assert [g.members for g in live.org.groups] == [frozenset(ids)]


def test_users_are_provisioned_before_groups_and_groups_before_members() -> None:
    fake = FakeScim()

    report = converge(fake, PROFILE, desired(NAMES[:3], {"team": NAMES[:3]}))

    writes = [(s.method, s.path.split("/")[1]) for s in fake.sent if s.method != "GET"]
    assert writes == [("POST", "Users")] * 3 + [("POST", "Groups"), ("PATCH", "Groups")]
    assert not report.failed


def test_membership_changes_go_100_per_patch() -> None:
    """GitHub: "Complex SCIM path selectors that include filters are not supported ... will be
    ineffective": on a server that ignores them, removals by value list still land."""
    fake = FakeScim(path_filters=False)
    for name in NAMES:
        fake.add_user(name)
    gid = fake.add_group("everyone")

    converge(fake, PROFILE, desired(NAMES, {"everyone": NAMES}))
    converge(fake, PROFILE, desired(NAMES, {"everyone": NAMES[:10]}))

    patches = [s.body["Operations"] for s in fake.requests("PATCH", f"/Groups/{gid}")]
    assert [len(ops[0]["value"]) for ops in patches[:3]] == [100, 100, 50]
    assert [(ops[0]["op"], ops[0]["path"], len(ops[0]["value"])) for ops in patches[3:]] == [
        ("remove", "members", 100),
        ("remove", "members", 100),
        ("remove", "members", 40),
    ]
    assert len(fake.member_ids(gid)) == 10


def test_a_409_is_resolved_with_one_filter_clause() -> None:
    fake = FakeScim()
    with fake.client() as client:
        live = read_live(client, discover(client, PROFILE), PROFILE, MARKER)
        plan = diff(desired(["ada_acme"], {}), live.org, Policy())
        existing = fake.add_user("ada_acme")
        report = Executor(client, PROFILE, live.org, concurrency=1).run(plan)

    filters = [s.params["filter"] for s in fake.sent if "filter" in s.params]
    assert filters == ['userName eq "ada_acme"']
    assert [o.id for o in report.outcomes] == [existing]


def test_deletes_are_irreversible_so_they_must_be_acknowledged() -> None:
    refused = list(PROFILE.removal_problems("delete", 30 * 86400))

    assert len(refused) == 2
    assert refused[0].startswith("on_remove: delete: on github-emu, DELETE /Users erases a user")
    assert refused[1].startswith("delete_after: on github-emu")
    assert all(f"{ACKNOWLEDGE_IRREVERSIBLE}: true" in message for message in refused)
    assert list(PROFILE.removal_problems("delete", 86400, acknowledged=True)) == []
    assert list(PROFILE.removal_problems("deactivate")) == []


def test_writes_are_paced_below_1000_users_an_hour_one_at_a_time() -> None:
    assert PROFILE.default_write_rate is not None
    assert PROFILE.default_write_rate * 3600 <= 1000
    assert PROFILE.default_concurrency == 1


def test_a_session_with_the_profile_sends_its_user_agent_on_the_wire(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder(make_app(TOKEN))
    with running(recorder) as base:
        (tmp_path / "targets.yaml").write_text(
            f"targets:\n  gh:\n    url: {base}/v2\n    token_env: GH_SCIM_TOKEN\n"
            "    profile: github-emu\n    rate: 100\n"
        )
        result = cli("check", "--dir", tmp_path, env={"GH_SCIM_TOKEN": TOKEN})

    assert result.code == 0, result.out + result.err
    assert "  ok   profile: github-emu:" in result.out
    assert "  ok   paging: index, 100 per page" in result.out
    assert len(recorder.seen) >= 3
    assert {agent for _, _, agent in recorder.seen} == {PROFILE.user_agent}


def test_a_server_returning_30_when_asked_for_100_is_paged_by_what_it_returns() -> None:
    """GitHub: count "Default: 30", no largest page documented. A server that answers 30
    to count=100 without saying so is read on from where its answer stopped."""
    fake = FakeScim(max_count=30)
    for name in NAMES[:70]:
        fake.add_user(name)

    live = read(fake, PROFILE)

    assert [s.params["startIndex"] for s in fake.requests("GET", "/Users")] == ["1", "31", "61"]
    assert len(live.org.users) == 70


def test_what_a_user_post_requires_is_reported_offline(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """GitHub: "Provision a SCIM enterprise user": userName, name.familyName, name.givenName,
    displayName and emails with value, type and primary are "(required)"."""
    org = tmp_path / "org"
    org.mkdir()
    (org / "users.yaml").write_text(
        "users:\n"
        "  - userName: ada_acme\n"
        "    name: {givenName: Ada, familyName: Lovelace}\n"
        "    emails: [{value: ada@example.com, type: work, primary: true}]\n"
        "  - userName: bob_acme\n"
        "    name: {givenName: Bob}\n"
        "    emails: [{value: bob@example.com}]\n"
        "  - userName: cy_acme\n"
        "    displayName: Cy\n"
    )

    result = cli("validate", "--profile", "github-emu", "--dir", org)

    f = f"{org}/users.yaml"
    assert result.err.splitlines() == [
        f"{f}:6:11: github-emu requires name.familyName",
        f"{f}:7:14: github-emu requires type and primary on each of emails",
        f"{f}:8:5: github-emu requires emails",
        f"{f}:8:5: github-emu requires name.familyName",
        f"{f}:8:5: github-emu requires name.givenName",
        "Error: 5 problems found; nothing was changed.",
    ]


def test_a_user_post_carries_active() -> None:
    """GitHub: "Provision a SCIM enterprise user": ``active`` (boolean) is "(required)"; the
    desired state's default (true) is sent, not left for the server to assume."""
    fake = FakeScim()

    converge(fake, PROFILE, desired(NAMES[:1], {}))

    (post,) = fake.requests("POST", "/Users")
    assert post.body["active"] is True


def test_a_group_left_out_is_deleted() -> None:
    """GitHub, "Delete a SCIM group from an enterprise": a group that leaves the YAML."""
    fake = FakeScim()
    gid = fake.add_group("old-team")

    report = converge(fake, PROFILE, desired([], {}))

    assert [(s.method, s.path) for s in fake.sent if s.method != "GET"] == [
        ("DELETE", f"/Groups/{gid}")
    ]
    assert not report.failed
