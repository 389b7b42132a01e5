"""Which commit granted each membership: git blame, checked against each commit's diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.access_review.history import History, Origin
from reconciler.access_review.places import Written, members_of
from reconciler.desired.yamlfile import load_yaml
from reconciler.errors import InputError
from tests.access_review.gitrepo import GitRepo

FILE = "desired-state/groups.yaml"
ALICE = "Alice Admin <alice@example.com>"
BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Coder <carol@example.com>"


def block(*members: str, indent: str = "      ") -> str:
    lines = ["groups:", "  - displayName: admins", "    members:"]
    return "\n".join([*lines, *(f"{indent}- {m}" for m in members)]) + "\n"


def origins(repo: GitRepo, file: str = FILE) -> dict[str, Origin]:
    """Member → its origin, for every member of ``file``, as the review finds them."""
    history = History.of(repo.root / "desired-state")
    doc = load_yaml(repo.root / file)
    written = [Written(file, line, member, group) for group, member, line in members_of(doc)]
    return {w.member.split("@")[0]: o for w, o in history.origins(written).items()}


def granted(repo: GitRepo, file: str = FILE) -> dict[str, str | None]:
    return {m: o.commit.sha if o.commit else None for m, o in origins(repo, file).items()}


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def test_each_member_is_granted_by_the_commit_that_added_it(repo: GitRepo) -> None:
    first = repo.commit({FILE: block("ann@example.com")}, ALICE, "Ann joins")
    second = repo.commit({FILE: block("ann@example.com", "ben@example.com")}, BOB, "Ben joins")
    third = repo.commit(
        {FILE: block("ann@example.com", "ben@example.com", "cat@example.com")}, CAROL, "Cat"
    )
    assert granted(repo) == {"ann": first, "ben": second, "cat": third}
    ben = origins(repo)["ben"]
    assert ben.commit is not None and ben.changed is None
    assert (ben.commit.author, ben.commit.email) == ("Bob Builder", "bob@example.com")
    assert ben.commit.date == "2026-01-02T00:00:00Z"
    assert ben.commit.summary == "Ben joins"


def test_an_until_added_later_does_not_grant_the_membership(repo: GitRepo) -> None:
    added = repo.commit({FILE: block("ann@example.com", "ben@example.com")}, ALICE, "both")
    ended = repo.commit(
        {FILE: block("ann@example.com", "{user: ben@example.com, until: 2027-01-31}")},
        BOB,
        "Ben until January",
    )
    ben = origins(repo)["ben"]
    assert ben.commit is not None and ben.commit.sha == added
    assert ben.changed is not None and ben.changed.sha == ended


def test_a_flow_list_grants_each_member_by_its_own_commit(repo: GitRepo) -> None:
    flow = "groups:\n  - displayName: admins\n    members: [{}]\n"
    one = repo.commit({FILE: flow.format("ann@example.com")}, ALICE, "ann")
    two = repo.commit({FILE: flow.format("ann@example.com, ben@example.com")}, BOB, "ben")
    three = repo.commit(
        {FILE: flow.format("ann@example.com, ben@example.com, 'cat@example.com'")}, CAROL, "cat"
    )
    assert granted(repo) == {"ann": one, "ben": two, "cat": three}
    assert origins(repo)["ann"].changed is not None  # the line's last change is not its grant


def test_sorting_or_reindenting_the_members_grants_nothing(repo: GitRepo) -> None:
    first = repo.commit({FILE: block("cat@example.com", "ann@example.com")}, ALICE, "two")
    second = repo.commit(
        {FILE: block("cat@example.com", "ann@example.com", "ben@example.com")}, BOB, "ben"
    )
    repo.commit(
        {FILE: block("ann@example.com", "ben@example.com", "cat@example.com")}, CAROL, "sort"
    )
    repo.commit(
        {FILE: block("ann@example.com", "ben@example.com", "cat@example.com", indent="        ")},
        CAROL,
        "indent",
    )
    assert granted(repo) == {"ann": first, "ben": second, "cat": first}


def test_a_member_removed_and_added_again_is_granted_by_the_second_addition(
    repo: GitRepo,
) -> None:
    repo.commit({FILE: block("ann@example.com", "ben@example.com")}, ALICE, "both")
    repo.commit({FILE: block("ann@example.com")}, BOB, "Ben leaves")
    again = repo.commit({FILE: block("ann@example.com", "ben@example.com")}, CAROL, "Ben back")
    assert granted(repo)["ben"] == again


def test_a_renamed_file_keeps_its_grants(repo: GitRepo) -> None:
    first = repo.commit({FILE: block("ann@example.com")}, ALICE, "ann")
    (repo.root / FILE).unlink()
    repo.commit({"desired-state/admins.yaml": block("ann@example.com")}, BOB, "rename")
    assert granted(repo, "desired-state/admins.yaml") == {"ann": first}


def two_groups(admins: list[str], others: list[str]) -> str:
    lines = ["groups:", "  - displayName: admins", "    members:"]
    lines += [f"      - {m}" for m in admins]
    lines += ["  - displayName: others", "    members:"]
    lines += [f"      - {m}" for m in others]
    return "\n".join(lines) + "\n"


def test_a_member_moved_from_another_group_is_granted_by_the_move(repo: GitRepo) -> None:
    first = repo.commit(
        {FILE: two_groups(["ann@example.com", "ben@example.com"], ["cat@example.com"])},
        ALICE,
        "start",
    )
    moved = repo.commit(
        {FILE: two_groups(["ann@example.com"], ["ben@example.com", "cat@example.com"])},
        BOB,
        "Ben moves to admins",
    )
    assert granted(repo) == {"ann": first, "ben": moved, "cat": first}


def test_groups_split_into_new_files_keep_their_grants(repo: GitRepo) -> None:
    first = repo.commit({FILE: two_groups(["ann@example.com"], ["cat@example.com"])}, ALICE, "a")
    second = repo.commit(
        {FILE: two_groups(["ann@example.com", "ben@example.com"], ["cat@example.com"])}, BOB, "b"
    )
    (repo.root / FILE).unlink()
    split = two_groups(["ann@example.com", "ben@example.com"], []).replace(
        "  - displayName: others\n    members:\n", ""
    )
    repo.commit(
        {
            "desired-state/admins.yaml": split,
            "desired-state/others.yaml": (
                "groups:\n  - displayName: others\n"
                "    members: [cat@example.com, dan@example.com]\n"
            ),
        },
        CAROL,
        "one file a group, and Dan joins others",
    )
    assert granted(repo, "desired-state/admins.yaml") == {"ann": first, "ben": second}
    others = origins(repo, "desired-state/others.yaml")
    assert others["cat"].commit is not None and others["cat"].commit.sha == first
    assert others["dan"].commit is not None and others["dan"].commit.sha == repo.commits[-1]


def test_a_member_merged_from_a_branch_is_granted_by_the_merge(repo: GitRepo) -> None:
    first = repo.commit({FILE: block("ann@example.com")}, ALICE, "ann")
    repo.git("checkout", "-q", "-b", "ben-joins")
    repo.commit({FILE: block("ann@example.com", "ben@example.com")}, BOB, "Ben joins")
    repo.git("checkout", "-q", "main")
    repo.commit({"desired-state/other.yaml": "users: []\n"}, CAROL, "meanwhile on main")
    merge = repo.merge("ben-joins", CAROL)
    assert granted(repo) == {"ann": first, "ben": merge}


def test_an_until_not_committed_keeps_the_committed_grant(repo: GitRepo) -> None:
    first = repo.commit({FILE: block("ann@example.com", "ben@example.com")}, ALICE, "both")
    repo.write(FILE, block("ann@example.com", "{user: ben@example.com, until: 2027-01-31}"))
    ben = origins(repo)["ben"]
    assert ben.commit is not None and ben.commit.sha == first and ben.changed is None


def test_a_member_not_committed_has_no_commit(repo: GitRepo) -> None:
    first = repo.commit({FILE: block("ann@example.com")}, ALICE, "ann")
    repo.write(FILE, block("ann@example.com", "ben@example.com"))
    repo.write("desired-state/new.yaml", block("cat@example.com"))
    assert granted(repo) == {"ann": first, "ben": None}
    assert granted(repo, "desired-state/new.yaml") == {"cat": None}
    history = History.of(repo.root / "desired-state")
    assert history.uncommitted(repo.root / "desired-state")


def test_no_repository_no_commit_or_a_shallow_clone_is_refused(
    repo: GitRepo, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(InputError, match="not in a git repository"):
        History.of(outside)
    (repo.root / "desired-state").mkdir()
    with pytest.raises(InputError, match="no commit yet"):
        History.of(repo.root / "desired-state")
    for n in range(3):
        repo.commit({FILE: block(*[f"user{i}@example.com" for i in range(n + 1)])}, ALICE, "x")
    shallow = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow))
    with pytest.raises(InputError, match="shallow"):
        History.of(shallow / "desired-state")
