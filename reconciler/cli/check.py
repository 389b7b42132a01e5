"""scimctl check: "save and test credentials" for a target."""

from __future__ import annotations

import typer
from rich.text import Text

from reconciler.checkup import Finding, check_server
from reconciler.cli import common
from reconciler.cli.options import (
    DEFAULT_DIR,
    CaBundle,
    Concurrency,
    Dir,
    Insecure,
    ProfileName,
    Rate,
    TargetName,
    Verbose,
)
from reconciler.cli.output import out, setup_logging
from reconciler.escaping import printable
from reconciler.session import Pace, choose_target, open_session

MARK = {True: ("ok", "green"), False: ("FAIL", "red"), None: ("info", "yellow")}


def check(
    directory: Dir = DEFAULT_DIR,
    target: TargetName = None,
    profile: ProfileName = None,
    verbose: Verbose = False,
    ca_bundle: CaBundle = None,
    insecure: Insecure = False,
    rate: Rate = None,
    concurrency: Concurrency = None,
) -> None:
    """Test the connection and the token, and show what the reconciler will use.

    Reads /ServiceProviderConfig, /ResourceTypes and /Schemas and prints the
    profile in use and where it was chosen, the paging style and size (proved by
    reading a second page of one user where there is one), PATCH, ETags, Bulk and
    filter support, and what it could not determine. Changes nothing. Exit 0 when
    the token and paging work, 1 otherwise (with the fix when the profile is wrong).

    Examples:

      scimctl check

      SCIM_URL=https://… SCIM_TOKEN=… scimctl check --profile aws-identity-center
    """
    setup_logging(verbose)
    chosen = choose_target(directory, target)
    security, pace = common.tls(ca_bundle, insecure), Pace(rate, concurrency)
    if headline := common.headline(chosen):  # before the first request: a failure has it above
        out.print(headline, markup=False, highlight=False)
    with (
        common.naming_the_url(chosen),
        open_session(chosen, profile=profile, tls=security, pace=pace) as session,
    ):
        source = session.connection.profile_source
        findings = list(check_server(session.client, session.caps, session.profile, source))
    for finding in findings:
        out.print(_line(finding))
    failed = any(f.ok is False for f in findings)
    out.print("Check failed." if failed else "Check passed: the reconciler can use this server.")
    raise typer.Exit(1 if failed else 0)


def _line(finding: Finding) -> Text:
    label, style = MARK[finding.ok]
    text = Text(f"  {label:<4}", style=style)
    text.append(f" {printable(finding.topic)}: {printable(finding.detail)}")
    return text
