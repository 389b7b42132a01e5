"""Reading a whole listing, page by page, and refusing to trust one that is not whole.

Deletes are never computed from a partial read (ssosync deleted users after a 503;
a listing capped at 50 caused duplicate creates). Any of these raises
``IncompleteReadError`` and no plan is made: a page that errors (after the
client's retries), ``totalResults`` that changes or disagrees with what was
fetched, a page that repeats a resource or comes back empty too early.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import IncompleteReadError, ProtocolError
from reconciler.scim.discovery import Capabilities, Getter

Resource = dict[str, Any]


@dataclass(frozen=True)
class Listing:
    """Every resource of an endpoint, and whether the listing is known to be whole."""

    resources: list[Any]
    """The resources, or what ``convert`` made of each as its page arrived."""
    pages: int
    partial: str | None = None
    """Why the listing may be cut short although nothing failed (AWS's old 50 cap)."""


def list_all(
    client: Getter,
    endpoint: str,
    caps: Capabilities,
    *,
    filter: str | None = None,
    legacy_cap: int | None = None,
    convert: Callable[[Resource], Any] | None = None,
) -> Listing:
    """All resources of ``endpoint`` (optionally filtered), read whole or not at all.

    ``convert`` turns each resource into what the caller keeps as its page arrives,
    so the raw JSON of a 100,000-user listing is never all held at once.
    """
    params: dict[str, str | int] = {"count": caps.page_size}
    if filter is not None:
        params["filter"] = filter
    pages = _cursor_pages if caps.paging == "cursor" else _index_pages
    collected = _Collector(endpoint, convert)
    count = 0
    for body in pages(client, endpoint, params):
        count += 1
        collected.add(body)
    collected.check_total()
    partial = _legacy_partial(collected, count, legacy_cap)
    return Listing(collected.resources, count, partial)


class _Collector:
    def __init__(self, endpoint: str, convert: Callable[[Resource], Any] | None) -> None:
        self.endpoint = endpoint
        self.convert = convert
        self.resources: list[Any] = []
        self.ids: set[str] = set()
        self.total: int | None = None

    def add(self, body: Mapping[str, Any]) -> None:
        total = body.get("totalResults")
        if total is not None:
            if not isinstance(total, int) or isinstance(total, bool) or total < 0:
                raise ProtocolError(f"GET {self.endpoint}: totalResults is not a count: {total!r}")
            if self.total is not None and total != self.total:
                raise IncompleteReadError(
                    f"GET {self.endpoint}: totalResults changed from {self.total} to {total} "
                    "while the listing was read; nothing was planned, run again"
                )
            self.total = total
        ids, kept, convert = self.ids, self.resources, self.convert
        for resource in resources_of(body, self.endpoint):  # once per resource: inlined
            rid = resource["id"]
            if rid in ids:
                raise IncompleteReadError(
                    f"GET {self.endpoint}: resource {rid} came back on two pages: the "
                    "listing shifted while it was read, so something may have been skipped; "
                    "nothing was planned, run again"
                )
            ids.add(rid)
            kept.append(convert(resource) if convert else resource)

    def check_total(self) -> None:
        if self.total is not None and self.total != len(self.resources):
            raise IncompleteReadError(
                f"GET {self.endpoint}: the server said totalResults={self.total} but "
                f"{len(self.resources)} were returned; nothing was planned (a partial "
                "listing could make the plan delete what it did not see)"
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
        body = client.get(endpoint, {**params, "startIndex": start})
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


def _cursor_pages(
    client: Getter, endpoint: str, params: dict[str, str | int]
) -> Iterator[Mapping[str, Any]]:
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = {**params, "cursor": cursor} if cursor else params
        body = client.get(endpoint, page)
        yield body
        cursor = body.get("nextCursor")
        if not cursor:
            return
        if not isinstance(cursor, str) or cursor in seen:
            raise IncompleteReadError(f"GET {endpoint}: the server repeated a cursor; run again")
        seen.add(cursor)


def _legacy_partial(collected: _Collector, pages: int, cap: int | None) -> str | None:
    if cap is None or pages != 1 or len(collected.resources) != cap:
        return None
    return (
        f"GET {collected.endpoint} returned exactly {cap} resources and no next page: "
        f"servers with the older, unpaged listing stop at {cap}, so this listing may be cut "
        "short; nothing is deactivated or deleted on the strength of it"
    )
