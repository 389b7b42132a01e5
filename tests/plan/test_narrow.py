"""``saved.narrow``: a plan file only selects among the rows a plan made now would make."""

from __future__ import annotations

from dataclasses import replace

from reconciler.model import Group, Org, User
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, Member, Plan, Status
from reconciler.plan.saved import narrow
from reconciler.policy import Policy

BOB = User("bob@x.com", "bob@x.com", id="u-bob", external_id="scimctl:bob@x.com")
CAROL = User("carol@x.com", "carol@x.com", id="u-carol", external_id="scimctl:carol@x.com")
LIVE = Org(users=(BOB, CAROL), groups=())
DESIRED = Org(
    users=(User("bob@x.com", "bob@x.com"), User("carol@x.com", "carol@x.com")),
    groups=(Group("eng", "eng", frozenset({"bob@x.com", "carol@x.com"})),),
)


def fresh() -> Plan:
    return diff(DESIRED, LIVE, Policy())


def test_the_same_plan_is_selected_whole() -> None:
    plan = fresh()
    assert narrow(fresh(), plan, LIVE).executable == plan.executable


def test_a_row_held_twice_is_run_once() -> None:
    plan = fresh()
    (create,) = [c for c in plan.changes if c.action is Action.CREATE]
    doubled = replace(plan, changes=(*plan.changes, create))
    narrowed = narrow(fresh(), doubled, LIVE)
    assert [c.action for c in narrowed.executable].count(Action.CREATE) == 1
    assert any("twice" in (c.reason or "") for c in narrowed.changes)


def test_an_edited_marker_or_member_is_refused() -> None:
    plan = fresh()
    forged = tuple(
        replace(c, external_id="scimctl:bob@x.com")
        if c.action is Action.CREATE
        else replace(c, members=(*c.members, Member("x", "x", "u-stranger")))
        for c in plan.changes
    )
    narrowed = narrow(fresh(), replace(plan, changes=forged), LIVE)
    assert narrowed.executable == ()
    assert {c.status for c in narrowed.changes} == {Status.REFUSED}


def test_fewer_members_narrow_and_missing_rows_are_left_out() -> None:
    plan = fresh()
    (add,) = [c for c in plan.changes if c.action is Action.ADD_MEMBERS]
    fewer = replace(add, members=add.members[:1])
    narrowed = narrow(fresh(), replace(plan, changes=(fewer,)), LIVE)
    (only,) = narrowed.executable
    assert only.members == add.members[:1]
