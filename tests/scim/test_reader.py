"""The reader: managers named by key whatever the listing order, and the live model
sharing the values it agrees on with the desired one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.desired.build import build_org
from reconciler.desired.yamlfile import YamlDocument
from reconciler.model import Org
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.scim.discovery import Capabilities
from reconciler.scim.profiles import get_profile
from reconciler.scim.reader import read_live
from reconciler.scim.resources import ENTERPRISE_SCHEMA

MARKER = "scimctl:"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
CAPS = Capabilities(paging="index", page_size=2, patch=True, etags=False, bulk=False, filter=True)
MANAGER = "enterprise.manager"


class Pages:
    """Answers listing GETs from lists, two resources a page."""

    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.found = {"/Users": users, "/Groups": []}

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        found = self.found[path]
        start = int((params or {}).get("startIndex", 1))
        page = found[start - 1 : start + 1]
        body = {"schemas": [LIST], "totalResults": len(found), "startIndex": start}
        return {**body, "Resources": page}


def live_user(name: str, manager: str | None = None, title: str = "Engineer") -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": f"id-{name}",
        "userName": f"{name}@example.com",
        "externalId": f"{MARKER}{name}",
        "title": title,
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
    }
    if manager is not None:
        resource[ENTERPRISE_SCHEMA] = {"manager": {"value": f"id-{manager}"}}
    return resource


def desired_user(name: str, manager: str | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {
        "userName": f"{name}@example.com",
        "externalId": name,
        "title": "Engineer",
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
    }
    if manager is not None:
        user["enterprise"] = {"manager": f"{manager}@example.com"}
    return user


def desired_org(*users: dict[str, Any]) -> Org:
    return build_org([YamlDocument("users.yaml", {"users": list(users)}, b"")])


def read(users: list[dict[str, Any]], like: Org | None = None) -> Org:
    return read_live(Pages(users), CAPS, get_profile("generic"), MARKER, like=like).org


def test_a_manager_listed_before_or_after_its_report_is_named_by_key() -> None:
    users = [live_user("ann", manager="bob"), live_user("bob"), live_user("cid", manager="bob")]
    by_name = {u.user_name: u for u in read(users).users}
    assert by_name["ann@example.com"].attrs[MANAGER] == "bob"  # bob came later
    assert by_name["cid@example.com"].attrs[MANAGER] == "bob"  # bob came earlier


def test_an_unmanaged_user_gets_its_manager_by_key_too() -> None:
    """(What adopting it compares.)"""
    outsider = {**live_user("ann", manager="bob"), "externalId": None}
    (ann, _) = read([outsider, live_user("bob")]).users
    assert ann.attrs[MANAGER] == "bob"


def test_a_manager_the_reader_never_sees_as_managed_stays_an_id() -> None:
    unmanaged = {**live_user("bob"), "externalId": "someone-else"}
    (ann, _) = read([live_user("ann", manager="bob"), unmanaged]).users
    assert ann.attrs[MANAGER] == "id:id-bob"


def test_a_user_as_desired_holds_the_desired_attributes_themselves() -> None:
    desired = desired_org(desired_user("bob"), desired_user("ann", manager="bob"))
    live = read([live_user("bob"), live_user("ann", manager="bob")], like=desired)
    for want, have in zip(desired.users, live.users, strict=True):
        assert have.attrs is want.attrs
    assert diff(desired, live, Policy()).changes == ()


def test_a_user_with_more_than_desired_holds_the_desired_values() -> None:
    desired = desired_org(desired_user("ann"))
    (ann,) = read([{**live_user("ann"), "nickName": "A"}], like=desired).users
    (want,) = desired.users
    assert ann.attrs == {**want.attrs, "nickName": "A"}
    assert all(ann.attrs[path] is value for path, value in want.attrs.items())


def test_a_changed_user_keeps_its_own_values_and_the_change_is_planned() -> None:
    desired = desired_org(desired_user("ann"))
    (ann,) = read([live_user("ann", title="Manager")], like=desired).users
    assert ann.attrs["title"] == "Manager"
    assert ann.attrs["emails"] is not desired.users[0].attrs["emails"]
    (change,) = diff(desired, Org(users=(ann,)), Policy()).changes
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        ("title", "Manager", "Engineer")
    ]


def test_a_manager_resolved_after_sharing_is_the_live_one() -> None:
    """ann's live manager is cid while the desired one is bob: sharing compares the
    unresolved manager as bob's, yet the resolved value must be cid, and planned."""
    desired = desired_org(
        desired_user("ann", manager="bob"), desired_user("bob"), desired_user("cid")
    )
    live = read([live_user("ann", manager="cid"), live_user("bob"), live_user("cid")], like=desired)
    assert live.users[0].attrs[MANAGER] == "cid"
    (change,) = diff(desired, live, Policy()).changes
    assert [(a.path, a.before, a.after) for a in change.attributes] == [(MANAGER, "cid", "bob")]
