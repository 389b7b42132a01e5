"""AWS profile: group reads without members, and the limits on group writes."""

from __future__ import annotations

import pytest


def _add(ids):
    return {"op": "add", "path": "members", "value": [{"value": i} for i in ids]}


def test_group_reads_always_have_empty_members(aws):
    alice = aws.create_user("alice")
    group = aws.create_group("admins", [alice["id"]])

    listed = aws.http.get("/Groups").json()["Resources"]
    read = aws.http.get(f"/Groups/{group['id']}").json()

    assert [g["members"] for g in listed] == [[]]
    assert read["members"] == []
    assert aws.member_ids(group["id"]) == {alice["id"]}  # the membership is still there


def test_100_member_changes_pass_and_101_are_refused(aws):
    ids = [user["id"] for user in aws.create_users(101)]
    group = aws.create_group("big")

    too_many = aws.patch(f"/Groups/{group['id']}", _add(ids[:60]), _add(ids[60:]))
    enough = aws.patch(f"/Groups/{group['id']}", _add(ids[:100]))

    assert too_many.status_code == 400
    assert "100" in too_many.json()["detail"]
    assert enough.status_code == 204
    assert aws.member_ids(group["id"]) == set(ids[:100])


def test_member_removals_count_towards_the_limit(aws):
    ids = [user["id"] for user in aws.create_users(101)]
    group = aws.create_group("big", ids[:100])
    removals = [{"op": "remove", "path": f'members[value eq "{i}"]'} for i in ids[:100]]

    response = aws.patch(f"/Groups/{group['id']}", *removals, _add(ids[100:]))

    assert response.status_code == 400
    assert len(aws.member_ids(group["id"])) == 100  # nothing was applied


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "members"},
        {"op": "replace", "path": "members", "value": []},
        {"op": "replace", "value": {"members": []}},
    ],
)
def test_removing_or_replacing_all_members_is_refused(aws, operation):
    alice = aws.create_user("alice")
    group = aws.create_group("admins", [alice["id"]])

    response = aws.patch(f"/Groups/{group['id']}", operation)

    assert response.status_code == 400
    assert aws.member_ids(group["id"]) == {alice["id"]}


def test_members_can_be_removed_by_value_list_or_filter(aws):
    alice, bob, carol = (aws.create_user(name) for name in ("alice", "bob", "carol"))
    group = aws.create_group("admins", [alice["id"], bob["id"], carol["id"]])

    by_list = aws.patch(
        f"/Groups/{group['id']}",
        {"op": "remove", "path": "members", "value": [{"value": alice["id"]}]},
    )
    by_filter = aws.patch(
        f"/Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{bob["id"]}"]'}
    )

    assert (by_list.status_code, by_filter.status_code) == (204, 204)
    assert aws.member_ids(group["id"]) == {carol["id"]}


def test_only_display_name_members_and_external_id_are_patchable(aws):
    group = aws.create_group("admins")

    refused = aws.patch(f"/Groups/{group['id']}", {"op": "replace", "path": "meta", "value": {}})
    renamed = aws.patch(
        f"/Groups/{group['id']}", {"op": "replace", "path": "displayName", "value": "root"}
    )

    assert refused.status_code == 400
    assert renamed.status_code == 204
    assert aws.http.get(f"/Groups/{group['id']}").json()["displayName"] == "root"


def test_creating_a_group_with_101_members_is_refused(aws):
    ids = [user["id"] for user in aws.create_users(101)]

    assert aws.post_group("big", ids).status_code == 400
    assert aws.post_group("big", ids[:100]).status_code == 201


def test_duplicate_display_name_is_a_conflict(aws):
    aws.create_group("admins")
    other = aws.create_group("ops")

    created = aws.post_group("Admins")
    renamed = aws.patch(
        f"/Groups/{other['id']}", {"op": "replace", "path": "displayName", "value": "admins"}
    )

    assert created.status_code == 409
    assert created.json()["scimType"] == "uniqueness"
    assert renamed.status_code == 409


def test_groups_cannot_be_replaced_with_put(aws):
    group = aws.create_group("admins")

    response = aws.http.put(f"/Groups/{group['id']}", json={"displayName": "root"})

    assert response.status_code == 400
    assert aws.http.get(f"/Groups/{group['id']}").json()["displayName"] == "admins"
