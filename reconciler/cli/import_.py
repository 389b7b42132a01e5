"""scimctl import: write desired-state YAML from what the server has today."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli import common
from reconciler.cli.options import CaBundle, Insecure, ProfileName, TargetName, Verbose
from reconciler.cli.output import err, out, setup_logging
from reconciler.errors import InputError
from reconciler.importer import Selection, groups_document, select, users_document
from reconciler.session import choose_target, open_session

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


def _schema_ref(out_dir: Path) -> str | None:
    """The desired-state schema relative to ``out_dir``, if a repo above it has one."""
    here = out_dir.resolve()
    for parent in (here, *here.parents):
        schema = parent / "schemas" / "desired-state.schema.json"
        if schema.is_file():
            return os.path.relpath(schema, here)
    return None


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
) -> None:
    """Write desired-state YAML (users.yaml, groups.yaml) from the live server.

    Sorted and stable, so that `scimctl plan` right after reports no changes for
    managed resources. Unmanaged resources are written too (unless --managed):
    plan shows them as conflicts until `apply --adopt` takes them over.

    Examples:

      scimctl import --out desired-state/

      scimctl import --out imported/ --group engineering --group platform
    """
    setup_logging(verbose)
    files = [out_dir / "users.yaml", out_dir / "groups.yaml"]
    existing = [f for f in files if f.exists()]
    if existing and not force:
        raise InputError(f"{existing[0]} exists: pass --force to overwrite it")
    chosen = choose_target(directory or out_dir, target)
    selection = Selection(managed, frozenset(g.casefold() for g in group or ()))
    with open_session(chosen, profile=profile, tls=common.tls(ca_bundle, insecure)) as session:
        live = session.read()
    org = select(live.org, selection)
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = _schema_ref(out_dir)
    files[0].write_text(users_document(org, schema))
    files[1].write_text(groups_document(org, schema))
    unmanaged = sum(1 for u in org.users if not u.managed) + sum(
        1 for g in org.groups if not g.managed
    )
    out.print(f"Wrote {len(org.users)} users and {len(org.groups)} groups to {out_dir}/.")
    if unmanaged:
        err.print(
            f"{unmanaged} of them are unmanaged: plan shows them as conflicts until "
            "`scimctl apply --adopt` writes the ownership marker."
        )
