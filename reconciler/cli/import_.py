"""scimctl import: write desired-state YAML from what the server has today."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

import reconciler
from reconciler.cli import common
from reconciler.cli.options import (
    CaBundle,
    Concurrency,
    Insecure,
    ProfileName,
    Rate,
    TargetName,
    Verbose,
)
from reconciler.cli.output import err, exact, out, setup_logging
from reconciler.desired import CONFIG_FILE
from reconciler.escaping import printable
from reconciler.identity import fold
from reconciler.importer import (
    Selection,
    TargetEntry,
    groups_document,
    refuse_unsafe_output,
    select,
    targets_document,
    users_document,
    write_atomically,
)
from reconciler.render.text import plural
from reconciler.session import Pace, Session, choose_target, open_session

OutDir = Annotated[
    Path, typer.Option("--out", "-o", help="Directory to write users.yaml and groups.yaml into.")
]
Managed = Annotated[
    bool, typer.Option("--managed", help="Only resources that carry our ownership marker.")
]
GroupFilter = Annotated[
    list[str] | None,
    typer.Option("--group", help="Only this group and its members (repeatable)."),
]
Overwrite = Annotated[bool, typer.Option("--force", help="Overwrite existing files.")]
ConfigDir = Annotated[
    Path | None,
    typer.Option("--dir", "-d", help="Where targets.yaml is (for --target); default: --out."),
]


DOCUMENTS = (users_document, groups_document)
_HOLDS_TOKEN = (
    "nothing was written: what the server returned holds the token of this run. The "
    "desired state lives in git and never holds a token, and a copy with the token "
    "hidden would not be what the server holds; take the token out of the server's data "
    "(a short token, such as a sandbox's `example`, may be a word of the names: use a "
    "long random one)"
)


def _schema_ref(out_dir: Path, name: str = "desired-state") -> str | None:
    """Schema ``name`` for the ``$schema`` line: relative to ``out_dir`` when a folder
    above it has ``schemas/`` (a clone of this repository), else the copy installed with
    the package, so that imported files always start with the line editors read."""
    here = out_dir.resolve()
    for parent in (here, *here.parents):
        schema = parent / "schemas" / f"{name}.schema.json"
        if schema.is_file():
            return os.path.relpath(schema, here)
    installed = Path(reconciler.__file__).resolve().parent / "schemas" / f"{name}.schema.json"
    return str(installed.resolve()) if installed.is_file() else None


def _target_entry(session: Session) -> TargetEntry:
    """The target the run read from, as targets.yaml would name it."""
    connection = session.connection
    target = connection.target
    token_env = "SCIM_TOKEN" if os.environ.get("SCIM_TOKEN") else target.token_env
    return TargetEntry(target.name, connection.url, token_env, connection.profile, target.ca_bundle)


def import_(
    out_dir: OutDir,
    directory: ConfigDir = None,
    target: TargetName = None,
    profile: ProfileName = None,
    managed: Managed = False,
    group: GroupFilter = None,
    force: Overwrite = False,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
    rate: Rate = None,
    concurrency: Concurrency = None,
) -> None:
    """Write desired-state YAML (users.yaml, groups.yaml) from the live server.

    Sorted and stable, so that `scimctl plan` right after reports no changes for
    managed resources. Also writes targets.yaml naming the server it read (URL, the
    token's environment variable, profile; never the token) unless one is there.
    Files are written whole, then renamed into place; a symbolic link at an output
    path is refused, even with --force. Unmanaged resources are written too (unless --managed):
    plan shows them as conflicts until `apply --adopt` takes them over.

    Examples:

      scimctl import --out desired-state/

      scimctl import --out imported/ --group engineering --group platform
    """
    setup_logging(verbose)
    files = [out_dir / "users.yaml", out_dir / "groups.yaml"]
    targets_file = out_dir / CONFIG_FILE
    for path in files:
        refuse_unsafe_output(path, force)
    write_targets = not targets_file.exists() and not targets_file.is_symlink()
    chosen = choose_target(directory or out_dir, target)
    selection = Selection(managed, frozenset(fold(g) for g in group or ()))
    security, pace = common.tls(ca_bundle, insecure), Pace(rate, concurrency)
    if headline := common.headline(chosen):
        out.print(headline, markup=False)
    with (
        common.naming_the_url(chosen),
        open_session(chosen, profile=profile, tls=security, pace=pace) as session,
    ):
        live = session.read()
        entry = _target_entry(session)
    org = select(live.org, selection)
    if selection.groups:
        entry = replace(entry, scope=tuple(sorted((g.display_name for g in org.groups), key=fold)))
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = _schema_ref(out_dir)
    documents = [exact(document(org, schema), _HOLDS_TOKEN) for document in DOCUMENTS]
    for path, text in zip(files, documents, strict=True):
        write_atomically(path, text)
    if write_targets:
        write_atomically(targets_file, targets_document(entry, _schema_ref(out_dir, "targets")))
    unmanaged = sum(1 for u in org.users if not u.managed) + sum(
        1 for g in org.groups if not g.managed
    )
    shown = printable(str(out_dir))
    counted = f"{plural(len(org.users), 'user')} and {plural(len(org.groups), 'group')}"
    out.print(f"Wrote {counted} to {shown}/.", markup=False)
    if write_targets:
        out.print(
            f"Wrote target {entry.name!r} ({printable(entry.url)}, token from ${entry.token_env}, "
            f"profile {entry.profile}) to {printable(str(targets_file))}.",
            markup=False,
        )
    if entry.scope and not write_targets:
        err.print(
            f"{printable(str(targets_file))} was left as it is: give its target "
            f"`scope: {{groups: [{', '.join(printable(g) for g in entry.scope)}]}}`, or plan "
            "removes from the server everything else that carries the ownership marker."
        )
    if unmanaged:
        shown_as = "is unmanaged: plan shows it as a conflict"
        if unmanaged > 1:
            shown_as = "are unmanaged: plan shows them as conflicts"
        err.print(
            f"{unmanaged} of them {shown_as} until `scimctl apply --adopt` writes the "
            "ownership marker."
        )
