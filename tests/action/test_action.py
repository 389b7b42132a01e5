"""The composite action, run step by step as a runner would, against a real sandbox server.

Each test gets a simulated GitHub job (workspace, RUNNER_TEMP, a pull-request event, the
environment files) and a fresh tenant of the sandbox; ``install: none`` makes the action use
this checkout's ``scimctl`` instead of pip-installing it again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reconciler.render.markdown import marker
from tests.action.runner import ActionRun, Runner, parse_file_command
from tests.conftest import ROOT, TOKEN, Server

pytestmark = pytest.mark.integration

PULL_REQUEST = {
    "action": "synchronize",
    "number": 7,
    "pull_request": {
        "number": 7,
        "head": {"ref": "add-frances", "sha": "0" * 40, "repo": {"full_name": "example/identity"}},
        "base": {"ref": "main", "repo": {"full_name": "example/identity"}},
    },
    "repository": {"full_name": "example/identity", "default_branch": "main"},
}


@pytest.fixture
def runner(org: Path, tmp_path: Path) -> Runner:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    base = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    return Runner(ROOT, org.parent, temp, base, event=PULL_REQUEST)


def act(runner: Runner, server: Server, command: str, **inputs: str) -> ActionRun:
    return runner.run(
        {"command": command, "target": "sandbox", "install": "none", **inputs},
        env={"SCIM_URL": server.url, "SCIM_TOKEN": TOKEN},
    )


def test_plan_on_a_fresh_server_has_changes_and_does_not_fail(
    runner: Runner, generic_server: Server
) -> None:
    run = act(runner, generic_server, "plan")
    assert run.code == 0, run.log
    assert run.outputs["exit-code"] == "2"
    assert run.outputs["has-changes"] == "true"
    markdown = Path(run.outputs["markdown-path"]).read_text()
    assert markdown.splitlines()[0] == marker("sandbox")
    assert "**Plan: 21 to create, 0 to update, 0 to deactivate, 0 to delete;" in markdown
    assert markdown in run.summary
    plan = json.loads(Path(run.outputs["json-path"]).read_text())
    assert plan["target"] == "sandbox"
    assert plan["summary"]["create"] == 21
    assert Path(run.outputs["markdown-path"]).parent == runner.temp / "scim-reconciler"
    assert "+ create user ada.lovelace@example.com" in run.log
    assert TOKEN not in run.log + run.summary


def test_apply_then_plan_is_clean(runner: Runner, generic_server: Server) -> None:
    applied = act(runner, generic_server, "apply")
    assert applied.code == 0, applied.log
    assert applied.outputs["exit-code"] == "0"
    assert applied.outputs["has-changes"] == "true"
    assert "**Apply: 27 done, 0 failed, 0 skipped" in applied.summary
    report = json.loads(Path(applied.outputs["json-path"]).read_text())
    assert report["summary"]["ok"] == 27
    assert len(generic_server.users()) == 15

    again = act(runner, generic_server, "plan")
    assert again.code == 0, again.log
    assert again.outputs["exit-code"] == "0"
    assert again.outputs["has-changes"] == "false"
    assert "**No changes.**" in again.summary

    nothing = act(runner, generic_server, "apply")
    assert nothing.code == 0, nothing.log
    assert nothing.outputs["has-changes"] == "false"
    assert Path(nothing.outputs["markdown-path"]).is_file()


def test_refused_plan_fails_the_step_and_still_reports(
    runner: Runner, generic_server: Server, org: Path
) -> None:
    targets = yaml.safe_load((org / "targets.yaml").read_text())
    targets["targets"]["sandbox"]["policy"]["privileged_groups"] = ["aws-admins"]
    (org / "targets.yaml").write_text(yaml.safe_dump(targets))
    run = act(runner, generic_server, "plan")
    assert run.code == 3
    assert run.outputs["exit-code"] == "3"
    assert run.outputs["has-changes"] == "false"
    assert "🔒 **privileged**" in run.summary
    assert "::error::scimctl plan: refused by a safety rule (exit 3)" in run.log


def test_drift_found_is_an_output_not_a_failure(runner: Runner, generic_server: Server) -> None:
    assert act(runner, generic_server, "apply").code == 0
    alan = generic_server.user("alan.turing@example.com")
    generic_server.http.patch(
        f"/Users/{alan['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Changed by hand"}],
        },
    ).raise_for_status()
    run = act(runner, generic_server, "drift")
    assert run.code == 0, run.log
    assert run.outputs["exit-code"] == "2"
    assert run.outputs["has-changes"] == "true"
    assert "alan.turing@example.com" in Path(run.outputs["markdown-path"]).read_text()
    assert json.loads(Path(run.outputs["json-path"]).read_text())["target"] == "sandbox"


def test_validate_failure_fails_the_step_with_the_problems_in_the_summary(
    runner: Runner, org: Path, generic_server: Server
) -> None:
    (org / "users" / "broken.yaml").write_text(
        "users:\n  - userName: x@example.com\n    titel: X\n"
    )
    run = act(runner, generic_server, "validate")
    assert run.code == 1
    assert run.outputs["exit-code"] == "1"
    assert run.outputs["json-path"] == ""
    assert "### scimctl validate: failed (exit 1)" in run.summary
    assert "titel" in run.summary
    assert "::error file=desired-state/users/broken.yaml,line=3,col=5::" in run.log


def test_a_bad_token_fails_with_the_error_and_the_marker_for_the_comment(
    runner: Runner, generic_server: Server
) -> None:
    run = runner.run(
        {"command": "plan", "target": "sandbox", "install": "none"},
        env={"SCIM_URL": generic_server.url, "SCIM_TOKEN": "wrong-token-value"},
    )
    assert run.code == 1
    markdown = Path(run.outputs["markdown-path"]).read_text()
    assert markdown.splitlines()[0] == marker("sandbox")
    assert "### scimctl plan: failed (exit 1)" in markdown
    assert "wrong-token-value" not in run.log + run.summary


def test_extra_args_reach_scimctl(runner: Runner, generic_server: Server) -> None:
    run = act(runner, generic_server, "plan", args="--only user:ada.lovelace@example.com")
    assert run.outputs["exit-code"] == "2", run.log
    plan = json.loads(Path(run.outputs["json-path"]).read_text())
    assert [c["name"] for c in plan["changes"]] == ["ada.lovelace@example.com"]


def test_unknown_command_fails(runner: Runner, generic_server: Server) -> None:
    run = act(runner, generic_server, "destroy")
    assert run.code == 1
    assert "::error::unknown command 'destroy'" in run.log


def test_install_none_needs_scimctl_on_path(runner: Runner, generic_server: Server) -> None:
    runner.env["PATH"] = "/usr/bin:/bin"
    run = act(runner, generic_server, "plan")
    assert run.code == 1
    assert "there is no scimctl on PATH" in run.log
    assert run.outputs["exit-code"] == ""  # the run step never ran


def test_install_puts_this_checkouts_scimctl_on_path(runner: Runner, tmp_path: Path) -> None:
    """The default install: a virtualenv in RUNNER_TEMP, pip install of the action's path."""
    env = {**runner.env, "RUNNER_TEMP": str(runner.temp), "GITHUB_ACTION_PATH": str(ROOT)}
    env["GITHUB_PATH"] = str(tmp_path / "github_path")
    done = subprocess.run(
        ["bash", str(ROOT / ".github/action/install.sh")],
        env={**env, "ACTION_INSTALL": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (added,) = Path(env["GITHUB_PATH"]).read_text().splitlines()
    assert added == str(runner.temp / "scim-reconciler-venv" / "bin")
    version = subprocess.run([f"{added}/scimctl", "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("scimctl ")


def test_setup_python_runs_only_when_asked() -> None:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    (setup,) = [s for s in spec["runs"]["steps"] if "uses" in s]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["if"] == "${{ inputs.python-version != '' }}"


def test_marker_in_bash_matches_the_renderer() -> None:
    script = (ROOT / ".github" / "action" / "run.sh").read_text()
    function = script[script.index("marker() {") : script.index("\n}\n") + 3]
    for name in ("aws", "eu-prod", "a--b", "a---b", "é x/y", "a-->b <x>", "prod.eu_1~"):
        done = subprocess.run(
            ["bash", "-c", f'{function}\nmarker "$1" plan', "_", name],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout == marker(name), name


def test_parse_file_command_reads_both_forms() -> None:
    assert parse_file_command("a=1\nb<<EOF\nx\ny\nEOF\nc=x=y\n") == {
        "a": "1",
        "b": "x\ny",
        "c": "x=y",
    }
