"""Issue 19 item 2: `validate` reports every problem in one run.

Files with several mistakes each (a wrong indent, a typo'd attribute, a schema type, a
duplicate key, a duplicate user, members and managers that name no user, what the
AWS profile refuses) are fixed one mistake at a time; after each fix, `validate` may
only report problems that were in the first list. A wrong indent costs the entry that
holds it, not its file: the other entries are checked, and what names a user that entry
defines is not called undefined (the syntax error says it is checked once it reads).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ENGINEERING = """\
users:
  - userName: ada@example.com
    name: {givenName: Ada, familyName: Lovelace}
    emails: [{value: ada@example.com, primary: true}]
  - userName: grace@example.com
   name: {givenName: Grace, familyName: Hopper}
    emails: [{value: grace@example.com, primary: true}]
  - userName: alan@example.com
    name: {givenName: Alan, familyName: Turing}
    emails: [{value: alan@example.com, primary: true}]
    titel: Engineer
  - userName: katherine@example.com
    name: {givenName: Katherine}
    emails: [{value: katherine@example.com, primary: true}]
    active: 'yes'
    enterprise: {manager: grace@example.com}
"""
BUSINESS = """\
users:
  - userName: joan@example.com
    name: {givenName: Joan, familyName: Clarke}
    emails: [{value: joan@example.com, primary: true}]
    title: Head of Finance
    title: Boss
    enterprise: {manager: gracie@example.com}
  - userName: ADA@example.com
    name: {givenName: Mary, familyName: Jackson}
    emails: [{value: mary@example.com, primary: true}]
"""
GROUPS = """\
groups:
  - displayName: eng
    members: [ada@example.com, grace@example.com, nobody@example.com]
  - displayName: ops
    membrs: [alan@example.com]
"""
FIXES = [  # (file, the mistake, its fix): each keeps every line where it was
    ("users/engineering.yaml", "\n   name: {givenName: Grace", "\n    name: {givenName: Grace"),
    ("users/engineering.yaml", "titel: Engineer", "title: Engineer"),
    ("users/engineering.yaml", "active: 'yes'", "active: true"),
    ("users/engineering.yaml", "{givenName: Katherine}", "{givenName: Katherine, familyName: J}"),
    ("users/business.yaml", "    title: Boss", "    nickName: Boss"),
    ("users/business.yaml", "manager: gracie@", "manager: grace@"),
    ("users/business.yaml", "userName: ADA@example.com", "userName: mary@example.com"),
    ("groups/groups.yaml", "nobody@example.com", "alan@example.com"),
    ("groups/groups.yaml", "membrs:", "members:"),
]


@pytest.fixture
def org(tmp_path: Path) -> Path:
    directory = tmp_path / "desired-state"
    for name, text in (
        ("users/engineering.yaml", ENGINEERING),
        ("users/business.yaml", BUSINESS),
        ("groups/groups.yaml", GROUPS),
    ):
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    return directory


def _problems(cli, org: Path) -> set[str]:  # type: ignore[no-untyped-def]
    result = cli("validate", "--dir", org, "--profile", "aws-identity-center")
    if result.code == 0:
        return set()
    assert result.code == 1, result.err
    *lines, count = result.err.splitlines()
    noun = "problem" if len(lines) == 1 else "problems"
    assert count == f"Error: {len(lines)} {noun} found; nothing was changed."
    return {line.partition("desired-state/")[2] for line in lines}


def test_fixing_one_mistake_at_a_time_never_reveals_a_new_one(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    first = _problems(cli, org)
    assert len(first) >= len(FIXES), sorted(first)
    for name, mistake, fix in FIXES:
        path = org / name
        assert path.read_text().count(mistake) == 1, mistake
        path.write_text(path.read_text().replace(mistake, fix))
        now = _problems(cli, org)
        assert now <= first, f"after fixing {mistake!r}, new: {sorted(now - first)}"
    assert _problems(cli, org) == set()


def test_a_wrong_indent_costs_its_entry_only(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    first = _problems(cli, org)
    syntax = [p for p in first if "YAML syntax error" in p]
    assert syntax == [
        "users/engineering.yaml:6:4: YAML syntax error: did not find expected '-' indicator "
        "(while parsing a block collection at line 5, column 3); this entry was not read, so "
        "what names 'grace@example.com' elsewhere is checked once it reads"
    ]
    # The same file's other entries are checked: schema, profile, all of them.
    assert (
        "users/engineering.yaml:11:5: users[2]: unknown attribute 'titel'; did you mean 'title'?"
        in first
    )
    assert (
        "users/engineering.yaml:15:13: users[3].active: expected a boolean, got a string ('yes')"
        in first
    )
    assert "users/engineering.yaml:13:11: aws-identity-center requires name.familyName" in first
    # What names grace, whom the unread entry defines, is not called undefined …
    assert not [p for p in first if "'grace@example.com' is not a user" in p]
    assert not [p for p in first if "member 'grace@example.com'" in p]
    # … but a name no entry defines still is, and so is what the other files hold.
    gracie = "manager 'gracie@example.com' is not a user defined in the desired state"
    assert f"users/business.yaml:7:27: {gracie}" in first
    assert any("member 'nobody@example.com' of group 'eng' is not a user" in p for p in first)


def test_a_file_that_reads_not_at_all_says_what_it_leaves_unchecked(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    path = org / "users" / "engineering.yaml"
    path.write_bytes(path.read_bytes().replace(b"Lovelace", b"Lovel\xe9ce"))  # not UTF-8
    problems = _problems(cli, org)
    assert (
        "users/engineering.yaml:3:45: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
        in problems
    )
    assert (
        "users/engineering.yaml:1:1: nothing in this file could be read, so what names "
        "'ada@example.com', 'grace@example.com', 'alan@example.com', 'katherine@example.com' "
        "elsewhere is checked once it reads"
    ) in problems
    assert not [p for p in problems if "member 'ada@example.com'" in p]
    assert any("member 'nobody@example.com'" in p for p in problems)
