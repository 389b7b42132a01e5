"""The registry of provider profiles: one module each, one name each."""

from __future__ import annotations

from reconciler.errors import InputError
from reconciler.scim.profiles import aws, generic, github_emu, slack
from reconciler.scim.profiles.base import Profile

PROFILES: dict[str, Profile] = {
    p.name: p for p in (generic.PROFILE, aws.PROFILE, github_emu.PROFILE, slack.PROFILE)
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; an ``InputError`` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise InputError(f"unknown profile {name!r} (known profiles: {known})") from None


__all__ = ["PROFILES", "Profile", "get_profile"]
