"""Issue 5, item 6: hostile and broken servers.

A tiny loopback server answers `scimctl plan` and `scimctl apply --auto-approve` with
canned answers: HTML error pages, invalid JSON, JSON of the wrong shape, resources
without an id, a redirect to another host, a gigantic or endless body, nothing at all.
Each run must end with a clear message and exit 1, no traceback, and no write based on
what the server said (the desired state wants a user created: nothing may be POSTed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.proxy import CannedServer, Incoming, Reply
from tests.reliability.support import write_targets

pytestmark = pytest.mark.usefixtures("few_retries")

TOKEN = "hostile-server-canary-token-3b9d"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
CONFIG = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "patch": {"supported": True},
    "bulk": {"supported": False},
    "filter": {"supported": True, "maxResults": 100},
    "etag": {"supported": False},
}
SCIM = {"Content-Type": "application/scim+json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
ORG = "users:\n  - userName: alice@example.com\n    title: Engineer\n"
ALICE = {"id": "u1", "userName": "alice@example.com", "externalId": "scimctl:alice@example.com"}
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def listing(*resources: Any, **extra: Any) -> dict[str, Any]:
    body = {"schemas": [LIST], "totalResults": len(resources), "startIndex": 1}
    return {**body, "itemsPerPage": len(resources), "Resources": list(resources), **extra}


def answer(body: Any, status: int = 200, headers: dict[str, str] = SCIM) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(status, dict(headers), data)


def endless() -> Iterator[bytes]:
    chunk = b"[" * 65536
    while True:
        yield chunk


def trickle() -> Iterator[bytes]:
    yield b'{"schemas": ["' + LIST.encode()
    for _ in range(100):
        time.sleep(0.2)  # each byte well within the read timeout; the whole never ends
        yield b" "


LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title><script>var t=1;</script>"
    b"<style>body{}</style></head><body><h1>Corporate proxy: please sign in</h1>"
    b"<form><input name=password></form></body></html>"
)
ERROR_PAGE = b"<html><body><h1>500 Internal Server Error</h1><p>nginx</p></body></html>"

Case = tuple[str, Callable[[], Reply], str]
CASES: dict[str, Case] = {
    "html-error-page": ("/Users", lambda: answer(ERROR_PAGE, 500, HTML), "500 Internal Server"),
    "html-login-page-answered-200": (
        "/ServiceProviderConfig",
        lambda: answer(LOGIN_PAGE, 200, HTML),
        "the body is not JSON (text/html) — is the url of target 't' in targets.yaml pointing "
        "at a SCIM server?",
    ),
    "invalid-json": ("/Users", lambda: answer(b'{"Resources": [{"id": '), "the body is not JSON"),
    "json-array": ("/Users", lambda: answer([]), "the body is JSON an array, not an object"),
    "json-null": ("/ServiceProviderConfig", lambda: answer(None), "the body is JSON null"),
    "empty-body": ("/Users", lambda: answer(b""), "the body is empty"),
    "resources-not-a-list": (
        "/Users",
        lambda: answer({"totalResults": 1, "Resources": {"id": "1"}}),
        "Resources is not a list",
    ),
    "total-not-a-count": (
        "/Users",
        lambda: answer({"totalResults": "1", "Resources": []}),
        "totalResults is not a count",
    ),
    "no-total-results": ("/Users", lambda: answer({"Resources": []}), "has no totalResults"),
    "resource-without-id": (
        "/Users",
        lambda: answer(listing({"userName": "alice@example.com"})),
        "a resource in the listing has no id",
    ),
    "resource-id-a-number": (
        "/Users",
        lambda: answer(listing({"id": 7, "userName": "alice@example.com"})),
        "a resource in the listing has no id",
    ),
    "resource-id-with-escape-codes": (
        "/Users",
        lambda: answer(listing({"id": "1\x1b[2J", "userName": "alice@example.com"})),
        "an id with control or invisible characters",
    ),
    "resource-not-an-object": ("/Users", lambda: answer(listing("alice")), "has no id"),
    "user-without-username": (
        "/Users",
        lambda: answer(listing({"id": "u1"})),
        "user u1 has no userName",
    ),
    "user-emails-a-string": (
        "/Users",
        lambda: answer(listing({"id": "u1", "userName": "bob@x.com", "emails": "bob@x.com"})),
        'user u1 cannot be read: emails is the string "bob@x.com", where SCIM has a list',
    ),
    "user-name-a-list": (
        "/Users",
        lambda: answer(listing({"id": "u1", "userName": "bob@x.com", "name": ["Bob"]})),
        "user u1 cannot be read: name is a list, where SCIM has an object",
    ),
    "user-meta-a-string": (
        "/Users",
        lambda: answer(listing({"id": "u1", "userName": "bob@x.com", "meta": "x"})),
        'user u1 cannot be read: meta is the string "x", where SCIM has an object',
    ),
    "group-members-a-string": (
        "/Groups",
        lambda: answer(listing({"id": "g1", "displayName": "eng", "members": "u1"})),
        'group g1 cannot be read: members is the string "u1", where SCIM has a list',
    ),
    # Issue 17: a value of the wrong type is a failed read, never a guess.
    "user-active-a-string": (
        "/Users",
        lambda: answer(listing({**ALICE, "active": "false"})),
        'user u1 cannot be read: active is the string "false", where SCIM has true or false',
    ),
    "user-title-nan": (
        "/Users",
        lambda: answer(listing({**ALICE, "title": float("nan")})),
        "user u1 cannot be read: title is the number NaN, where SCIM has a string",
    ),
    "user-external-id-infinity": (
        "/Users",
        lambda: answer(listing({**ALICE, "externalId": float("inf")})),
        "user u1 cannot be read: externalId is the number Infinity, where SCIM has a string",
    ),
    "user-primary-a-string": (
        "/Users",
        lambda: answer(listing({**ALICE, "emails": [{"value": "a@x.com", "primary": "true"}]})),
        'user u1 cannot be read: emails[0].primary is the string "true", where SCIM has true',
    ),
    "user-manager-a-string": (
        "/Users",
        lambda: answer(listing({**ALICE, ENTERPRISE: {"manager": "u2"}})),
        'user u1 cannot be read: enterprise.manager is the string "u2", where SCIM has an object',
    ),
    "group-member-value-a-number": (
        "/Groups",
        lambda: answer(listing({"id": "g1", "displayName": "eng", "members": [{"value": 7}]})),
        "group g1 cannot be read: members[0].value is the number 7, where SCIM has a string",
    ),
    "group-without-name": ("/Groups", lambda: answer(listing({"id": "g1"})), "has no displayName"),
    "unauthorised": ("/ServiceProviderConfig", lambda: answer({}, 401), "refused the token (401)"),
    "forbidden": ("/Users", lambda: answer({"detail": "read only"}, 403), "lacks the rights"),
    "wrong-base-url": (
        "/Users",
        lambda: answer(ERROR_PAGE, 404, HTML),
        "the path of the url of target 't' in targets.yaml",
    ),
    "throttled-forever": (
        "/Users",
        lambda: Reply(429, {**SCIM, "Retry-After": "0"}, b"{}"),
        "429 Too Many Requests",
    ),
    "gigantic-declared": (
        "/Users",
        lambda: Reply(200, {**SCIM, "Content-Length": str(10**11)}, b""),
        "with a body larger than 67108864 bytes",
    ),
    "gigantic-endless": (
        "/Users",
        lambda: Reply(200, dict(SCIM), endless()),
        "with a body larger than 67108864 bytes",
    ),
    "never-answers": (
        "/Users",
        lambda: Reply(action="hold", hold=10),
        "did not answer within 0.5 s",
    ),
    "trickles-forever": (
        "/Users",
        lambda: Reply(200, dict(SCIM), trickle()),
        "did not answer within 0.5 s",
    ),
    "drops-the-connection": ("/Users", lambda: Reply(action="reset"), "broke while reading"),
}


def scim_server(
    path: str = "",
    reply: Callable[[], Reply] | None = None,
    *,
    users: tuple[dict[str, Any], ...] = (),
    groups: tuple[dict[str, Any], ...] = (),
) -> Callable[[Incoming], Reply]:
    """A SCIM server that lists ``users`` and ``groups`` and refuses writes, except that
    GET ``path`` answers ``reply()``."""

    def handle(incoming: Incoming) -> Reply:
        get = incoming.method == "GET"
        if reply is not None and get and incoming.path.endswith(path):
            return reply()
        if incoming.path.endswith("/ServiceProviderConfig"):
            return answer(CONFIG)
        if get and incoming.path.endswith("/Users"):
            return answer(listing(*users))
        if get and incoming.path.endswith("/Groups"):
            return answer(listing(*groups))
        return answer({"detail": "no writes expected"}, 500)

    return handle


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """A desired-state directory holding ``ORG``."""
    found = tmp_path / "org"
    found.mkdir()
    (found / "org.yaml").write_text(ORG)
    return found


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_hostile_server_gets_a_clear_error_and_no_write(
    cli,  # type: ignore[no-untyped-def]
    directory: Path,
    case: str,
    command: str,
) -> None:
    path, reply, words = CASES[case]
    with CannedServer(scim_server(path, reply)) as server:
        write_targets(directory, f"{server.url}/v2", timeout=0.5)
        args = ["--auto-approve"] if command == "apply" else []
        started = time.monotonic()
        result = cli(command, "--dir", directory, *args, env={"SCIM_TOKEN": TOKEN})
        took = time.monotonic() - started
        writes = server.writes()
    everything = result.out + result.err
    assert result.code == 1, everything
    assert "Traceback" not in everything
    # Before the error: a line per retry wait, or the one line saying the server throttles.
    notices, _, error = result.err.partition("Error: ")
    assert error and all(_notice(n) for n in notices.splitlines()), everything
    assert words in result.err, everything
    assert writes == []
    assert "create user" not in result.out
    assert TOKEN not in everything
    assert "\x1b" not in everything
    assert took < 10, f"{case} took {took:.1f} s"


def test_a_redirect_to_another_host_is_not_followed(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """The other host never hears from us: the token would go with the request."""
    with CannedServer(lambda incoming: answer(CONFIG)) as elsewhere:
        moved = f"{elsewhere.url}/v2/ServiceProviderConfig"
        redirect = Reply(302, {"Location": moved}, b"")
        with CannedServer(scim_server("/ServiceProviderConfig", lambda: redirect)) as server:
            write_targets(directory, f"{server.url}/v2")
            result = cli("plan", "--dir", directory, env={"SCIM_TOKEN": TOKEN})
        assert elsewhere.connections == 0
    assert result.code == 1
    final = "set the url of target 't' in targets.yaml to the final address"
    assert f"was redirected (302) to {moved}; {final}" in result.err


def test_names_from_a_hostile_server_cannot_drive_the_terminal(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """A managed user that left the YAML is shown for deactivation under its name: a name
    with escape sequences and a right-to-left override is shown escaped, not obeyed."""
    evil_user = {
        "id": "u1",
        "userName": "evil\x1b]0;owned\x07\x1b[2J\u202emoc.elpmaxe@",
        "externalId": "scimctl:evil",
        "active": True,
    }
    evil_group = {"id": "g1", "displayName": "grp\x1b[31m\u2066", "externalId": "scimctl:grp"}
    with CannedServer(scim_server(users=(evil_user,), groups=(evil_group,))) as server:
        write_targets(directory, f"{server.url}/v2")
        result = cli("plan", "--dir", directory, env={"SCIM_TOKEN": TOKEN})
    assert result.code == 3, result.err  # it removes every managed user and group
    assert "deactivate user evil\\u001b]0;owned\\u0007\\u001b[2J\\u202emoc.elpmaxe@" in result.out
    assert "delete group grp\\u001b[31m\\u2066" in result.out
    for raw in ("\x1b", "\x07", "\u202e", "\u2066"):
        assert raw not in result.out + result.err


def test_attribute_values_from_a_hostile_server_cannot_reorder_the_plan(
    cli, directory: Path
) -> None:  # type: ignore[no-untyped-def]
    """A managed user's live title holds a right-to-left override: the update line that
    shows it as `before` must show it escaped."""
    user = {
        "id": "u1",
        "userName": "alice@example.com",
        "externalId": "scimctl:alice@example.com",
        "title": "Intern\u202e reenignE",
    }
    with CannedServer(scim_server(users=(user,))) as server:
        write_targets(directory, f"{server.url}/v2")
        result = cli("plan", "--dir", directory, env={"SCIM_TOKEN": TOKEN})
    assert result.code == 0, result.err
    assert "title:" in result.out
    assert "\u202e" not in result.out


def test_nan_from_the_server_never_reaches_the_json_plan(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 17: ``"title": NaN`` was read as a float, and ``plan --format json`` printed
    ``NaN``, which no JSON parser accepts; now the read fails, naming user and attribute."""
    user = {**ALICE, "title": float("nan")}
    with CannedServer(scim_server(users=(user,))) as server:
        write_targets(directory, f"{server.url}/v2")
        result = cli("plan", "--dir", directory, "--format", "json", env={"SCIM_TOKEN": TOKEN})
    assert result.code == 1, result.out + result.err
    assert result.out == ""
    assert "user u1 cannot be read: title is the number NaN, where SCIM has a string" in result.err


def _notice(line: str) -> bool:
    return line.startswith(("retrying ", "the server is throttling (429 Too Many Requests)"))
