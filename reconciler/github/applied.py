"""The last reviewed apply of a target: the commit whose desired state it realised.

``scim-apply.yml`` uploads, after each apply-reviewed, the artifact
``scim-apply-<target>`` holding its exit code (``apply-<target>.exit``). The commit of
the newest such run, on the default branch, by the apply workflow, on a push, that exited
0, is the desired state the server was last brought to by a reviewed plan: heal's
baseline. What git holds beyond it was applied by no reviewed plan, and heal leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.github.api import GitHubApi, check_sha
from reconciler.github.reviewed import MAX_ZIP, artifact_files, run_id_of, safe_target

APPLY_PREFIX = "scim-apply-"
PUSH = "push"
LOOKED_AT = 20
"""Apply runs looked at, newest first, before giving up (each is one download)."""


@dataclass(frozen=True)
class Applied:
    sha: str
    run_url: str


def last_applied(api: GitHubApi, target: str, workflow: str, branch: str) -> Applied | None:
    """The newest successful reviewed apply of ``target`` on ``branch``, or None."""
    safe = safe_target(target)
    name = f"{APPLY_PREFIX}{safe}"
    found = [
        a
        for a in api.pages(api.repo.path("actions", "artifacts"), key="artifacts", name=name)
        if isinstance(a, dict) and a.get("name") == name and isinstance(a.get("id"), int)
    ]
    for artifact in sorted(found, key=run_id_of, reverse=True)[:LOOKED_AT]:
        run = api.get_or_none(api.repo.path("actions", "runs", run_id_of(artifact)))
        if not _an_apply(run, workflow, branch) or artifact.get("expired"):
            continue
        zipped = api.download(api.repo.path("actions", "artifacts", artifact["id"], "zip"), MAX_ZIP)
        if artifact_files(zipped).get(f"apply-{safe}.exit", b"").strip() == b"0":
            return Applied(check_sha(run.get("head_sha"), "the apply run's commit"), _url(run))
    return None


def _an_apply(run: Any, workflow: str, branch: str) -> bool:
    return (
        isinstance(run, dict)
        and run.get("event") == PUSH
        and run.get("path") == workflow
        and run.get("head_branch") == branch
        and run.get("status") == "completed"
    )


def _url(run: dict[str, Any]) -> str:
    url = run.get("html_url")
    return url if isinstance(url, str) else ""
