"""The rules the workflows must keep, checked on their YAML without any linter installed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.config import load_targets
from tests.conftest import EXAMPLE, ROOT

TEMPLATES = sorted((ROOT / "examples" / "github").glob("*.yml"))
OWN = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
WORKFLOWS = [*TEMPLATES, *OWN]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
ACTION = "scim-reconciler/scim-reconciler@"
TEMPLATE_PLAN = ROOT / "examples" / "github" / "scim-plan.yml"
TEMPLATE_APPLY = ROOT / "examples" / "github" / "scim-apply.yml"
TEMPLATE_DRIFT = ROOT / "examples" / "github" / "scim-drift.yml"


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


def test_pull_request_target_only_in_the_plan() -> None:
    found = [w.name for w in WORKFLOWS if "pull_request_target" in load(w)["on"]]
    assert found == [TEMPLATE_PLAN.name]


def test_the_pull_request_target_plan_never_runs_the_pull_requests_code() -> None:
    """No checkout of the pull request, no `uses: ./`, no script: its content is data."""
    workflow = TEMPLATE_PLAN
    assert "pull_request_target" in load(workflow)["on"]
    for step in steps(workflow):
        assert "run" not in step, step
        assert step.get("uses") != "./" and not str(step.get("uses", "")).startswith("./")
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert set(step["with"]) == {"persist-credentials"}  # the base branch, nothing else
    assert "pull_request.head.ref" not in workflow.read_text()
    assert "refs/pull/" not in workflow.read_text()


def test_token_has_no_permission_but_what_each_job_names(workflow: Path) -> None:
    assert load(workflow)["permissions"] == {}
    for name, job in jobs(workflow).items():
        assert "permissions" in job, f"{workflow.name}: job {name} has no permissions"
        assert all(v in ("read", "write") for v in job["permissions"].values())
        assert "write-all" not in str(job["permissions"])


def test_every_action_is_pinned_to_a_commit_with_its_version(workflow: Path) -> None:
    for line in uses_lines(workflow):
        assert PINNED.match(line), f"{workflow.name}: not pinned: {line}"


def test_the_action_itself_pins_what_it_uses() -> None:
    for line in uses_lines(ROOT / "action.yml"):
        assert PINNED.match(line), line


def test_same_action_same_commit_everywhere() -> None:
    seen: dict[str, set[str]] = {}
    for path in [*WORKFLOWS, ROOT / "action.yml"]:
        for line in uses_lines(path):
            name, ref = line.split("@", 1)
            seen.setdefault(name, set()).add(ref)
    assert {name: refs for name, refs in seen.items() if len(refs) > 1} == {}


def test_checkout_keeps_no_credentials(workflow: Path) -> None:
    for step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_secrets_reach_only_the_actions_token_input(workflow: Path) -> None:
    """Not through env (a composite action's every step would see it, install included)."""
    for job in jobs(workflow).values():
        assert "secrets." not in str(job.get("env", ""))
        for step in job.get("steps", []):
            assert "secrets." not in str(step.get("run", "")) + str(step.get("env", ""))
            inputs = dict(step.get("with", {}))
            token = inputs.pop("token", "")
            assert "secrets." not in str(inputs)
            if "secrets." in token:
                assert str(step["uses"]).startswith(ACTION)
    assert "secrets." not in str(load(workflow).get("env", ""))
    assert "secrets[" not in workflow.read_text(), "a computed secret name exposes every secret"


def test_no_install_step_sees_a_secret() -> None:
    """The action installs in a step of its own, before any token is in the environment."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    (install,) = [s for s in spec["runs"]["steps"] if "install.sh" in str(s.get("run"))]
    assert set(install["env"]) == {"ACTION_INSTALL"}
    script = (ROOT / ".github" / "action" / "install.sh").read_text()
    assert "--require-hashes" in script and "--no-index" in script
    lock = (ROOT / "requirements" / "action.txt").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==", lock, flags=re.MULTILINE)
    assert {"httpx", "pyyaml", "typer", "setuptools"} <= set(pins)
    assert lock.count("--hash=sha256:") >= len(pins)


def test_no_expression_is_pasted_into_a_script(workflow: Path) -> None:
    for step in steps(workflow):
        assert "${{" not in str(step.get("run", "")), step
        assert "${{" not in str(step.get("with", {}).get("script", "")), step


def test_plan_runs_for_same_repository_pull_requests_and_validates_forks() -> None:
    plan = jobs(TEMPLATE_PLAN)
    assert list(load(TEMPLATE_PLAN)["on"]) == ["pull_request_target"]
    assert "head.repo.full_name == github.repository" in plan["plan"]["if"]
    assert "head.repo.full_name != github.repository" in plan["fork"]["if"]
    assert "secrets." not in str(plan["fork"]) and "environment" not in plan["fork"]
    (action,) = [s for s in plan["plan"]["steps"] if str(s.get("uses")).startswith(ACTION)]
    assert action["with"]["command"] == "plan"
    assert action["with"]["pull-request"] == "${{ github.event.pull_request.number }}"
    (upload,) = [s for s in plan["plan"]["steps"] if "upload-artifact" in str(s.get("uses"))]
    # The name the apply looks for (reconciler.github.reviewed.artifact_name).
    head = "${{ github.event.pull_request.head.sha }}"
    assert upload["with"]["name"] == "scim-plan-${{ matrix.target }}-" + head


def test_apply_applies_the_reviewed_plan_serialised_behind_the_environment() -> None:
    (apply,) = jobs(TEMPLATE_APPLY).values()
    assert apply["environment"] == "scim-production-${{ matrix.target }}"
    assert apply["concurrency"] == APPLY_GROUP
    assert apply["if"] == (
        "${{ github.ref == format('refs/heads/{0}', github.event.repository.default_branch) }}"
    )
    assert apply["permissions"] == {"contents": "read", "pull-requests": "read", "actions": "read"}
    # No branch named: the job's `if` is the default branch, whatever it is called.
    assert load(TEMPLATE_APPLY)["on"] == {"push": {"paths": ["desired-state/**"]}}
    (step,) = [s for s in apply["steps"] if str(s.get("uses")).startswith(ACTION)]
    assert step["with"]["command"] == "apply-reviewed"
    assert "plan-workflow" not in step["with"]  # the default: .github/workflows/scim-plan.yml
    assert TEMPLATE_PLAN.name == Path(action_input("plan-workflow")).name
    assert "continue-on-error" not in step  # a refused or failed apply fails the job


def test_one_apply_per_push() -> None:
    """Only scim-apply.yml writes on a push; the drift heal runs on its schedule."""
    for path in WORKFLOWS:
        on = load(path)["on"]
        commands = [s.get("with", {}).get("command") for s in steps(path)]
        if "push" in on:
            assert path == TEMPLATE_APPLY or not {"apply", "apply-reviewed"} & set(commands)


def test_every_target_named_is_one_of_the_example_targets() -> None:
    known = set(load_targets(EXAMPLE))
    named: set[str] = set()
    for path in TEMPLATES:
        named |= {
            str(t)
            for job in jobs(path).values()
            for t in job.get("strategy", {}).get("matrix", {}).get("target", [])
        }
        named |= {str(load(path).get("env", {}).get("SCIM_TARGET", ""))} - {""}
    assert named == {"sandbox"} and named <= known


def test_one_writer_per_comment_marker() -> None:
    writers: dict[str, list[str]] = {}
    for path in TEMPLATES:
        for name, job in jobs(path).items():
            for step in job.get("steps", []):
                script = str(step.get("with", {}).get("script", ""))
                for found in re.findall(r"scim-reconciler:([\w-]+)", script):
                    writers.setdefault(found, []).append(f"{path.name}:{name}")
    assert writers == {
        "plan": ["scim-plan.yml:plan"],
        "fork-notice": ["scim-plan.yml:fork"],
        "drift-issue": ["scim-drift.yml:issue"],
    }


def test_the_last_seen_guard_is_kept_per_target_between_runs() -> None:
    for path in TEMPLATES:
        for job in jobs(path).values():
            uses = [str(s.get("uses", "")) for s in job.get("steps", [])]
            action = [s for s in job.get("steps", []) if str(s.get("uses")).startswith(ACTION)]
            if not any("token" in s.get("with", {}) for s in action):
                continue
            (restore,) = [s for s in job["steps"] if "cache/restore@" in str(s.get("uses"))]
            (save,) = [s for s in job["steps"] if "cache/save@" in str(s.get("uses"))]
            assert uses.index(restore["uses"]) < uses.index(action[0]["uses"])
            assert uses.index(action[0]["uses"]) < uses.index(save["uses"])
            assert (
                action[0]["env"]["SCIMCTL_CACHE_DIR"]
                == restore["with"]["path"]
                == save["with"]["path"]
            )
            target = (
                "${{ matrix.target }}"
                if "matrix" in job.get("strategy", {})
                else "${{ env.SCIM_TARGET }}"
            )
            assert restore["with"]["restore-keys"] == f"scim-last-seen-{target}-"
            assert save["with"]["key"].startswith(f"scim-last-seen-{target}-")


APPLY_GROUP = {
    "group": "scim-apply-${{ matrix.target }}",
    "cancel-in-progress": False,
    "queue": "max",
}
"""Every write of a target in one group; every waiting run kept (GitHub keeps one waiting
run per group otherwise: a third quick merge replaced the second's waiting apply)."""


def test_heal_shares_applys_group_and_environment_and_heals_only_what_changed() -> None:
    drift = jobs(TEMPLATE_DRIFT)
    assert drift["heal"]["concurrency"] == APPLY_GROUP
    assert drift["heal"]["environment"] == "scim-production-${{ matrix.target }}"
    assert "inputs.heal" in drift["heal"]["if"]
    assert "drifted == 'true'" in drift["heal"]["if"]
    (heal,) = [s for s in drift["heal"]["steps"] if str(s.get("uses")).startswith(ACTION)]
    assert heal["with"]["command"] == "heal"  # never `apply`: main may hold unreviewed changes
    assert drift["heal"]["permissions"] == {"contents": "read", "actions": "read"}
    (checkout,) = [s for s in drift["heal"]["steps"] if "checkout@" in str(s.get("uses"))]
    assert checkout["with"]["fetch-depth"] == 0  # the last reviewed apply's commit is read
    assert drift["issue"]["permissions"] == {"issues": "write"}
    assert "secrets." not in str(drift["issue"])


def test_drift_runs_on_a_schedule_and_by_hand() -> None:
    on = load(TEMPLATE_DRIFT)["on"]
    assert on["schedule"] and on["workflow_dispatch"]["inputs"]["heal"]["type"] == "boolean"


def test_this_repositorys_own_ci_lints_types_and_tests() -> None:
    assert [p.name for p in OWN] == ["ci.yml"]
    ci = ROOT / ".github" / "workflows" / "ci.yml"
    assert set(load(ci)["on"]) == {"push", "pull_request"}
    runs = [str(s["run"]) for s in steps(ci) if "run" in s]
    assert runs == ["bash .ci/run"] * len(runs) and runs  # the steps are .ci/run's, once
    script = (ROOT / ".ci" / "run").read_text()
    for command in ("ruff check", "ruff format --check", "mypy", "CI=true make test"):
        assert command in script
    assert "secrets." not in ci.read_text()


def action_input(name: str) -> str:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    return str(spec["inputs"][name]["default"])


def test_expiry_runs_hourly_on_the_default_branch_behind_applys_group() -> None:
    path = ROOT / "examples" / "github" / "scim-expire.yml"
    on = load(path)["on"]
    assert on["schedule"][0]["cron"].split()[1] == "*"  # every hour
    assert "pull_request" not in on and "pull_request_target" not in on
    (job,) = jobs(path).values()
    assert job["concurrency"] == APPLY_GROUP
    assert job["environment"] == "scim-production-${{ matrix.target }}"
    (checkout,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    (run,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith(ACTION)]
    assert run["with"]["command"] == "apply" and run["with"]["args"] == "--expired-only"


def _code(path: Path) -> str:
    """The template without its comments (the YAML's own text, as GitHub reads it)."""
    return "\n".join(
        line.split(" #", 1)[0]
        for line in path.read_text().splitlines()
        if not line.lstrip().startswith("#")
    )


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_a_template_names_its_target_once(template: Path) -> None:
    """Where the target is written twice, a copy for another target sends one job's
    token to the other's environment (issue 18, 14)."""
    assert _code(template).count("sandbox") == 1, template.name


def test_the_readmes_names_for_secrets_and_environments_are_the_templates() -> None:
    """One instruction: following the AWS guide gives a working setup (issue 18, 14)."""
    readme = (ROOT / "README.md").read_text()
    names = {
        str(job.get("environment", "")).replace("${{ matrix.target }}", "<target>")
        for path in TEMPLATES
        for job in jobs(path).values()
    } - {""}
    assert names == {"scim-plan-<target>", "scim-production-<target>"}
    secrets = set(re.findall(r"secrets\.(\w+)", " ".join(p.read_text() for p in TEMPLATES)))
    assert secrets == {"SCIM_TOKEN"}
    aws = readme[readme.index("## Connecting to AWS IAM Identity Center") :]
    aws = aws[: aws.index("\n## ", 3)]
    for name in names:
        assert f"`{name}`" in aws, name
    assert "gh secret set SCIM_TOKEN --env scim-production-aws" in aws
    in_actions = aws.split("- **In GitHub Actions**", 1)[1].split("- **On your machine**", 1)[0]
    assert "AWS_SCIM_TOKEN" not in in_actions  # the guide once said so, the templates never
    setup = readme[readme.index("### Set it up") : readme.index("### What a pull request gets")]
    for name in (*names, "SCIM_TOKEN"):
        assert f"`{name}`" in setup, name
