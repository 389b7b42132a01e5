"""Glue shared by the commands that talk to a server."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.cli.output import err
from reconciler.config import Target
from reconciler.desired import DesiredState, load_desired
from reconciler.errors import InputError
from reconciler.plan.model import Plan
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text
from reconciler.session import Tls, choose_target

FORMATS = ("text", "json", "markdown")


def prepare(directory: Path, target: str | None, fmt: str = "text") -> tuple[DesiredState, Target]:
    """Validate everything local before any request is sent."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    chosen = choose_target(directory, target)
    return load_desired(directory), chosen


def tls(ca_bundle: Path | None, insecure: bool) -> Tls:
    if insecure:
        err.print(
            "WARNING: --insecure: TLS certificates are NOT verified. Anyone on the path can "
            "read the token and change what the server answers. Use --ca-bundle instead.",
            style="bold red",
        )
    if ca_bundle is not None and not ca_bundle.is_file():
        raise InputError(f"--ca-bundle {ca_bundle}: no such file")
    return Tls(ca_bundle=ca_bundle, insecure=insecure)


def render_plan(plan: Plan, fmt: str, source: str) -> str:
    if fmt == "json":
        return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return plan_markdown(plan, source)
    return plan_text(plan, source).plain


def source_name(directory: Path) -> str:
    return f"{directory.as_posix().rstrip('/')}/"
