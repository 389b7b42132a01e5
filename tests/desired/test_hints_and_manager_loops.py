"""Issue 19 item 14: validate suggests the attribute a typo meant, and refuses a user who
is their own manager or managers that go round in a loop, at each manager line."""

from __future__ import annotations

from pathlib import Path


def _validate(cli, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    directory = tmp_path / "desired"
    directory.mkdir()
    (directory / "users.yaml").write_text(text)
    return cli("validate", "--dir", directory, "--profile", "generic")


def test_an_unknown_attribute_close_to_a_known_one_says_which(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _validate(
        cli,
        tmp_path,
        "users:\n"
        "  - userName: a@example.com\n"
        "    titel: Engineer\n"
        "    name: {givnName: Ada}\n"
        "    emails: [{value: a@example.com, prmary: true}]\n"
        "    favouriteColour: blue\n"
        "groups:\n"
        "  - displayName: eng\n"
        "    membrs: [a@example.com]\n",
    )
    assert result.code == 1
    expected = [
        "users.yaml:3:5: users[0]: unknown attribute 'titel'; did you mean 'title'?",
        "users.yaml:4:12: users[0].name: unknown attribute 'givnName'; did you mean 'givenName'?",
        "users.yaml:5:37: users[0].emails[0]: unknown attribute 'prmary'; did you mean 'primary'?",
        "users.yaml:6:5: users[0]: unknown attribute 'favouriteColour'",  # like nothing known
        "users.yaml:9:5: groups[0]: unknown attribute 'membrs'; did you mean 'members'?",
    ]
    problems = result.err.splitlines()[:-1]
    assert [line.rpartition("/")[2] for line in problems] == expected


def test_a_user_who_is_their_own_manager_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _validate(
        cli,
        tmp_path,
        "users:\n  - userName: ada@example.com\n    enterprise: {manager: Ada@example.com}\n",
    )
    assert result.code == 1
    assert (
        "users.yaml:3:27: user 'ada@example.com' is their own manager; remove the manager or "
        "name another" in result.err
    )


def test_managers_in_a_loop_are_refused_at_each_of_them(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _validate(
        cli,
        tmp_path,
        "users:\n"
        "  - {userName: a@x.com, enterprise: {manager: b@x.com}}\n"
        "  - {userName: b@x.com, enterprise: {manager: c@x.com}}\n"
        "  - {userName: c@x.com, enterprise: {manager: a@x.com}}\n"
        "  - {userName: d@x.com, enterprise: {manager: a@x.com}}\n",  # under the loop: fine
    )
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "loop" in line]
    assert len(lines) == 3
    assert lines[0].endswith(
        "managers go round in a loop ('a@x.com' → 'b@x.com' → 'c@x.com' → 'a@x.com'); a chain "
        "of managers must end"
    )
    assert "Error: 3 problems found" in result.err


def test_a_long_chain_of_managers_is_fine(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    users = ["users:", "  - {userName: u0@x.com}"]
    users += [
        f"  - {{userName: u{i}@x.com, enterprise: {{manager: u{i - 1}@x.com}}}}"
        for i in range(1, 2000)
    ]
    result = _validate(cli, tmp_path, "\n".join(users) + "\n")
    assert result.code == 0, result.err
