"""Offline checks of what a provider profile says its server would refuse."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.desired.semantic import entries
from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem
from reconciler.scim.profiles import Profile


def profile_problems(documents: Sequence[YamlDocument], profile: Profile) -> list[Problem]:
    """Every user entry the profile's server would refuse, at its place."""
    users = list(entries(documents, "users"))
    problems = [
        entry.problem(message, *sub)
        for entry in users
        for sub, message in profile.user_problems(entry.data)
    ]
    for index, sub, message in profile.users_problems([entry.data for entry in users]):
        problems.append(users[index].problem(message, *sub))
    return problems
