"""The floor of a plan: a bare httpx script that only downloads the pages a plan needs.

The same requests a no-change plan sends (``/ServiceProviderConfig``, every page of
``/Users`` and ``/Groups`` at the largest page size, and on AWS one paged
``groups.value`` query per group, with the same concurrency), each body parsed only as
far as paging needs, and nothing checked, kept or modelled. A cursor listing asks for
cursor paging with an empty ``cursor`` on its first page, as the reader does (AWS
answers a listing without it unpaged): the same number of requests, every page read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

MAX_PAGES = 1_000_000
"""A bound on any one listing, far past any org the bench generates."""


@dataclass(frozen=True)
class Paging:
    """How the server pages: ``index`` or ``cursor``, and the largest page it allows."""

    style: str
    size: int
    members_per_group: bool = False
    concurrency: int = 1


@dataclass(frozen=True)
class Download:
    requests: int
    membership_requests: int
    seconds: float
    resources: int


def download(url: str, token: str, paging: Paging) -> Download:
    """Download what a plan reads, and count the requests."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        http.get("/ServiceProviderConfig").raise_for_status()
        user_pages, users = _listing(http, "/Users", paging, {}, keep=False)
        group_pages, groups = _listing(http, "/Groups", paging, {}, keep=True)
        member_pages = 0
        if paging.members_per_group:
            ids = [g["id"] for g in groups]
            with ThreadPoolExecutor(max_workers=max(1, paging.concurrency)) as pool:
                member_pages = sum(pages for pages, _ in pool.map(_members(http, paging), ids))
    seconds = time.perf_counter() - started
    requests = 1 + user_pages + group_pages + member_pages
    return Download(requests, member_pages, seconds, len(users) + len(groups))


def _members(http: httpx.Client, paging: Paging) -> Callable[[str], tuple[int, list[Any]]]:
    def read(group_id: str) -> tuple[int, list[Any]]:
        query = {"filter": f'groups.value eq "{group_id}"'}
        return _listing(http, "/Users", paging, query, keep=False)

    return read


def _listing(
    http: httpx.Client, path: str, paging: Paging, query: dict[str, Any], *, keep: bool
) -> tuple[int, list[Any]]:
    """(pages, resources) of one listing; resources are kept only when ``keep`` (else
    each is counted as ``None``), so the floor holds no more than it needs."""
    found: list[Any] = []
    params: dict[str, Any] = {"count": paging.size, **query}
    if paging.style == "cursor":
        params["cursor"] = ""  # AWS pages by cursor only when asked; unpaged otherwise
    for page in range(1, MAX_PAGES + 1):
        if paging.style == "index":
            params["startIndex"] = len(found) + 1
        body = http.get(path, params=params).raise_for_status().json()
        resources = body.get("Resources") or []
        found += resources if keep else [None] * len(resources)
        if paging.style == "index":
            if len(found) >= body["totalResults"] or not resources:
                return page, found
        elif body.get("nextCursor"):
            params["cursor"] = body["nextCursor"]
        else:
            return page, found
    raise RuntimeError(f"{path}: more than {MAX_PAGES} pages")
