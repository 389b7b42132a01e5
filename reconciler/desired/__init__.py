"""Reading the desired state: YAML files → validated documents → the canonical ``Org``.

``load_desired(directory)`` finds every ``*.yaml`` / ``*.yml`` file below the
directory (``targets.yaml`` at its top is configuration, not desired state), loads
each with line marks, validates it against ``schemas/desired-state.schema.json``,
checks what spans files (uniqueness, member references), and only then builds the
model. Every problem of every file is reported in one ``ValidationFailed``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from reconciler.collector import collector_paused
from reconciler.desired.build import build_org
from reconciler.desired.profile_check import profile_problems
from reconciler.desired.schema import schema_problems
from reconciler.desired.semantic import semantic_problems
from reconciler.desired.yamlfile import YamlDocument, load_many
from reconciler.errors import InputError, Problem, ValidationFailed
from reconciler.model import Org, plain
from reconciler.scim.profiles import Profile

CONFIG_FILE = "targets.yaml"


@dataclass(frozen=True)
class DesiredState:
    """The validated desired state of one directory."""

    directory: Path
    org: Org
    files: int
    """How many files it was read from. The parsed documents themselves are not kept:
    at 100,000 users they weigh more than the model."""

    @cached_property
    def digest(self) -> str:
        """A digest of the canonical desired state (formatting and comments do not count)."""
        return org_digest(self.org)


def desired_files(directory: Path) -> list[Path]:
    """The desired-state files of a directory, sorted."""
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory (give the desired state with --dir)")
    found = [
        p
        for p in directory.rglob("*")
        if p.suffix in (".yaml", ".yml") and p.is_file() and p != directory / CONFIG_FILE
    ]
    return sorted(found)


def load_documents(directory: Path) -> list[YamlDocument]:
    """Load and schema-check every file; raise ``ValidationFailed`` with all problems."""
    paths = desired_files(directory)
    problems: list[Problem] = []
    docs: list[YamlDocument] = []
    for result in load_many(paths, [display_path(p) for p in paths]):
        if isinstance(result, list):
            problems += result
        elif result.data is not None:
            problems += schema_problems(result, "desired-state")
            docs.append(result)
    if problems:
        raise ValidationFailed(problems)
    return docs


def load_desired(directory: Path, profiles: Sequence[Profile] = ()) -> DesiredState:
    """The validated desired state of ``directory``, also checked against ``profiles``
    (what each target's server would refuse), every problem at its place."""
    docs = load_documents(directory)
    with collector_paused():
        problems = semantic_problems(docs)
        for profile in profiles:
            problems += profile_problems(docs, profile)
        if problems:
            raise ValidationFailed(problems)
        return DesiredState(directory, build_org(docs), len(docs))


def display_path(path: Path) -> str:
    """A path as users want to see it in messages: relative to the working directory."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def org_digest(org: Org) -> str:
    users = sorted(
        (u.key or "", u.user_name, {k: plain(v) for k, v in u.attrs.items()}, dict(u.custom))
        for u in org.users
    )
    groups = sorted(
        (g.key or "", g.display_name, sorted(g.members), g.membership) for g in org.groups
    )
    text = json.dumps([users, groups], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
