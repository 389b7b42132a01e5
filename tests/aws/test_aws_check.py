"""``scimctl check`` against the AWS-profile sandbox: what the README (Connecting to AWS)
shows a user for a working connection, a wrong (or expired) token and a wrong URL path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Server

pytestmark = pytest.mark.integration


def test_a_working_connection(cli, tmp_path: Path, aws_server: Server) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", "--dir", tmp_path, env=aws_server.env)

    assert result.code == 0, result.out + result.err
    assert "  ok   paging: cursor, 100 per page" in result.out
    assert "  ok   membership: read per group (GET /Users?filter=groups.value eq …)" in result.out
    assert result.out.rstrip().endswith("Check passed: the reconciler can use this server.")


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
