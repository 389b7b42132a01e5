"""Issue 5, item 5 (second half): names with quotes, backslashes and non-ASCII letters
that are valid go through every filter the client builds, and round-trip.

Against both sandboxes: apply, then plan is empty; a create whose answer is lost is
recovered through the ``userName eq "…"`` / ``displayName eq "…"`` look-up; a create
met by 409 is recovered through the same look-up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.apply.executor import Executor
from reconciler.desired import load_desired
from reconciler.model import Org
from reconciler.plan.diff import diff
from reconciler.scim.filters import eq
from tests.conftest import Server
from tests.faults.proxy import FaultProxy, Forward, Incoming, Reply
from tests.reliability.support import GROUP_SCHEMA, create, open_session, scim_user

pytestmark = pytest.mark.integration

USERS = [
    "o'brien@example.com",
    'say"cheese"@example.com',
    "back\\slash@example.com",
    'both\\"@example.com',
    "zoë.ångström@exämple.com",
    "李雷@例子.公司",
    "ünïcødé+tag@example.com",
]
GROUPS = ['R&D "core"', "back\\slash\\", "Équipe d'été", "研究 開発", "a] or [b eq 'c'"]


def _org(directory: Path) -> None:
    users: list[dict[str, Any]] = []
    for index, name in enumerate(USERS):
        given = name.split("@", 1)[0]
        users.append(
            {
                "userName": name,
                "name": {"givenName": given, "familyName": 'Ó"Tester\\'},
                "emails": [{"value": f"user{index}@example.com", "type": "work", "primary": True}],
                "title": f'Title with "quotes" and \\ for {given}',
            }
        )
    users[1]["enterprise"] = {"manager": USERS[0]}
    groups = [{"displayName": name, "members": USERS[i % 3 :: 2]} for i, name in enumerate(GROUPS)]
    directory.mkdir()
    text = yaml.safe_dump({"users": users, "groups": groups}, allow_unicode=True)
    (directory / "org.yaml").write_text(text, encoding="utf-8")


def test_the_names_are_valid_desired_state(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _org(tmp_path / "org")
    result = cli("validate", "--dir", tmp_path / "org", "--profile", "aws-identity-center")
    assert result.code == 0, result.err


def test_valid_hostile_names_round_trip(cli, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "org"
    _org(directory)
    applied = cli("apply", "--dir", directory, "--auto-approve", env=server.env)
    assert applied.code == 0, applied.out + applied.err
    again = cli("plan", "--dir", directory, "--detailed-exitcode", env=server.env)
    assert again.code == 0, again.out + again.err
    assert {u["userName"] for u in server.users()} == set(USERS)
    assert {g["displayName"] for g in server.groups()} == set(GROUPS)
    assert server.member_names(GROUPS[1]) == set(USERS[1::2])
    (back,) = [u for u in server.users() if u["userName"] == USERS[2]]
    assert back["title"] == 'Title with "quotes" and \\ for back\\slash'


def _lose_every_create_answer(incoming: Incoming, forward: Forward) -> Reply | None:
    if incoming.method != "POST":
        return None
    forward(incoming)
    return Reply(action="reset")


def test_hostile_names_go_through_the_look_up_filter_when_a_create_is_lost(
    cli,  # type: ignore[no-untyped-def]
    server: Server,
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    """Every POST reaches the server and its answer is lost: every user and group is
    found again by name, with the name escaped in the filter, and made only once."""
    directory = tmp_path / "org"
    _org(directory)
    faulty = proxy(server.url, intercept=_lose_every_create_answer)
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}
    applied = cli("apply", "--dir", directory, "--auto-approve", env=env)
    assert applied.code == 0, applied.out + applied.err

    filters = {r.query.get("filter") for r in faulty.requests() if r.method == "GET"}
    for name in USERS:
        assert eq("userName", name) in filters
    for name in GROUPS:
        assert eq("displayName", name) in filters
    assert eq("userName", USERS[3]) == 'userName eq "both\\\\\\"@example.com"'
    assert sorted(u["userName"] for u in server.users()) == sorted(USERS)
    assert sorted(g["displayName"] for g in server.groups()) == sorted(GROUPS)
    again = cli("plan", "--dir", directory, "--detailed-exitcode", env=server.env)
    assert again.code == 0, again.out + again.err


def test_hostile_names_go_through_the_look_up_filter_after_a_409(
    server: Server, tmp_path: Path
) -> None:
    """A plan made from a stale read creates what already exists (ours, from a run whose
    answers were lost): the server answers 409 and the look-up by name finds it."""
    directory = tmp_path / "org"
    _org(directory)
    for name in USERS:
        create(server, "/Users", scim_user(name, f"scimctl:{name.casefold()}"))
    if server.profile == "aws-identity-center":  # only AWS refuses a second group name
        for name in GROUPS:
            body = {"schemas": [GROUP_SCHEMA], "displayName": name}
            create(server, "/Groups", {**body, "externalId": f"scimctl:{name.casefold()}"})
    session = open_session(server.url, server.profile)
    with session.client:
        desired = load_desired(directory)
        stale = diff(desired.org, Org(), session.policy, unstored=session.profile.unstored)
        executor = Executor(session.client, session.profile, Org())
        report = executor.run(stale)
    creates = [o for o in report.outcomes if o.change.action.value == "create"]
    assert creates and all(o.result.value == "ok" for o in creates), [
        (o.change.address, o.message) for o in creates if o.result.value != "ok"
    ]
    assert sorted(u["userName"] for u in server.users()) == sorted(USERS)
    assert len(server.groups()) == len(GROUPS)


def test_the_filter_escapes_what_json_escapes() -> None:
    for name in [*USERS, *GROUPS, 'x" or userName pr or "', "\\"]:
        expression = eq("userName", name)
        assert expression.startswith('userName eq "') and expression.endswith('"')
        assert json.loads(expression.removeprefix("userName eq ")) == name
