"""``scimctl access-review`` against a real sandbox server, a real git repository built
over several commits and pull requests by different people, and the fake GitHub API."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.render.access_review import CSV_COLUMNS
from tests.access_review.fakegithub import ReviewedGitHub
from tests.access_review.gitrepo import GitRepo
from tests.conftest import Server
from tests.github.fakeapi import serving

pytestmark = pytest.mark.integration

USERS = ("ann", "ben", "cat", "dan", "eve")
TARGETS = """\
targets:
  sandbox:
    url: http://127.0.0.1:9/v2
    token_env: SCIM_TOKEN
    policy:
      privileged_groups: [admins]
"""
CSV_SUMMARY = CSV_COLUMNS.index("summary")
CSV_TITLE = CSV_COLUMNS.index("pull_request_title")
ALICE = "Alice Admin <alice@example.com>"
BEN = "Ben Builder <ben@example.com>"
CAT = "Cat Coder <cat@example.com>"
DAN = "Dan Direct <dan@example.com>"
EVE = "Eve Engineer <eve@example.com>"


def users() -> str:
    entries = [
        f"  - userName: {u}@example.com\n    name: {{givenName: {u.title()}, familyName: Test}}\n"
        for u in USERS
    ]
    return "users:\n" + "".join(entries)


def groups(admins: list[str], engineering: list[str]) -> str:
    def members(names: list[str]) -> str:
        return "".join(f"      - {n}\n" for n in names)

    return (
        "groups:\n"
        f"  - displayName: admins\n    members:\n{members(admins)}"
        f"  - displayName: engineering\n    members:\n{members(engineering)}"
    )


@pytest.fixture
def history(tmp_path: Path) -> GitRepo:
    return build(tmp_path / "identity")


def build(root: Path) -> GitRepo:
    """Four commits (three pull requests and a push straight to main; a temporary member);
    ``pending`` adds a fifth, not applied."""
    repo = GitRepo(root)
    repo.commit(
        {
            "desired-state/targets.yaml": TARGETS,
            "desired-state/users.yaml": users(),
            "desired-state/groups.yaml": groups(["ann@example.com"], ["ann@example.com"]),
        },
        ALICE,
        "The first org",
    )
    repo.commit(
        {
            "desired-state/groups.yaml": groups(
                ["ann@example.com", "ben@example.com"], ["ann@example.com"]
            )
        },
        BEN,
        "Ben needs admin for the migration",
    )
    repo.commit(
        {
            "desired-state/groups.yaml": groups(
                [
                    "ann@example.com",
                    "ben@example.com",
                    "{user: eve@example.com, until: 2099-01-31}",
                ],
                ["ann@example.com"],
            )
        },
        CAT,
        "Eve on call",
    )
    repo.commit(
        {
            "desired-state/groups.yaml": groups(
                [
                    "ann@example.com",
                    "ben@example.com",
                    "{user: eve@example.com, until: 2099-01-31}",
                ],
                ["ann@example.com", "cat@example.com"],
            )
        },
        DAN,
        "Cat joins engineering (pushed straight to main)",
    )
    return repo


def pending(repo: GitRepo) -> None:
    """A fifth commit, reviewed and merged but not applied: Dan joins engineering."""
    repo.commit(
        {
            "desired-state/groups.yaml": groups(
                [
                    "ann@example.com",
                    "ben@example.com",
                    "{user: eve@example.com, until: 2099-01-31}",
                ],
                ["ann@example.com", "cat@example.com", "dan@example.com"],
            )
        },
        EVE,
        "Dan joins engineering",
    )


@pytest.fixture
def github(history: GitRepo) -> Iterator[ReviewedGitHub]:
    with serving(ReviewedGitHub()) as fake:
        pull_requests(fake, history)
        yield fake


def pull_requests(fake: ReviewedGitHub, history: GitRepo) -> None:
    """The first three commits' pull requests: one self-approved by its requester (case
    aside), one approved by one of its committers."""
    first, ben, eve, _ = history.commits
    fake.merged(
        1,
        first,
        author="alice-a",
        title="The first org",
        approvals=[("ben-b", "2026-01-01T09:00:00Z")],
    )
    fake.merged(
        2,
        ben,
        author="ben-b",
        title="Ben needs admin for the migration",
        approvals=[("Ben-B", "2026-01-02T09:30:00Z")],
    )
    fake.merged(
        3,
        eve,
        author="cat-c",
        title="Eve on call",
        committers=["cat-c", "dan-d"],
        approvals=[("dan-d", "2026-01-03T10:00:00Z"), ("ann-a", "2026-01-03T11:00:00Z")],
    )


def applied(cli: Any, repo: GitRepo, server: Server) -> Path:
    directory = repo.root / "desired-state"
    done = cli(
        "apply", "--dir", directory, "--auto-approve", "--allow", "privileged", env=server.env
    )
    assert done.code == 0, done.out + done.err
    return directory


def add_by_hand(server: Server, user_name: str, group: str) -> None:
    """What someone does in the console: a member added behind git's back."""
    user = server.user(user_name)
    (found,) = [g for g in server.groups() if g["displayName"] == group]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}],
    }
    assert server.http.patch(f"/Groups/{found['id']}", json=patch).status_code in (200, 204)


def review(cli: Any, directory: Path, env: dict[str, str], *args: str) -> Any:
    done = cli("access-review", "--dir", directory, *args, env=env)
    assert done.code == 0, done.out + done.err
    return done


def members(report: dict[str, Any], group: str) -> dict[str, dict[str, Any]]:
    (found,) = [g for g in report["groups"] if g["group"] == group]
    return {m["user"]: m for m in found["members"]}


def test_the_review_names_who_granted_each_membership_and_who_approved_it(
    cli: Any,
    history: GitRepo,
    github: ReviewedGitHub,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, ben, eve, direct = history.commits
    directory = applied(cli, history, server)
    add_by_hand(server, "dan@example.com", "admins")
    pending(history)
    env = {**server.env, **github.env}
    report = json.loads(review(cli, directory, env, "--format", "json").out)

    assert report["commit"] == history.commits[-1]
    assert report["target"] == "sandbox" and report["url"] == server.url
    assert report["github"] == "example/identity" and report["notes"] == []
    assert [g["group"] for g in report["groups"]] == ["admins", "engineering"]
    admins = members(report, "admins")
    assert admins["ann@example.com"]["grant"]["commit"]["sha"] == first
    assert admins["ann@example.com"]["flags"] == []
    pull = admins["ann@example.com"]["grant"]["pull_request"]
    assert (pull["number"], pull["author"], pull["title"]) == (1, "alice-a", "The first org")
    assert pull["approvals"] == [{"login": "ben-b", "at": "2026-01-01T09:00:00Z"}]

    granted = admins["ben@example.com"]["grant"]
    assert granted["commit"]["sha"] == ben
    assert granted["commit"]["author"] == "Ben Builder"
    assert granted["commit"]["date"] == "2026-01-02T00:00:00Z"
    assert granted["file"] == "desired-state/groups.yaml" and granted["line"] == 5
    assert admins["ben@example.com"]["flags"] == ["self-approved"]  # Ben-B approved ben-b's
    assert granted["pull_request"]["self_approved_by"] == ["Ben-B"]

    assert admins["eve@example.com"]["until"] == "2099-01-31"
    assert admins["eve@example.com"]["grant"]["commit"]["sha"] == eve
    assert admins["eve@example.com"]["flags"] == ["self-approved"]  # dan-d committed to it
    assert admins["eve@example.com"]["grant"]["pull_request"]["self_approved_by"] == ["dan-d"]

    assert admins["dan@example.com"]["flags"] == ["out-of-band"]
    assert (
        admins["dan@example.com"]["grant"] is None and admins["dan@example.com"]["in_git"] is False
    )

    engineering = members(report, "engineering")
    assert engineering["cat@example.com"]["grant"]["commit"]["sha"] == direct
    assert engineering["cat@example.com"]["flags"] == ["no-pull-request"]
    (apart,) = next(g for g in report["groups"] if g["group"] == "engineering")[
        "in_git_not_on_server"
    ]
    assert apart["user"] == "dan@example.com" and apart["on_server"] is False
    assert apart["grant"]["commit"]["sha"] == history.commits[-1]
    assert "does not list it as a member" in apart["not_on_server_because"]
    assert apart["flags"] == ["no-pull-request"]
    assert report["flagged"] == {"out-of-band": 1, "self-approved": 2, "no-pull-request": 2}

    data = {k: v for k, v in report.items() if k != "digest"}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert report["digest"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert all(auth in ("", f"Bearer {github.token}") for _, auth in github.requests)


def test_without_github_the_review_is_of_git_alone_says_so_and_changes_nothing(
    cli: Any, history: GitRepo, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    directory = applied(cli, history, server)
    before = (server.users(), server.groups())
    text = review(cli, directory, server.env).out
    assert (server.users(), server.groups()) == before  # it reads, and changes nothing
    assert "pull requests: not read: git alone" in text
    assert "note: GitHub was not read (GITHUB_TOKEN and GITHUB_REPOSITORY not set)" in text
    assert "pull request #" not in text and "no-pull-request" not in text
    ben = text.index("  ben@example.com\n")
    assert text[ben:].splitlines()[1].startswith(f"    granted by {history.commits[1][:12]} on ")
    assert "Ben Builder <ben@example.com>" in text
    assert "eve@example.com (until 2099-01-31)" in text
    assert text.index("admins (privileged)") < text.index("engineering: ")
    report = json.loads(review(cli, directory, server.env, "--format", "json").out)
    assert report["github"] is None and report["flagged"] == {}


def test_markdown_and_csv_each_carry_a_digest_of_themselves(
    cli: Any, history: GitRepo, github: ReviewedGitHub, server: Server, tmp_path: Path
) -> None:
    directory = applied(cli, history, server)
    add_by_hand(server, "dan@example.com", "admins")
    env = {**server.env, **github.env}
    out = tmp_path / "out"
    out.mkdir()
    review(cli, directory, env, "--group", "ADMINS", "--out", out / "r.md", "--out", out / "r.csv")
    for name in ("r.md", "r.csv"):
        text = (out / name).read_text(encoding="utf-8")
        body, seal = text.rstrip("\n").rsplit("\n", 1)
        digest = hashlib.sha256((body + "\n").encode()).hexdigest()
        assert seal == f"digest: sha256:{digest} (the SHA-256 of every line above this one)"
    markdown = (out / "r.md").read_text(encoding="utf-8")
    assert "### admins (privileged)" in markdown and "engineering" not in markdown
    assert "[#2](https://github.com/example/identity/pull/2)" in markdown
    assert "out of band: on the server, not in git" in markdown
    rows = list(csv.DictReader(io.StringIO((out / "r.csv").read_text(encoding="utf-8"))))
    by_member = {r["member"]: r for r in rows if r["group"] == "admins"}
    assert by_member["dan@example.com"]["flags"] == "out-of-band"
    assert by_member["ben@example.com"]["pull_request"] == "2"
    assert by_member["ben@example.com"]["approved_by"] == "Ben-B 2026-01-02T09:30:00Z"
    assert by_member["eve@example.com"]["until"] == "2099-01-31"
    assert by_member["ann@example.com"]["commit"] == history.commits[0]


def test_an_unknown_group_or_format_is_an_error(cli: Any, history: GitRepo, server: Server) -> None:
    done = cli(
        "access-review",
        "--dir",
        history.root / "desired-state",
        "--group",
        "nobody",
        env=server.env,
    )
    assert done.code == 1 and "--group 'nobody': no group of that name" in done.err
    wrong = cli(
        "access-review", "--dir", history.root / "desired-state", "--format", "xml", env=server.env
    )
    assert wrong.code == 1 and "unknown format 'xml'" in wrong.err


def test_names_from_the_server_git_and_github_are_inert_in_every_format(
    cli: Any, tmp_path: Path, generic_server: Server
) -> None:
    repo = GitRepo(tmp_path / "identity")
    repo.commit(
        {
            "desired-state/targets.yaml": TARGETS,
            "desired-state/users.yaml": users(),
            "desired-state/groups.yaml": groups(["ann@example.com"], ["ann@example.com"]),
        },
        "Mallory \x1b[2J\u202eevil <=cmd|' /C calc'!A0@example.com>",
        '=HYPERLINK("https://evil") \x1b]8;;x\x07',
    )
    directory = applied(cli, repo, generic_server)
    hostile = "ops\x1b[31m\u2028::error::forged"
    made = generic_server.http.post(
        "/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": hostile},
    )
    assert made.status_code == 201
    add_by_hand(generic_server, "ben@example.com", hostile)
    with serving(ReviewedGitHub()) as github:
        github.merged(
            1,
            repo.commits[0],
            author="mallory",
            title="<img src=x onerror=alert(1)> @acme/admins ]](javascript:x) =1+1",
            approvals=[("mallory", "2026-01-01T00:00:00Z")],
        )
        env = {**generic_server.env, **github.env}
        out = tmp_path / "out"
        out.mkdir()
        files = [out / "r.txt", out / "r.md", out / "r.csv"]
        review(cli, directory, env, *(arg for f in files for arg in ("--out", str(f))))
    text, markdown, table = (f.read_text(encoding="utf-8") for f in files)
    for written in (text, markdown, table):
        assert "\x1b" not in written and "\u202e" not in written and "\u2028" not in written
        assert not any(line.startswith("::") for line in written.splitlines())
    assert "ops\\u001b[31m\\u2028::error::forged: 1 on the server, the group is not in git" in text
    assert "<img" not in markdown and "@acme" not in markdown and "](javascript" not in markdown
    rows = list(csv.reader(io.StringIO(table)))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    (ann,) = [r for r in rows if r[:3] == ["admins", "yes", "ann@example.com"]]
    assert "'=HYPERLINK" in ann[CSV_SUMMARY] and ann[CSV_TITLE].startswith("<img")
