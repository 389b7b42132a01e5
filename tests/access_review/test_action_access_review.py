"""The composite action's ``access-review`` command, run as a runner would (the quarterly
workflow's step): Markdown, JSON and CSV under RUNNER_TEMP, the Markdown in the summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.access_review.fakegithub import ReviewedGitHub
from tests.access_review.test_access_review_cli import applied, build, pull_requests
from tests.action.runner import GITHUB_TOKEN, Runner
from tests.conftest import ROOT, TOKEN, Server
from tests.github.fakeapi import serving

pytestmark = pytest.mark.integration


def test_the_action_writes_the_review_for_the_artifact_and_the_summary(
    cli: Any, tmp_path: Path, generic_server: Server
) -> None:
    repo = build(tmp_path / "workspace")
    applied(cli, repo, generic_server)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    base = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    runner = Runner(ROOT, repo.root, temp, base, event={}, event_name="schedule")
    with serving(ReviewedGitHub(token=GITHUB_TOKEN)) as github:
        pull_requests(github, repo)
        env = {"SCIM_URL": generic_server.url, "SCIM_TOKEN": TOKEN, "GITHUB_API_URL": github.url}
        inputs = {"command": "access-review", "target": "sandbox", "install": "none"}
        run = runner.run(inputs, env=env)
    assert run.code == 0, run.log
    assert run.outputs["exit-code"] == "0" and run.outputs["has-changes"] == "false"
    out = temp / "scim-reconciler"
    markdown = (out / "access-review-sandbox.md").read_text(encoding="utf-8")
    assert run.outputs["markdown-path"] == str(out / "access-review-sandbox.md")
    assert "## Access review of <code>sandbox</code>" in markdown and markdown in run.summary
    report = json.loads((out / "access-review-sandbox.json").read_text(encoding="utf-8"))
    assert report["github"] == "example/identity" and report["commit"] == repo.commits[-1]
    (admins,) = [g for g in report["groups"] if g["group"] == "admins"]
    assert {m["grant"]["pull_request"]["number"] for m in admins["members"]} == {1, 2, 3}
    csv = (out / "access-review-sandbox.csv").read_text(encoding="utf-8")
    assert csv.startswith("group,privileged,member,")
    assert TOKEN not in run.log + run.summary and GITHUB_TOKEN not in run.log + run.summary
