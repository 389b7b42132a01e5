"""One version everywhere a user reads one: pyproject, the package, README, the action."""

from __future__ import annotations

import re
import tomllib

from reconciler import __version__
from tests.conftest import ROOT

# Every way the docs pin or show a version of the tool.
MENTIONS = re.compile(
    r"scim-reconciler==(?P<pin>\d+\.\d+\.\d+)"
    r"|scim-reconciler@v(?P<tag>\d+\.\d+\.\d+)"
    r"|@v(?P<git>\d+\.\d+\.\d+)'"
    r"|scimctl (?P<shown>\d+\.\d+\.\d+)"
    r"|scim-reconciler@[0-9a-f]{40} # v(?P<pinned>\d+\.\d+\.\d+)"
)
DOCS = (
    "README.md",
    "action.yml",
    "examples/github/scim-plan.yml",
    "examples/github/scim-apply.yml",
    "examples/github/scim-drift.yml",
)


def test_the_package_and_pyproject_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == __version__


def test_the_docs_name_the_same_version() -> None:
    found = []
    for name in DOCS:
        for match in MENTIONS.finditer((ROOT / name).read_text()):
            found.append((name, next(v for v in match.groups() if v)))
    assert found, "the docs no longer show a version: update this test's patterns"
    assert {version for _, version in found} == {__version__}, found
