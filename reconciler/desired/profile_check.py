"""Offline checks of what a provider profile says its server would refuse."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from reconciler.desired.schema import item_is_valid
from reconciler.desired.semantic import entries
from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem
from reconciler.scim.profiles import Profile


def profile_problems(
    documents: Sequence[YamlDocument], profile: Profile, invalid: Collection[str] = ()
) -> Iterator[Problem]:
    """Every user entry the profile's server would refuse, at its place.

    Only entries valid against the schema are judged: the others have their problems
    reported already, and a profile's checks expect the schema's shapes. ``invalid``
    names the documents that break the schema; only their entries are tested one by one.
    """
    users = [
        entry
        for entry in entries(documents, "users")
        if entry.doc.path not in invalid or item_is_valid("desired-state", "users", entry.data)
    ]
    for entry in users:
        for sub, message in profile.user_problems(entry.data):
            yield entry.problem(message, *sub)
    for index, sub, message in profile.users_problems([entry.data for entry in users]):
        yield users[index].problem(message, *sub)
    for entry in entries(documents, "groups"):
        for sub, message in profile.group_problems(entry.data):
            yield entry.problem(message, *sub)
