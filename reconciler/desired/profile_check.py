"""Offline checks of what a provider profile says its server would refuse."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from reconciler.desired.semantic import entries
from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem
from reconciler.scim.profiles import Profile


def profile_problems(
    documents: Sequence[YamlDocument], profile: Profile, invalid: Collection[str] = ()
) -> Iterator[Problem]:
    """Every user entry the profile's server would refuse, at its place.

    Every entry is judged, those that break the schema too: a schema problem never hides
    what the profile would refuse (fixing one must not reveal the other). The profile's
    checks take any shape (what is not of the schema's type is the schema's to report).
    ``invalid`` is kept for callers; it no longer narrows anything.
    """
    del invalid
    users = list(entries(documents, "users"))
    for entry in users:
        for sub, message in profile.user_problems(entry.data):
            yield entry.problem(message, *sub)
    for index, sub, message in profile.users_problems([entry.data for entry in users]):
        yield users[index].problem(message, *sub)
    for entry in entries(documents, "groups"):
        for sub, message in profile.group_problems(entry.data):
            yield entry.problem(message, *sub)
