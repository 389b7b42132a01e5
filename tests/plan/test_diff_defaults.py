"""Defaults the desired state fills in, on servers that do not keep them: the pure diff."""

from __future__ import annotations

from reconciler.model import Org, User, flat_attributes
from reconciler.plan.diff import diff
from reconciler.plan.model import AttrChange, Plan
from reconciler.policy import Policy

DEFAULTED = frozenset({"displayName"})


def desired(**core: object) -> User:
    return User("ada@x.com", "ada@x.com", flat_attributes(core, {}), defaults=DEFAULTED)


def live(**core: object) -> User:
    attrs = flat_attributes(core, {})
    return User("ada@x.com", "ada@x.com", attrs, id="1", external_id="scimctl:ada@x.com")


def test_a_default_the_server_has_none_of_is_not_planned() -> None:
    plan = diff(Org(users=(desired(displayName="Ada L"),)), Org(users=(live(),)), Policy())
    assert plan.changes == ()
    assert plan.warnings == ()


def test_a_default_the_server_keeps_otherwise_is_planned_and_marked() -> None:
    want = desired(displayName="Ada L")
    plan = diff(Org(users=(want,)), Org(users=(live(displayName="Old"),)), Policy())
    (change,) = plan.changes
    assert change.attributes == (AttrChange("displayName", "Old", "Ada L", default=True),)


def test_a_create_marks_the_default_it_sends() -> None:
    plan = diff(Org(users=(desired(displayName="Ada L", title="Eng"),)), Org(), Policy())
    defaults = {a.path for a in plan.changes[0].attributes if a.default}
    assert defaults == {"displayName"}


def test_an_attribute_no_managed_user_has_names_the_mapping_fix() -> None:
    want = desired(displayName="Ada L", title="Eng")
    plan = diff(Org(users=(want,)), Org(users=(live(displayName="Ada L"),)), Policy(), target="t")
    (warning,) = plan.warnings
    assert "no title on the server" in warning
    assert "`mapping: {title: null}` under `targets: t:`" in warning


def test_no_hint_when_another_managed_user_has_the_attribute() -> None:
    want = desired(displayName="Ada L", title="Eng")
    other = User("bo@x.com", "bo@x.com", flat_attributes({"title": "Ops"}, {}), id="2")
    live_org = Org(users=(live(displayName="Ada L"), other))
    plan = diff(Org(users=(want,)), live_org, Policy(), target="t")
    assert plan.warnings == ()
    assert len(plan.changes) == 2  # the title update, and bo removed from the YAML


def test_the_default_flag_survives_the_plan_file() -> None:
    plan = diff(Org(users=(desired(displayName="Ada L"),)), Org(), Policy())
    again = Plan.from_dict(plan.to_dict())
    assert again.changes[0].attributes == plan.changes[0].attributes
