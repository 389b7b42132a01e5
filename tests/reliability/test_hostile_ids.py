"""Issue 13, item 2: an id a server lists cannot redirect a write onto another resource.

A hostile server lists managed resources whose ids are paths (``../Groups/gadmin``,
``x/../../Users/u-ceo``) or pre-encoded paths (``%2e%2e%2f``), next to the unmanaged
group and user those paths lead to. ``scimctl apply`` updates, deactivates and deletes
the managed ones: every write must name exactly the listed id as one path segment,
and neither unmanaged resource may hear of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.faults.proxy import CannedServer, Incoming, Reply
from tests.reliability.support import write_targets
from tests.reliability.test_hostile_servers import CONFIG, TOKEN, answer, listing

pytestmark = pytest.mark.usefixtures("few_retries")

MARK = "scimctl:"
USERS = (
    {
        "id": "../Groups/gadmin",
        "userName": "bob@example.com",
        "externalId": f"{MARK}bob@example.com",
        "title": "Intern",
    },
    {
        "id": "%2e%2e%2fUsers%2fu-ceo",
        "userName": "eve@example.com",
        "externalId": f"{MARK}eve@example.com",
        "active": True,
    },
    {"id": "u-ceo", "userName": "ceo@example.com", "title": "CEO"},  # unmanaged
)
GROUPS = (
    {"id": "x/../../Users/u-ceo", "displayName": "oldgroup", "externalId": f"{MARK}oldgroup"},
    {"id": "g-keep", "displayName": "keep", "externalId": f"{MARK}keep"},
    {"id": "gadmin", "displayName": "admins"},  # unmanaged
)
MANAGED_IDS = {"../Groups/gadmin", "%2e%2e%2fUsers%2fu-ceo", "x/../../Users/u-ceo"}
ORG = """\
users:
  - userName: bob@example.com
    title: Engineer
groups:
  - displayName: keep
"""


def _server(incoming: Incoming) -> Reply:
    if incoming.path.endswith("/ServiceProviderConfig"):
        return answer(CONFIG)
    if incoming.method == "GET" and incoming.path.endswith("/Users"):
        return answer(listing(*USERS))
    if incoming.method == "GET" and incoming.path.endswith("/Groups"):
        return answer(listing(*GROUPS))
    if incoming.method == "DELETE":
        return Reply(204, {}, b"")
    if incoming.method == "PATCH":
        return Reply(204, {}, b"")
    return answer({"detail": "not expected"}, 500)


def _apply(cli, tmp_path: Path, server: Callable[[Incoming], Reply]):  # type: ignore[no-untyped-def]
    """``scimctl apply`` of ``ORG`` against ``server``: the result and the writes it saw."""
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    with CannedServer(server) as canned:
        write_targets(directory, f"{canned.url}/v2")
        result = cli("apply", "--dir", directory, "--auto-approve", env={"SCIM_TOKEN": TOKEN})
        return result, canned.writes()


def _segments(incoming: Incoming) -> list[str]:
    raw = urlsplit(incoming.target).path
    assert raw.startswith("/v2/"), raw
    return raw[len("/v2/") :].split("/")


def test_a_listed_id_never_reaches_another_resource(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result, writes = _apply(cli, tmp_path, _server)
    everything = result.out + result.err
    assert "Traceback" not in everything
    named = []
    for write in writes:
        segments = _segments(write)
        assert len(segments) == 2, write.target  # the collection, then the one id
        collection, segment = segments
        named.append((write.method, collection, unquote(segment)))
    assert ("PATCH", "Users", "../Groups/gadmin") in named, (everything, named)
    assert ("DELETE", "Groups", "x/../../Users/u-ceo") in named, (everything, named)
    assert ("PATCH", "Users", "%2e%2e%2fUsers%2fu-ceo") in named, (everything, named)
    for _method, _collection, resource_id in named:
        assert resource_id in MANAGED_IDS
        assert resource_id not in ("gadmin", "u-ceo")


@pytest.mark.parametrize("bad_id", [".", ".."])
def test_an_id_that_cannot_be_a_segment_is_refused_not_sent(
    cli, tmp_path: Path, bad_id: str
) -> None:  # type: ignore[no-untyped-def]
    """``..`` would be normalised away (``/Users/..`` is the base): the change fails with
    a message, and nothing is written anywhere."""
    user: dict[str, Any] = {**USERS[0], "id": bad_id}

    def server(incoming: Incoming) -> Reply:
        if incoming.method == "GET" and incoming.path.endswith("/Users"):
            return answer(listing(user))
        if incoming.method == "GET" and incoming.path.endswith("/Groups"):
            return answer(listing(GROUPS[1]))
        return _server(incoming)

    result, writes = _apply(cli, tmp_path, server)
    assert writes == [], [w.target for w in writes]
    assert result.code == 1, result.out + result.err
    assert "cannot name one resource in a URL" in result.out + result.err
    assert "Traceback" not in result.out + result.err
    json.dumps(result.out)  # printable
