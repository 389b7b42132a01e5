"""What the server says it can do (/ServiceProviderConfig), merged with its profile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import ScimError
from reconciler.scim.profiles import Profile

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class Getter(Protocol):
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Capabilities:
    """What the reconciler will use on this server, and where each fact came from."""

    paging: str
    page_size: int
    patch: bool
    etags: bool
    bulk: bool
    filter: bool
    notes: tuple[str, ...] = ()
    """What could not be determined, or was overridden by the profile."""


def discover(client: Getter, profile: Profile) -> Capabilities:
    """Read /ServiceProviderConfig and settle every capability the run needs."""
    notes: list[str] = []
    try:
        config = client.get("/ServiceProviderConfig")
    except ScimError as error:
        if getattr(error, "status", None) not in (404, 501):
            raise
        notes.append("no /ServiceProviderConfig: using the profile's defaults")
        config = {}
    return capabilities(config, profile, notes)


def capabilities(config: Mapping[str, Any], profile: Profile, notes: list[str]) -> Capabilities:
    """The capabilities of a server from its config document and its profile."""
    return Capabilities(
        paging=_paging(config, profile, notes),
        page_size=_page_size(config, profile, notes),
        patch=_supported(config, "patch", None, notes),
        etags=_supported(config, "etag", profile.etags, notes),
        bulk=_supported(config, "bulk", profile.bulk, notes),
        filter=_supported(config, "filter", None, notes),
        notes=tuple(notes),
    )


def _section(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = config.get(name)
    return value if isinstance(value, Mapping) else {}


def _supported(
    config: Mapping[str, Any], name: str, override: bool | None, notes: list[str]
) -> bool:
    advertised = _section(config, name).get("supported")
    if override is not None:
        if isinstance(advertised, bool) and advertised != override:
            notes.append(f"{name}: the server advertises {advertised}, the profile says {override}")
        return override
    if not isinstance(advertised, bool):
        notes.append(f"{name}: not advertised as a boolean ({advertised!r}); assuming false")
        return False
    return advertised


def _paging(config: Mapping[str, Any], profile: Profile, notes: list[str]) -> str:
    if profile.paging is not None:
        return profile.paging
    pagination = _section(config, "pagination")
    if pagination.get("index") is False and pagination.get("cursor") is True:
        return "cursor"
    return "index"


def _page_size(config: Mapping[str, Any], profile: Profile, notes: list[str]) -> int:
    advertised = _section(config, "filter").get("maxResults")
    if profile.page_size is not None:
        if isinstance(advertised, int) and 0 < advertised < profile.page_size:
            return advertised
        return profile.page_size
    if isinstance(advertised, int) and not isinstance(advertised, bool) and advertised > 0:
        return min(advertised, MAX_PAGE_SIZE)
    notes.append(f"filter.maxResults not advertised: pages of {DEFAULT_PAGE_SIZE}")
    return DEFAULT_PAGE_SIZE
