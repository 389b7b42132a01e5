"""Finding the plan a pull request was reviewed with, from GitHub's API.

The plan workflow uploads, for each pull request head it plans, the artifact
``scim-plan-<target>-<head sha>`` holding the saved plan (``plan-<target>.json``), its
Markdown, the comment it published (``comment-<target>.md``) and ``pull-request.json``
(number, head SHA, base branch, who pushed). After a merge, the apply finds:

1. the pull request that merged the pushed commit (``GET commits/{sha}/pulls``: merged, its
   merge commit is this commit, into the default branch);
2. the newest plan run for that pull request's head that uploaded the artifact, made by the
   plan workflow itself as a ``pull_request_target`` run of the default branch (so by the
   default branch's workflow code, never by a workflow file a pull request added or
   changed, nor by the same file on another base branch), and finished; an artifact of
   that name from such a run for another pull request (the same head commit) is passed
   over, never taken for this one's;
3. the artifact's files, from its zip, within size caps; the plan's exit code in it
   (``plan-<target>.exit``) must be 0 or 2, or there is no reviewed plan: the last plan
   shown failed or was refused. (The target's own exit code, not the run's conclusion,
   so that one target's refusal does not hold back another's apply.)

A ``pull_request_target`` run's ``head_branch`` is the branch whose workflow file ran,
the pull request's base (GitHub.com runs the default branch's for every base).

Everything read is untrusted: each field is checked before it is used.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from reconciler.errors import GitHubError
from reconciler.github.api import GitHubApi, check_sha

ARTIFACT_PREFIX = "scim-plan-"
PULL_FILE = "pull-request.json"
MAX_ZIP = 256 * 1024 * 1024
MAX_FILE = 256 * 1024 * 1024
MAX_ENTRIES = 50
TRUSTED_EVENT = "pull_request_target"
SUCCEEDED = {b"0", b"2"}
"""The plan's exit codes that make it a reviewed plan: no changes, or changes (not refused)."""


def artifact_name(target: str, head: str) -> str:
    """The plan artifact's name: the target (made safe) and the head it was planned for."""
    return f"{ARTIFACT_PREFIX}{safe_target(target)}-{head}"


def plan_file_name(target: str) -> str:
    """The saved plan's name inside the artifact (as the action writes it)."""
    return f"plan-{safe_target(target)}.json"


def exit_file_name(target: str) -> str:
    """The plan's exit code inside the artifact (as the action writes it)."""
    return f"plan-{safe_target(target)}.exit"


def markdown_file_name(target: str) -> str:
    """The plan's Markdown inside the artifact (as the action writes it)."""
    return f"plan-{safe_target(target)}.md"


def comment_file_name(target: str) -> str:
    """The plan comment's whole body inside the artifact (``reconciler.github.comment``)."""
    return f"comment-{safe_target(target)}.md"


def safe_target(target: str) -> str:
    """A target as the action names its files and artifacts (anything but [A-Za-z0-9._-] is _)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", target)


@dataclass(frozen=True)
class MergedPull:
    number: int
    head: str
    """The head commit that was reviewed (a pull request's head does not change at merge)."""
    url: str


@dataclass(frozen=True)
class ReviewedPlan:
    plan: bytes
    pull: dict[str, Any]
    run_url: str
    markdown: str = ""
    """The plan's Markdown as the run rendered it (for the apply's summary)."""
    comment: str | None = None
    """The comment body the run published, or None when its artifact holds none."""


def merged_pull(api: GitHubApi, sha: str, branch: str) -> MergedPull | None:
    """The pull request whose merge into ``branch`` made commit ``sha``, if any."""
    for pull in api.pages(api.repo.path("commits", sha, "pulls")):
        if not isinstance(pull, dict) or not pull.get("merged_at"):
            continue
        base = pull.get("base")
        if pull.get("merge_commit_sha") != sha or not isinstance(base, dict):
            continue
        number = pull.get("number")
        if base.get("ref") == branch and isinstance(number, int) and number > 0:
            head = pull.get("head")
            sha_of_head = check_sha(head.get("sha") if isinstance(head, dict) else None, "head")
            return MergedPull(number, sha_of_head, str(pull.get("html_url", "")))
    return None


def reviewed_plan(
    api: GitHubApi, pull: MergedPull, target: str, workflow: str, branch: str
) -> tuple[ReviewedPlan | None, str]:
    """The newest plan of ``pull``'s head made by ``workflow`` on ``branch`` (the default
    branch) for this pull request, or None and why not."""
    name = artifact_name(target, pull.head)
    found = [
        a
        for a in api.pages(api.repo.path("actions", "artifacts"), key="artifacts", name=name)
        if isinstance(a, dict) and a.get("name") == name and isinstance(a.get("id"), int)
    ]
    for artifact in sorted(found, key=run_id_of, reverse=True):
        run = api.get_or_none(api.repo.path("actions", "runs", run_id_of(artifact)))
        if not _made_by(run, workflow, branch):
            continue
        if run.get("status") != "completed":
            return None, f"the last plan of head {pull.head[:12]} has not finished"
        if artifact.get("expired"):
            return None, f"the plan artifact {name} has expired"
        files = artifact_files(
            api.download(api.repo.path("actions", "artifacts", artifact["id"], "zip"), MAX_ZIP)
        )
        if _pull_of(files).get("pull_request") != pull.number:
            continue  # the same head planned for another pull request: not this one's plan
        code = files.get(exit_file_name(target), b"").strip()
        if code not in SUCCEEDED:
            shown = code.decode("ascii", "replace")[:3] or "unknown"
            return None, (
                f"the last plan of head {pull.head[:12]} did not succeed (exit {shown}); "
                "re-run it once the plan is right"
            )
        return _reviewed(files, target, str(run.get("html_url", ""))), ""
    return None, f"no plan of head {pull.head[:12]} was made by {workflow} on the pull request"


def run_id_of(artifact: dict[str, Any]) -> int:
    """The id of the run that uploaded ``artifact`` (0 when GitHub names none)."""
    run = artifact.get("workflow_run")
    number = run.get("id") if isinstance(run, dict) else None
    return number if isinstance(number, int) and number > 0 else 0


def _made_by(run: Any, workflow: str, branch: str) -> bool:
    """A run of the plan workflow as ``branch`` (the default branch) defines it: a
    ``pull_request_target`` run of that file, on that branch."""
    return (
        isinstance(run, dict)
        and run.get("event") == TRUSTED_EVENT
        and run.get("path") == workflow
        and run.get("head_branch") == branch
    )


def artifact_files(data: bytes) -> dict[str, bytes]:
    """The regular files at the top of an artifact zip, each within the cap."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise GitHubError("the plan artifact holds too many files; refusing it")
        return {e.filename: _read(archive, e) for e in entries if "/" not in e.filename.strip("/")}
    except zipfile.BadZipFile:
        raise GitHubError("the plan artifact is not a zip archive") from None


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    with archive.open(entry) as handle:
        body = handle.read(MAX_FILE + 1)
    if len(body) > MAX_FILE:
        raise GitHubError(f"the plan artifact's {entry.filename!r} is too large; refusing it")
    return body


def _reviewed(files: dict[str, bytes], target: str, run_url: str) -> ReviewedPlan:
    plan, pull = files.get(plan_file_name(target)), files.get(PULL_FILE)
    if plan is None or pull is None:
        raise GitHubError(
            f"the plan artifact lacks {plan_file_name(target)} or {PULL_FILE}: "
            "the plan step wrote no plan"
        )
    comment = files.get(comment_file_name(target))
    return ReviewedPlan(
        plan,
        _pull_of(files),
        run_url,
        _text(files.get(markdown_file_name(target), b"")),
        None if comment is None else _text(comment),
    )


def _pull_of(files: dict[str, bytes]) -> dict[str, Any]:
    """The artifact's ``pull-request.json``: ``{}`` when there is none."""
    if PULL_FILE not in files:
        return {}
    try:
        meta = json.loads(files[PULL_FILE])
    except ValueError:
        raise GitHubError(f"the plan artifact's {PULL_FILE} is not JSON") from None
    if not isinstance(meta, dict):
        raise GitHubError(f"the plan artifact's {PULL_FILE} is not an object")
    return meta


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
