"""Issue 13, items 12 and 16, and issue 11's cursor paging, against hostile servers on
127.0.0.1: `scimctl plan` and `apply --auto-approve` end with exit 1, a clear message and
no write when a server keeps inventing pages, boasts a gigantic totalResults, answers a
200 that is not a ListResponse, or answers a request for cursor paging unpaged.

Before these fixes the inventing servers kept the run paging forever, and a 200 carrying
a SCIM Error ended a cursor listing as if it were empty: the plan created a user who
exists.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.proxy import CannedServer, Incoming, Reply

TOKEN = "hostile-listing-canary-token-51c2"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM = {"Content-Type": "application/scim+json"}
CONFIG = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "patch": {"supported": True},
    "bulk": {"supported": False},
    "filter": {"supported": True, "maxResults": 100},
    "etag": {"supported": False},
}
ORG = """\
users:
  - userName: alice@example.com
    name: {givenName: Alice, familyName: Liddell}
    emails: [{value: alice@example.com, type: work, primary: true}]
"""


def answer(body: Any) -> Reply:
    return Reply(200, dict(SCIM), json.dumps(body).encode())


def user(n: int) -> dict[str, Any]:
    return {"id": f"u{n}", "userName": f"u{n}@example.com", "externalId": f"other:{n}"}


def server(users: Callable[[Incoming], Reply]) -> Callable[[Incoming], Reply]:
    """Answers /ServiceProviderConfig, empty /Groups, and GET /Users with ``users``."""

    def handle(incoming: Incoming) -> Reply:
        if incoming.path.endswith("/ServiceProviderConfig"):
            return answer(CONFIG)
        if incoming.method == "GET" and incoming.path.endswith("/Groups"):
            return answer(
                {"schemas": [LIST], "totalResults": 0, "itemsPerPage": 0, "Resources": []}
            )
        if incoming.method == "GET" and incoming.path.endswith("/Users"):
            return users(incoming)
        return Reply(500, dict(SCIM), b'{"detail": "no writes expected"}')

    return handle


def fresh_cursor_pages(per_page: int) -> Callable[[Incoming], Reply]:
    """Pages of ``per_page`` new users, each with a cursor never seen before."""
    ids = itertools.count()

    def users(incoming: Incoming) -> Reply:
        page = [user(next(ids)) for _ in range(per_page)]
        body = {"schemas": [LIST], "itemsPerPage": per_page, "Resources": page}
        return answer({**body, "nextCursor": f"c{next(ids)}"})

    return users


def boasting(incoming: Incoming) -> Reply:
    """totalResults of 10**12, one user a page, whatever startIndex is asked for."""
    start = int(incoming.query.get("startIndex", "1"))
    body = {"schemas": [LIST], "totalResults": 10**12, "startIndex": start, "itemsPerPage": 1}
    return answer({**body, "Resources": [user(start)]})


def error_body(incoming: Incoming) -> Reply:
    return answer({"schemas": [ERROR], "status": "503", "detail": "try again later"})


def unpaged(incoming: Incoming) -> Reply:
    body = {"schemas": [LIST], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1}
    return answer({**body, "Resources": [user(1)]})


Case = tuple[Callable[[Incoming], Reply], str, str, int]
CASES: dict[str, Case] = {
    "fresh-users-every-page": (
        fresh_cursor_pages(20),
        "aws-identity-center",
        "lists more than 50 resources, over the target's max_resources (50)",
        3,
    ),
    "fresh-cursor-empty-pages": (
        fresh_cursor_pages(0),
        "aws-identity-center",
        "still paging after 3 pages",  # max_pages(50, 100): 2 × 1 full page + 1
        4,
    ),
    "gigantic-total": (
        boasting,
        "generic",
        "lists totalResults=1000000000000 resources, over the target's max_resources (50)",
        1,
    ),
    "scim-error-answered-200": (
        error_body,
        "aws-identity-center",
        "answered 200 with a SCIM Error (status 503) instead of a ListResponse",
        1,
    ),
    "unpaged-answer-to-a-cursor-request": (
        unpaged,
        "aws-identity-center",
        "asked for cursor paging (cursor=), the server answered in the non-paginated shape",
        1,
    ),
}


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    found = tmp_path / "org"
    found.mkdir()
    (found / "org.yaml").write_text(ORG)
    return found


def write_targets(directory: Path, url: str, profile: str) -> None:
    lines = [
        "targets:",
        "  t:",
        f"    url: {url}",
        f"    profile: {profile}",
        "    max_resources: 50",
        "    timeout: 5",
    ]
    (directory / "targets.yaml").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_listing_a_hostile_server_answers_fails_closed(
    cli,  # type: ignore[no-untyped-def]
    directory: Path,
    case: str,
    command: str,
) -> None:
    users, profile, words, listings = CASES[case]
    with CannedServer(server(users)) as hostile:
        write_targets(directory, f"{hostile.url}/v2", profile)
        args = ["--auto-approve"] if command == "apply" else []
        started = time.monotonic()
        result = cli(command, "--dir", directory, *args, env={"SCIM_TOKEN": TOKEN})
        took = time.monotonic() - started
        seen = [r for r in hostile.seen if r.method == "GET" and r.path.endswith("/Users")]
        writes = hostile.writes()
    everything = result.out + result.err
    assert result.code == 1, everything
    assert result.err.startswith("Error: "), everything
    assert words in result.err, everything
    assert "nothing was planned" in result.err
    assert "Traceback" not in everything and "Plan:" not in result.out
    assert writes == []
    assert len(seen) == listings
    assert TOKEN not in everything
    assert took < 30, f"{case} took {took:.1f} s"
