"""The sticky plan comment: written where the plan is made, checked where it is applied.

    python -m reconciler.github.comment --target aws --markdown plan-aws.md \\
        --plan plan-aws.json --meta pull-request.json --out comment-aws.md

The plan step writes the comment's whole body (the plan's Markdown, then a footer naming
the head, the run and the saved plan's digest) into the artifact under review; the
workflow's comment step posts exactly that file, and only while its head is the pull
request's current head. After the merge, ``merge_apply`` reads the pull request's comment
again: it must be the body the reviewed plan's run wrote, carrying that plan's digest.
An edited comment, or one a run of another head replaced, applies nothing: the plan a
reviewer saw is provably the plan applied.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.errors import InputError
from reconciler.github.api import SHA, GitHubApi
from reconciler.github.entry import run_step
from reconciler.github.reviewed import artifact_name
from reconciler.render.markdown import marker

BOT = "github-actions[bot]"
"""Who the workflow's GITHUB_TOKEN writes as."""
MAX_COMMENT = 65_536
"""GitHub's limit on a comment body."""


def plan_digest(plan: bytes) -> str:
    """The saved plan's digest as the comment and the apply's summary show it."""
    return f"sha256:{hashlib.sha256(plan).hexdigest()}"


def comment_body(
    markdown: str, *, pull: Mapping[str, Any], artifact: str, digest: str, run_url: str
) -> str:
    """The comment: the plan's Markdown (its first line the target's marker) and a footer."""
    head = str(pull.get("head_sha", ""))
    number = pull.get("pull_request")
    saved = (
        f"merging applies this saved plan and nothing else: `{digest}` (artifact `{artifact}`)"
        if digest
        else "no plan to apply (the plan failed or was refused): merging this head applies nothing"
    )
    footer = (
        f"<sub>Plan of `{head[:12]}` (pull request #{number}) · [workflow run]({run_url}) · "
        f"{saved}</sub>"
    )
    return f"{markdown.rstrip()}\n\n---\n{footer}\n"


def same_body(one: str, other: str) -> bool:
    """Whether two comment bodies are the same text (line ends and trailing space aside)."""
    return _normal(one) == _normal(other)


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


def sticky_comment(api: GitHubApi, number: int, target: str) -> str | None:
    """The body of ``target``'s plan comment on pull request ``number`` (the bot's first
    comment that starts with its marker, the one the comment step updates), or None."""
    start = marker(target)
    for comment in api.pages(api.repo.path("issues", number, "comments")):
        user = comment.get("user") if isinstance(comment, dict) else None
        body = comment.get("body") if isinstance(comment, dict) else None
        if (
            isinstance(user, dict)
            and user.get("login") == BOT
            and user.get("type") == "Bot"
            and isinstance(body, str)
            and body.startswith(start)
        ):
            return body
    return None


def run_url(env: Mapping[str, str]) -> str:
    """This workflow run's page, from the runner's variables ("#" when they are absent)."""
    server = env.get("GITHUB_SERVER_URL", "")
    repository, run = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
    if not (server.startswith("https://") and repository and run.isdigit()):
        return "#"
    return "/".join((server.rstrip("/"), repository, "actions", "runs", run))  # a web page


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reconciler.github.comment")
    parser.add_argument("--target", default="", help="default: the plan's own target")
    parser.add_argument("--markdown", type=Path, required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--meta", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--exit-code", type=int, default=0, help="the plan's exit code")
    return parser.parse_args(argv)


def run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    args = parse(argv)
    try:
        pull = json.loads(args.meta.read_text())
        markdown = args.markdown.read_text()
    except (OSError, ValueError) as error:
        raise InputError(f"the plan comment cannot be written: {error}") from None
    if not isinstance(pull, dict) or not SHA.match(str(pull.get("head_sha", ""))):
        raise InputError(f"{args.meta} names no pull request head")
    plan = args.plan.read_bytes() if args.plan.is_file() else b""
    target = args.target or _target_of(plan)
    body = comment_body(
        markdown,
        pull=pull,
        artifact=artifact_name(target, str(pull["head_sha"])),
        digest=plan_digest(plan) if plan and args.exit_code in (0, 2) else "",
        run_url=run_url(env),
    )
    if len(body) > MAX_COMMENT:
        raise InputError(f"the plan comment would be {len(body):,} characters, over GitHub's limit")
    args.out.write_text(body)
    return 0


def _target_of(plan: bytes) -> str:
    try:
        data = json.loads(plan) if plan else {}
    except ValueError:
        data = {}
    return str(data.get("target", "")) if isinstance(data, dict) else ""


if __name__ == "__main__":
    run_step(run)
