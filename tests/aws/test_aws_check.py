"""``scimctl check`` against the AWS-profile sandbox: what the README (Connecting to AWS)
shows a user for a working connection, a wrong (or expired) token, a wrong URL path, the
wrong profile (with its fix) and a server that does not page as the profile says; and
server text that check prints, escaped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.faults.proxy import CannedServer, Incoming, Reply
from tests.reliability.support import create, scim_user

pytestmark = pytest.mark.integration


def test_a_working_connection(cli, tmp_path: Path, aws_server: Server) -> None:  # type: ignore[no-untyped-def]
    for name in ("ada@example.com", "bob@example.com"):
        create(aws_server, "/Users", scim_user(name))

    result = cli("check", "--dir", tmp_path, env=aws_server.env)

    assert result.code == 0, result.out + result.err
    assert "  ok   profile: aws-identity-center: AWS IAM" in result.out
    assert "100 per PATCH. (from SCIM_PROFILE)" in result.out
    assert "  ok   paging: cursor, 100 per page" in result.out
    assert (
        "  ok   second page: read (count=1, then nextCursor): paging works as the profile says"
        in result.out
    )
    assert "  ok   membership: read per group (GET /Users?filter=groups.value eq …)" in result.out
    assert result.out.rstrip().endswith("Check passed: the reconciler can use this server.")


def test_an_empty_directory_cannot_show_a_second_page_and_says_so(
    cli, tmp_path: Path, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", "--dir", tmp_path, env=aws_server.env)

    assert result.code == 0, result.out + result.err
    assert "  info second page: fewer than two users: there is no second page to read" in (
        result.out
    )


def test_the_generic_profile_against_aws_names_the_fix(
    cli, tmp_path: Path, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """AWS answers index paging with 400 … startIndex: check says which profile to use."""
    for name in ("ada@example.com", "bob@example.com"):
        create(aws_server, "/Users", scim_user(name))

    result = cli("check", "--dir", tmp_path, env={**aws_server.env, "SCIM_PROFILE": "generic"})

    assert result.code == 1, result.out + result.err
    assert "  ok   profile: generic: Any RFC 7643/7644 server" in result.out
    assert "(from SCIM_PROFILE)" in result.out
    assert (
        "  FAIL second page: the server refused index paging (GET /Users?count=1&startIndex=1"
        in result.out
    )
    assert "400 Bad Request (scimType invalidValue): Unsupported query parameters: startIndex" in (
        result.out
    )
    assert "use --profile aws-identity-center" in result.out
    assert result.out.rstrip().endswith("Check failed.")


def test_a_server_that_ignores_the_cursor_fails_the_paging_check(
    cli, tmp_path: Path, legacy_server: Server
) -> None:  # type: ignore[no-untyped-def]
    for name in ("ada@example.com", "bob@example.com"):
        create(legacy_server, "/Users", scim_user(name))

    result = cli("check", "--dir", tmp_path, env=legacy_server.env)

    assert result.code == 1, result.out + result.err
    assert "  FAIL second page: the server ignored cursor= and answered unpaged" in result.out


def test_a_wrong_or_expired_token(cli, tmp_path: Path, aws_server: Server) -> None:  # type: ignore[no-untyped-def]
    env = {**aws_server.env, "SCIM_TOKEN": "not-the-token-at-all"}

    result = cli("check", "--dir", tmp_path, env=env)

    assert result.code == 1
    assert "the server refused the token (401). Check SCIM_TOKEN" in result.err
    assert "not-the-token-at-all" not in result.out + result.err


def test_a_wrong_url_path(cli, tmp_path: Path, aws_server: Server) -> None:  # type: ignore[no-untyped-def]
    env = {**aws_server.env, "SCIM_URL": aws_server.url.removesuffix("/v2") + "/scim/v1"}

    result = cli("check", "--dir", tmp_path, env=env)

    assert result.code == 1
    assert "404 Not Found for GET /Users?count=1" in result.err
    assert "the SCIM_URL path is probably wrong" in result.err


LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _hostile(incoming: Incoming) -> Reply:
    """An AWS-like server whose resource type names carry escape codes."""
    users: dict[str, Any] = {"schemas": [LIST], "itemsPerPage": 1}
    bodies: dict[str, Any] = {
        "/ServiceProviderConfig": {"patch": {"supported": True}},
        "/ResourceTypes": {
            "schemas": [LIST],
            "Resources": [{"name": "User\x1b]0;owned\x07\x1b[2J"}, {"name": "Gr\u202eoup"}],
        },
        "/Schemas": {"schemas": [LIST], "Resources": [{"id": "\x1b[31mred"}]},
        "/Users": {**users, "Resources": [{"id": "u1\x1b[1m", "userName": "a"}]},
    }
    for path, body in bodies.items():
        if incoming.path.endswith(path):
            return Reply(200, {"Content-Type": "application/scim+json"}, json.dumps(body).encode())
    return Reply(404, {}, b"")


def test_server_text_that_check_prints_is_escaped(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 13, item 11: a resource type's name (and any text of the server that check
    shows) goes through the same escaping as the plan's, never raw to the terminal."""
    with CannedServer(_hostile) as server:
        env = {
            "SCIM_URL": f"{server.url}/v2",
            "SCIM_TOKEN": "hostile-check-token",
            "SCIM_PROFILE": "aws-identity-center",
        }
        result = cli("check", "--dir", tmp_path, env=env)

    everything = result.out + result.err
    assert "resource types: Gr\\u202eoup, User\\u001b]0;owned\\u0007\\u001b[2J" in result.out
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in everything
