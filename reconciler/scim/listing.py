"""Reading a whole listing, page by page, and refusing to trust one that is not whole.

Deletes are never computed from a partial read (ssosync deleted users after a 503;
a listing capped at 50 caused duplicate creates). Any of these raises
``IncompleteReadError`` or ``ProtocolError`` and no plan is made: a page that errors
(after the client's retries), a 200 that is not a ListResponse (a SCIM Error body,
no ListResponse schema), ``totalResults`` that changes or disagrees with what was
fetched, a page that repeats a resource or comes back empty too early, an answer in
the non-paginated shape to a request for cursor paging, and a listing that goes past
the target's ``max_resources`` (or the pages derived from it): a server that keeps
inventing pages is stopped, not followed forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import IncompleteReadError, ProtocolError, ServerError
from reconciler.scim.discovery import Capabilities, Getter

Resource = dict[str, Any]

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
DEFAULT_MAX_RESOURCES = 1_000_000
"""The most resources one listing may hold unless the target sets ``max_resources``."""
PAGE_SLACK = 2
"""Pages may come back short (RFC 7644 §3.4.2.4): a listing may take this many times the
pages that ``max_resources`` full pages would, and no more."""


@dataclass(frozen=True)
class Listing:
    """Every resource of an endpoint, and whether the listing is known to be whole."""

    resources: list[Any]
    """The resources, or what ``convert`` made of each as its page arrived."""
    pages: int
    partial: str | None = None
    """Why the listing may be cut short although nothing failed (AWS's old 50 cap)."""


def max_pages(max_resources: int, page_size: int) -> int:
    """The most pages a listing of at most ``max_resources`` may take."""
    full_pages = -(-max_resources // max(1, page_size))
    return PAGE_SLACK * full_pages + 1


def list_all(
    client: Getter,
    endpoint: str,
    caps: Capabilities,
    *,
    filter: str | None = None,
    legacy_cap: int | None = None,
    convert: Callable[[Resource], Any] | None = None,
    max_resources: int = DEFAULT_MAX_RESOURCES,
) -> Listing:
    """All resources of ``endpoint`` (optionally filtered), read whole or not at all.

    ``convert`` turns each resource into what the caller keeps as its page arrives,
    so the raw JSON of a 100,000-user listing is never all held at once. With cursor
    paging the first request sends an empty ``cursor`` (asking for cursor paging at
    all, as AWS requires), then each ``nextCursor``.
    """
    params: dict[str, str | int] = {"count": caps.page_size}
    if filter is not None:
        params["filter"] = filter
    index = caps.paging != "cursor"
    pages = _index_pages if index else _cursor_pages
    collected = _Collector(endpoint, convert, max_resources, index=index)
    limit = max_pages(max_resources, caps.page_size)
    count = 0
    for body in pages(client, endpoint, params):
        count += 1
        if count > limit:
            raise IncompleteReadError(
                f"GET {endpoint}: still paging after {limit} pages, more than "
                f"{max_resources} resources could take (the target's max_resources); the "
                "server keeps inventing pages, so nothing was planned"
            )
        collected.add(body)
    collected.check_total()
    partial = _legacy_partial(collected, count, legacy_cap)
    return Listing(collected.resources, count, partial)


class _Collector:
    def __init__(
        self,
        endpoint: str,
        convert: Callable[[Resource], Any] | None,
        max_resources: int,
        *,
        index: bool,
    ) -> None:
        self.endpoint = endpoint
        self.convert = convert
        self.max_resources = max_resources
        self.index = index
        self.resources: list[Any] = []
        self.ids: set[str] = set()
        self.total: int | None = None

    def add(self, body: Mapping[str, Any]) -> None:
        refuse_error_body(body, self.endpoint)
        self._check_total(body.get("totalResults"))
        found = resources_of(body, self.endpoint)
        check_list_response(body, self.endpoint)
        if len(self.resources) + len(found) > self.max_resources:
            raise IncompleteReadError(self._over_cap(f"more than {self.max_resources}"))
        ids, kept, convert = self.ids, self.resources, self.convert
        for resource in found:  # once per resource: inlined
            rid = resource["id"]
            if rid in ids:
                raise IncompleteReadError(
                    f"GET {self.endpoint}: resource {rid} came back on two pages: the "
                    "listing shifted while it was read, so something may have been skipped; "
                    "nothing was planned, run again"
                )
            ids.add(rid)
            kept.append(convert(resource) if convert else resource)

    def _check_total(self, total: Any) -> None:
        if total is None:
            if self.index:
                raise ProtocolError(f"GET {self.endpoint}: the ListResponse has no totalResults")
            return
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ProtocolError(f"GET {self.endpoint}: totalResults is not a count: {total!r}")
        if self.total is not None and total != self.total:
            raise IncompleteReadError(
                f"GET {self.endpoint}: totalResults changed from {self.total} to {total} "
                "while the listing was read; nothing was planned, run again"
            )
        if total > self.max_resources:
            raise IncompleteReadError(self._over_cap(f"totalResults={total}"))
        self.total = total

    def _over_cap(self, found: str) -> str:
        return (
            f"GET {self.endpoint}: the server lists {found} resources, over the target's "
            f"max_resources ({self.max_resources}); nothing was planned. If the directory "
            "really is that large, raise max_resources in targets.yaml"
        )

    def check_total(self) -> None:
        if self.total is not None and self.total != len(self.resources):
            raise IncompleteReadError(
                f"GET {self.endpoint}: the server said totalResults={self.total} but "
                f"{len(self.resources)} were returned; nothing was planned (a partial "
                "listing could make the plan delete what it did not see)"
            )


def refuse_error_body(body: Mapping[str, Any], endpoint: str) -> None:
    """A 200 carrying a SCIM Error instead of a ListResponse is a failed read, not an
    empty page (the status is quoted only when it is a plain number: server text)."""
    schemas = body.get("schemas")
    if not (isinstance(schemas, list) and ERROR in schemas):
        return
    status = body.get("status")
    said = f" (status {status})" if isinstance(status, str) and status.isdigit() else ""
    raise ProtocolError(
        f"GET {endpoint} answered 200 with a SCIM Error{said} instead of a ListResponse; "
        "nothing was planned, run again"
    )


def check_list_response(body: Mapping[str, Any], endpoint: str) -> None:
    """The page is a ListResponse (RFC 7644 §3.4.2): its schema named, and ``Resources``
    present unless the server says there are none."""
    schemas = body.get("schemas")
    if not (isinstance(schemas, list) and LIST_RESPONSE in schemas):
        raise ProtocolError(
            f"GET {endpoint}: the 200 answer is not a ListResponse (its schemas do not "
            f"name {LIST_RESPONSE}); nothing was planned"
        )
    if "Resources" not in body and body.get("totalResults") != 0:
        raise ProtocolError(
            f"GET {endpoint}: the ListResponse has no Resources and does not say "
            "totalResults=0; nothing was planned"
        )


def resources_of(body: Mapping[str, Any], endpoint: str) -> list[Resource]:
    """The ``Resources`` of a ListResponse, each checked to be an object with an id."""
    found = body.get("Resources", [])
    if not isinstance(found, list):
        raise ProtocolError(f"GET {endpoint}: Resources is not a list")
    for resource in found:
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), str):
            raise ProtocolError(f"GET {endpoint}: a resource in the listing has no id")
        if not resource["id"]:
            raise ProtocolError(f"GET {endpoint}: a resource in the listing has an empty id")
        if not resource["id"].isprintable():
            raise ProtocolError(
                f"GET {endpoint}: a resource in the listing has an id with control or "
                "invisible characters; refusing to use it"
            )
    return found


def _index_pages(
    client: Getter, endpoint: str, params: dict[str, str | int]
) -> Iterator[Mapping[str, Any]]:
    start = 1
    while True:
        body = _index_page(client, endpoint, {**params, "startIndex": start})
        yield body
        got = len(body.get("Resources") or [])
        total = body.get("totalResults")
        if not isinstance(total, int):
            raise ProtocolError(f"GET {endpoint}: the ListResponse has no totalResults")
        start += got
        if start > total:
            return
        if got == 0:
            raise IncompleteReadError(
                f"GET {endpoint}: the page at startIndex={start} came back empty although "
                f"totalResults={total}; nothing was planned, run again"
            )


def _index_page(client: Getter, endpoint: str, params: dict[str, str | int]) -> Mapping[str, Any]:
    """One page by startIndex; a 400 about ``startIndex`` (how AWS IAM Identity Center
    answers index paging) names the profile that pages as that server does."""
    try:
        return client.get(endpoint, params)
    except ServerError as error:
        if error.status != 400 or "startindex" not in str(error).casefold():
            raise
        raise ServerError(
            f"{error}. This server refuses startIndex paging, as AWS IAM Identity Center "
            "does: use --profile aws-identity-center (or profile: aws-identity-center in "
            "targets.yaml)",
            status=error.status,
            scim_type=error.scim_type,
            detail=error.detail,
        ) from error


def _cursor_pages(
    client: Getter, endpoint: str, params: dict[str, str | int]
) -> Iterator[Mapping[str, Any]]:
    cursor = ""  # present and empty: "page by cursor, from the start"
    seen: set[str] = set()
    while True:
        body = client.get(endpoint, {**params, "cursor": cursor})
        next_cursor = body.get("nextCursor")
        if not next_cursor and "startIndex" in body:
            raise IncompleteReadError(_not_cursor_paged(endpoint))
        yield body
        if not next_cursor:
            return
        if not isinstance(next_cursor, str) or next_cursor in seen:
            raise IncompleteReadError(f"GET {endpoint}: the server repeated a cursor; run again")
        seen.add(next_cursor)
        cursor = next_cursor


def _not_cursor_paged(endpoint: str) -> str:
    return (
        f"GET {endpoint}: asked for cursor paging (cursor=), the server answered in the "
        "non-paginated shape (startIndex and totalResults, no nextCursor), which may hold "
        "only the first page; nothing was planned. If this server pages by startIndex, "
        "it is not AWS IAM Identity Center: choose its profile (--profile generic)"
    )


def _legacy_partial(collected: _Collector, pages: int, cap: int | None) -> str | None:
    if cap is None or pages != 1 or len(collected.resources) != cap:
        return None
    return (
        f"GET {collected.endpoint} returned exactly {cap} resources and no next page: "
        f"servers with the older, unpaged listing stop at {cap}, so this listing may be cut "
        "short; nothing is deactivated or deleted on the strength of it"
    )
