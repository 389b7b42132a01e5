"""How the pipeline's steps (``python -m reconciler.github.<step>``) start and end."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from reconciler.errors import InputError, ReconcileError
from reconciler.escaping import printable

Step = Callable[[Sequence[str], Mapping[str, str]], int]


def run_step(step: Step) -> NoReturn:
    """Run ``step`` on this process's arguments and environment, and exit with its code;
    one of our errors is a line on stderr (escaped: it may quote GitHub's text) and its
    exit code, never a traceback."""
    try:
        code = step(sys.argv[1:], os.environ)
    except ReconcileError as error:
        print(f"Error: {printable(str(error))}", file=sys.stderr)
        code = error.exit_code
    sys.exit(code)


def default_branch(env: Mapping[str, str]) -> str:
    """The repository's default branch, as the event that started this run names it."""
    try:
        event = json.loads(Path(env.get("GITHUB_EVENT_PATH", "")).read_text())
        branch = event["repository"]["default_branch"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError("GITHUB_EVENT_PATH holds no event with the default branch") from None
    if not isinstance(branch, str) or not branch:
        raise InputError("the event names no default branch")
    return branch
