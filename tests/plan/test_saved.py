"""``plan/saved.py``: a saved plan's rows are checked against today's server, one by one.

A plan file is untrusted: each test edits one field of a real plan (made by ``diff``
against an in-memory server) and shows that apply would not widen what it does.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.errors import InputError, PlanFileError
from reconciler.model import Group, Org, User
from reconciler.plan.diff import diff
from reconciler.plan.model import FORMAT_VERSION, Action, Change, Kind, Plan, Status
from reconciler.plan.saved import (
    attach_snapshots,
    check_connection,
    check_origin,
    narrow,
    read_plan,
    write_plan,
)
from reconciler.policy import Policy

BOB = User("bob@x.com", "bob@x.com", id="u-bob", external_id="scimctl:bob@x.com")
CAROL = User("carol@x.com", "carol@x.com", id="u-carol", external_id="scimctl:carol@x.com")
ENG = Group("eng", "eng", frozenset({"u-bob"}), id="g-eng", external_id="scimctl:eng")
LIVE = Org(users=(BOB, CAROL), groups=(ENG,))
DESIRED = Org(
    users=(
        User("bob@x.com", "bob@x.com", {"title": "Engineer"}),
        User("dave@x.com", "dave@x.com"),
    ),
    groups=(Group("eng", "eng", frozenset({"bob@x.com"})), Group("ops", "ops")),
)
"""Bob gets a title, Carol goes, Dave and ops are created: every kind of row."""


def _plan(live: Org = LIVE) -> Plan:
    return attach_snapshots(diff(DESIRED, live, Policy()), live)


def _row(plan: Plan, action: Action, name: str) -> Change:
    (row,) = [c for c in plan.changes if c.action is action and c.name == name]
    return row


def _saved_with(plan: Plan, row: Change) -> Plan:
    """``plan`` as a file holding only ``row`` (edited)."""
    return replace(plan, changes=(row,))


def test_the_rows_are_what_the_test_expects() -> None:
    plan = _plan()
    assert {(c.action, c.name) for c in plan.changes} == {
        (Action.UPDATE, "bob@x.com"),
        (Action.DEACTIVATE, "carol@x.com"),
        (Action.CREATE, "dave@x.com"),
        (Action.CREATE, "ops"),
    }
    assert _row(plan, Action.UPDATE, "bob@x.com").before == {
        "userName": "bob@x.com",
        "externalId": "scimctl:bob@x.com",
    }


def test_a_plan_applied_to_the_server_it_was_made_on_goes_ahead_whole() -> None:
    plan = _plan()
    narrowed = narrow(_plan(), plan, LIVE)
    assert narrowed.executable == plan.executable
    assert all(c.status is Status.PLANNED for c in narrowed.changes)


def test_a_row_changed_on_the_server_since_the_plan_is_refused_naming_what() -> None:
    saved = _plan()
    now = replace(LIVE, users=(BOB._replace(attrs={"title": "Boss"}), CAROL))
    narrowed = narrow(_plan(now), saved, now)
    bob = _row(narrowed, Action.UPDATE, "bob@x.com")
    assert bob.status is Status.REFUSED
    assert bob.reason == "stale: changed since the plan (title)"
    assert _row(narrowed, Action.DEACTIVATE, "carol@x.com").status is Status.PLANNED


@pytest.mark.parametrize("fingerprint", [None, ""])
def test_a_row_without_a_fingerprint_is_still_checked_for_staleness(
    fingerprint: str | None,
) -> None:
    """A file whose row lost its fingerprint (edited, or damaged) does not skip the
    check: the server changed Bob since, so Bob's row is refused."""
    plan = _plan()
    bob = replace(_row(plan, Action.UPDATE, "bob@x.com"), fingerprint=fingerprint)
    now = replace(LIVE, users=(BOB._replace(attrs={"title": "Boss"}), CAROL))
    narrowed = narrow(_plan(now), _saved_with(plan, bob), now)
    (row,) = narrowed.changes
    assert row.status is Status.REFUSED
    assert (row.reason or "").startswith("stale: changed since the plan")


def test_a_row_without_a_fingerprint_is_refused_even_on_an_unchanged_server() -> None:
    """No fingerprint proves the row was made from what the server holds now."""
    plan = _plan()
    bob = replace(_row(plan, Action.UPDATE, "bob@x.com"), fingerprint=None, before=None)
    (row,) = narrow(_plan(), _saved_with(plan, bob), LIVE).changes
    assert row.status is Status.REFUSED
    assert (row.reason or "").startswith("stale: changed since the plan")


def test_a_resource_deleted_since_the_plan_is_refused() -> None:
    plan = _plan()
    now = replace(LIVE, users=(BOB,))
    carol = _row(plan, Action.DEACTIVATE, "carol@x.com")
    (row,) = narrow(_plan(now), _saved_with(plan, carol), now).changes
    assert row.status is Status.REFUSED
    assert row.reason == "stale: it was deleted since the plan"


@pytest.mark.parametrize(
    ("kind", "name", "taken"),
    [
        (Kind.USER, "dave@x.com", User("DAVE@x.com", None, id="u-dave")),
        (Kind.GROUP, "ops", Group("OPS", None, id="g-ops")),
    ],
)
def test_a_create_whose_name_was_taken_since_is_refused(
    kind: Kind, name: str, taken: User | Group
) -> None:
    plan = _plan()
    create = [c for c in plan.changes if c.kind is kind and c.action is Action.CREATE]
    now = (
        replace(LIVE, users=(*LIVE.users, taken))
        if isinstance(taken, User)
        else replace(LIVE, groups=(*LIVE.groups, taken))
    )
    (row,) = narrow(_plan(now), _saved_with(plan, create[0]), now).changes
    assert row.status is Status.REFUSED
    assert row.reason == f"stale: a {kind} named {name!r} exists now"


def test_a_row_a_plan_made_now_would_not_make_is_refused() -> None:
    plan = _plan()
    forged = replace(_row(plan, Action.DEACTIVATE, "carol@x.com"), action=Action.DELETE)
    (row,) = narrow(_plan(), _saved_with(plan, forged), LIVE).changes
    assert row.status is Status.REFUSED
    assert row.reason == (
        "a plan made now would not make this change (the policy, the options such as "
        "--adopt, the server or the plan file differ): plan again"
    )


@pytest.mark.parametrize(
    "edit",
    [
        {"name": "robert@x.com"},
        {"external_id": "scimctl:someone-else"},
        {"attributes": ()},
    ],
)
def test_a_row_a_plan_made_now_would_make_differently_is_refused(edit: dict[str, object]) -> None:
    plan = _plan()
    forged = replace(_row(plan, Action.UPDATE, "bob@x.com"), **edit)  # type: ignore[arg-type]
    (row,) = narrow(_plan(), _saved_with(plan, forged), LIVE).changes
    assert row.status is Status.REFUSED
    assert row.reason == (
        "a plan made now would make this change differently (the server or the plan file "
        "differ): plan again"
    )


def test_rows_the_file_does_not_hold_do_not_run_and_its_decided_rows_stay_decided() -> None:
    plan = _plan()
    carol = _row(plan, Action.DEACTIVATE, "carol@x.com").with_status(Status.SKIPPED, "off")
    narrowed = narrow(_plan(), _saved_with(plan, carol), LIVE)
    assert narrowed.changes == (carol,)
    assert narrowed.executable == ()


def test_a_fresh_row_the_safety_check_would_refuse_is_not_made_planned() -> None:
    plan = _plan()
    fresh = _plan()
    carol = _row(fresh, Action.DEACTIVATE, "carol@x.com")
    refused = carol.with_status(Status.REFUSED, "protected")
    fresh = replace(fresh, changes=tuple(refused if c == carol else c for c in fresh.changes))
    (row,) = narrow(fresh, _saved_with(plan, carol), LIVE).changes
    assert row == refused


def test_the_counts_and_warnings_are_todays() -> None:
    fresh = replace(_plan(), warnings=("today",), unmanaged={"users": 7}, managed={"users": 9})
    saved = replace(_plan(), warnings=("then",), unmanaged={"users": 1}, desired_digest="d1")
    narrowed = narrow(fresh, saved, LIVE)
    assert narrowed.warnings == ("today",)
    assert narrowed.unmanaged == {"users": 7} and narrowed.managed == {"users": 9}
    assert narrowed.desired_digest == "d1"
    assert narrowed.target == fresh.target


# --- the file ------------------------------------------------------------------------------


def test_a_plan_file_reads_back_as_it_was_written(tmp_path: Path) -> None:
    plan = replace(_plan(), desired_digest="abc")
    write_plan(plan, tmp_path / "plan.json")
    assert read_plan(tmp_path / "plan.json") == plan
    assert (tmp_path / "plan.json").read_text().endswith("}\n")


@pytest.mark.parametrize(
    ("content", "error", "says"),
    [
        (None, InputError, "no such plan file"),
        (b"{not json", InputError, "not a plan file (not JSON"),
        (b"\xff\xfe", InputError, "not a plan file (not JSON"),
        (b"[]", InputError, "not a plan file (write one with `scimctl plan --out`)"),
        (b'{"format_version": 1}', InputError, "not a plan file (write one"),
        (b'{"changes": []}', PlanFileError, "plan format version None is not one"),
        (b'{"changes": [], "format_version": 999}', PlanFileError, "version 999"),
    ],
)
def test_a_file_that_is_no_plan_of_ours_is_refused_whole(
    tmp_path: Path, content: bytes | None, error: type[Exception], says: str
) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error) as caught:
        read_plan(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)


def test_a_damaged_plan_file_is_refused_whole(tmp_path: Path) -> None:
    data = _plan().to_dict()
    data["changes"][0]["action"] = "explode"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    assert data["format_version"] == FORMAT_VERSION
    with pytest.raises(InputError, match="the plan file is damaged"):
        read_plan(path)


def test_a_plan_for_another_target_or_desired_state_is_refused(tmp_path: Path) -> None:
    plan = replace(_plan(), desired_digest="d1")
    path = tmp_path / "plan.json"
    check_origin(plan, path, plan.target, "d1")
    with pytest.raises(PlanFileError) as caught:
        check_origin(plan, path, "other", "d1")
    assert str(caught.value) == (
        f"{path} was made for target {plan.target!r}, not 'other'; nothing was applied"
    )
    with pytest.raises(PlanFileError) as caught:
        check_origin(plan, path, plan.target, "d2")
    assert str(caught.value) == (
        f"{path} was made from another desired state (it changed since the plan); nothing "
        "was applied: run plan again"
    )


def test_snapshots_are_attached_to_the_rows_of_live_resources() -> None:
    plan = diff(DESIRED, LIVE, Policy())
    attached = attach_snapshots(plan, LIVE)
    assert _row(attached, Action.DEACTIVATE, "carol@x.com").before == {
        "userName": "carol@x.com",
        "externalId": "scimctl:carol@x.com",
    }
    assert _row(attached, Action.CREATE, "ops").before is None
    assert _row(attached, Action.CREATE, "dave@x.com").before is None


def test_a_row_the_file_holds_twice_runs_once_and_the_second_is_refused() -> None:
    plan = _plan()
    bob = _row(plan, Action.UPDATE, "bob@x.com")
    first, second = narrow(_plan(), replace(plan, changes=(bob, bob)), LIVE).changes
    assert first.status is Status.PLANNED
    assert second.status is Status.REFUSED
    assert second.reason == "the plan file holds this change twice"


def test_every_attribute_that_changed_is_named_once() -> None:
    """Both parts of the name and the title changed: ``name`` is said once."""
    then = BOB._replace(attrs={"name": {"givenName": "Bob", "familyName": "Jones"}})
    before = replace(LIVE, users=(then, CAROL))
    saved = _plan(before)
    moved = BOB._replace(
        attrs={"title": "Boss", "name": {"givenName": "Robert", "familyName": "Smith"}}
    )
    now = replace(LIVE, users=(moved, CAROL))
    bob = _row(saved, Action.UPDATE, "bob@x.com")
    (row,) = narrow(_plan(now), _saved_with(saved, bob), now).changes
    said = (row.reason or "").removeprefix("stale: changed since the plan (").removesuffix(")")
    assert sorted(said.split(", ")) == ["name", "title"]


def test_a_fingerprint_that_matches_nothing_is_stale_even_if_no_attribute_differs() -> None:
    """A forged fingerprint on a row whose snapshot is today's: refused, naming no
    attribute (there is none to name)."""
    plan = _plan()
    bob = replace(_row(plan, Action.UPDATE, "bob@x.com"), fingerprint="0" * 32)
    (row,) = narrow(_plan(), _saved_with(plan, bob), LIVE).changes
    assert row.status is Status.REFUSED
    assert row.reason == "stale: changed since the plan (its content)"


def test_a_plan_file_is_indented_and_keeps_names_as_written(tmp_path: Path) -> None:
    """Plan files are reviewed and diffed by people: two-space indents, and a name in
    its own letters, not as escapes."""
    user = User("josé@x.com", "josé@x.com", id="u-jose", external_id="scimctl:josé@x.com")
    plan = attach_snapshots(diff(Org(), Org(users=(user,)), Policy()), Org(users=(user,)))
    write_plan(plan, tmp_path / "plan.json")
    text = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert "josé@x.com" in text and "\\u00e9" not in text
    assert text.startswith('{\n  "') and '\n    {\n      "' in text
    assert read_plan(tmp_path / "plan.json") == plan


# --- the connection a plan was made against ------------------------------------------------

URL, OTHER = "https://scim.example.com/v2", "https://other.example.com/v2"
BOUND = {"url": URL, "profile": "generic", "target": "t1"}


def _refusal(recorded: dict[str, str], now: dict[str, str], path: Path) -> str:
    with pytest.raises(PlanFileError) as caught:
        check_connection(replace(_plan(), connection=recorded), path, now)
    return str(caught.value)


def test_a_plan_is_applied_only_through_the_connection_it_was_made_on(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    check_connection(replace(_plan(), connection=dict(BOUND)), path, dict(BOUND))
    moved = {**BOUND, "url": OTHER, "profile": "aws-identity-center"}
    assert _refusal(BOUND, moved, path) == (
        f"{path} was made against another connection than this run's (the profile (generic → "
        f"aws-identity-center); the server ({URL} → {OTHER})); nothing was applied: plan "
        "again against this one"
    )
    retargeted = {**BOUND, "target": "t2"}
    assert _refusal(BOUND, retargeted, path) == (
        f"{path} was made against another connection than this run's (the target's settings "
        "in targets.yaml (url, token_env, policy …)); nothing was applied: plan again "
        "against this one"
    )


def test_a_plan_that_records_no_connection_is_refused(tmp_path: Path) -> None:
    said = _refusal({}, {"url": URL, "profile": "generic"}, tmp_path / "p.json")
    assert f"(the profile (? → generic); the server (? → {URL}))" in said


def test_any_other_difference_is_named_by_its_key_or_said_to_be_unrecorded(
    tmp_path: Path,
) -> None:
    said = _refusal({**BOUND, "token_env": "A"}, {**BOUND, "token_env": "B"}, tmp_path / "p")
    assert "this run's (token_env); nothing" in said
    said = _refusal({**BOUND, "extra": "1"}, dict(BOUND), tmp_path / "p")
    assert "this run's (nothing recorded); nothing" in said
