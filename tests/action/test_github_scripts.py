"""The workflows' actions/github-script steps, run with node against a fake GitHub API.

What matters is what they ask GitHub to do: one sticky plan comment per target, updated and
never duplicated; one drift issue, updated, closed when clean. The scripts are taken from
the workflow files as they are, and run the way actions/github-script runs them (an async
function of ``require``, ``github``, ``context``, ``core``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.render.markdown import marker
from tests.conftest import ROOT
from tests.needs import tool

WORKFLOWS = ROOT / "examples" / "github"


@pytest.fixture(autouse=True)
def node() -> str:
    """Every test here runs a script in node: skipped without it, failed in CI."""
    return tool("node", "apt-get install nodejs")


HARNESS = r"""
const fs = require('fs');
const [scriptPath, statePath] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const calls = [];
const record = (name, result = {}) => async (params) => {
  calls.push([name, params]);
  return { data: result };
};
const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: {
    issues: {
      listComments: async () => ({ data: state.comments || [] }),
      listForRepo: async () => ({ data: state.issues || [] }),
      getLabel: async (params) => {
        if (!state.labelExists) throw Object.assign(new Error('Not Found'), { status: 404 });
        return { data: params };
      },
      createLabel: record('createLabel'),
      createComment: record('createComment', { html_url: 'https://example/c/1' }),
      updateComment: record('updateComment'),
      create: record('create', { number: 42 }),
      update: record('update'),
    },
    pulls: {
      list: async () => ({ data: state.pulls || [] }),
      get: async () => ({ data: state.pull || state.payload.pull_request }),
    },
    repos: { createCommitStatus: record('createCommitStatus') },
    checks: { create: record('createCheckRun') },
  },
};
const core = { setFailed: (message) => calls.push(['setFailed', message]), info: () => {} };
const context = {
  repo: { owner: 'example', repo: 'identity' },
  runId: 99,
  serverUrl: 'https://github.com',
  payload: state.payload || {},
};
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(scriptPath, 'utf8'))(
  require, github, context, core,
).then(() => console.log(JSON.stringify(calls)), (error) => {
  console.error(error);
  process.exit(1);
});
"""

HEAD = "abcdef1234567890abcdef1234567890abcdef12"
PR = {"pull_request": {"number": 7, "head": {"sha": HEAD}}}
BOT = {"login": "github-actions[bot]"}


def script_of(workflow: str, job: str, name: str | int = -1) -> str:
    """The script of ``job``'s github-script step whose name starts with ``name`` (or the
    step at that index among them)."""
    data = yaml.safe_load((WORKFLOWS / workflow).read_text())
    steps = [s for s in data["jobs"][job]["steps"] if "github-script" in str(s.get("uses"))]
    if isinstance(name, str):
        (step,) = [s for s in steps if str(s.get("name", "")).startswith(name)]
        return str(step["with"]["script"])
    return str(steps[name]["with"]["script"])


def run_script(
    tmp_path: Path, script: str, state: dict[str, Any], env: dict[str, str]
) -> list[list[Any]]:
    (tmp_path / "harness.js").write_text(HARNESS)
    (tmp_path / "script.js").write_text(script)
    (tmp_path / "state.json").write_text(json.dumps(state))
    done = subprocess.run(
        [tool("node", "apt-get install nodejs"), "harness.js", "script.js", "state.json"],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def names(calls: list[list[Any]]) -> list[str]:
    return [call[0] for call in calls]


# --- the sticky plan comment ----------------------------------------------------------------


@pytest.fixture
def plan_md(tmp_path: Path) -> Path:
    """The comment's whole body, as reconciler.github.comment writes it."""
    path = tmp_path / "comment-aws.md"
    path.write_text(
        f"{marker('aws')}\n### scim-reconciler plan for aws\n\n**Plan: 1 to create**\n\n---\n"
        "<sub>Plan of `abcdef123456` (pull request #7) · merging applies this saved plan and "
        "nothing else: `sha256:00ff`</sub>\n"
    )
    return path


def comment(
    tmp_path: Path, plan_md: Path, comments: list[dict[str, Any]], head: str = HEAD
) -> list[list[Any]]:
    state = {"payload": PR, "comments": comments, "pull": {"head": {"sha": head}}}
    script = script_of("scim-plan.yml", "plan", "Comment the plan")
    return run_script(tmp_path, script, state, {"COMMENT": str(plan_md)})


def test_first_plan_creates_the_comment_exactly_as_the_plan_step_wrote_it(
    tmp_path: Path, plan_md: Path
) -> None:
    calls = comment(tmp_path, plan_md, [])
    assert names(calls) == ["createComment"]
    assert calls[0][1]["body"] == plan_md.read_text()  # what apply-reviewed checks, verbatim
    assert calls[0][1]["issue_number"] == 7


def test_next_plan_updates_the_same_comment(tmp_path: Path, plan_md: Path) -> None:
    old = [
        {"id": 1, "user": {"login": "alice"}, "body": "LGTM"},
        {"id": 2, "user": BOT, "body": marker("aws") + "\nold plan"},
    ]
    calls = comment(tmp_path, plan_md, old)
    assert names(calls) == ["updateComment"]
    assert calls[0][1]["comment_id"] == 2


def test_another_targets_comment_or_a_humans_copy_is_left_alone(
    tmp_path: Path, plan_md: Path
) -> None:
    others = [
        {"id": 3, "user": BOT, "body": marker("aws-eu") + "\nplan of the other target"},
        {"id": 4, "user": {"login": "mallory"}, "body": marker("aws") + "\nfake"},
    ]
    assert names(comment(tmp_path, plan_md, others)) == ["createComment"]


def test_no_comment_file_fails_the_step(tmp_path: Path) -> None:
    calls = comment(tmp_path, tmp_path / "missing.md", [])
    assert names(calls) == ["setFailed"]


def test_a_run_of_an_older_head_does_not_replace_the_comment(tmp_path: Path, plan_md: Path) -> None:
    """A re-run keeps its event: its head is no longer the pull request's (issue 18, 3)."""
    old = [{"id": 2, "user": BOT, "body": marker("aws") + "\nthe current head's plan"}]
    calls = comment(tmp_path, plan_md, old, head="f" * 40)
    assert names(calls) == ["setFailed"]
    assert "its plan is not shown" in calls[0][1]


# --- the plan's check run on the pull request's head -----------------------------------------


def check(
    tmp_path: Path, code: str, commented: str = "success", head: str = HEAD
) -> list[list[Any]]:
    script = script_of("scim-plan.yml", "plan", "Publish the plan's check")
    state = {"payload": PR, "pull": {"head": {"sha": head}}}
    env = {"EXIT_CODE": code, "TARGET": "aws", "COMMENTED": commented}
    return run_script(tmp_path, script, state, env)


@pytest.mark.parametrize(
    ("code", "conclusion"),
    [("0", "success"), ("2", "success"), ("3", "failure"), ("1", "failure"), ("", "failure")],
)
def test_the_plan_publishes_a_check_run_on_the_pull_requests_head(
    tmp_path: Path, code: str, conclusion: str
) -> None:
    """A check run, made with GITHUB_TOKEN: its source is the GitHub Actions app, which
    branch protection can require; a commit status any writer can set (issue 18, 8)."""
    calls = check(tmp_path, code)
    assert names(calls) == ["createCheckRun"]
    run = calls[0][1]
    assert (run["head_sha"], run["status"], run["conclusion"]) == (HEAD, "completed", conclusion)
    assert run["name"] == "scim-reconciler/plan (aws)"
    assert run["details_url"] == "https://github.com/example/identity/actions/runs/99"


def test_no_published_comment_is_no_green_check(tmp_path: Path) -> None:
    calls = check(tmp_path, "2", commented="failure")
    assert calls[0][1]["conclusion"] == "failure"
    assert "comment was not published" in calls[0][1]["output"]["title"]


def test_no_check_for_a_head_that_is_not_the_current_one(tmp_path: Path) -> None:
    calls = check(tmp_path, "2", head="f" * 40)
    assert names(calls) == ["setFailed"]
    assert "no check is published" in calls[0][1]


# --- the fork notice ------------------------------------------------------------------------

FORK_MARKER = "<!-- scim-reconciler:fork-notice -->"


def fork_notice(tmp_path: Path, comments: list[dict[str, Any]], valid: str) -> list[list[Any]]:
    state = {"payload": PR, "comments": comments}
    return run_script(tmp_path, script_of("scim-plan.yml", "fork"), state, {"VALID": valid})


def test_fork_notice_says_why_there_is_no_plan(tmp_path: Path) -> None:
    calls = fork_notice(tmp_path, [], "0")
    assert names(calls) == ["createComment"]
    body = calls[0][1]["body"]
    assert body.startswith(FORK_MARKER) and "Validation **passed**" in body
    assert calls[0][1]["issue_number"] == 7


def test_fork_notice_updates_its_own_comment_not_a_plans(tmp_path: Path) -> None:
    old = [
        {"id": 2, "user": BOT, "body": marker("aws") + "\nplan"},
        {"id": 3, "user": BOT, "body": FORK_MARKER + "\nold notice"},
    ]
    calls = fork_notice(tmp_path, old, "1")
    assert names(calls) == ["updateComment"]
    assert calls[0][1]["comment_id"] == 3
    assert "Validation **failed**" in calls[0][1]["body"]


# --- the drift issue ------------------------------------------------------------------------

ISSUE_MARKER = "<!-- scim-reconciler:drift-issue target=aws -->"


def drift(
    tmp_path: Path,
    drifted: bool,
    issues: list[dict[str, Any]],
    heal: str = "skipped",
    label: bool = True,
) -> list[list[Any]]:
    (tmp_path / "drift.md").write_text("### Drift on aws\n\n1 changed\n")
    (tmp_path / "heal.md").write_text("**Apply: 1 done, 0 failed, 0 skipped**\n")
    env = {
        "DRIFTED": "true" if drifted else "false",
        "HEAL_RESULT": heal,
        "DRIFT_MARKDOWN": str(tmp_path / "drift.md"),
        "HEAL_MARKDOWN": str(tmp_path / "heal.md"),
        "TARGET": "aws",
    }
    state = {"issues": issues, "labelExists": label}
    return run_script(tmp_path, script_of("scim-drift.yml", "issue"), state, env)


OPEN = [{"number": 5, "body": ISSUE_MARKER + "\nold report"}]


def test_drift_opens_one_labelled_issue(tmp_path: Path) -> None:
    calls = drift(tmp_path, True, [], label=False)
    assert names(calls) == ["createLabel", "create"]
    issue = calls[1][1]
    assert issue["labels"] == ["scim-drift"]
    assert issue["body"].startswith(ISSUE_MARKER)
    assert "1 changed" in issue["body"]


def test_drift_again_updates_the_open_issue(tmp_path: Path) -> None:
    calls = drift(tmp_path, True, OPEN)
    assert names(calls) == ["update"]
    assert calls[0][1]["issue_number"] == 5 and "1 changed" in calls[0][1]["body"]


def test_clean_run_closes_the_issue(tmp_path: Path) -> None:
    calls = drift(tmp_path, False, OPEN)
    assert names(calls) == ["createComment", "update"]
    assert calls[1][1] == {
        "owner": "example",
        "repo": "identity",
        "issue_number": 5,
        "state": "closed",
        "state_reason": "completed",
    }


def test_clean_run_without_an_issue_does_nothing(tmp_path: Path) -> None:
    assert drift(tmp_path, False, []) == []


def test_an_issue_without_the_marker_is_not_ours(tmp_path: Path) -> None:
    calls = drift(tmp_path, False, [{"number": 6, "body": "someone else's drift notes"}])
    assert calls == []


def test_heal_reports_what_it_changed_and_closes(tmp_path: Path) -> None:
    calls = drift(tmp_path, True, OPEN, heal="success")
    assert names(calls) == ["update", "createComment", "update"]
    assert "Apply: 1 done" in calls[1][1]["body"]
    assert calls[2][1]["state"] == "closed"


def test_failed_heal_keeps_the_issue_open(tmp_path: Path) -> None:
    calls = drift(tmp_path, True, OPEN, heal="failure")
    assert names(calls) == ["update", "createComment"]
    assert "**Heal failed**" in calls[1][1]["body"]
