"""AWS CreateGroup, GetGroup, PatchGroup, DeleteGroup, ServiceProviderConfig and the
limitations page: the sandbox as the pages say. Rows of docs/providers/aws.md."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.conftest import GROUP_SCHEMA, Tenant


def test_a_group_needs_a_display_name(aws: Tenant) -> None:
    """CreateGroup: "displayName is required." (400)."""
    response = aws.http.post("/Groups", json={"schemas": [GROUP_SCHEMA], "externalId": "g1"})

    assert response.status_code == 400
    assert aws.http.get("/Groups").json()["Resources"] == []


def test_an_unknown_group_is_404_to_get_patch_and_delete(aws: Tenant) -> None:
    """GetGroup, PatchGroup, DeleteGroup: "ResourceNotFoundException | Specified group does
    not exist. | 404"; DeleteGroup answers 204 first."""
    group = aws.create_group("admins")

    deleted = aws.http.delete(f"/Groups/{group['id']}")
    renamed = aws.patch(
        f"/Groups/{group['id']}", {"op": "replace", "path": "displayName", "value": "x"}
    )

    assert deleted.status_code == 204
    assert aws.http.get(f"/Groups/{group['id']}").status_code == 404
    assert aws.http.delete(f"/Groups/{group['id']}").status_code == 404
    assert renamed.status_code == 404


@pytest.mark.parametrize("operator", ["ne", "co", "sw"])
def test_member_path_filters_take_only_eq(aws: Tenant, operator: str) -> None:
    """Limitations: "Only eq with and is supported. We currently do not support any other
    filters." A member removal by path filter is refused unless it uses eq."""
    alice = aws.create_user("alice")
    group = aws.create_group("admins", [alice["id"]])

    refused = aws.patch(
        f"/Groups/{group['id']}",
        {"op": "remove", "path": f'members[value {operator} "{alice["id"]}"]'},
    )

    assert refused.status_code == 400
    assert aws.member_ids(group["id"]) == {alice["id"]}


def test_the_pages_own_example_sending_id_is_refused(aws: Tenant) -> None:
    """PatchGroup: "Only displayName, members, and externalId attributes are allowed in the
    request", yet its own example replaces ``{"id": ..., "displayName": ...}``. The
    sandbox takes the constraint (harsher): ``id`` is refused. The client never sends it."""
    group = aws.create_group("admins")

    with_id = aws.patch(
        f"/Groups/{group['id']}",
        {"op": "replace", "value": {"id": group["id"], "displayName": "Group Foo New"}},
    )
    without = aws.patch(
        f"/Groups/{group['id']}", {"op": "replace", "value": {"displayName": "Group Foo New"}}
    )

    assert (with_id.status_code, without.status_code) == (400, 204)


def test_service_provider_config_is_read_only(aws: Tenant) -> None:
    """ServiceProviderConfig: "The /ServiceProviderConfig endpoint is read only."."""
    before = aws.http.get("/ServiceProviderConfig").json()

    writes = [aws.http.request(m, "/ServiceProviderConfig", json={}) for m in ("PUT", "POST")]

    assert [w.status_code for w in writes] == [405, 405]
    assert aws.http.get("/ServiceProviderConfig").json() == before


def test_schemas_and_resource_types_are_served(aws: Tenant) -> None:
    """Limitations: "/Schemas and /ResourceTypes are currently supported"."""
    schemas = aws.http.get("/Schemas")
    types = aws.http.get("/ResourceTypes")

    assert (schemas.status_code, types.status_code) == (200, 200)
    assert {t["name"] for t in types.json()["Resources"]} == {"User", "Group"}


def test_a_member_with_display_is_refused(aws: Tenant) -> None:
    """User guide, supported attributes: "All sub-attributes for groups are supported,
    except for ... 'display' sub-attribute of any multi-valued attribute (For example,
    members)". Refused on POST and PATCH; the client sends members as ``{"value": id}``."""
    alice = aws.create_user("alice")
    with_display = [{"value": alice["id"], "display": "Alice"}]

    posted = aws.post_group("admins", (), members=with_display)
    group = aws.create_group("ops")
    patched = aws.patch(
        f"/Groups/{group['id']}", {"op": "add", "path": "members", "value": with_display}
    )
    plain = aws.patch(
        f"/Groups/{group['id']}",
        {"op": "add", "path": "members", "value": [{"value": alice["id"]}]},
    )

    assert (posted.status_code, patched.status_code, plain.status_code) == (400, 400, 204)


def test_next_cursor_matches_the_documented_pattern(aws: Tenant) -> None:
    """ListUsers and ListGroups: cursor "Pattern: [-a-zA-Z0-9+=/:_]*"; the client sends
    back the ``nextCursor`` it was given."""
    for index in range(3):
        aws.create_user(f"user{index}")
        aws.create_group(f"group{index}")

    cursors = [
        aws.http.get(path, params={"count": 1, "cursor": ""}).json().get("nextCursor")
        for path in ("/Users", "/Groups")
    ]

    assert all(re.fullmatch(r"[-a-zA-Z0-9+=/:_]+", c or "") for c in cursors), cursors
