"""Everything the client sends to the literal AWS sandbox, checked against AWS's pages.

Limitations: "Some SCIM protocol endpoints are not supported, such as /Me, /Bulk, and
/Search"; Supported API operations list no PutGroup; GetGroup/ListGroups "return an
empty member list"; no ETags (``meta.version`` is not supported). A whole life cycle of
the example org (create, update, delete) is applied and every request is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import make_app, running
from tests.conftest import TOKEN

pytestmark = pytest.mark.integration

ALLOWED = {
    ("GET", "ServiceProviderConfig"),
    ("GET", "Schemas"),
    ("GET", "ResourceTypes"),
    ("GET", "Users"),
    ("GET", "Groups"),
    ("POST", "Users"),
    ("POST", "Groups"),
    ("PATCH", "Users"),
    ("PATCH", "Groups"),
    ("DELETE", "Users"),
    ("DELETE", "Groups"),
}


class Wire:
    """WSGI middleware that keeps the method, path and conditional headers it saw."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str, bool]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        conditional = "HTTP_IF_MATCH" in environ or "HTTP_IF_NONE_MATCH" in environ
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], conditional))
        return self.app(environ, start_response)


@pytest.fixture
def wire() -> Iterator[tuple[Wire, dict[str, str]]]:
    recorder = Wire(make_app(TOKEN, "aws-identity-center"))
    with running(recorder) as base:
        env = {"SCIM_URL": f"{base}/v2", "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": "aws-identity-center"}
        yield recorder, env


def test_a_whole_life_cycle_uses_only_what_aws_documents(cli, org: Path, wire) -> None:  # type: ignore[no-untyped-def]
    recorder, env = wire
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    engineering = org / "users" / "engineering.yaml"
    engineering.write_text(engineering.read_text().replace("Staff Engineer", "Fellow"))
    groups = org / "groups" / "groups.yaml"
    text = groups.read_text()
    start, end = text.index("  - displayName: security"), text.index("  - displayName: aws-admins")
    groups.write_text(text[:start] + text[end:])

    changed = cli("apply", "--dir", org, "--auto-approve", env=env)
    again = cli("plan", "--dir", org, "--detailed-exitcode", env=env)

    assert changed.code == 0, changed.out + changed.err
    assert again.code == 0, again.out
    kinds = {(method, path.split("/")[2]) for method, path, _ in recorder.seen}
    assert kinds <= ALLOWED, kinds - ALLOWED
    assert {("PATCH", "Users"), ("DELETE", "Groups")} <= kinds
    assert not any(conditional for _, _, conditional in recorder.seen)
