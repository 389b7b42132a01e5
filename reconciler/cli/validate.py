"""scimctl validate: schema and semantic checks of the desired state, offline."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.options import DEFAULT_DIR, Dir, OfflineVerbose, ProfileName, TargetName
from reconciler.cli.output import err, out, setup_logging
from reconciler.config import Target, load_targets, select_target
from reconciler.desired import load_desired
from reconciler.render.text import plural
from reconciler.scim.profiles import get_profile
from reconciler.session import check_removal_policy


def validate(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    verbose: OfflineVerbose = False,
) -> None:
    """Check the desired state: every problem as file:line:column, exit 1 if any.

    Checks the JSON Schema, duplicate keys and names (case-insensitively, across
    files), members and managers that are no defined user, secrets, and what the
    target's provider profile would refuse (or --profile's).

    Examples:

      scimctl validate

      scimctl validate --dir org/ --profile aws-identity-center
    """
    setup_logging(verbose)
    profiles = [get_profile(name) for name in _profile_names(directory, target, profile)]
    for each in _targets(directory, target):
        check_removal_policy(each, get_profile(profile or each.profile))
    desired = load_desired(directory, profiles)
    org = desired.org
    files = desired.files
    names = ", ".join(p.name for p in profiles)
    out.print(
        f"{directory}: {plural(len(org.users), 'user')} and {plural(len(org.groups), 'group')} "
        f"in {plural(files, 'file')} "
        f"are valid (profile {names})."
    )
    if not org.users and not org.groups:
        # Valid, but applied it would remove every managed user and group: say so early.
        err.print(
            "Warning: the desired state has no users and no groups; a plan from it would "
            "remove every managed one (refused without --force)."
        )


def _targets(directory: Path, target: str | None) -> list[Target]:
    targets = load_targets(directory)
    if target is not None:
        return [select_target(targets, target)]
    return list(targets.values())


def _profile_names(directory: Path, target: str | None, profile: str | None) -> list[str]:
    """--profile, else the chosen target's, else every target's profile."""
    if profile:
        return [profile]
    targets = load_targets(directory)
    if target is not None:
        return [select_target(targets, target).profile]
    return sorted({t.profile for t in targets.values()}) or ["generic"]
