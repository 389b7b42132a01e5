"""Issue 5, item 3: fail closed on reads. A listing that cannot be trusted yields no
plan at all: exit 1, a message saying why, and no write of any kind.

A proxy in front of a real sandbox makes one listing lie (a page that keeps failing,
a totalResults that disagrees, a page that repeats or skips resources) while
`scimctl plan` and `scimctl apply --auto-approve` run through it. The server holds
managed users that the desired state no longer lists, so a plan made from a partial
read would deactivate them: nothing may be written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.faults.proxy import FaultProxy, Forward, Incoming, Reply
from tests.reliability.support import create, scim_user

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("quick_retries")]

PAGE = 5
USERS = 12  # three pages of five
KEPT = 10  # the desired state keeps ten of them: a partial read could deactivate two


def _seed(server: Server, directory: Path) -> None:
    for i in range(USERS):
        create(server, "/Users", scim_user(f"u{i:02d}@ex.com", f"scimctl:u{i:02d}@ex.com"))
    users = [
        f"  - userName: u{i:02d}@ex.com\n"
        f"    name: {{givenName: U{i:02d}, familyName: Tester}}\n"
        f"    emails: [{{value: u{i:02d}@ex.com, type: work, primary: true}}]\n"
        for i in range(KEPT)
    ]
    directory.mkdir()
    (directory / "org.yaml").write_text("users:\n" + "".join(users))


def _json(reply: Reply) -> dict[str, Any]:
    assert isinstance(reply.body, bytes)
    body: dict[str, Any] = json.loads(reply.body)
    return body


def _with(reply: Reply, body: dict[str, Any]) -> Reply:
    return Reply(reply.status, reply.headers, json.dumps(body).encode())


def _small_pages(incoming: Incoming, reply: Reply) -> Reply:
    """The server says it returns at most PAGE results: the listing takes several pages."""
    if incoming.path.endswith("/ServiceProviderConfig") and reply.status == 200:
        body = _json(reply)
        body["filter"] = {"supported": True, "maxResults": PAGE}
        return _with(reply, body)
    return reply


def _users_page(incoming: Incoming, start: int | None = None) -> bool:
    """A page of the plain /Users listing (not a filtered look-up), optionally the one at
    ``start`` (startIndex, or the cursor page number for cursor paging)."""
    if incoming.method != "GET" or not incoming.path.endswith("/Users"):
        return False
    if "filter" in incoming.query:
        return False
    if start is None:
        return True
    return incoming.query.get("startIndex") == str(start) or (
        start > 1 and incoming.query.get("cursor") is not None and start == 2
    )


def _elsewhere(incoming: Incoming, query: dict[str, str]) -> Incoming:
    """The same request, for another query."""
    path = incoming.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return Incoming(incoming.method, path, incoming.headers, incoming.body)


# --- the lies ----------------------------------------------------------------------------


def page_errors(incoming: Incoming, forward: Forward) -> Reply | None:
    if _users_page(incoming, PAGE + 1) or _users_page(incoming, 2):
        return Reply(500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>")
    return None


def total_too_high(incoming: Incoming, forward: Forward) -> Reply | None:
    if not _users_page(incoming):
        return None
    reply = forward(incoming)
    body = _json(reply)
    body["totalResults"] = USERS + 3
    return _with(reply, body)


def total_changes(incoming: Incoming, forward: Forward) -> Reply | None:
    """The second page counts one resource fewer than the first did."""
    if not _users_page(incoming, PAGE + 1):
        return None
    reply = forward(incoming)
    body = _json(reply)
    body["totalResults"] = USERS - 1
    return _with(reply, body)


def page_repeats(incoming: Incoming, forward: Forward) -> Reply | None:
    """The second page comes back as the first one again."""
    if not _users_page(incoming, PAGE + 1) and not _users_page(incoming, 2):
        return None
    query = {k: v for k, v in incoming.query.items() if k != "cursor"}
    if "startIndex" in query:
        query["startIndex"] = "1"
    first = forward(_elsewhere(incoming, query))
    if "cursor" in incoming.query:  # keep the real next cursor: only the content repeats
        body = _json(first)
        body["nextCursor"] = _json(forward(incoming)).get("nextCursor")
        return _with(first, body)
    return first


def page_skips(incoming: Incoming, forward: Forward) -> Reply | None:
    """The second page comes back as the third one (five resources never seen)."""
    if not _users_page(incoming, PAGE + 1):
        return None
    return forward(_elsewhere(incoming, {**incoming.query, "startIndex": str(2 * PAGE + 1)}))


def page_short(incoming: Incoming, forward: Forward) -> Reply | None:
    """The second page silently drops two of its resources."""
    if not _users_page(incoming, PAGE + 1) and not _users_page(incoming, 2):
        return None
    reply = forward(incoming)
    body = _json(reply)
    body["Resources"] = body["Resources"][2:]
    return _with(reply, body)


def members_read_errors(incoming: Incoming, forward: Forward) -> Reply | None:
    """AWS: the members of a group, read as a filtered /Users listing, keep failing."""
    if incoming.method == "GET" and "groups.value" in incoming.query.get("filter", ""):
        return Reply(503, {"Content-Type": "text/plain"}, b"Service Unavailable")
    return None


def groups_error(incoming: Incoming, forward: Forward) -> Reply | None:
    if incoming.method == "GET" and incoming.path.endswith("/Groups"):
        return Reply(502, {"Content-Type": "text/html"}, b"<h1>502 Bad Gateway</h1>")
    return None


CASES: dict[str, tuple[Callable[[Incoming, Forward], Reply | None], str, tuple[str, ...]]] = {
    "page-errors": (page_errors, "500 Internal Server Error", ("generic", "aws-identity-center")),
    "total-too-high": (total_too_high, "totalResults=15", ("generic",)),
    "total-changes": (total_changes, "totalResults changed from 12 to 11", ("generic",)),
    "page-repeats": (page_repeats, "came back on two pages", ("generic", "aws-identity-center")),
    "page-skips": (page_skips, "came back on two pages", ("generic",)),
    "page-short": (page_short, "came back on two pages", ("generic",)),
    "groups-error": (groups_error, "502 Bad Gateway", ("generic", "aws-identity-center")),
    "members-read-errors": (members_read_errors, "503", ("aws-identity-center",)),
}
"""Each lie, the words the error must hold, and the profiles it applies to. A cursor
listing (AWS) carries no totalResults, so a page that comes back short or a cursor
that skips a page cannot be told from the truth there: what was not seen is then never
deactivated, deleted or removed, but may be planned as a create."""


def _cases() -> list[Any]:
    return [
        pytest.param(name, profile, id=f"{name}-{profile}")
        for name, (_, _, profiles) in CASES.items()
        for profile in profiles
    ]


@pytest.mark.parametrize(("case", "profile"), _cases())
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_listing_that_cannot_be_trusted_gives_no_plan_and_no_write(
    cli,  # type: ignore[no-untyped-def]
    tenant: Callable[[str], Server],
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
    case: str,
    profile: str,
    command: str,
) -> None:
    server = tenant(profile)
    directory = tmp_path / "org"
    _seed(server, directory)
    if profile == "aws-identity-center":
        create(server, "/Groups", {"schemas": [GROUP], "displayName": "g", "externalId": "x"})
    lie, words, _ = CASES[case]
    faulty = proxy(server.url, intercept=lie, rewrite=_small_pages)
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}
    args = ["--auto-approve"] if command == "apply" else []

    result = cli(command, "--dir", directory, *args, env=env)

    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.out + result.err
    notices, _, error = result.err.partition("Error: ")  # after a line per retry wait
    assert error and all(n.startswith("retrying ") for n in notices.splitlines()), result.err
    assert words in result.err
    assert any(w in result.err for w in ("nothing was planned", "gave up", "failed")), result.err
    assert "Plan:" not in result.out and "deactivate" not in result.out
    assert faulty.writes() == []
    assert sum(1 for u in server.users() if u.get("active", True)) == USERS


GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_the_same_listing_told_truthfully_does_plan(
    cli,  # type: ignore[no-untyped-def]
    server: Server,
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    """The control: through the same proxy with small pages and no lie, the plan is made
    (and it would deactivate the two users the YAML left out)."""
    directory = tmp_path / "org"
    _seed(server, directory)
    faulty = proxy(server.url, rewrite=_small_pages)
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}
    result = cli("plan", "--dir", directory, env=env)
    assert result.code == 0, result.err
    assert "0 to create, 0 to update, 2 to deactivate" in result.out
    pages = [r for r in faulty.requests() if _users_page(r)]
    assert len(pages) == 3


def test_an_empty_listing_where_managed_resources_were_known_gives_no_plan(
    cli,  # type: ignore[no-untyped-def]
    generic_server: Server,
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    """The server once held our twelve users; now its listings come back empty (a wiped
    tenant, a wrong tenant, a broken filter). No plan: exit 1, a message that says the
    listing is empty although managed resources were known, and no write at all (not
    even the create of ten users that may well still exist)."""
    server = generic_server
    directory = tmp_path / "org"
    _seed(server, directory)
    emptied = {"now": False}

    def empty(incoming: Incoming, forward: Forward) -> Reply | None:
        listing = incoming.method == "GET" and incoming.path.endswith(("/Users", "/Groups"))
        if not (emptied["now"] and listing):
            return None
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": [],
        }
        return Reply(200, {"Content-Type": "application/scim+json"}, json.dumps(body).encode())

    faulty = proxy(server.url, intercept=empty)
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}
    assert cli("plan", "--dir", directory, env=env).code == 0  # last seen: 12 managed
    emptied["now"] = True

    for command in (["plan"], ["apply", "--auto-approve"]):
        result = cli(*command, "--dir", directory, env=env)
        assert result.code == 1, result.out + result.err
        assert "lists no managed users or groups" in result.err
        assert "found 12" in result.err
        assert "Plan:" not in result.out
    assert faulty.writes() == []
