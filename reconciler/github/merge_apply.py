"""Apply, after a merge, the plan that was reviewed on the pull request, and nothing else.

    python -m reconciler.github.merge_apply --dir desired-state --target aws \\
        --workflow .github/workflows/scim-plan.yml --markdown apply.md --report apply.json

Run by the action (``command: apply-reviewed``) on a push to the default branch. It
applies nothing, explains why and shows what a fresh plan would do (exit 3), when:

- the pushed commit is no longer the head of the default branch (a re-run of an old apply
  would roll back what came after it: no replays);
- no pull request merged the pushed commit (a direct push was never reviewed);
- the last plan of that pull request's head by the plan workflow is missing or refused;
- the reviewed plan is of another head, another target, or another desired state than the
  merged tree (main moved since, or a squash folded in other changes);
- the merged targets.yaml connects the target otherwise than the plan was made (another
  URL, profile, token variable or policy): such a change applies nothing in its own pull
  request, and no fresh plan sends the token to the new server before it is reviewed;
- the pull request's plan comment is not the one the reviewed plan's run published (edited
  since, or replaced by a run of another head), or does not carry the plan's digest: what
  reviewers saw would not provably be what is applied.

Otherwise it runs ``scimctl apply PLANFILE``: each row whose resource changed since the
review is refused as stale (exit 3), and nothing outside the plan is ever changed. The
summary (which no writer can edit) shows the digest and the plan as reviewed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config import resolve_connection
from reconciler.desired import load_desired
from reconciler.errors import GitHubError
from reconciler.escaping import printable
from reconciler.github.api import GitHubApi, GitHubRepo, check_sha
from reconciler.github.comment import plan_digest, same_body, sticky_comment
from reconciler.github.entry import default_branch, run_step
from reconciler.github.reviewed import MergedPull, ReviewedPlan, merged_pull, reviewed_plan
from reconciler.github.reviews import LOGIN
from reconciler.plan.model import Plan
from reconciler.render.markdown import code, marker, prose
from reconciler.session import choose_target

REFUSED = 3
HEADS = "refs/heads/"
MAX_HELD = 100
REASON_LIMIT = 1000


@dataclass(frozen=True)
class Push:
    """The commit this run was started for, and the branch it must be the head of."""

    sha: str
    ref: str
    branch: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Push:
        sha = check_sha(env.get("GITHUB_SHA"), "GITHUB_SHA")
        return cls(sha, env.get("GITHUB_REF", ""), default_branch(env))


@dataclass(frozen=True)
class Merged:
    """What the merged tree says: the target, its desired state's digest, and the
    connection a plan of it records (``Connection.binding``)."""

    target: str
    digest: str
    connection: Mapping[str, str]


@dataclass(frozen=True)
class Verdict:
    """What to apply (a reviewed plan of a pull request), or why nothing."""

    reason: str = ""
    pull: MergedPull | None = None
    reviewed: ReviewedPlan | None = None
    fresh: bool = True
    """Whether a refusal shows a fresh plan: not when the connection changed (the token
    goes to a new server only in a plan that a pull request shows for review)."""


def decide(api: GitHubApi, push: Push, merged: Merged, workflow: str) -> Verdict:
    """The reviewed plan to apply for ``push``, or the reason there is none."""
    if not push.ref.startswith(HEADS) or push.ref.removeprefix(HEADS) != push.branch:
        return Verdict(f"this run is for {printable(push.ref)!r}, not the default branch")
    head = _branch_head(api, push.branch)
    if head != push.sha:
        return Verdict(
            f"commit {push.sha[:12]} is no longer the head of {printable(push.branch)} "
            f"({head[:12]} is): applying it now would undo what came after it. The apply "
            f"of {head[:12]} covers this merge: its reviewed plan was made from a desired "
            "state that holds it, or that apply refuses and shows a fresh plan"
        )
    pull = merged_pull(api, push.sha, push.branch)
    if pull is None:
        return Verdict(f"no pull request merged commit {push.sha[:12]}: it was never reviewed")
    reviewed, why = reviewed_plan(api, pull, merged.target, workflow, push.branch)
    if reviewed is None:
        return Verdict(f"pull request #{pull.number} has no reviewed plan: {why}", pull)
    plan = _plan_fields(reviewed.plan)
    if plan.get("connection") != dict(merged.connection):
        return Verdict(_moved(plan, merged), pull, reviewed, fresh=False)
    reason = _mismatch(reviewed, pull, merged) or _unshown(api, pull, merged.target, reviewed)
    return Verdict(reason, pull, reviewed)


def _branch_head(api: GitHubApi, branch: str) -> str:
    ref = api.get(api.repo.path("git", "ref", "heads", *branch.split("/")))
    target = ref.get("object") if isinstance(ref, dict) else None
    return check_sha(target.get("sha") if isinstance(target, dict) else None, "the branch head")


def _mismatch(reviewed: ReviewedPlan, pull: MergedPull, merged: Merged) -> str:
    """Why the reviewed plan is not the plan of this merge, or "" when it is."""
    meta = reviewed.pull
    if meta.get("pull_request") != pull.number or meta.get("head_sha") != pull.head:
        return f"the plan artifact is not of pull request #{pull.number} at {pull.head[:12]}"
    plan = _plan_fields(reviewed.plan)
    if plan.get("target") != merged.target:
        return f"the reviewed plan is for another target, not {printable(merged.target)!r}"
    if plan.get("desired_digest") != merged.digest:
        return (
            "the merged desired state is not the one the plan was made from (the default "
            "branch moved before the merge, or the merge folded in other changes)"
        )
    return ""


def _moved(plan: Mapping[str, Any], merged: Merged) -> str:
    """Why a plan made against another connection is not applied."""
    before = plan.get("connection")
    before = before if isinstance(before, dict) else {}
    what = []
    if before.get("url") != merged.connection.get("url"):
        url, now = before.get("url", "?"), merged.connection.get("url", "?")
        what.append(f"the server, {printable(str(url))} → {printable(str(now))}")
    if before.get("profile") != merged.connection.get("profile"):
        what.append("the profile")
    if before.get("target") != merged.connection.get("target"):
        what.append("its settings in targets.yaml (url, token_env, policy …)")
    return (
        f"the merged targets.yaml connects target {printable(merged.target)!r} otherwise "
        f"than the reviewed plan was made ({'; '.join(what) or 'not recorded'}): a change "
        "of the server, its token or its policy applies nothing in its own pull request"
    )


def _unshown(api: GitHubApi, pull: MergedPull, target: str, reviewed: ReviewedPlan) -> str:
    """Why the pull request's plan comment does not prove that reviewers saw this plan,
    or "" when it does: the body its run published, with the plan's digest."""
    digest = plan_digest(reviewed.plan)
    if reviewed.comment is None:
        return "the reviewed plan's run published no plan comment: what reviewers saw is unknown"
    shown = sticky_comment(api, pull.number, target)
    if shown is None:
        return f"pull request #{pull.number} has no plan comment of target {printable(target)!r}"
    if not same_body(shown, reviewed.comment) or digest not in shown:
        return (
            f"the plan comment on pull request #{pull.number} is not the one the reviewed "
            "plan's run published (it was edited, or a plan run of another head replaced "
            f"it): what reviewers saw is not provably the plan {digest}"
        )
    return ""


def _plan_fields(data: bytes) -> dict[str, Any]:
    try:
        plan = json.loads(data)
    except ValueError:
        raise GitHubError("the reviewed plan is not JSON") from None
    if not isinstance(plan, dict):
        raise GitHubError("the reviewed plan is not a plan")
    return plan


# --- running scimctl -----------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    directory: Path
    target: str
    markdown: Path
    report: Path

    def beside(self, name: str) -> Path:
        return self.markdown.with_name(f"{name}-{self.markdown.stem}{self.markdown.suffix}")


def scimctl(*args: str | Path) -> int:
    """Run scimctl (this interpreter's, isolated: the working directory, the merged tree,
    is not on its ``sys.path``) with its output going to ours."""
    sys.stdout.flush()
    command = [sys.executable, "-I", "-m", "reconciler", *map(str, args)]
    return subprocess.run(command).returncode


def apply_reviewed(verdict: Verdict, paths: Paths) -> int:
    assert verdict.reviewed is not None and verdict.pull is not None
    planfile = paths.report.with_name(f"reviewed-plan-{paths.markdown.stem}.json")
    planfile.write_bytes(verdict.reviewed.plan)
    applied = paths.beside("report")
    print(f"Applying the plan reviewed on pull request #{verdict.pull.number}.", flush=True)
    pusher = verdict.reviewed.pull.get("pusher")
    code_ = scimctl(
        "apply", planfile, "--dir", paths.directory, "--target", paths.target,
        "--auto-approve", "--report", paths.report, "--markdown", applied,
        "--pull-request", str(verdict.pull.number),
        "--pull-request-head", verdict.pull.head,
        *(("--pushed-by", pusher) if isinstance(pusher, str) and LOGIN.match(pusher) else ()),
    )  # fmt: skip
    report = applied.read_text() if applied.is_file() else ""
    notes = _outcome_notes(code_, verdict.reviewed.plan, paths.report)
    paths.markdown.write_text(_applied_markdown(verdict, paths.target, report, notes))
    return code_


def _outcome_notes(exit_code: int, plan: bytes, report: Path) -> list[str]:
    """What the reader must know beyond the report: rows refused, or a failure."""
    if exit_code == 0:
        return []
    if exit_code != REFUSED:
        return [
            f"**The apply failed (exit {exit_code})**: the report and the log name what. "
            "A re-run of this job, once the cause is fixed, applies what is still to do "
            "(what was done is stale by then, and refused).",
            "",
        ]
    held = not_applied(plan, report)
    shown = [f"- {code(row)}" for row in held[:MAX_HELD]]
    more = [f"- …and {len(held) - MAX_HELD} more"] if len(held) > MAX_HELD else []
    return [
        f"**{len(held)} reviewed change(s) were refused, not overwritten**: what they would "
        "change was changed since the review (stale), or a rule now refuses it (the log "
        "says which). Nothing else was changed; a fresh plan in a new pull request "
        "carries what is still wanted.",
        "",
        *shown,
        *more,
        "",
    ]


def not_applied(plan: bytes, report: Path) -> list[str]:
    """The reviewed plan's rows that the apply did not run (refused when it re-checked)."""
    try:
        rows = Plan.from_dict(json.loads(plan)).executable
        outcomes = json.loads(report.read_text()).get("outcomes", []) if report.is_file() else []
        done = {(o.get("address"), o.get("action")) for o in outcomes if isinstance(o, dict)}
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    return [
        f"{c.action.value} {c.kind} {c.name}"
        for c in rows
        if (c.address, c.action.value) not in done
    ]


def refuse(verdict: Verdict, paths: Paths) -> int:
    print(f"Nothing applied: {verdict.reason}.", file=sys.stderr, flush=True)
    if not verdict.fresh:
        plan = (
            "(No fresh plan is made here: the target's connection changed, and the token "
            "goes to a server only in a plan a pull request shows for review.)"
        )
        paths.markdown.write_text(_refused_markdown(verdict, paths.target, plan))
        return REFUSED
    fresh = paths.beside("fresh-plan")
    print("What a fresh plan of the merged desired state would do:", flush=True)
    scimctl("plan", "--dir", paths.directory, "--target", paths.target, "--markdown", fresh)
    plan = fresh.read_text() if fresh.is_file() else "(the fresh plan failed: see the log)"
    paths.markdown.write_text(_refused_markdown(verdict, paths.target, plan))
    return REFUSED


def _applied_markdown(verdict: Verdict, target: str, report: str, notes: list[str]) -> str:
    assert verdict.pull is not None and verdict.reviewed is not None
    lines = report.splitlines()
    body = lines[1:] if lines and lines[0].startswith("<!--") else lines
    intro = (
        f"Applied the plan reviewed on pull request #{verdict.pull.number} "
        f"(head {code(verdict.pull.head[:12])}, plan made by "
        f"[this run]({_link(verdict.reviewed.run_url)})); nothing outside it was changed. "
        f"The plan: {code(plan_digest(verdict.reviewed.plan))}, the digest its pull "
        "request's comment shows; as it was reviewed, below."
    )
    shown = verdict.reviewed.markdown.splitlines()
    reviewed = shown[1:] if shown and shown[0].startswith("<!--") else shown
    as_reviewed = ["", "<details><summary>The plan as reviewed</summary>", "", *reviewed]
    lines = [marker(target, "apply"), intro, "", *notes, *body, *as_reviewed, "", "</details>"]
    return "\n".join(lines) + "\n"


def _refused_markdown(verdict: Verdict, target: str, plan: str) -> str:
    lines = plan.splitlines()
    body = lines[1:] if lines and lines[0].startswith("<!--") else lines
    return (
        "\n".join(
            [
                marker(target, "apply"),
                f"### scim-reconciler apply to {code(target)}: ⛔ nothing applied",
                "",
                f"**{prose(verdict.reason, REASON_LIMIT)}.**",
                "",
                "Only a plan reviewed on the pull request that made this commit is ever applied. "
                "Below is what a fresh plan of the merged desired state would do: open a "
                "pull request (an empty commit will do) so that it is reviewed, and merge it.",
                "",
                "#### What a fresh plan would do",
                "",
                *body,
            ]
        )
        + "\n"
    )


def _link(url: str) -> str:
    return url if url.startswith("https://") and not set(url) & set(" ()<>[]\"'") else "#"


# --- entry point ---------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reconciler.github.merge_apply")
    parser.add_argument("--dir", type=Path, default=Path("desired-state"))
    parser.add_argument("--target", default="")
    parser.add_argument("--workflow", default=".github/workflows/scim-plan.yml")
    parser.add_argument("--markdown", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    return parser.parse_args(argv)


def run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    args = parse(argv)
    target = choose_target(args.dir, args.target or None)
    paths = Paths(args.dir, target.name, args.markdown, args.report)
    connection = resolve_connection(target, env).binding()
    merged = Merged(target.name, load_desired(args.dir).digest, connection)
    with GitHubApi(GitHubRepo.from_env(env)) as api:
        verdict = decide(api, Push.from_env(env), merged, args.workflow)
    if verdict.reason:
        return refuse(verdict, paths)
    return apply_reviewed(verdict, paths)


if __name__ == "__main__":
    run_step(run)
