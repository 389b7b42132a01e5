"""The aws-identity-center profile: the requests it makes, and what validation refuses.

Request shapes go through the real client, reader and executor on a MockTransport
(``scimfake``); validation goes through ``scimctl validate`` as a user runs it.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from scimfake import MARKER, FakeScim, converge, desired, read

from reconciler.apply.executor import Executor
from reconciler.errors import IncompleteReadError
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.scim.discovery import discover
from reconciler.scim.profiles import get_profile
from reconciler.scim.profiles.aws import PROFILE
from reconciler.scim.reader import read_live
from tests.conftest import EXAMPLE

NAMES = [f"user{i:03d}@example.com" for i in range(250)]


def aws_fake(**kwargs: object) -> FakeScim:
    """A server that pages by cursor, 100 at most, and lists groups without members."""
    return FakeScim(paging="cursor", max_count=100, members_inline=False, **kwargs)  # type: ignore[arg-type]


# --- listing ------------------------------------------------------------------------------


def test_users_are_listed_by_cursor_100_at_a_time_never_by_start_index() -> None:
    fake = aws_fake()
    for name in NAMES:
        fake.add_user(name)

    live = read(fake, PROFILE)

    pages = [s.params for s in fake.requests("GET", "/Users")]
    assert pages == [
        {"count": "100", "cursor": ""},
        {"count": "100", "cursor": "100"},
        {"count": "100", "cursor": "200"},
    ]
    assert len(live.org.users) == 250
    assert not live.partial


def test_the_page_size_stays_100_when_the_server_advertises_more() -> None:
    fake = aws_fake(config={"filter": {"supported": True, "maxResults": 1000}})
    fake.add_user("ada@example.com")

    read(fake, PROFILE)

    assert {s.params["count"] for s in fake.requests("GET", "/Users")} == {"100"}


def test_the_older_unpaged_listing_is_a_failed_read() -> None:
    """A server that answers the non-paginated shape although cursor paging was asked
    for (AWS's older listing, capped at 50) gives no live state at all."""
    fake = FakeScim(paging="legacy", max_count=50, members_inline=False)
    for name in NAMES[:60]:
        fake.add_user(name)

    with pytest.raises(IncompleteReadError, match="non-paginated shape"):
        read(fake, PROFILE)


# --- membership ---------------------------------------------------------------------------


def test_members_are_read_per_group_through_groups_value_filters() -> None:
    fake = aws_fake()
    ids = [fake.add_user(name) for name in NAMES[:150]]
    engineering = fake.add_group("engineering", ids)
    empty = fake.add_group("empty")

    live = read(fake, PROFILE)

    filtered = [s.params for s in fake.requests("GET", "/Users") if "filter" in s.params]
    # The groups are read concurrently: their requests may interleave, a group's pages not.
    per_group = {
        name: [f["cursor"] for f in filtered if f["filter"] == name]
        for name in (f["filter"] for f in filtered)
    }
    assert per_group == {
        f'groups.value eq "{engineering}"': ["", "100"],
        f'groups.value eq "{empty}"': [""],
    }
    assert all(f["count"] == "100" for f in filtered) and len(filtered) == 3
    assert live.membership_requests == 3
    members = {g.display_name: g.members for g in live.org.groups}
    assert members == {"engineering": frozenset(ids), "empty": frozenset()}


def test_250_members_are_added_then_removed_100_per_patch() -> None:
    fake = aws_fake()
    for name in NAMES:
        fake.add_user(name)
    gid = fake.add_group("everyone")

    added = converge(fake, PROFILE, desired(NAMES, {"everyone": NAMES}))
    emptied = converge(fake, PROFILE, desired(NAMES, {"everyone": []}))

    patches = [s.body["Operations"] for s in fake.requests("PATCH", f"/Groups/{gid}")]
    assert [len(ops[0]["value"]) for ops in patches[:3]] == [100, 100, 50]
    assert [len(ops) for ops in patches[3:]] == [100, 100, 50]
    assert all(op["op"] == "remove" for ops in patches[3:] for op in ops)
    assert all(op["path"].startswith('members[value eq "') for ops in patches[3:] for op in ops)
    assert not added.failed and not emptied.failed
    assert fake.member_ids(gid) == set()


# --- writes -------------------------------------------------------------------------------


def test_a_409_on_create_is_resolved_by_looking_the_user_up_by_user_name() -> None:
    fake = aws_fake()
    want = desired(["ada@example.com"], {})
    with fake.client() as client:
        live = read_live(client, discover(client, PROFILE), PROFILE, MARKER)
        plan = diff(want, live.org, Policy())
        existing = fake.add_user("ada@example.com")  # created behind our back, with our marker
        report = Executor(client, PROFILE, live.org).run(plan)

    lookups = [s.params for s in fake.requests("GET", "/Users") if "filter" in s.params]
    assert lookups == [{"filter": 'userName eq "ada@example.com"'}]
    assert [(o.result, o.id) for o in report.outcomes] == [("ok", existing)]
    assert len(fake.users) == 1


# --- removal policy -----------------------------------------------------------------------


def test_deletes_need_no_acknowledgement() -> None:
    assert list(PROFILE.removal_problems("delete", 86400)) == []


# --- validation ---------------------------------------------------------------------------


def write(directory: Path, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "users.yaml").write_text(dedent(text).lstrip())
    return directory


def test_every_aws_rule_is_reported_at_its_place(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    org = write(
        tmp_path / "org",
        """
        users:
          - userName: ada@example.com
            displayName: Ada Lovelace
            name: {givenName: Ada, familyName: Lovelace}
            emails:
              - {value: ada@example.com, type: work, primary: true}
              - {value: ada@home.example, type: home}
          - userName: bob@example.com
            name: {givenName: Bob}
            emails:
              - {value: bob@example.com, type: work}
            phoneNumbers:
              - {value: "+1 555 0100", type: work}
              - {value: "+1 555 0101", type: mobile}
          - userName: carol@example.com
            addresses:
              - {locality: Leeds, type: work}
              - {locality: York, type: home}
            roles:
              - {value: admin}
              - {value: dev}
        """,
    )

    result = cli("validate", "--profile", "aws-identity-center", "--dir", org)

    assert result.code == 1
    f = f"{org}/users.yaml"
    assert result.err.splitlines() == [
        f"{f}:7:9: aws-identity-center keeps at most 1 value in emails; remove the rest",
        f"{f}:9:11: aws-identity-center requires name.familyName",
        f"{f}:11:9: aws-identity-center requires emails to be primary: true",
        f"{f}:14:9: aws-identity-center keeps at most 1 value in phoneNumbers; remove the rest",
        f"{f}:15:5: aws-identity-center requires displayName",
        f"{f}:15:5: aws-identity-center requires name.familyName",
        f"{f}:15:5: aws-identity-center requires name.givenName",
        f"{f}:18:9: aws-identity-center keeps at most 1 value in addresses; remove the rest",
        f"{f}:20:7: aws-identity-center refuses roles in a PATCH, so a change to it could "
        "never be applied; leave roles out",
        f"{f}:21:9: aws-identity-center keeps at most 1 value in roles; remove the rest",
        "Error: 10 problems found; nothing was changed.",
    ]


def test_user_names_with_spaces_and_addresses_with_line_breaks_are_refused(
    cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """CreateUser: userName "can contain letters, accented characters, symbols, numbers,
    punctuation"; addresses add "space (normal and nonbreaking)", and nothing else."""
    org = write(
        tmp_path / "org",
        """
        users:
          - userName: ada lovelace
            displayName: Ada Lovelace
            name: {givenName: Ada, familyName: Lovelace}
            emails: [{value: ada@example.com, primary: true}]
            addresses:
              - {formatted: "12 St James's Square\\nLondon", locality: London}
          - userName: élodie.o'brien+test@example.com
            displayName: Élodie O'Brien
            name: {givenName: Élodie, familyName: O'Brien}
            emails: [{value: elodie@example.com, primary: true}]
            addresses: [{formatted: "1 Rue de Rivoli, 75001 Paris"}]
        """,
    )

    result = cli("validate", "--profile", "aws-identity-center", "--dir", org)

    f = f"{org}/users.yaml"
    assert result.err.splitlines() == [
        f"{f}:2:15: aws-identity-center takes only letters, accents, symbols, numbers "
        "and punctuation in userName: no spaces, tabs or line breaks",
        f"{f}:7:21: aws-identity-center takes no tabs or line breaks in addresses; "
        "write it on one line",
        "Error: 2 problems found; nothing was changed.",
    ]


def test_attributes_aws_does_not_support_are_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    org = write(
        tmp_path / "org",
        """
        users:
          - userName: dan@example.com
            displayName: Dan Ng
            name: {givenName: Dan, familyName: Ng}
            emails:
              - {value: dan@example.com, primary: true, display: Dan}
            ims: [{value: dan}]
            photos: [{value: "https://example.com/dan.png"}]
            entitlements: [{value: admin}]
            x509Certificates: [{value: MIIB}]
            password: hunter2
        """,
    )

    result = cli("validate", "--profile", "aws-identity-center", "--dir", org)

    assert result.code == 1
    f = f"{org}/users.yaml"
    assert f"{f}:6:49: users[0].emails[0]: unknown attribute 'display'" in result.err
    for line, name in [(7, "ims"), (8, "photos"), (9, "entitlements"), (10, "x509Certificates")]:
        assert f"{f}:{line}:5: users[0]: unknown attribute '{name}'" in result.err
    assert f"{f}:11:5: users[0]: 'password' is not allowed" in result.err


def test_the_example_org_is_valid_for_aws(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate", "--profile", "aws-identity-center", "--dir", EXAMPLE)

    assert result.code == 0, result.err
    assert "(profile aws-identity-center)" in result.out


def test_a_primary_email_two_users_share_is_found() -> None:
    users = [
        {"userName": "ada@example.com", "emails": [{"value": "it@example.com", "primary": True}]},
        {"userName": "bob@example.com", "emails": [{"value": "IT@example.com", "primary": True}]},
        {"userName": "cy@example.com", "emails": [{"value": "cy@example.com", "primary": True}]},
    ]

    found = list(get_profile("aws-identity-center").users_problems(users))

    assert found == [
        (
            1,
            ("emails", 0),
            "aws-identity-center requires the primary emails value to be unique: "
            "'IT@example.com' is already the primary of user 'ada@example.com'",
        )
    ]
