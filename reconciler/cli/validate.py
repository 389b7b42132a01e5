"""scimctl validate: schema and semantic checks of the desired state, offline."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.cli.options import DEFAULT_DIR, Dir, OfflineVerbose, ProfileName, TargetName
from reconciler.cli.output import err, out, setup_logging
from reconciler.config import Target, load_targets, profile_name, select_target
from reconciler.desired import display_path, load_desired
from reconciler.escaping import printable
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
    files), members and managers that are no defined user, secrets, identifiers with
    hidden whitespace or invisible characters, links leaving --dir, and what the
    provider profile would refuse: --profile's, else SCIM_PROFILE's (when SCIM_URL is
    set), else each target's. At most 100 problems are listed; all are counted.

    Examples:

      scimctl validate

      scimctl validate --dir org/ --profile aws-identity-center
    """
    setup_logging(verbose)
    targets = _targets(directory, target)
    for each in targets:
        check_removal_policy(each, get_profile(profile_name(each, os.environ, profile)))
    names = sorted({profile_name(each, os.environ, profile) for each in targets})
    profiles = [get_profile(name) for name in names]
    desired = load_desired(directory, profiles)
    org = desired.org
    shown = printable(display_path(directory))
    out.print(
        f"{shown}: {plural(len(org.users), 'user')} and {plural(len(org.groups), 'group')} "
        f"in {plural(desired.files, 'file')} are valid (profile {', '.join(names)}).",
        markup=False,
    )
    for warning in desired.warnings:
        err.print(str(warning), markup=False)
    if not org.users and not org.groups:
        # Valid, but applied it would remove every managed user and group: say so early.
        err.print(
            "Warning: the desired state has no users and no groups; a plan from it would "
            "remove every managed one (refused without --force)."
        )


def _targets(directory: Path, target: str | None) -> list[Target]:
    """The chosen target, else every target, else the one the environment makes.

    Each is judged with the profile plan would use: --profile, else SCIM_PROFILE (when
    SCIM_URL is set), else the target's own.
    """
    targets = load_targets(directory)
    if target is not None or not targets:
        return [select_target(targets, target)]
    return list(targets.values())
