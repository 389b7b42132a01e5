"""The rules the workflows must keep, checked on their YAML without any linter installed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return dict(data)


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    return dict(load(path)["jobs"])


def steps(path: Path) -> list[dict[str, Any]]:
    return [step for job in jobs(path).values() for step in job.get("steps", [])]


def uses_lines(path: Path) -> list[str]:
    found = re.findall(r"^\s*(?:- )?uses: (.+)$", path.read_text(), flags=re.MULTILINE)
    return [line.strip() for line in found]


@pytest.fixture(params=WORKFLOWS, ids=lambda p: p.name)
def workflow(request: pytest.FixtureRequest) -> Path:
    return Path(request.param)


def test_no_pull_request_target(workflow: Path) -> None:
    assert "pull_request_target" not in load(workflow)["on"]
    assert "pull_request_target" not in workflow.read_text()


def test_token_has_no_permission_but_what_each_job_names(workflow: Path) -> None:
    assert load(workflow)["permissions"] == {}
    for name, job in jobs(workflow).items():
        assert "permissions" in job, f"{workflow.name}: job {name} has no permissions"
        assert all(v in ("read", "write") for v in job["permissions"].values())
        assert "write-all" not in str(job["permissions"])


def test_every_action_is_pinned_to_a_commit_with_its_version(workflow: Path) -> None:
    for line in uses_lines(workflow):
        assert line == "./" or PINNED.match(line), f"{workflow.name}: not pinned: {line}"


def test_the_action_itself_pins_what_it_uses() -> None:
    for line in uses_lines(ROOT / "action.yml"):
        assert PINNED.match(line), line


def test_same_action_same_commit_everywhere() -> None:
    seen: dict[str, set[str]] = {}
    for path in [*WORKFLOWS, ROOT / "action.yml"]:
        for line in uses_lines(path):
            if line != "./":
                name, ref = line.split("@", 1)
                seen.setdefault(name, set()).add(ref)
    assert {name: refs for name, refs in seen.items() if len(refs) > 1} == {}


def test_checkout_keeps_no_credentials(workflow: Path) -> None:
    for step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_secrets_reach_steps_only_through_env(workflow: Path) -> None:
    for step in steps(workflow):
        assert "secrets." not in str(step.get("run", "")) + str(step.get("with", ""))
    text = workflow.read_text()
    assert "secrets[" not in text, "a computed secret name exposes every secret to the runner"


def test_no_expression_is_pasted_into_a_script(workflow: Path) -> None:
    for step in steps(workflow):
        assert "${{" not in str(step.get("run", "")), step
        assert "${{" not in str(step.get("with", {}).get("script", "")), step


def test_plan_comments_only_for_same_repository_pull_requests() -> None:
    plan = jobs(ROOT / ".github/workflows/plan.yml")
    assert "pull_request" in load(ROOT / ".github/workflows/plan.yml")["on"]
    assert "head.repo.full_name == github.repository" in plan["plan"]["if"]
    assert "validate" in plan and "permissions" in plan["validate"]
    assert plan["validate"]["permissions"] == {"contents": "read"}
    assert "secrets." not in str(plan["validate"])
    assert plan["plan"]["needs"] == "validate"


def test_fork_notice_never_runs_the_forks_code() -> None:
    notice = ROOT / ".github/workflows/fork-notice.yml"
    assert list(load(notice)["on"]) == ["workflow_run"]
    for step in steps(notice):
        assert "checkout" not in str(step.get("uses", ""))
        assert "download-artifact" not in str(step.get("uses", ""))
        assert "run" not in step
    assert "secrets." not in notice.read_text()


def test_apply_is_serialised_behind_the_environment() -> None:
    (apply,) = jobs(ROOT / ".github/workflows/apply.yml").values()
    assert apply["environment"] == "scim-production"
    assert apply["concurrency"] == {"group": "scim-apply-aws", "cancel-in-progress": False}
    assert "default_branch" in apply["if"]
    assert load(ROOT / ".github/workflows/apply.yml")["on"]["push"]["branches"] == ["main"]
    (step,) = [s for s in apply["steps"] if s.get("id") == "apply"]
    assert step["with"]["command"] == "apply"
    assert "continue-on-error" not in step  # a failed apply fails the job


def test_heal_shares_applys_group_and_environment() -> None:
    drift = jobs(ROOT / ".github/workflows/drift.yml")
    assert drift["heal"]["concurrency"]["group"] == "scim-apply-aws"
    assert drift["heal"]["environment"] == "scim-production"
    assert "inputs.heal" in drift["heal"]["if"]
    assert "drifted == 'true'" in drift["heal"]["if"]
    assert drift["issue"]["permissions"] == {"issues": "write"}
    assert "secrets." not in str(drift["issue"])


def test_drift_runs_on_a_schedule_and_by_hand() -> None:
    on = load(ROOT / ".github/workflows/drift.yml")["on"]
    assert on["schedule"] and on["workflow_dispatch"]["inputs"]["heal"]["type"] == "boolean"


def test_multi_target_runs_one_job_per_target_independently() -> None:
    for job in jobs(ROOT / ".github/workflows/multi-target.yml").values():
        assert job["strategy"]["fail-fast"] is False
        assert len(job["strategy"]["matrix"]["target"]) >= 2
        assert "${{ matrix.target }}" in job["concurrency"]["group"]
        assert "${{ matrix.target }}" in job["environment"]
