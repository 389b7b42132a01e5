"""The ``scimctl`` application: commands registered here, errors mapped to exit codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from reconciler import __version__
from reconciler.cli import apply, check, drift, import_, plan, sandbox, validate
from reconciler.cli.output import err, tolerate_narrow_encodings
from reconciler.errors import ReconcileError

app = typer.Typer(
    name="scimctl",
    help="Users and groups as code: plan and apply YAML desired state against SCIM 2.0 servers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scimctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Exit codes: 0 success or no changes, 1 error, 2 changes present (plan
    --detailed-exitcode, drift), 3 refused by a safety rule."""


app.command("validate")(validate.validate)
app.command("plan")(plan.plan)
app.command("apply")(apply.apply)
app.command("drift")(drift.drift)
app.command("import")(import_.import_)
app.command("check")(check.check)
app.command("sandbox")(sandbox.sandbox)


def main() -> None:
    """Run the app; a ``ReconcileError`` prints its message (no traceback) and sets the code."""
    tolerate_narrow_encodings()
    try:
        code = app(standalone_mode=False)
    except ReconcileError as error:
        err.print(f"Error: {error}", style="red", markup=False)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)
    except typer.TyperException as error:  # usage errors: exit 1, as 2 means "changes"
        show = getattr(error, "show", None)
        if show is not None:
            show()
        code = getattr(error, "exit_code", 1)
        sys.exit(1 if code == 2 else code)
    sys.exit(code if isinstance(code, int) else 0)
