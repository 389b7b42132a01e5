"""scimctl sandbox: a local SCIM server to rehearse against (the scim2-server package)."""

from __future__ import annotations

import secrets
import shlex
from typing import Annotated

import typer

from reconciler.cli.output import err, out
from reconciler.errors import InputError
from reconciler.lastseen import forget

SANDBOX_PROFILES = ("generic", "aws-identity-center")


def sandbox(
    port: Annotated[int, typer.Option("--port", "-p", help="Port on 127.0.0.1.")] = 8080,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Bearer token to accept; a random one is printed if unset."),
    ] = None,
    profile: Annotated[
        str,
        typer.Option(
            "--profile", help="generic, or aws-identity-center to behave as AWS documents."
        ),
    ] = "generic",
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="Answer 429 beyond this many requests per second."),
    ] = None,
    legacy_paging: Annotated[
        bool,
        typer.Option(
            "--legacy-paging", help="AWS profile: the older, unpaged listing capped at 50."
        ),
    ] = False,
) -> None:
    """Serve an in-memory SCIM 2.0 server on 127.0.0.1 until Ctrl-C.

    With --profile aws-identity-center it follows AWS IAM Identity Center's
    published SCIM documentation (cursor paging, no members on GET /Groups,
    100 member changes per PATCH, …): a rehearsal of AWS's documents, not AWS.

    Examples:

      scimctl sandbox --port 8080 --token dev-token

      scimctl sandbox --profile aws-identity-center --rate 20
    """
    if profile not in SANDBOX_PROFILES:
        raise InputError(f"the sandbox serves {' or '.join(SANDBOX_PROFILES)}, not {profile!r}")
    try:
        from reconciler.sandbox.server import make_app, serve_forever
    except ImportError as error:
        raise InputError(str(error)) from None
    chosen = token or secrets.token_urlsafe(24)
    app = make_app(chosen, profile, rate=rate, legacy_paging=legacy_paging)

    def ready(base: str) -> None:
        forget(_spellings(base))  # it starts empty: the last-seen guard must not trip
        # The sandbox's token is a throwaway the user typed or we drew: print it pasteable.
        out.print(f"export SCIM_URL={base}/v2", markup=False)
        out.print(f"export SCIM_TOKEN={shlex.quote(chosen)}", markup=False)
        out.print(f"export SCIM_PROFILE={profile}", markup=False)
        err.print(f"Serving the SCIM sandbox (profile {profile}) on {base}/v2 (Ctrl-C stops it).")

    try:
        serve_forever(app, "127.0.0.1", port, ready=ready)
    except OSError as error:
        raise InputError(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}); choose another with --port"
        ) from None


def _spellings(base: str) -> list[str]:
    """The URLs a client may use for this sandbox (``/v2`` is optional, localhost works)."""
    bases = [base, base.replace("://127.0.0.1:", "://localhost:")]
    return [url for b in bases for url in (b, f"{b}/v2")]
