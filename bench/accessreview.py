"""The access review on a long history: who granted each of 10,000 memberships over
10,000 commits (issue 20).

A git repository is generated with ``git fast-import`` (setup, not measured): users in
files of 1,000, groups in files of 100, block style; the first commit holds the users, the
groups and the first memberships, then every commit adds one membership, except every
20th, which gives an existing member an ``until`` (a change of its line that grants
nothing: the review must look past it to the commit that added the member). Twenty
authors take turns, an hour apart.

Measured, against the ``--target`` seconds (the issue's "seconds, not minutes"):

- **history**: ``written_members`` and ``History.origins``, the part that reads git (one
  ``git log -p -U0`` of the desired-state directory, replayed line by line as it streams;
  ``reconciler/access_review/history.py`` says why not a blame per file); wall time, CPU
  time of this process and of git, git processes started, and how many granting commits
  are right (each membership's adding commit is known from the generator: all must be);
- **review**: the whole ``make_review`` (history, pairing with a live org equal to git,
  no server: the live read is the plan's, measured by ``bench/bench.py``) and its four
  renderings;
- **GitHub requests** for ``--github-groups`` groups (the quarterly review of the
  privileged ones), against the fake GitHub API of the tests on 127.0.0.1, each commit
  its own squash-merged pull request: requests sent against the floor (one per granting
  commit, two per pull request: its reviews and its commits). Time for reference only:
  GitHub's own latency is not the fake's.

``python -m bench.accessreview`` (10,000 commits, 10,000 memberships, 1,000 groups);
``--commits``, ``--memberships``, ``--groups``, ``--users``, ``--github-groups``.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: import the bench package from the repo
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.table import Row, count, markdown, seconds
from reconciler.access_review import history as history_module
from reconciler.access_review.history import History
from reconciler.access_review.places import written_members
from reconciler.access_review.review import Sources, make_review
from reconciler.config import Target
from reconciler.desired import DesiredState, load_desired
from reconciler.identity import fold
from reconciler.model import Group, Org, User
from reconciler.policy import Policy
from reconciler.render.access_review import FORMATS, rendered
from reconciler.scim.reader import LiveState

USERS_PER_FILE = 1_000
GROUPS_PER_FILE = 100
UNTIL_EVERY = 20
START = 1_735_689_600  # 2025-01-01T00:00:00Z
TARGET_SECONDS = 10.0


@dataclass(frozen=True)
class Spec:
    commits: int = 10_000
    memberships: int = 10_000
    groups: int = 1_000
    users: int = 3_000
    seed: int = 20


@dataclass
class Generated:
    """The repository, and the commit that added each membership (group, user)."""

    root: Path
    added: dict[tuple[str, str], str] = field(default_factory=dict)
    commits: int = 0


def user_name(index: int) -> str:
    return f"user{index:05d}@example.com"


def group_name(index: int) -> str:
    return f"team-{index:04d}"


def generate(spec: Spec, root: Path) -> Generated:
    """The repository of ``spec`` at ``root``, made with one ``git fast-import``."""
    rng = random.Random(spec.seed)
    pairs = sorted(
        {
            (rng.randrange(spec.groups), rng.randrange(spec.users))
            for _ in range(spec.memberships * 2)
        }
    )
    rng.shuffle(pairs)
    pairs = pairs[: spec.memberships]
    untils = (spec.commits - 1) // UNTIL_EVERY
    first = spec.memberships - (spec.commits - 1 - untils)
    members: dict[int, list[list[Any]]] = {g: [] for g in range(spec.groups)}
    for group, user in pairs[:first]:
        members[group].append([user, None])
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = _Stream()
    users_files = {
        f"desired-state/users/users-{k:03d}.yaml": _users_file(k, spec.users)
        for k in range((spec.users + USERS_PER_FILE - 1) // USERS_PER_FILE)
    }
    group_files = {f: _groups_file(f, members, spec.groups) for f in _group_files(spec.groups)}
    stream.commit({**users_files, **group_files}, "The org")
    marks: list[tuple[int, tuple[str, str]]] = [(1, p) for p in _named(pairs[:first])]
    rest = iter(pairs[first:])
    added: list[tuple[int, int]] = list(pairs[:first])
    for n in range(1, spec.commits):
        if n % UNTIL_EVERY == 0 and added:
            group, user = added[rng.randrange(len(added))]
            entry = next(e for e in members[group] if e[0] == user)
            entry[1] = f"{2030 + n % 5}-01-31"
            message = f"{user_name(user)} in {group_name(group)} until {entry[1]}"
        else:
            group, user = next(rest)
            members[group].append([user, None])
            added.append((group, user))
            marks.append((n + 1, (group_name(group), user_name(user))))
            message = f"{user_name(user)} joins {group_name(group)}"
        file = _group_file_of(group)
        stream.commit({file: _groups_file(file, members, spec.groups)}, message)
    shas = stream.run(root)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)
    return Generated(root, {pair: shas[mark] for mark, pair in marks}, spec.commits)


def _named(pairs: Sequence[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    for group, user in pairs:
        yield group_name(group), user_name(user)


def _users_file(k: int, users: int) -> str:
    first, last = k * USERS_PER_FILE, min(users, (k + 1) * USERS_PER_FILE)
    return "users:\n" + "".join(f"  - userName: {user_name(i)}\n" for i in range(first, last))


def _group_files(groups: int) -> list[str]:
    return sorted({_group_file_of(g) for g in range(groups)})


def _group_file_of(group: int) -> str:
    return f"desired-state/groups/groups-{group // GROUPS_PER_FILE:03d}.yaml"


def _groups_file(file: str, members: dict[int, list[list[Any]]], groups: int) -> str:
    index = int(file.rsplit("-", 1)[1].split(".")[0])
    lines = ["groups:"]
    for group in range(index * GROUPS_PER_FILE, min(groups, (index + 1) * GROUPS_PER_FILE)):
        lines += [f"  - displayName: {group_name(group)}", "    members:"]
        for user, until in members[group]:
            name = user_name(user)
            lines.append(
                f"      - {{user: {name}, until: {until}}}" if until else f"      - {name}"
            )
        if not members[group]:
            lines[-1] = "    members: []"
    return "\n".join(lines) + "\n"


class _Stream:
    """The commits, as a ``git fast-import`` stream: twenty authors, an hour apart."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.count = 0

    def commit(self, files: dict[str, str], message: str) -> None:
        self.count += 1
        n = self.count
        who = f"Author {n % 20:02d} <author{n % 20:02d}@example.com> {START + 3600 * n} +0000"
        head = f"commit refs/heads/main\nmark :{n}\nauthor {who}\ncommitter {who}\n"
        text = message.encode()
        self.parts.append(head.encode() + f"data {len(text)}\n".encode() + text + b"\n")
        if n > 1:
            self.parts.append(f"from :{n - 1}\n".encode())
        for path, body in files.items():
            data = body.encode()
            self.parts.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    def run(self, root: Path) -> dict[int, str]:
        marks = root / ".git" / "bench-marks"
        subprocess.run(
            ["git", "-C", str(root), "fast-import", "--quiet", f"--export-marks={marks}"],
            input=b"".join(self.parts),
            check=True,
        )
        found = {}
        for line in marks.read_text().splitlines():
            mark, sha = line.split()
            found[int(mark[1:])] = sha
        return found


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    spec: Spec
    history_seconds: float
    history_cpu: float
    git_cpu: float
    git_processes: int
    right: int
    memberships: int
    review_seconds: float
    render_seconds: dict[str, float]
    github_requests: int = 0
    github_floor: int = 0
    github_memberships: int = 0
    github_seconds: float = 0.0


@contextmanager
def counting_git() -> Iterator[list[int]]:
    """Count the git processes the review starts."""
    calls = [0]
    real = history_module._command

    def counted(*args: Any, **kwargs: Any) -> list[str]:
        calls[0] += 1
        return real(*args, **kwargs)

    history_module._command = counted  # type: ignore[assignment]
    try:
        yield calls
    finally:
        history_module._command = real


def _cpu() -> tuple[float, float]:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def live_like(org: Org) -> LiveState:
    """The server as an apply would have left it: every user and membership of git."""
    users = tuple(User(u.user_name, u.key, id=f"id-{u.key}") for u in org.users)
    groups = tuple(
        Group(g.display_name, g.key, frozenset(f"id-{k}" for k in g.members), id=f"g-{g.key}")
        for g in org.groups
    )
    return LiveState(Org(users, groups), requests=0)


def measure(spec: Spec, github_groups: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix="scim-bench-review-") as tmp:
        made = generate(spec, Path(tmp) / "identity")
        directory = made.root / "desired-state"
        desired = load_desired(directory)
        user_keys = {fold(u.user_name): u.key or "" for u in desired.org.users}
        cpu_before, git_before = _cpu()
        started = time.perf_counter()
        with counting_git() as calls:
            history = History.of(directory)
            written = written_members(directory, history.root, user_keys)
            origins = history.origins(written.values())
        history_seconds = time.perf_counter() - started
        cpu_after, git_after = _cpu()
        by_name = {u.key: u.user_name for u in desired.org.users}
        right = sum(
            1
            for (group, user), where in written.items()
            if (origin := origins[where]).commit is not None
            and made.added.get((group, by_name[user])) == origin.commit.sha
        )
        review, review_seconds = _review(directory, desired, None, ())
        render_seconds = {}
        for fmt in FORMATS:
            began = time.perf_counter()
            rendered(review, fmt)
            render_seconds[fmt] = time.perf_counter() - began
        figures = Figures(
            spec,
            history_seconds,
            cpu_after - cpu_before,
            git_after - git_before,
            calls[0],
            right,
            len(written),
            review_seconds,
            render_seconds,
        )
        if github_groups:
            figures = _github(figures, made, directory, desired, github_groups)
    return figures


def _review(
    directory: Path, desired: DesiredState, github: Any, only: Sequence[str]
) -> tuple[Any, float]:
    """The whole review, its history read afresh (as a run of the command reads it)."""
    target = Target(name="bench", policy=Policy(privileged_groups=frozenset({"team-0000"})))
    live = live_like(desired.org)
    began = time.perf_counter()
    history = History.of(directory)
    url = "https://scim.example/v2"
    sources = Sources(directory, desired, target, url, live, history, github)
    review = make_review(sources, now=datetime.now(UTC), only=only)
    return review, time.perf_counter() - began


def _github(
    figures: Figures,
    made: Generated,
    directory: Path,
    desired: DesiredState,
    groups: int,
) -> Figures:
    from dataclasses import replace

    from reconciler.github.api import GitHubRepo
    from tests.access_review.fakegithub import ReviewedGitHub
    from tests.github.fakeapi import serving

    only = [group_name(g) for g in range(groups)]
    shas = {sha for (group, _), sha in made.added.items() if group in only}
    with serving(ReviewedGitHub()) as fake:
        for number, sha in enumerate(sorted(shas), start=1):
            fake.merged(
                number,
                sha,
                author=f"author-{number % 20}",
                title=f"grant {number}",
                approvals=[(f"approver-{number % 7}", "2025-06-01T00:00:00Z")],
            )
        fake.requests.clear()
        repo = GitHubRepo(fake.url, fake.repository, fake.token)
        review, took = _review(directory, desired, repo, only)
        sent = len(fake.requests)
    memberships = sum(len(g.members) + len(g.pending) for g in review.groups)
    return replace(
        figures,
        github_requests=sent,
        github_floor=3 * len(shas),
        github_memberships=memberships,
        github_seconds=took,
    )


def rows(f: Figures) -> list[Row]:
    s = f.spec
    found = [
        Row(
            "1",
            f"granting commit of {count(f.memberships)} memberships, {count(s.commits)} commits",
            seconds(f.history_seconds),
            f"≤ {TARGET_SECONDS:.0f} s",
            f.history_seconds <= TARGET_SECONDS,
            f"CPU: this process {f.history_cpu:.2f} s, git {f.git_cpu:.2f} s; "
            f"{count(f.git_processes)} git processes",
        ),
        Row(
            "1",
            "granting commits right (past every `until` change)",
            f"{count(f.right)} of {count(f.memberships)}",
            "all",
            f.right == f.memberships,
        ),
        Row(
            "2",
            "whole review, no server (places, history, pairing), from a fresh start",
            seconds(f.review_seconds),
            f"≤ {TARGET_SECONDS:.0f} s",
            f.review_seconds <= TARGET_SECONDS,
            "rendering: " + ", ".join(f"{k} {v:.2f} s" for k, v in f.render_seconds.items()),
        ),
    ]
    if f.github_floor:
        found.append(
            Row(
                "3",
                f"GitHub requests, {count(f.github_memberships)} memberships of the groups "
                "reviewed (fake API)",
                f"{count(f.github_requests)} (floor {count(f.github_floor)})",
                "= floor",
                f.github_requests == f.github_floor,
                f"the review with GitHub {f.github_seconds:.2f} s on 127.0.0.1",
            )
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the access review on a long git history")
    parser.add_argument("--commits", type=int, default=Spec.commits)
    parser.add_argument("--memberships", type=int, default=Spec.memberships)
    parser.add_argument("--groups", type=int, default=Spec.groups)
    parser.add_argument("--users", type=int, default=Spec.users)
    parser.add_argument("--github-groups", type=int, default=10, help="0: no GitHub part")
    args = parser.parse_args(argv)
    spec = Spec(args.commits, args.memberships, args.groups, args.users)
    if spec.memberships < spec.commits - 1 - (spec.commits - 1) // UNTIL_EVERY:
        parser.error("--memberships must be at least the commits that add one")
    print(markdown(rows(measure(spec, args.github_groups))), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
