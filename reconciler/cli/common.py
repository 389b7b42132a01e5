"""Glue shared by the commands that talk to a server."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from reconciler.cli.output import err, out
from reconciler.config import Target, load_targets, profile_name
from reconciler.desired import DesiredState, load_desired
from reconciler.errors import InputError, ReconcileError, ScimError
from reconciler.escaping import printable
from reconciler.plan.model import Plan
from reconciler.plan.saved import read_plan
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text
from reconciler.scim.profiles import get_profile
from reconciler.session import Tls, choose_target

FORMATS = ("text", "json", "markdown")


def prepare(
    directory: Path,
    target: str | None,
    fmt: str = "text",
    *,
    all_targets: bool = False,
    profile: str | None = None,
    config: Path | None = None,
) -> tuple[DesiredState, list[Target]]:
    """Validate everything local (format, targets, desired state) before any request.

    ``config``: the directory whose targets.yaml to use (default ``directory``)."""
    config = directory if config is None else config
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    if all_targets:
        if target is not None:
            raise InputError("--target and --all-targets exclude each other")
        targets = list(load_targets(config).values())
        if not targets:
            raise InputError(f"--all-targets: {config}/targets.yaml defines no target")
    else:
        targets = [choose_target(config, target)]
    names = {profile_name(t, os.environ, profile) for t in targets}
    return load_desired(directory, [get_profile(n) for n in sorted(names)]), targets


def each_target(targets: list[Target], run: Callable[[Target], int]) -> int:
    """Run a command on every target in turn; one failing target does not stop the others.

    Returns the worst exit code: an error (1) over a refusal (3) over changes (2).
    """
    if len(targets) == 1:
        with naming_the_url(targets[0]):
            return run(targets[0])
    codes = []
    for target in targets:
        out.print(f"\n=== target {target.name} ===", style="bold")
        try:
            with naming_the_url(target):
                codes.append(run(target))
        except ReconcileError as error:
            err.print(f"Error (target {target.name}): {error}", style="red", markup=False)
            codes.append(error.exit_code)
    return worst(codes)


def worst(codes: list[int]) -> int:
    for code in (1, 3, 2):
        if code in codes:
            return code
    return max(codes, default=0)


def per_target(path: Path | None, target: Target, many: bool) -> Path | None:
    """``--out``-style paths: with several targets, ``{target}`` in the path names each."""
    if path is None or not many:
        return path
    if "{target}" not in str(path):
        raise InputError(f"{path}: with --all-targets, put {{target}} in the file name")
    return Path(str(path).replace("{target}", target.name))


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


def url_origin(target: Target, env: Mapping[str, str] | None = None) -> str:
    """Where the URL of a run comes from, as a user would go and fix it."""
    if (os.environ if env is None else env).get("SCIM_URL"):
        return "SCIM_URL"
    return f"the url of target {target.name!r} in targets.yaml"


def headline(target: Target, env: Mapping[str, str] | None = None) -> str:
    """``Target aws: https://… (url from targets.yaml)``: the server a run is for.

    Printed before the first request, so that a failure to connect has its URL above
    it. Only scheme, host, port and path are shown: never a user name or password.
    Empty when no URL is given at all (the connection's own error says so)."""
    environ = os.environ if env is None else env
    if not (environ.get("SCIM_URL") or target.url):
        return ""
    origin = url_origin(target, environ)
    where = "from SCIM_URL" if origin == "SCIM_URL" else "url from targets.yaml"
    shown = _shown_url(environ.get("SCIM_URL") or target.url)
    return f"Target {printable(target.name)}: {shown} ({where})"


def _shown_url(raw: str | None) -> str:
    try:
        parts = urlsplit((raw or "").strip())
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(not a valid URL)"
    if not parts.hostname:
        return "(not a valid URL)"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return printable(urlunsplit((parts.scheme, host + port, parts.path.rstrip("/"), "", "")))


@contextmanager
def naming_the_url(target: Target) -> Iterator[None]:
    """A server error that tells the user to check SCIM_URL names the target's url in
    targets.yaml instead, when that is where the URL came from."""
    try:
        yield
    except ScimError as error:
        origin = url_origin(target)
        if origin != "SCIM_URL":
            error.args = tuple(_renamed(a, origin) for a in error.args)
        raise


def _renamed(text: object, origin: str) -> object:
    if not isinstance(text, str):
        return text
    return text.replace("the SCIM_URL path", f"the path of {origin}").replace("SCIM_URL", origin)


def read_saved_plan(path: Path) -> Plan:
    """``read_plan``, with a file nested too deeply for the JSON parser (``[[[[…``, a
    hostile or broken file) refused like any other file that is not a plan."""
    try:
        return read_plan(path)
    except RecursionError:
        raise InputError(
            f"{printable(str(path))}: not a plan file (nested too deeply to read; a plan "
            "file is a few levels deep: write one with `scimctl plan --out`)"
        ) from None
