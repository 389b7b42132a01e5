"""A scripted SCIM server for ``httpx.MockTransport``: just enough of RFC 7644 to drive
the real client, reader and executor, recording every request it receives.

It serves what a provider's documentation says, as configured: index or cursor
paging with a largest page, members inline on groups or only through
``GET /Users?filter=groups.value eq "<id>"``, and a 409 on a duplicate userName or
displayName. It is not a conformance fake: the integration tests use real servers.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx

from reconciler.apply.executor import Executor
from reconciler.apply.report import Report
from reconciler.model import Group, Org, User, group_key, user_key
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.scim.client import ScimClient
from reconciler.scim.discovery import discover
from reconciler.scim.profiles import Profile
from reconciler.scim.reader import LiveState, read_live

BASE = "https://scim.example.test/scim/v2"
TOKEN = "profile-test-token"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MARKER = "scimctl:"
EQ = re.compile(r'^(\S+) eq "((?:[^"\\]|\\.)*)"$')


@dataclass
class Sent:
    """One request as the server saw it."""

    method: str
    path: str
    params: dict[str, str]
    headers: httpx.Headers
    body: Any


@dataclass
class FakeScim:
    """The server. Call it with a request (it is a MockTransport handler)."""

    paging: str = "index"
    """index (startIndex/count), cursor (cursor/nextCursor) or legacy (one page only)."""
    max_count: int = 1000
    members_inline: bool = True
    config: dict[str, Any] | None = None
    """The /ServiceProviderConfig to answer; None: 404."""
    throttle: int = 0
    """Answer this many of the next requests 429 with ``Retry-After: retry_after``."""
    retry_after: str = "3"
    path_filters: bool = True
    """False: a PATCH path with a filter is ignored, as GitHub says ("ineffective")."""
    filterable: frozenset[str] | None = None
    """Attributes a listing filter may name; any other is a 400. None: any."""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    # --- seeding ----------------------------------------------------------------------

    def add_user(self, name: str, *, marker: str | None = MARKER) -> str:
        uid = f"u{next(self._ids)}"
        self.users[uid] = {"id": uid, "userName": name, "active": True}
        if marker is not None:
            self.users[uid]["externalId"] = marker + name.casefold()
        return uid

    def add_group(self, name: str, members: Sequence[str] = ()) -> str:
        gid = f"g{next(self._ids)}"
        self.groups[gid] = {
            "id": gid,
            "displayName": name,
            "externalId": MARKER + name.casefold(),
            "members": [{"value": m} for m in members],
        }
        return gid

    def client(self, **kwargs: Any) -> ScimClient:
        kwargs.setdefault("sleep", lambda seconds: None)
        return ScimClient(BASE, TOKEN, transport=httpx.MockTransport(self), **kwargs)

    # --- what was sent ----------------------------------------------------------------

    def requests(self, method: str, path_prefix: str = "") -> list[Sent]:
        return [s for s in self.sent if s.method == method and s.path.startswith(path_prefix)]

    def member_ids(self, gid: str) -> set[str]:
        return {m["value"] for m in self.groups[gid]["members"]}

    # --- serving ----------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path).removeprefix(httpx.URL(BASE).path)
        body = json.loads(request.content) if request.content else None
        params = dict(request.url.params)
        self.sent.append(Sent(request.method, path, params, request.headers, body))
        if self.throttle > 0:
            self.throttle -= 1
            return httpx.Response(429, headers={"Retry-After": self.retry_after})
        if path == "/ServiceProviderConfig":
            return httpx.Response(200, json=self.config) if self.config else _error(404)
        store = self.users if path.startswith("/Users") else self.groups
        rid = path.split("/")[2] if path.count("/") == 2 else None
        if request.method == "GET":
            if not self._filterable(params.get("filter")):
                return _error(400, "invalidFilter")
            return self._list(path, store, params)
        if request.method == "POST":
            return self._create(store, body)
        if request.method == "PATCH" and rid in store:
            self._patch(store[rid], body["Operations"])
            return httpx.Response(204)
        if request.method == "DELETE" and rid in store:
            del store[rid]
            return httpx.Response(204)
        return _error(404)

    def _list(
        self, path: str, store: dict[str, dict[str, Any]], params: dict[str, str]
    ) -> httpx.Response:
        found = [self._shown(path, r) for r in store.values() if self._matches(r, params)]
        count = min(int(params.get("count", self.max_count)), self.max_count)
        if self.paging == "cursor" and "cursor" not in params:  # AWS: one unpaged answer
            page = found[:count]
            body = {"schemas": [LIST], "totalResults": len(page), "startIndex": 1}
        elif self.paging == "cursor":
            start = int(params.get("cursor") or "0")
            page = found[start : start + count]
            body: dict[str, Any] = {"schemas": [LIST], "itemsPerPage": len(page)}
            if start + count < len(found):
                body["nextCursor"] = str(start + count)
        elif self.paging == "legacy":  # AWS's older listing: one page, no way to the rest
            page = found[:count]
            body = {"schemas": [LIST], "totalResults": len(page), "startIndex": 1}
        else:
            start = int(params.get("startIndex", "1")) - 1
            page = found[start : start + count]
            body = {"schemas": [LIST], "totalResults": len(found), "startIndex": start + 1}
        return httpx.Response(200, json={**body, "Resources": page})

    def _filterable(self, text: str | None) -> bool:
        if text is None or self.filterable is None:
            return True
        return text.split(" ", 1)[0] in self.filterable

    def _shown(self, path: str, resource: dict[str, Any]) -> dict[str, Any]:
        if path.startswith("/Groups") and not self.members_inline:
            return {**resource, "members": []}
        return resource

    def _matches(self, resource: dict[str, Any], params: dict[str, str]) -> bool:
        text = params.get("filter")
        if text is None:
            return True
        match = EQ.match(text)
        assert match, f"the fake understands one eq clause, not {text!r}"
        attribute, value = match.group(1), json.loads(f'"{match.group(2)}"')
        if attribute == "groups.value":
            return resource["id"] in self.member_ids(value)
        return str(resource.get(attribute, "")).casefold() == value.casefold()

    def _create(self, store: dict[str, dict[str, Any]], body: dict[str, Any]) -> httpx.Response:
        name = "userName" if store is self.users else "displayName"
        if any(r[name].casefold() == body[name].casefold() for r in store.values()):
            return _error(409, "uniqueness")
        rid = f"n{next(self._ids)}"
        store[rid] = {**body, "id": rid, "members": body.get("members", [])}
        return httpx.Response(201, json=store[rid])

    def _patch(self, resource: dict[str, Any], operations: list[dict[str, Any]]) -> None:
        for op in operations:
            path = op.get("path", "")
            if op["op"] == "add" and path == "members":
                resource["members"] += op["value"]
            elif op["op"] == "remove" and path.startswith("members[value eq "):
                if self.path_filters:
                    gone = json.loads(path.removeprefix("members[value eq ").removesuffix("]"))
                    resource["members"] = [m for m in resource["members"] if m["value"] != gone]
            elif op["op"] == "remove" and path == "members" and op.get("value"):
                removed = {m["value"] for m in op["value"]}
                resource["members"] = [m for m in resource["members"] if m["value"] not in removed]
            elif op["op"] == "replace":
                resource[path] = op["value"]


def _error(status: int, scim_type: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
    }
    if scim_type:
        body["scimType"] = scim_type
    return httpx.Response(status, json=body)


# --- driving the real code paths -------------------------------------------------------


def desired(users: Sequence[str], groups: dict[str, Sequence[str]]) -> Org:
    """A desired org: these userNames, and groups of them (by userName)."""
    return Org(
        tuple(User(name, user_key(name)) for name in users),
        tuple(
            Group(name, group_key(name), frozenset(user_key(m) for m in members))
            for name, members in groups.items()
        ),
    )


def read(fake: FakeScim, profile: Profile, **client_kwargs: Any) -> LiveState:
    """Discover and read the fake as a session would, with this profile."""
    with fake.client(**client_kwargs) as client:
        return read_live(client, discover(client, profile), profile, MARKER)


def converge(fake: FakeScim, profile: Profile, want: Org, **client_kwargs: Any) -> Report:
    """Read, plan and apply ``want`` on the fake with this profile; the apply report."""
    with fake.client(**client_kwargs) as client:
        live = read_live(client, discover(client, profile), profile, MARKER)
        plan = diff(want, live.org, Policy())
        executor = Executor(client, profile, live.org, concurrency=profile.default_concurrency)
        return executor.run(plan)


# --- a real sandbox that remembers what it was sent ---------------------------------------


class Recorder:
    """WSGI middleware keeping the method, path and User-Agent of every request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str | None]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        agent = environ.get("HTTP_USER_AGENT")
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], agent))
        return self.app(environ, start_response)
