"""Each rule of ``scim/listing.py`` that refuses a listing which is not whole, on scripted
pages: broken, each lets a partial read through (``make mutation`` checks that a test
here notices).

The pages are served by a scripted ``Getter`` (what ``list_all`` calls), so a test says
exactly what the server answered and asserts what the read made of it: the resources,
or the error, and the requests that were sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from reconciler.errors import IncompleteReadError, ProtocolError, ServerError
from reconciler.scim.discovery import Capabilities
from reconciler.scim.listing import (
    DEFAULT_MAX_RESOURCES,
    PAGE_SLACK,
    Listing,
    list_all,
    max_pages,
)

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
Params = Mapping[str, str | int]


def caps(paging: str, page_size: int = 2) -> Capabilities:
    return Capabilities(paging=paging, page_size=page_size, patch=True, etags=False, bulk=False,
                        filter=True)  # fmt: skip


def user(n: int) -> dict[str, Any]:
    return {"id": f"u{n}", "userName": f"user{n}@example.com"}


def page(ids: range | list[int], **fields: Any) -> dict[str, Any]:
    return {"schemas": [LIST], "Resources": [user(n) for n in ids], **fields}


class Script:
    """A server whose answers are a function of the request's parameters."""

    def __init__(self, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        asked = dict(params or {})
        self.requests.append((path, asked))
        return self.answer(asked)


def cursor_pages(*pages: dict[str, Any]) -> Script:
    """Pages in order; each but the last names the next by cursor ``c1``, ``c2``, …"""
    chained = [
        {**p, "nextCursor": f"c{i + 1}"} if i < len(pages) - 1 else p for i, p in enumerate(pages)
    ]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        cursor = params["cursor"]
        return chained[int(cursor[1:]) if cursor else 0]

    return Script(answer)


def index_pages(total: int, per_page: int, *, stop_at: int | None = None) -> Script:
    """``total`` users by startIndex, ``per_page`` a page, empty from ``stop_at`` on."""

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        start = int(params["startIndex"])
        end = min(start - 1 + per_page, total)
        if stop_at is not None and start > stop_at:
            end = start - 1
        return page(range(start - 1, end), totalResults=total, startIndex=start)

    return Script(answer)


# --- cursor paging ---------------------------------------------------------------------------


def test_a_cursor_listing_asks_with_an_empty_cursor_then_each_next_one() -> None:
    server = cursor_pages(page([0, 1]), page([2, 3]), page([4]))
    listing = list_all(server, "/Users", caps("cursor"), filter='userName eq "x"')
    assert [r["id"] for r in listing.resources] == ["u0", "u1", "u2", "u3", "u4"]
    assert listing == Listing(listing.resources, pages=3, partial=None)
    assert server.requests == [
        ("/Users", {"count": 2, "filter": 'userName eq "x"', "cursor": ""}),
        ("/Users", {"count": 2, "filter": 'userName eq "x"', "cursor": "c1"}),
        ("/Users", {"count": 2, "filter": 'userName eq "x"', "cursor": "c2"}),
    ]


def test_cursor_pages_may_leave_out_total_results() -> None:
    listing = list_all(cursor_pages(page([0, 1]), page([2])), "/Users", caps("cursor"))
    assert len(listing.resources) == 3


@pytest.mark.parametrize("total", [2, 4])
def test_a_cursor_listing_whose_total_disagrees_with_what_came_is_refused(total: int) -> None:
    """The server said ``totalResults`` 4 (or 2) and sent 3 over its pages: something was
    left out (or the count is wrong), and a partial read must not plan deletes."""
    server = cursor_pages(page([0, 1], totalResults=total), page([2], totalResults=total))
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Users", caps("cursor"))
    assert str(caught.value) == (
        f"GET /Users: the server said totalResults={total} but 3 were returned; nothing was "
        "planned (a partial listing could make the plan delete what it did not see)"
    )


def test_a_repeated_cursor_is_not_followed() -> None:
    """Page 2 names page 1's cursor again: following it would loop, or read page 2's
    resources twice; the read stops at once."""

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        return page([0] if params["cursor"] == "" else [1], nextCursor="again")

    server = Script(answer)
    with pytest.raises(IncompleteReadError, match="the server repeated a cursor; run again"):
        list_all(server, "/Users", caps("cursor"))
    assert [params["cursor"] for _, params in server.requests] == ["", "again"]


def test_a_cursor_that_is_not_a_string_is_refused() -> None:
    server = Script(lambda params: page([0], nextCursor=7))
    with pytest.raises(IncompleteReadError, match="repeated a cursor"):
        list_all(server, "/Users", caps("cursor"))
    assert len(server.requests) == 1


def test_a_non_paginated_answer_to_a_cursor_request_is_refused() -> None:
    server = Script(lambda params: page([0, 1], totalResults=9, startIndex=1))
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Groups", caps("cursor"))
    assert str(caught.value) == (
        "GET /Groups: asked for cursor paging (cursor=), the server answered in the "
        "non-paginated shape (startIndex and totalResults, no nextCursor), which may hold "
        "only the first page; nothing was planned. If this server pages by startIndex, "
        "it is not AWS IAM Identity Center: choose its profile (--profile generic)"
    )
    assert len(server.requests) == 1


def test_a_last_cursor_page_holding_start_index_and_a_next_cursor_is_a_page() -> None:
    server = cursor_pages(page([0], startIndex=1), page([1]))
    assert len(list_all(server, "/Users", caps("cursor")).resources) == 2


# --- index paging ----------------------------------------------------------------------------


def test_index_pages_advance_by_what_each_page_held() -> None:
    """Pages come back shorter than asked (RFC 7644 allows it): the next startIndex is
    one past what was received, not one page size further."""
    server = index_pages(total=5, per_page=2)
    listing = list_all(server, "/Users", caps("index", page_size=3))
    assert [r["id"] for r in listing.resources] == [f"u{n}" for n in range(5)]
    assert [params["startIndex"] for _, params in server.requests] == [1, 3, 5]
    assert listing.pages == 3


def test_an_index_page_that_comes_back_empty_too_early_is_refused() -> None:
    server = index_pages(total=5, per_page=2, stop_at=2)
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Users", caps("index"))
    assert str(caught.value) == (
        "GET /Users: the page at startIndex=3 came back empty although totalResults=5; "
        "nothing was planned, run again"
    )


def test_an_index_page_without_total_results_is_refused() -> None:
    server = Script(lambda params: page([0]))
    with pytest.raises(ProtocolError, match="the ListResponse has no totalResults"):
        list_all(server, "/Users", caps("index"))


def test_an_empty_directory_is_one_page() -> None:
    server = Script(lambda params: {"schemas": [LIST], "totalResults": 0})
    listing = list_all(server, "/Users", caps("index"))
    assert listing == Listing([], pages=1)


def test_a_400_about_start_index_names_the_aws_profile() -> None:
    def answer(params: dict[str, Any]) -> dict[str, Any]:
        raise ServerError("400: startIndex is not supported", status=400, scim_type="invalidValue",
                          detail="d")  # fmt: skip

    with pytest.raises(ServerError) as caught:
        list_all(Script(answer), "/Users", caps("index"))
    assert str(caught.value) == (
        "400: startIndex is not supported. This server refuses startIndex paging, as AWS IAM "
        "Identity Center does: use --profile aws-identity-center (or profile: "
        "aws-identity-center in targets.yaml)"
    )
    assert (caught.value.status, caught.value.scim_type, caught.value.detail) == (
        400,
        "invalidValue",
        "d",
    )


@pytest.mark.parametrize(
    ("status", "message"), [(400, "400: filter is not supported"), (500, "500: startIndex")]
)
def test_other_errors_of_an_index_page_pass_unchanged(status: int, message: str) -> None:
    error = ServerError(message, status=status)

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        raise error

    with pytest.raises(ServerError) as caught:
        list_all(Script(answer), "/Users", caps("index"))
    assert caught.value is error


# --- both ways of paging ------------------------------------------------------------------


@pytest.mark.parametrize("paging", ["cursor", "index"])
def test_total_results_that_changes_between_pages_is_refused(paging: str) -> None:
    if paging == "cursor":
        server = cursor_pages(page([0, 1], totalResults=3), page([2], totalResults=4))
    else:
        server = Script(
            lambda p: page(
                [0, 1] if p["startIndex"] == 1 else [2],
                totalResults=3 if p["startIndex"] == 1 else 4,
            )
        )
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Users", caps(paging))
    assert str(caught.value) == (
        "GET /Users: totalResults changed from 3 to 4 while the listing was read; nothing "
        "was planned, run again"
    )


@pytest.mark.parametrize("total", ["3", 3.0, True, -1, None])
def test_total_results_that_is_not_a_count_is_refused(total: Any) -> None:
    server = cursor_pages(page([0, 1], totalResults=total), page([2]))
    if total is None:
        assert len(list_all(server, "/Users", caps("cursor")).resources) == 3
        return
    with pytest.raises(ProtocolError) as caught:
        list_all(server, "/Users", caps("cursor"))
    assert str(caught.value) == f"GET /Users: totalResults is not a count: {total!r}"


@pytest.mark.parametrize("paging", ["cursor", "index"])
def test_a_resource_on_two_pages_is_refused(paging: str) -> None:
    if paging == "cursor":
        server = cursor_pages(page([0, 1]), page([1, 2]))
    else:
        server = Script(lambda p: page([0, 1] if p["startIndex"] == 1 else [1], totalResults=3))
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Users", caps(paging))
    assert str(caught.value) == (
        "GET /Users: resource u1 came back on two pages: the listing shifted while it was "
        "read, so something may have been skipped; nothing was planned, run again"
    )


def test_each_resource_is_converted_as_its_page_arrives() -> None:
    server = cursor_pages(page([0, 1]), page([2]))
    listing = list_all(server, "/Users", caps("cursor"), convert=lambda r: r["userName"])
    assert listing.resources == ["user0@example.com", "user1@example.com", "user2@example.com"]


# --- what a ListResponse must be ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (
            {"schemas": [ERROR], "status": "503", "detail": "busy"},
            ProtocolError,
            "GET /Users answered 200 with a SCIM Error (status 503) instead of a ListResponse; "
            "nothing was planned, run again",
        ),
        (
            {"schemas": [ERROR], "status": "5x3"},
            ProtocolError,
            "GET /Users answered 200 with a SCIM Error instead of a ListResponse; nothing was "
            "planned, run again",
        ),
        (
            {"schemas": [ERROR], "status": 503},
            ProtocolError,
            "GET /Users answered 200 with a SCIM Error instead of a ListResponse; nothing was "
            "planned, run again",
        ),
        (
            {"schemas": ["urn:other"], "totalResults": 0},
            ProtocolError,
            f"GET /Users: the 200 answer is not a ListResponse (its schemas do not name {LIST}); "
            "nothing was planned",
        ),
        (
            {"schemas": LIST, "totalResults": 0},
            ProtocolError,
            "the 200 answer is not a ListResponse",
        ),
        (
            {"schemas": [LIST], "totalResults": 2},
            ProtocolError,
            "GET /Users: the ListResponse has no Resources and does not say totalResults=0; "
            "nothing was planned",
        ),
        (
            {"schemas": [LIST], "Resources": {"id": "u1"}},
            ProtocolError,
            "GET /Users: Resources is not a list",
        ),
        (
            {"schemas": [LIST], "Resources": [{"userName": "x"}]},
            ProtocolError,
            "GET /Users: a resource in the listing has no id",
        ),
        (
            {"schemas": [LIST], "Resources": ["u1"]},
            ProtocolError,
            "GET /Users: a resource in the listing has no id",
        ),
        (
            {"schemas": [LIST], "Resources": [{"id": 7}]},
            ProtocolError,
            "GET /Users: a resource in the listing has no id",
        ),
        (
            {"schemas": [LIST], "Resources": [{"id": ""}]},
            ProtocolError,
            "GET /Users: a resource in the listing has an empty id",
        ),
        (
            {"schemas": [LIST], "Resources": [{"id": "u\u200b1"}]},
            ProtocolError,
            "GET /Users: a resource in the listing has an id with control or invisible "
            "characters; refusing to use it",
        ),
    ],
)
def test_a_page_that_is_no_proper_list_response_fails_the_read(
    body: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        list_all(Script(lambda params: body), "/Users", caps("cursor"))
    assert message in str(caught.value)


# --- caps -------------------------------------------------------------------------------------


def test_max_pages_allows_short_pages_and_no_more() -> None:
    assert max_pages(10, 3) == PAGE_SLACK * 4 + 1 == 9
    assert max_pages(9, 3) == PAGE_SLACK * 3 + 1
    assert max_pages(5, 0) == PAGE_SLACK * 5 + 1  # a page size of 0 counts as 1
    assert max_pages(DEFAULT_MAX_RESOURCES, 100) == 20_001


@pytest.mark.timeout(20)
def test_a_server_that_keeps_inventing_pages_is_stopped_at_the_page_cap() -> None:
    """Fresh empty pages with fresh cursors forever: stopped after the pages that
    ``max_resources`` allows (plus the one that shows it goes on), not followed forever."""
    server = Script(lambda p: {"schemas": [LIST], "Resources": [], "nextCursor": f"{p['cursor']}+"})
    limit = max_pages(4, 2)
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Users", caps("cursor"), max_resources=4)
    assert str(caught.value) == (
        f"GET /Users: still paging after {limit} pages, more than 4 resources could take (the "
        "target's max_resources); the server keeps inventing pages, so nothing was planned"
    )
    assert len(server.requests) == limit + 1


def test_a_listing_of_exactly_the_page_cap_is_read() -> None:
    limit = max_pages(4, 2)
    pages = [page([n]) if n < 4 else {"schemas": [LIST], "Resources": []} for n in range(limit)]
    listing = list_all(cursor_pages(*pages), "/Users", caps("cursor"), max_resources=4)
    assert listing.pages == limit and len(listing.resources) == 4


@pytest.mark.parametrize(("count", "fails"), [(4, False), (5, True)])
def test_more_resources_than_max_resources_are_refused(count: int, fails: bool) -> None:
    server = cursor_pages(page(range(min(count, 3))), page(range(3, count)))
    if not fails:
        assert len(list_all(server, "/Users", caps("cursor"), max_resources=4).resources) == 4
        return
    with pytest.raises(IncompleteReadError) as caught:
        list_all(server, "/Users", caps("cursor"), max_resources=4)
    assert str(caught.value) == (
        "GET /Users: the server lists more than 4 resources, over the target's max_resources "
        "(4); nothing was planned. If the directory really is that large, "
        "raise max_resources in targets.yaml"
    )


@pytest.mark.parametrize(("total", "fails"), [(4, False), (5, True)])
def test_a_total_over_max_resources_is_refused_on_the_first_page(total: int, fails: bool) -> None:
    server = cursor_pages(page([0, 1], totalResults=total), page([2, 3]))
    if not fails:
        assert len(list_all(server, "/Users", caps("cursor"), max_resources=4).resources) == 4
        return
    with pytest.raises(IncompleteReadError, match=r"lists totalResults=5 resources"):
        list_all(server, "/Users", caps("cursor"), max_resources=4)
    assert len(server.requests) == 1


# --- the older, unpaged listing (AWS's cap of 50) ------------------------------------------


def test_exactly_the_legacy_cap_on_one_page_is_flagged_as_possibly_partial() -> None:
    server = Script(lambda params: page(range(50), totalResults=50))
    listing = list_all(server, "/Groups", caps("index", page_size=100), legacy_cap=50)
    assert listing.partial == (
        "GET /Groups returned exactly 50 resources and no next page: servers with the older, "
        "unpaged listing stop at 50, so this listing may be cut short; nothing is deactivated "
        "or deleted on the strength of it"
    )


@pytest.mark.parametrize(
    ("count", "legacy_cap", "pages"), [(49, 50, 1), (51, 50, 1), (50, None, 1), (50, 50, 2)]
)
def test_any_other_listing_is_not_flagged(count: int, legacy_cap: int | None, pages: int) -> None:
    server = index_pages(total=count, per_page=-(-count // pages))
    listing = list_all(server, "/Groups", caps("index", page_size=100), legacy_cap=legacy_cap)
    assert (len(listing.resources), listing.pages, listing.partial) == (count, pages, None)
