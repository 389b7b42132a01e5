"""scimctl show: render a saved plan, with no server and no desired state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli import common
from reconciler.cli.options import Format
from reconciler.cli.output import echo, err, out
from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.render.managers import readable
from reconciler.render.text import plan_text

SavedPlan = Annotated[
    Path,
    typer.Argument(help="A plan saved with `scimctl plan --out`.", metavar="PLANFILE"),
]
SOURCE = "the desired state it was made from"


def show(plan_file: SavedPlan, fmt: Format = "text") -> None:
    """Show a saved plan as text, Markdown or JSON; no server is contacted.

    The file is read as untrusted input: what it holds is printed escaped, and
    `apply PLANFILE` checks it again against the server and today's policy.

    Examples:

      scimctl show plan.json

      scimctl show plan.json --format markdown > plan.md
    """
    if fmt not in common.FORMATS:
        raise InputError(f"unknown format {fmt!r} (use {', '.join(common.FORMATS)})")
    saved = common.read_saved_plan(plan_file)
    shown = readable(saved, saved.user_names)  # managers by userName, as plan showed them
    where = f"Saved plan {printable(str(plan_file))} for target {printable(saved.target)}"
    if fmt == "text":
        out.print(where, markup=False)
        out.print(plan_text(shown, SOURCE), end="")
    else:
        err.print(where, markup=False)
        echo(common.render_plan(saved if fmt == "json" else shown, fmt, SOURCE))
