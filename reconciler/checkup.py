"""``scimctl check``: "save and test credentials". Reach the server, prove the token,
read what it says it can do, and say what the reconciler will use."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import AuthError, ScimError
from reconciler.scim.discovery import Capabilities
from reconciler.scim.profiles import Profile


class Getter(Protocol):
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Finding:
    ok: bool | None
    """True: works; False: fails; None: could not be determined (information)."""
    topic: str
    detail: str


def check_server(client: Getter, caps: Capabilities, profile: Profile) -> Iterator[Finding]:
    """Each thing checked, in order; the token proof comes first and stops on failure."""
    try:
        listing = client.get("/Users", {"count": 1})
    except AuthError as error:
        yield Finding(False, "token", str(error))
        return
    total = listing.get("totalResults")
    users = f"{total} users" if isinstance(total, int) else "users readable (no total given)"
    yield Finding(True, "token", f"accepted: GET /Users answered ({users})")
    yield from _discovery("/ResourceTypes", client, _resource_types)
    yield from _discovery("/Schemas", client, _schemas)
    yield from _capabilities(caps, profile)


def _discovery(
    path: str, client: Getter, describe: Callable[[Mapping[str, Any]], str]
) -> Iterator[Finding]:
    try:
        yield Finding(True, path, describe(client.get(path)))
    except ScimError as error:
        yield Finding(None, path, f"not available ({error}); the profile's defaults are used")


def _resources(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = body.get("Resources", [])
    return [r for r in found if isinstance(r, Mapping)] if isinstance(found, list) else []


def _resource_types(body: Mapping[str, Any]) -> str:
    names = sorted(str(r.get("name")) for r in _resources(body))
    return "resource types: " + (", ".join(names) or "none listed")


def _schemas(body: Mapping[str, Any]) -> str:
    ids = {str(r.get("id")) for r in _resources(body)}
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in ids
    return f"{len(ids)} schemas; enterprise extension {'present' if enterprise else 'absent'}"


def _capabilities(caps: Capabilities, profile: Profile) -> Iterator[Finding]:
    yield Finding(True, "profile", f"{profile.name}: {profile.description}")
    yield Finding(True, "paging", f"{caps.paging}, {caps.page_size} per page")
    yield Finding(caps.patch, "PATCH", "supported" if caps.patch else "not advertised")
    yield Finding(True, "ETags", "used (If-Match)" if caps.etags else "not used")
    yield Finding(True, "Bulk", "available (not needed)" if caps.bulk else "not available")
    yield Finding(True, "filter", "supported" if caps.filter else "not advertised")
    membership = (
        "read per group (GET /Users?filter=groups.value eq …)"
        if profile.membership_read == "per-group"
        else "read from GET /Groups"
    )
    yield Finding(True, "membership", f"{membership}; {profile.members_per_patch} per PATCH")
    for note in caps.notes:
        yield Finding(None, "note", note)
