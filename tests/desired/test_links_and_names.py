"""Issue 13 items 10 and 14: what a desired-state tree's file names and links can do.

- A link that leads outside ``--dir`` is refused, named, and never read: its content
  (here a git-credentials line) is in no output.
- File names reach the terminal and a CI job log escaped: no ESC, no line break, and
  no line that starts with ``::`` (a workflow command in GitHub Actions).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CREDENTIALS = "https://octocat:ghp_SECRETSECRETSECRET@github.com"


def test_a_link_leaving_the_directory_is_refused_unread(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "home" / ".git-credentials"
    outside.parent.mkdir()
    outside.write_text(CREDENTIALS + "\n")
    directory = tmp_path / "desired"
    (directory / "users").mkdir(parents=True)
    (directory / "users" / "creds.yaml").symlink_to(outside)
    (directory / "users" / "up.yaml").symlink_to("../../home/.git-credentials")
    (directory / "users" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (directory / "home").symlink_to(outside.parent, target_is_directory=True)
    (directory / "ok.yaml").write_text("users:\n  - userName: alice@example.com\n")
    for command in (["validate"], ["plan"]):
        result = cli(*command, "--dir", directory, env={"SCIM_URL": "http://127.0.0.1:9/v2"})
        assert result.code == 1
        output = result.out + result.err
        assert "ghp_SECRET" not in output and "octocat" not in output
        for name in ("creds.yaml", "up.yaml", "gone.yaml"):
            assert f"users/{name}:1:1: is a symbolic link that leads outside the desired" in output
        assert "desired/home:1:1: is a symbolic link to a folder outside the desired" in output
        assert "4 problems found" in output


def test_a_link_inside_the_directory_is_read(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "desired"
    (directory / "shared").mkdir(parents=True)
    (directory / "shared" / "users.yml").write_text("users:\n  - userName: alice@example.com\n")
    (directory / "groups.yaml").write_text("groups:\n  - displayName: eng\n")
    (directory / "link.yaml").symlink_to("groups.yaml")
    result = cli("validate", "--dir", directory, "--profile", "generic")
    # the link and its target define the group twice: both read, both inside
    assert "link.yaml:2:18: group 'eng' is defined twice" in result.err


HOSTILE_NAME = "\x1b[31mred\x1b]0;title\x07\n::add-mask::x\n::error title=spoof::pwned.yaml"


@pytest.mark.skipif(os.name != "posix", reason="file names with control characters")
def test_hostile_file_names_are_escaped(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "desired"
    directory.mkdir()
    (directory / HOSTILE_NAME).write_text("users:\n  - userName: alice@example.com\n    x: 1\n")
    (directory / "::warning::also.yaml").write_text("users: 3\n")
    monkeypatch.chdir(directory)
    result = cli("validate", "--dir", ".")
    assert result.code == 1
    output = result.out + result.err
    assert "\x1b" not in output and "\x07" not in output
    lines = output.splitlines()
    assert not any(line.startswith("::") for line in lines), output
    assert len(lines) == 3, output  # two problems and the count: no line forged
    assert "\\u001b[31mred\\u001b]0;title\\u0007\\n::add-mask::x\\n::error" in output
    assert "./::warning::also.yaml:1:8: users: expected a list" in output
