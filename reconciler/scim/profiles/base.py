"""What a provider profile declares: how one kind of SCIM server really behaves.

A profile is data plus small hooks. The reader, the payload builders, the apply
executor and offline validation ask the profile, never the server's name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Paging = Literal["index", "cursor"]
MembershipRead = Literal["inline", "per-group"]
DeleteSemantics = Literal["delete", "deactivates", "irreversible"]


@dataclass(frozen=True)
class Profile:
    """How to talk to one kind of SCIM server.

    ``None`` in a capability means "ask the server's /ServiceProviderConfig";
    a value overrides what the server advertises (some advertise wrongly).
    """

    name: str
    description: str
    paging: Paging | None = None
    page_size: int | None = None
    """Largest page to ask for; None: the server's filter.maxResults, else 100."""
    membership_read: MembershipRead = "inline"
    members_per_patch: int = 500
    members_on_create: int | None = None
    """At most this many members in a group POST; the rest go in PATCHes."""
    etags: bool | None = None
    bulk: bool | None = None
    unstored: frozenset[str] = frozenset()
    """Attribute paths the server does not keep: never diffed, never sent."""
    required: tuple[str, ...] = ("userName",)
    """User attribute paths the server requires on create."""
    max_values: Mapping[str, int] = field(default_factory=dict)
    """Multi-valued attributes and how many values the server keeps."""
    primary_required: frozenset[str] = frozenset()
    """Multi-valued attributes whose single value must be ``primary: true``."""
    unsupported: frozenset[str] = frozenset()
    """User attributes the server refuses: validation rejects them offline."""
    delete: DeleteSemantics = "delete"
    default_rate: float | None = None
    default_concurrency: int = 8
    user_agent: str | None = None
    legacy_cap: int | None = None
    """A listing of exactly this many results with no way to page may be cut short."""

    def user_problems(self, user: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(path inside the user entry, message) for each thing this server would refuse."""
        yield from _missing(self, user)
        yield from _too_many(self, user)
        yield from _unsupported(self, user)


def _get(user: Mapping[str, Any], path: str) -> Any:
    value: Any = user
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _missing(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path in profile.required:
        if path == "displayName":
            name = user.get("name") or {}
            if user.get("displayName") or name.get("givenName") or name.get("familyName"):
                continue
        if _get(user, path) in (None, ""):
            yield (), f"{profile.name} requires {path}"


def _too_many(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for attribute, limit in profile.max_values.items():
        values = user.get(attribute)
        if not isinstance(values, list):
            continue
        if len(values) > limit:
            yield (
                (attribute, limit),
                f"{profile.name} keeps at most {limit} value(s) in {attribute}",
            )
        if (
            attribute in profile.primary_required
            and values
            and not all(isinstance(v, dict) and v.get("primary") for v in values)
        ):
            yield (attribute, 0), f"{profile.name} requires {attribute} to be primary: true"


def _unsupported(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path in sorted(profile.unsupported):
        if _get(user, path) is not None:
            head = tuple(path.split("."))
            yield head, f"{profile.name} does not support {path}"
