"""The ``scimctl`` application: commands registered here, errors mapped to exit codes."""

from __future__ import annotations

import inspect
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Annotated, Any

import typer

from reconciler import __version__
from reconciler.cli import (
    access_review,
    apply,
    check,
    drift,
    import_,
    plan,
    sandbox,
    show,
    validate,
)
from reconciler.cli.output import echo, err, tolerate_narrow_encodings
from reconciler.cli.termination import INTERRUPTED, Terminated, stopping_like_ctrl_c
from reconciler.errors import ReconcileError, ValidationFailed
from reconciler.scim.redaction import forget_output_tokens

app = typer.Typer(
    name="scimctl",
    help="Users and groups as code: plan and apply YAML desired state against SCIM 2.0 servers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # click wraps help at 80 columns whatever the terminal; use a wide one when there is one.
    context_settings={"max_content_width": 120},
)


def _version(value: bool) -> None:
    if value:
        echo(f"scimctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Exit codes: 0 success or no changes, 1 error, 2 changes present (plan
    --detailed-exitcode, drift), 3 refused by a safety rule or left in conflict,
    130 interrupted (Ctrl-C), 143 stopped by SIGTERM, 129 by SIGHUP."""


EXAMPLES = "Examples:"
NO_WRAP = "\b"
"""click's mark for a paragraph it must print as written, not rewrap."""


def examples_kept(doc: str | None) -> str:
    """The help text with each example paragraph marked not to be rewrapped: a wrapped
    example breaks mid-token (``--profile aws-identity-`` / ``center``) and copy-paste."""
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    kept, in_examples = [], False
    for paragraph in paragraphs:
        if in_examples:
            paragraph = f"{NO_WRAP}\n{paragraph}"
        in_examples = in_examples or paragraph.strip() == EXAMPLES
        kept.append(paragraph)
    return "\n\n".join(kept)


def _register(name: str, command: Callable[..., Any]) -> None:
    app.command(name, help=examples_kept(command.__doc__))(command)


_register("validate", validate.validate)
_register("plan", plan.plan)
_register("apply", apply.apply)
_register("show", show.show)
_register("drift", drift.drift)
_register("access-review", access_review.access_review)
_register("import", import_.import_)
_register("check", check.check)
_register("sandbox", sandbox.sandbox)


def _redacted_traceback(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """A bug's traceback, written through the console like everything else: its message
    may quote server data, which may hold the token."""
    err.print("".join(traceback.format_exception(kind, error, trace)), markup=False, end="")


def error_text(error: ReconcileError) -> str:
    """``Error: `` and the message; for validation, every problem line keeps the one
    ``file:line:column: message`` shape (problem matchers, grep) and the count that ends
    the list says it is an error."""
    if not isinstance(error, ValidationFailed):
        return f"Error: {error}"
    *problems, count = str(error).split("\n")
    return "\n".join([*problems, f"Error: {count}"])


def main() -> None:
    """Run the app; a ``ReconcileError`` prints its message (no traceback) and sets the code."""
    tolerate_narrow_encodings()
    forget_output_tokens()  # a run redacts its own tokens (tests run many in one process)
    try:
        with stopping_like_ctrl_c() as stop:
            code = app(standalone_mode=False)
    except ReconcileError as error:
        err.print(error_text(error), style="red", markup=False)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except KeyboardInterrupt as stopped:
        if isinstance(stopped, Terminated):
            err.print(f"Stopped by {stopped.name}.")
            sys.exit(128 + stopped.signum)
        err.print("Interrupted.")
        sys.exit(INTERRUPTED)
    except typer.TyperException as error:  # usage errors: exit 1, as 2 means "changes"
        show = getattr(error, "show", None)
        if show is not None:
            show()
        code = getattr(error, "exit_code", 1)
        sys.exit(1 if code == 2 else code)
    except Exception:  # a bug: the interpreter prints it, through our edge (typer set its own)
        sys.excepthook = _redacted_traceback
        raise
    if code == INTERRUPTED and stop.signum is not None:  # typer's code for a KeyboardInterrupt
        err.print(f"Stopped by {stop.name}.")
        sys.exit(stop.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
