"""Heal, as the drift workflow runs it: against the last reviewed apply, and nothing else.

    python -m reconciler.github.heal --dir desired-state --target aws \\
        --workflow .github/workflows/scim-apply.yml --markdown apply.md --report apply.json

Run by the action (``command: heal``). It finds the commit the last reviewed apply of the
target realised (``reconciler.github.applied``) and runs ``scimctl apply --heal SHA``:
what changed on the server behind git's back, or was deleted there, is set back; a
change git holds beyond that commit (a direct push, a merge whose apply refused, or was
cancelled as a second pending run of its concurrency group) is named, never applied.
Without a reviewed apply on record, nothing is applied (exit 3).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.escaping import printable
from reconciler.github.api import GitHubApi, GitHubRepo
from reconciler.github.applied import last_applied
from reconciler.github.entry import default_branch, run_step
from reconciler.github.merge_apply import REFUSED, scimctl
from reconciler.render.markdown import code, marker, prose
from reconciler.session import choose_target


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reconciler.github.heal")
    parser.add_argument("--dir", type=Path, default=Path("desired-state"))
    parser.add_argument("--target", default="")
    parser.add_argument("--workflow", default=".github/workflows/scim-apply.yml")
    parser.add_argument("--markdown", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    return parser.parse_args(argv)


def run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    args = parse(argv)
    target = choose_target(args.dir, args.target or None).name
    with GitHubApi(GitHubRepo.from_env(env)) as api:
        applied = last_applied(api, target, args.workflow, default_branch(env))
    if applied is None:
        reason = (
            f"no reviewed apply of target {printable(target)!r} is on record (a successful "
            f"apply-reviewed run of {args.workflow} whose artifact has not expired): what the "
            "server should hold is unknown, so heal applies nothing"
        )
        print(f"Nothing healed: {reason}.", file=sys.stderr, flush=True)
        args.markdown.write_text(_refused(target, reason))
        return REFUSED
    print(
        f"Healing against the last reviewed apply of {target}: commit {applied.sha[:12]} "
        f"({applied.run_url or 'run'}).",
        flush=True,
    )
    return scimctl(
        "apply", "--dir", args.dir, "--target", target, "--auto-approve",
        "--heal", applied.sha, "--report", args.report, "--markdown", args.markdown,
    )  # fmt: skip


def _refused(target: str, reason: str) -> str:
    lines = [
        marker(target, "apply"),
        f"### scim-reconciler heal of {code(target)}: ⛔ nothing applied",
        "",
        f"**{prose(reason, 1000)}.**",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    run_step(run)
