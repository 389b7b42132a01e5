"""Reading the desired state: YAML files → validated documents → the canonical ``Org``.

``load_desired(directory)`` finds every ``*.yaml`` / ``*.yml`` file below the
directory (``targets.yaml`` at its top is configuration, not desired state), loads
each with line marks, validates it against ``schemas/desired-state.schema.json``,
checks what spans files (uniqueness, member references, identifiers that read
differently from what would be stored), and only then builds the model. Every
problem of every file is counted in one ``ValidationFailed``; the first hundred by
place are listed. Links that lead outside the directory are refused, never read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, partial
from pathlib import Path

from reconciler.collector import collector_paused
from reconciler.desired.build import build_org
from reconciler.desired.profile_check import profile_problems
from reconciler.desired.schema import iter_schema_problems
from reconciler.desired.semantic import Unread, expired_members, semantic_problems
from reconciler.desired.yamlfile import DEFAULT_MAX_BYTES, YamlDocument, load_many
from reconciler.desired.yamlrecover import unread_names
from reconciler.errors import InputError, Problem, ProblemLog
from reconciler.escaping import printable
from reconciler.identity import fold
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
    warnings: tuple[Problem, ...] = ()
    """What is valid but worth saying, at its place (a membership whose ``until`` passed)."""

    @cached_property
    def digest(self) -> str:
        """A digest of the canonical desired state (formatting and comments do not count)."""
        return org_digest(self.org)


def desired_files(directory: Path) -> list[Path]:
    """The desired-state files of a directory, sorted (links leaving it included: see
    ``outside_link``)."""
    return _walk(directory)[0]


def _walk(directory: Path) -> tuple[list[Path], list[Path]]:
    """The desired-state files (and links named like one) and the linked folders below
    ``directory`` (never walked into), each sorted."""
    if not directory.is_dir():
        raise InputError(
            f"{printable(str(directory))}: no such directory (give the desired state with --dir)"
        )
    files, folders = [], []
    for path in directory.rglob("*"):
        if path.suffix in (".yaml", ".yml") and (path.is_file() or path.is_symlink()):
            if path != directory / CONFIG_FILE:
                files.append(path)
        elif path.is_symlink() and path.is_dir():
            folders.append(path)
    return sorted(files), sorted(folders)


def outside_link(path: Path, root: Path) -> Problem | None:
    """A problem when ``path`` is a link that resolves outside ``root`` (already resolved).

    Such a file is never opened: its content could be anything on the machine (a
    credentials file), and a YAML error would quote it. The message names the link only.
    """
    try:
        inside = path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links
        inside = False
    if inside:
        return None
    if path.is_dir():
        message = (
            "is a symbolic link to a folder outside the desired-state directory; its files "
            "were not read: put the folder itself in the directory"
        )
    else:
        message = (
            "is a symbolic link that leads outside the desired-state directory; it was not "
            "read: put the file itself in the directory"
        )
    return Problem(display_path(path), 1, 1, message)


def load_documents(directory: Path) -> tuple[list[YamlDocument], ProblemLog, set[str], Unread]:
    """Load and schema-check every file that can be read: the documents, every problem
    found, the paths of the documents that break the schema, and what the files that
    could not be read at all may define."""
    root = directory.resolve()
    log = ProblemLog()
    invalid: set[str] = set()
    paths = []
    files, folders = _walk(directory)
    for folder in folders:  # never walked into; one that leads outside is named
        refused = outside_link(folder, root)
        if refused is not None:
            log.add(refused)
    for path in files:
        refused = outside_link(path, root)
        if refused is not None:
            log.add(refused)
        elif path.is_file():
            paths.append(path)
    docs: list[YamlDocument] = []
    unread = Unread()
    check = partial(iter_schema_problems, name="desired-state")
    loaded = load_many(paths, [display_path(p) for p in paths], check=check)
    for path, result in zip(paths, loaded, strict=True):
        if isinstance(result, ProblemLog):
            log.merge(result)
            unread = _unread(path, unread, log)
            continue
        log.merge(result.problems)
        if result.data is not None:
            docs.append(result)
            if not result.schema_valid:
                invalid.add(result.path)
    return docs, log, invalid, unread


def _unread(path: Path, before: Unread, log: ProblemLog) -> Unread:
    """``before`` and what a file that could not be read may define, as its text tells,
    with a problem at its top saying that what names it is checked once it reads."""
    try:
        big = path.stat().st_size > DEFAULT_MAX_BYTES
        text = None if big else path.read_bytes().decode("utf-8", "replace")
    except OSError:
        text = None
    if text is None:
        message = (
            "nothing in this file could be read, so members and managers elsewhere that name "
            "no user of the other files are checked once it reads"
        )
        log.add(Problem(display_path(path), 1, 1, message))
        return Unread(before.names, True)
    names = unread_names(text)
    if not names:
        return before
    listed = ", ".join(repr(name) for name in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    message = (
        f"nothing in this file could be read, so what names {listed}{more} elsewhere is "
        "checked once it reads"
    )
    log.add(Problem(display_path(path), 1, 1, message))
    return Unread(before.names | {fold(name) for name in names}, before.anything)


def load_desired(directory: Path, profiles: Sequence[Profile] = ()) -> DesiredState:
    """The validated desired state of ``directory``, also checked against ``profiles``
    (what each target's server would refuse), every problem at its place.

    One pass over what can be read: reading, schema, cross-file and profile checks all
    run, so a duplicate key does not hide a ``password:`` in the same file, nor a type
    error a duplicate userName elsewhere. ``ValidationFailed`` lists the first
    ``SHOWN`` problems by place and counts them all.
    """
    with collector_paused():
        docs, log, invalid, unread = load_documents(directory)
        log.extend(semantic_problems(docs, unread))
        for profile in profiles:
            log.extend(profile_problems(docs, profile, invalid))
        log.raise_if_any()
        warnings = tuple(expired_members(docs, datetime.now(UTC)))
        return DesiredState(directory, build_org(docs), len(docs), warnings)


def display_path(path: Path) -> str:
    """A path as users want to see it in messages: relative to the working directory."""
    try:
        shown = str(path.absolute().relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    # A problem line starts with the file's name: never with '::' (a workflow command in
    # a GitHub Actions log) or '-'.
    return shown if shown[:1].isalnum() or shown[:1] in "/._" else os.path.join(".", shown)


def org_digest(org: Org) -> str:
    users = sorted(
        (u.key or "", u.user_name, {k: plain(v) for k, v in u.attrs.items()}, dict(u.custom))
        for u in org.users
    )
    groups = sorted(
        (g.key or "", g.display_name, sorted(g.members), g.membership, dict(g.until))
        for g in org.groups
    )
    text = json.dumps([users, groups], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
