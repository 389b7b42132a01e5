"""What a test needs from the machine: skipped on a developer's machine that lacks it,
a failure in CI (``CI=true``), where ``.ci/run`` installs it, so that CI never passes
by skipping the tests that need a tool."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def lacking(what: str) -> NoReturn:
    """Skip for ``what`` is missing; in CI, fail: CI must have it."""
    if IN_CI:
        pytest.fail(f"{what}; CI must have it (.ci/run installs it)", pytrace=False)
    pytest.skip(what)


def tool(name: str, install: str, path: str | None = None) -> str:
    """The path of command ``name``, or skip (fail in CI) saying how to install it."""
    found = shutil.which(name, path=path)
    if found is None:
        lacking(f"{name} is not installed ({install})")
    return found
