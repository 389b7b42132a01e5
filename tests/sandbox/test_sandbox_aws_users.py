"""AWS profile: what a user must and must not hold, on POST, PUT and PATCH."""

from __future__ import annotations

import pytest

EMAIL = {"value": "x@example.org", "type": "work", "primary": True}


def test_a_complete_user_is_created(aws):
    response = aws.post_user("alice")

    assert response.status_code == 201
    assert response.json()["name"]["givenName"] == "Alice"


@pytest.mark.parametrize(
    "override",
    [
        {"userName": None},
        {"displayName": None},
        {"name": {"familyName": "Tester"}},
        {"name": {"givenName": "Alice"}},
        {"name": None},
    ],
)
def test_required_attributes_are_enforced(aws, override):
    response = aws.post_user("alice", **override)

    assert response.status_code == 400
    assert "required" in response.json()["detail"]


@pytest.mark.parametrize(
    "override",
    [
        {"emails": [EMAIL, {**EMAIL, "value": "y@example.org", "primary": False}]},
        {"phoneNumbers": [{"value": "+1 555 0100"}, {"value": "+1 555 0101"}]},
        {"addresses": [{"locality": "Paris"}, {"locality": "Lyon"}]},
        {"roles": [{"value": "a"}, {"value": "b"}]},
    ],
)
def test_multi_valued_attributes_take_one_value(aws, override):
    response = aws.post_user("alice", **override)

    assert response.status_code == 400
    assert "single value" in response.json()["detail"]


def test_the_email_must_be_primary(aws):
    response = aws.post_user("alice", emails=[{**EMAIL, "primary": False}])

    assert response.status_code == 400


@pytest.mark.parametrize(
    "override",
    [
        {"password": "hunter2"},
        {"ims": [{"value": "alice", "type": "xmpp"}]},
        {"photos": [{"value": "https://example.org/a.png"}]},
        {"entitlements": [{"value": "e"}]},
        {"x509Certificates": [{"value": "MIIB"}]},
        {"groups": [{"value": "g"}]},
    ],
)
def test_unsupported_attributes_are_refused(aws, override):
    assert aws.post_user("alice", **override).status_code == 400


def test_put_follows_the_same_rules(aws):
    alice = aws.create_user("alice")

    response = aws.http.put(f"/Users/{alice['id']}", json={**alice, "displayName": None})

    assert response.status_code == 400
    assert aws.http.get(f"/Users/{alice['id']}").json()["displayName"] == "Alice"


def test_duplicate_user_name_ignoring_case_is_a_conflict(aws):
    aws.create_user("alice")

    response = aws.post_user("ALICE")

    assert response.status_code == 409


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "emails", "value": [{"value": "y@example.org", "primary": False}]},
        {"op": "remove", "path": "name.givenName"},
        {"op": "replace", "path": "password", "value": "hunter2"},
        {"op": "add", "value": {"photos": [{"value": "https://example.org/a.png"}]}},
        {"op": "remove", "path": "active"},
        {"op": "remove"},
    ],
)
def test_patches_that_would_break_a_rule_are_refused(aws, operation):
    alice = aws.create_user("alice")

    response = aws.patch(f"/Users/{alice['id']}", operation)

    assert response.status_code == 400
    assert aws.http.get(f"/Users/{alice['id']}").json()["name"]["givenName"] == "Alice"


def test_patch_add_replace_and_remove_work(aws):
    alice = aws.create_user("alice", title="Engineer")

    response = aws.patch(
        f"/Users/{alice['id']}",
        {"op": "replace", "path": "displayName", "value": "Alice L."},
        {"op": "add", "path": "nickName", "value": "Al"},
        {"op": "remove", "path": "title"},
    )

    assert response.status_code == 204
    stored = aws.http.get(f"/Users/{alice['id']}").json()
    assert (stored["displayName"], stored["nickName"]) == ("Alice L.", "Al")
    assert "title" not in stored
