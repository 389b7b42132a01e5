"""``scimctl check``: "save and test credentials". Reach the server, prove the token,
read what it says it can do, prove that paging works as the profile says, and say what
the reconciler will use. Every string the server chose (a resource type's name, an id)
is shown through ``printable``: it never reaches the terminal raw."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import AuthError, ScimError, ServerError
from reconciler.escaping import printable
from reconciler.scim.discovery import Capabilities
from reconciler.scim.profiles import Profile

AWS_PROFILE = "aws-identity-center"
SECOND_PAGE = "second page"


class Getter(Protocol):
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Finding:
    ok: bool | None
    """True: works; False: fails; None: could not be determined (information)."""
    topic: str
    detail: str


def check_server(
    client: Getter, caps: Capabilities, profile: Profile, source: str = "default"
) -> Iterator[Finding]:
    """Each thing checked, in order; the token proof comes first and stops on failure.
    ``source`` says where the profile was chosen (a flag, the environment, targets.yaml,
    the URL's host)."""
    try:
        listing = client.get("/Users", {"count": 1})
    except AuthError as error:
        yield Finding(False, "token", str(error))
        return
    yield Finding(True, "token", f"accepted: GET /Users answered ({_users(listing, caps)})")
    yield from _discovery("/ResourceTypes", client, _resource_types)
    yield from _discovery("/Schemas", client, _schemas)
    yield Finding(True, "profile", f"{profile.name}: {profile.description} (from {source})")
    yield Finding(True, "paging", f"{caps.paging}, {caps.page_size} per page")
    yield from check_paging(client, caps, profile)
    yield from _capabilities(caps, profile)


def _users(listing: Mapping[str, Any], caps: Capabilities) -> str:
    total = listing.get("totalResults")
    if caps.paging == "index" and isinstance(total, int) and not isinstance(total, bool):
        return f"{total} users"
    return "users readable"  # AWS's unpaged answer counts only what it returned


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
    names = sorted(printable(str(r.get("name"))) for r in _resources(body))
    return "resource types: " + (", ".join(names) or "none listed")


def _schemas(body: Mapping[str, Any]) -> str:
    ids = {str(r.get("id")) for r in _resources(body)}
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in ids
    return f"{len(ids)} schemas; enterprise extension {'present' if enterprise else 'absent'}"


# --- paging ---------------------------------------------------------------------------------


def check_paging(client: Getter, caps: Capabilities, profile: Profile) -> Iterator[Finding]:
    """Read /Users one user a page, as the profile pages, and follow to the second page
    where there is one: the proof that a whole listing can be read."""
    try:
        proof = _cursor_proof(client) if caps.paging == "cursor" else _index_proof(client)
    except ServerError as error:
        yield Finding(False, SECOND_PAGE, _paging_refused(error, caps, profile))
        return
    except ScimError as error:
        yield Finding(False, SECOND_PAGE, f"{caps.paging} paging failed: {error}")
        return
    yield Finding(*proof)


def _cursor_proof(client: Getter) -> tuple[bool | None, str, str]:
    first = client.get("/Users", {"count": 1, "cursor": ""})
    next_cursor = first.get("nextCursor")
    if not next_cursor and "startIndex" in first:
        return (
            False,
            SECOND_PAGE,
            (
                "the server ignored cursor= and answered unpaged (startIndex, no nextCursor): it "
                "does not page by cursor, so a listing would stop at its first page. If it pages "
                "by startIndex, it is not AWS IAM Identity Center: use --profile generic"
            ),
        )
    if not isinstance(next_cursor, str) or not next_cursor:
        return None, SECOND_PAGE, "fewer than two users: there is no second page to read"
    second = client.get("/Users", {"count": 1, "cursor": next_cursor})
    return _second_page(first, second, "count=1, then nextCursor")


def _index_proof(client: Getter) -> tuple[bool | None, str, str]:
    first = client.get("/Users", {"count": 1, "startIndex": 1})
    total = first.get("totalResults")
    if not isinstance(total, int) or isinstance(total, bool):
        return False, SECOND_PAGE, "no totalResults: an index listing cannot be read whole"
    if total < 2:
        return None, SECOND_PAGE, "fewer than two users: there is no second page to read"
    second = client.get("/Users", {"count": 1, "startIndex": 2})
    return _second_page(first, second, "count=1, then startIndex=2")


def _second_page(
    first: Mapping[str, Any], second: Mapping[str, Any], how: str
) -> tuple[bool | None, str, str]:
    ids = [_first_id(first), _first_id(second)]
    if None in ids or ids[0] == ids[1]:
        return False, SECOND_PAGE, f"read ({how}), but it did not hold the next user"
    return True, SECOND_PAGE, f"read ({how}): paging works as the profile says"


def _first_id(body: Mapping[str, Any]) -> str | None:
    found = _resources(body)
    rid = found[0].get("id") if found else None
    return rid if isinstance(rid, str) and rid else None


def _paging_refused(error: ServerError, caps: Capabilities, profile: Profile) -> str:
    """What to do when the server refuses the profile's paging: a 400 naming startIndex is
    how AWS IAM Identity Center answers index paging."""
    text = f"the server refused {caps.paging} paging ({error})"
    refuses_index = error.status == 400 and "startindex" in str(error).casefold()
    if refuses_index and profile.name != AWS_PROFILE:
        return (
            f"{text}. This server refuses startIndex paging, as AWS IAM Identity "
            f"Center does: use --profile {AWS_PROFILE} (or profile: {AWS_PROFILE} "
            "in targets.yaml, or SCIM_PROFILE)"
        )
    return f"{text}; is the profile ({profile.name}) the right one for this server?"


def _capabilities(caps: Capabilities, profile: Profile) -> Iterator[Finding]:
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
        yield Finding(None, "note", printable(note))
