"""The pieces of the pull-request pipeline, each against the fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.errors import GitHubError, InputError
from reconciler.github import pull_files
from reconciler.github.api import GitHubApi, GitHubRepo
from reconciler.github.merge_apply import Merged, Push, decide
from reconciler.github.policy_change import policy_change
from reconciler.github.reviewed import merged_pull
from tests.conftest import EXAMPLE
from tests.github.fakeapi import FakeGitHub, serving

HEAD = "a" * 40
MERGE = "b" * 40


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving() as fake:
        fake.branches["main"] = MERGE
        fake.open_pull(7, HEAD)
        yield fake


def api_of(fake: FakeGitHub) -> GitHubApi:
    return GitHubApi(GitHubRepo.from_env(fake.env))


@pytest.mark.parametrize(
    "url", ["http://api.github.example", "file:///etc/passwd", "ftp://127.0.0.1/"]
)
def test_the_api_url_must_be_https_or_this_machine(url: str) -> None:
    env = {"GITHUB_API_URL": url, "GITHUB_REPOSITORY": "a/b", "GITHUB_TOKEN": "t"}
    with pytest.raises(InputError, match="must be an https URL"):
        GitHubRepo.from_env(env)


def test_the_token_is_never_shown() -> None:
    repo = GitHubRepo.from_env({"GITHUB_REPOSITORY": "a/b", "GITHUB_TOKEN": "ghs_secret"})
    assert "ghs_secret" not in repr(repo)


def test_a_commit_pushed_without_a_pull_request_has_none(github: FakeGitHub) -> None:
    with api_of(github) as api:
        assert merged_pull(api, MERGE, "main") is None
        github.merge(7, MERGE)
        found = merged_pull(api, MERGE, "main")
        assert found is not None and (found.number, found.head) == (7, HEAD)
        assert merged_pull(api, MERGE, "release") is None  # merged into another branch


def test_a_run_for_another_branch_is_refused(github: FakeGitHub) -> None:
    with api_of(github) as api:
        merged = Merged("sandbox", "d", {})
        verdict = decide(api, Push(MERGE, "refs/heads/feature", "main"), merged, "w")
    assert verdict.reason == "this run is for 'refs/heads/feature', not the default branch"


def tarball(entries: list[tarfile.TarInfo], bodies: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info in entries:
            body = bodies.get(info.name)
            if body is not None:
                info.size = len(body)
            archive.addfile(info, io.BytesIO(body) if body is not None else None)
    return buffer.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def test_only_regular_files_of_the_directory_are_written_and_nothing_outside(
    github: FakeGitHub, tmp_path: Path
) -> None:
    root = "example-identity-aaaaaaa"
    bodies = {
        f"{root}/desired-state/users/a.yaml": b"users: []\n",
        f"{root}/desired-state/../../escape.yaml": b"x",
        f"{root}/action.yml": b"runs: evil",
        f"{root}/desired-state-other/b.yaml": b"x",
    }
    entries = [
        entry(f"{root}/desired-state/users/a.yaml"),
        entry(f"{root}/desired-state/../../escape.yaml"),
        entry(f"{root}/action.yml"),
        entry(f"{root}/desired-state-other/b.yaml"),
    ]
    github.blobs[f"tar-{HEAD}"] = tarball(entries, bodies)
    into = tmp_path / "pull"
    meta = tmp_path / "pull-request.json"
    argv = ["--pull-request", "7", "--head", HEAD, "--into", str(into), "--meta", str(meta)]
    assert pull_files.run(argv, github.env) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["pull-request.json", "pull/desired-state/users/a.yaml"]
    assert json.loads(meta.read_text()) == {
        "pull_request": 7,
        "head_sha": HEAD,
        "base_ref": "",
        "pusher": "",
    }


@pytest.mark.parametrize(
    ("kind", "target"), [(tarfile.SYMTYPE, "/etc/passwd"), (tarfile.LNKTYPE, "x")]
)
def test_a_link_inside_the_directory_fails_the_fetch_and_nothing_is_planned(
    github: FakeGitHub, tmp_path: Path, kind: bytes, target: str
) -> None:
    root = "example-identity-aaaaaaa"
    bodies = {f"{root}/desired-state/users/a.yaml": b"users: []\n"}
    entries = [
        entry(f"{root}/desired-state/users/a.yaml"),
        entry(f"{root}/desired-state/users/\x1b[2Jlink.yaml", kind, target),
    ]
    github.blobs[f"tar-{HEAD}"] = tarball(entries, bodies)
    argv = ["--pull-request", "7", "--head", HEAD, "--into", str(tmp_path / "p")]
    argv += ["--meta", str(tmp_path / "meta.json")]
    with pytest.raises(GitHubError, match="is not a regular file") as refused:
        pull_files.run(argv, github.env)
    assert "\x1b" not in str(refused.value)
    assert not (tmp_path / "meta.json").exists()


def test_a_backslash_in_a_name_inside_the_directory_fails_the_fetch(
    github: FakeGitHub, tmp_path: Path
) -> None:
    """The loader would read `users\\staff.yaml`; a plan without it would show its users
    as removed, so the fetch fails instead of skipping it (issue 18, 6)."""
    root = "example-identity-aaaaaaa"
    bodies = {
        f"{root}/desired-state/users/a.yaml": b"users: []\n",
        f"{root}/desired-state/users\\staff.yaml": b"users: []\n",
    }
    github.blobs[f"tar-{HEAD}"] = tarball([entry(name) for name in bodies], bodies)
    argv = ["--pull-request", "7", "--head", HEAD, "--into", str(tmp_path / "p")]
    argv += ["--meta", str(tmp_path / "meta.json")]
    with pytest.raises(GitHubError, match="has a backslash in its path"):
        pull_files.run(argv, github.env)
    assert not (tmp_path / "meta.json").exists()


def test_without_a_head_the_pull_requests_current_one_is_fetched(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.commit_tree(HEAD, {"desired-state/users/a.yaml": b"users: []\n"})
    meta = tmp_path / "meta.json"
    argv = ["--pull-request", "7", "--into", str(tmp_path / "p"), "--meta", str(meta)]
    assert pull_files.run(argv, github.env) == 0
    assert json.loads(meta.read_text())["head_sha"] == HEAD


def test_a_redirect_to_plain_http_elsewhere_is_not_followed(github: FakeGitHub) -> None:
    github.commit_tree(HEAD, {"desired-state/a.yaml": b"x"})
    with api_of(github) as api:
        github.url = "http://blobs.example"  # where the fake now redirects downloads
        with pytest.raises(GitHubError, match="redirected to a URL that is not https"):
            api.download(api.repo.path("tarball", HEAD), 1_000_000)


def test_a_download_over_its_cap_is_refused(github: FakeGitHub) -> None:
    github.commit_tree(HEAD, {"desired-state/a.yaml": b"x" * 10_000})
    with api_of(github) as api, pytest.raises(GitHubError, match="larger than 100 bytes"):
        api.download(api.repo.path("tarball", HEAD), 100)


def write_targets(directory: Path, policy: dict[str, object]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    targets = {"targets": {"sandbox": {"url": "http://127.0.0.1:8080/v2", "policy": policy}}}
    (directory / "targets.yaml").write_text(yaml.safe_dump(targets))


def test_the_policy_change_names_each_setting(tmp_path: Path) -> None:
    write_targets(tmp_path / "base", {"privileged_groups": ["aws-admins"], "max_deletes": 5})
    write_targets(tmp_path / "pr", {"max_deletes": 500, "protected_users": ["ceo@example.com"]})
    change = policy_change(tmp_path / "base", tmp_path / "pr", "sandbox")
    assert change[0].startswith("this pull request changes target 'sandbox' in targets.yaml")
    assert change[1:] == (
        "policy.max_deletes: 5 → 500",
        'policy.privileged_groups: ["aws-admins"] → (not set)',
        'policy.protected_users: (not set) → ["ceo@example.com"]',
    )


def test_no_policy_change_is_no_note(tmp_path: Path) -> None:
    assert policy_change(EXAMPLE, EXAMPLE, "sandbox") == ()


def test_a_pull_requests_targets_file_that_does_not_load_is_the_change(tmp_path: Path) -> None:
    write_targets(tmp_path / "base", {})
    (tmp_path / "pr").mkdir()
    (tmp_path / "pr" / "targets.yaml").write_text("targets: &a [*a, *a]\n")
    (change,) = policy_change(tmp_path / "base", tmp_path / "pr", "sandbox")
    assert change.startswith("targets.yaml of the pull request does not load")


def test_plan_with_a_base_refuses_an_invalid_proposed_targets_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proposed = tmp_path / "pr"
    shutil.copytree(EXAMPLE, proposed)
    (proposed / "targets.yaml").write_text("targets:\n  sandbox:\n    urll: x\n")
    done = cli("plan", "--dir", proposed, "--base", EXAMPLE, env={"SCIM_TOKEN": "t"})
    assert done.code == 1
    assert "targets.yaml:3:5" in done.err and "urll" in done.err


def test_each_path_segment_is_one_segment() -> None:
    repo = GitHubRepo.from_env({"GITHUB_REPOSITORY": "acme/identity", "GITHUB_TOKEN": "t"})
    assert repo.path("git", "ref", "heads", "release", "1.x") == (
        "/repos/acme/identity/git/ref/heads/release/1.x"
    )
    assert (
        repo.path("actions", "runs", "1?x=/../2")
        == "/repos/acme/identity/actions/runs/1%3Fx%3D%2F..%2F2"
    )
    for bad in ("..", ".", ""):
        with pytest.raises(GitHubError, match="is not a path"):
            repo.path("git", "ref", "heads", bad)
