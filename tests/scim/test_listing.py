"""Listing: cursor paging asked for with an empty ``cursor`` first, answers that are not
a cursor page or not a ListResponse refused, and paging that never ends stopped.

Each test runs the real ScimClient on an ``httpx.MockTransport``: what is asserted is
what went over the wire and what the read made of the answers.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.errors import IncompleteReadError, ProtocolError
from reconciler.scim.client import ScimClient
from reconciler.scim.discovery import Capabilities
from reconciler.scim.listing import DEFAULT_MAX_RESOURCES, list_all, max_pages
from reconciler.scim.profiles import get_profile
from reconciler.scim.reader import read_live

MakeClient = Callable[..., ScimClient]
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CURSOR = Capabilities(
    paging="cursor", page_size=2, patch=True, etags=False, bulk=False, filter=True
)
INDEX = Capabilities(paging="index", page_size=2, patch=True, etags=False, bulk=False, filter=True)
AWS = get_profile("aws-identity-center")


def user(n: int) -> dict[str, Any]:
    return {"id": f"u{n}", "userName": f"user{n}@example.com", "externalId": f"scimctl:u{n}"}


class CursorServer:
    """Pages ``users`` and ``groups`` by cursor, two a page, answering the non-paginated
    shape (as AWS does) to a request without ``cursor``; members by ``groups.value``."""

    def __init__(self, users: int, groups: dict[str, list[int]]) -> None:
        self.found = {
            "/Users": [user(n) for n in range(users)],
            "/Groups": [
                {"id": gid, "displayName": gid, "externalId": f"scimctl:{gid}"} for gid in groups
            ],
        }
        self.members = groups
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = "/" + request.url.path.rsplit("/", 1)[-1]
        found = self.found[path]
        where = request.url.params.get("filter", "")
        if where.startswith("groups.value eq "):
            ids = {f"u{n}" for n in self.members[where.split('"')[1]]}
            found = [r for r in self.found["/Users"] if r["id"] in ids]
        count = int(request.url.params["count"])
        if "cursor" not in request.url.params:
            page = found[:count]
            plain = {"totalResults": len(page), "startIndex": 1, "itemsPerPage": len(page)}
            return httpx.Response(200, json={"schemas": [LIST], **plain, "Resources": page})
        start = int(request.url.params["cursor"] or 0)
        page = found[start : start + count]
        body: dict[str, Any] = {"schemas": [LIST], "itemsPerPage": len(page), "Resources": page}
        if start + count < len(found):
            body["nextCursor"] = str(start + count)
        return httpx.Response(200, json=body)

    def sent(self, path: str) -> list[str]:
        return [str(r.url.params) for r in self.requests if r.url.path.endswith(path)]


def test_every_cursor_listing_asks_for_cursor_paging_with_an_empty_cursor_first(
    make_client: MakeClient,
) -> None:
    """/Users, /Groups and each group's members: ``cursor=`` first, then each nextCursor."""
    server = CursorServer(5, {"g1": [0, 1, 2], "g2": []})

    live = read_live(make_client(server), CURSOR, AWS, "scimctl:")

    assert len(live.org.users) == 5
    assert {g.display_name: len(g.members) for g in live.org.groups} == {"g1": 3, "g2": 0}
    users = [p for p in server.sent("/Users") if "filter" not in p]
    assert users == ["count=2&cursor=", "count=2&cursor=2", "count=2&cursor=4"]
    assert server.sent("/Groups") == ["count=2&cursor="]
    g1 = "count=2&filter=groups.value+eq+%22g1%22"
    assert [p for p in server.sent("/Users") if "g1" in p] == [
        f"{g1}&cursor=",
        f"{g1}&cursor=2",
    ]
    assert all("cursor=" in str(r.url) for r in server.requests)


@pytest.mark.parametrize("path", ["/Users", "/Groups"])
def test_a_non_paginated_answer_to_a_cursor_request_is_a_failed_read(
    make_client: MakeClient, path: str
) -> None:
    """A server that ignores ``cursor`` and answers one page with totalResults and
    startIndex (and no nextCursor) may hold only the first page: never taken as whole."""
    page = [user(0), user(1)]
    body = {"schemas": [LIST], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2}
    client = make_client(lambda request: httpx.Response(200, json={**body, "Resources": page}))

    with pytest.raises(IncompleteReadError) as failed:
        list_all(client, path, CURSOR)

    message = str(failed.value)
    assert f"GET {path}: asked for cursor paging (cursor=)" in message
    assert "non-paginated shape" in message and "nothing was planned" in message
    assert "--profile generic" in message


def test_a_non_paginated_membership_answer_fails_the_whole_read(make_client: MakeClient) -> None:
    server = CursorServer(3, {"g1": [0, 1, 2]})

    def ignores_cursor_for_members(request: httpx.Request) -> httpx.Response:
        if "groups.value" in request.url.params.get("filter", ""):
            params = {k: v for k, v in request.url.params.items() if k != "cursor"}
            request = httpx.Request("GET", request.url.copy_with(params=params))
        return server(request)

    with pytest.raises(IncompleteReadError, match="non-paginated shape"):
        read_live(make_client(ignores_cursor_for_members), CURSOR, AWS, "scimctl:")


def test_a_last_cursor_page_without_start_index_ends_the_listing(make_client: MakeClient) -> None:
    """The control: a cursor page with no nextCursor (and a totalResults, as RFC 9865
    allows) is the last page, not a failure."""
    body = {"schemas": [LIST], "totalResults": 1, "itemsPerPage": 1, "Resources": [user(0)]}
    client = make_client(lambda request: httpx.Response(200, json=body))

    assert [r["id"] for r in list_all(client, "/Users", CURSOR).resources] == ["u0"]


# --- a 200 that is not a ListResponse (issue 13, item 16) ----------------------------------

NOT_A_LIST: dict[str, tuple[dict[str, Any], str]] = {
    "scim-error": (
        {"schemas": [ERROR], "status": "400", "detail": "try later"},
        "answered 200 with a SCIM Error (status 400) instead of a ListResponse",
    ),
    "scim-error-with-resources": (
        {"schemas": [ERROR], "status": "x\x1b[2J", "Resources": []},
        "answered 200 with a SCIM Error instead of a ListResponse",
    ),
    "no-schemas": ({"Resources": [], "itemsPerPage": 0}, "is not a ListResponse"),
    "other-schema": (
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Resources": []},
        "is not a ListResponse",
    ),
    "no-resources": ({"schemas": [LIST], "itemsPerPage": 0}, "has no Resources"),
    "empty-object": ({}, "is not a ListResponse"),
}


@pytest.mark.parametrize("case", list(NOT_A_LIST))
@pytest.mark.parametrize("caps", [CURSOR, INDEX], ids=["cursor", "index"])
def test_a_200_that_is_not_a_list_response_fails_the_read(
    make_client: MakeClient, case: str, caps: Capabilities
) -> None:
    body, words = NOT_A_LIST[case]
    if caps is INDEX and "Error" not in words:
        body = {"totalResults": 1, **body}
    client = make_client(lambda request: httpx.Response(200, json=body))

    with pytest.raises(ProtocolError) as failed:
        list_all(client, "/Users", caps)

    assert words in str(failed.value)
    assert "\x1b" not in str(failed.value)


def test_a_list_response_saying_none_may_leave_out_resources(make_client: MakeClient) -> None:
    """RFC 7644 §3.4.2: Resources is required only when totalResults is not zero."""
    body = {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0}
    client = make_client(lambda request: httpx.Response(200, json=body))

    assert list_all(client, "/Users", INDEX).resources == []


# --- paging that never ends (issue 13, item 12) -------------------------------------------


def test_a_fresh_cursor_every_time_is_stopped_after_the_pages_the_cap_allows(
    make_client: MakeClient,
) -> None:
    """Empty pages, each with a new cursor: no resource cap is ever reached, the page cap is."""
    cursors = itertools.count()
    pages: list[int] = []

    def inventing(request: httpx.Request) -> httpx.Response:
        pages.append(1)
        body = {
            "schemas": [LIST],
            "itemsPerPage": 0,
            "Resources": [],
            "nextCursor": f"c{next(cursors)}",
        }
        return httpx.Response(200, json=body)

    with pytest.raises(IncompleteReadError) as failed:
        list_all(make_client(inventing), "/Users", CURSOR, max_resources=10)

    assert len(pages) == max_pages(10, 2) + 1 == 12
    assert "still paging after 11 pages" in str(failed.value)
    assert "max_resources" in str(failed.value)


def test_fresh_resources_on_every_page_stop_at_max_resources(make_client: MakeClient) -> None:
    ids = itertools.count()

    def inventing(request: httpx.Request) -> httpx.Response:
        page = [user(next(ids)), user(next(ids))]
        body = {"schemas": [LIST], "itemsPerPage": 2, "Resources": page, "nextCursor": str(page)}
        return httpx.Response(200, json=body)

    with pytest.raises(IncompleteReadError) as failed:
        list_all(make_client(inventing), "/Users", CURSOR, max_resources=7)

    assert next(ids) == 8  # four pages asked for, the fourth refused
    assert "lists more than 7 resources, over the target's max_resources (7)" in str(failed.value)
    assert "raise max_resources in targets.yaml" in str(failed.value)


def test_a_huge_total_results_is_refused_on_the_first_page(make_client: MakeClient) -> None:
    seen: list[httpx.Request] = []

    def boasting(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"schemas": [LIST], "totalResults": 10**12, "startIndex": 1}
        return httpx.Response(200, json={**body, "Resources": [user(len(seen))]})

    with pytest.raises(IncompleteReadError) as failed:
        list_all(make_client(boasting), "/Users", INDEX)

    assert len(seen) == 1
    assert f"totalResults={10**12} resources, over the target's max_resources" in str(failed.value)
    assert f"({DEFAULT_MAX_RESOURCES})" in str(failed.value)


def test_the_caps_leave_a_directory_of_exactly_max_resources_alone(
    make_client: MakeClient,
) -> None:
    server = CursorServer(6, {})

    listing = list_all(make_client(server), "/Users", CURSOR, max_resources=6)

    assert len(listing.resources) == 6 and listing.pages == 3


# --- the read's concurrency ---------------------------------------------------------------


class Lanes:
    """Wraps a handler, holding each request a little and counting those in flight."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.overlapped = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.01)
            with self.lock:
                listing_users = "filter" not in request.url.params
                if request.url.path.endswith("/Users") and listing_users and self.now > 1:
                    self.overlapped = True
            return self.handler(request)
        finally:
            with self.lock:
                self.now -= 1


@pytest.mark.parametrize("concurrency", [1, 3])
def test_the_read_keeps_within_the_concurrency_and_overlaps_the_users_pages(
    make_client: MakeClient, concurrency: int
) -> None:
    """/Users pages follow one another, so they run beside /Groups and the membership
    queries; never more requests in flight than the profile's concurrency."""
    lanes = Lanes(CursorServer(9, {f"g{n}": [n % 9] for n in range(6)}))

    live = read_live(make_client(lanes), CURSOR, AWS, "scimctl:", concurrency=concurrency)

    assert lanes.most == concurrency
    assert lanes.overlapped is (concurrency > 1)
    assert live.requests == 5 + 3 + 6
    assert all(len(g.members) == 1 for g in live.org.groups)
