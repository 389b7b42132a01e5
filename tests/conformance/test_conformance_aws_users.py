"""AWS CreateUser, PutUser, PatchUser, GetUser, DeleteUser: the sandbox as the pages say.

Rows of docs/providers/aws.md. Where a page is silent or ambiguous the sandbox takes the
harsher reading; the docstring of each test says which.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import Tenant

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def _email(value: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"value": value, "type": "work", "primary": True, **extra}]


# -- CreateUser / PutUser: "Not supported" ---------------------------------------------


@pytest.mark.parametrize(
    "override",
    [
        {"emails": _email("alice@example.org", display="Alice")},
        {"addresses": [{"locality": "Paris", "display": "Paris"}]},
        {"phoneNumbers": [{"value": "+1 555 0100", "display": "555"}]},
    ],
)
def test_the_display_sub_attribute_is_refused(aws: Tenant, override: dict[str, Any]) -> None:
    """CreateUser: not supported: "display subattribute for emails, addresses, and
    phoneNumbers". Refused (400, ValidationException covers "unsupported"), not dropped."""
    response = aws.post_user("alice", **override)

    assert response.status_code == 400
    assert "display" in response.json()["detail"]


def test_the_display_name_of_a_manager_is_refused(aws: Tenant) -> None:
    """CreateUser and PatchUser: not supported: "displayName subattribute for manager"."""
    bob = aws.create_user("bob")
    manager = {"manager": {"value": bob["id"], "displayName": "Bob"}}

    created = aws.post_user("alice", schemas=[CORE, ENTERPRISE], **{ENTERPRISE: manager})
    alice = aws.create_user("alice")
    patched = aws.patch(
        f"/Users/{alice['id']}",
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": manager["manager"]},
    )
    without = aws.patch(
        f"/Users/{alice['id']}",
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": bob["id"]}},
    )

    assert (created.status_code, patched.status_code, without.status_code) == (400, 400, 204)


def test_a_user_name_takes_spaces_on_put_but_not_on_create(aws: Tenant) -> None:
    """CreateUser: userName "can contain letters, accented characters, symbols, numbers,
    punctuation"; PutUser adds "space (normal and nonbreaking)". Each page literally;
    PatchUser is silent, so a PATCH gets the stricter CreateUser rule."""
    alice = aws.create_user("élodie.o'brien+test@example.org")

    spaced = aws.post_user("alice smith")
    put = aws.http.put(f"/Users/{alice['id']}", json={**alice, "userName": "alice\u00a0smith"})
    patched = aws.patch(
        f"/Users/{alice['id']}", {"op": "replace", "path": "userName", "value": "a smith"}
    )
    tab = aws.http.put(f"/Users/{alice['id']}", json={**alice, "userName": "alice\tsmith"})

    assert (spaced.status_code, put.status_code) == (400, 200)
    assert (patched.status_code, tab.status_code) == (400, 400)


def test_addresses_hold_no_line_breaks(aws: Tenant) -> None:
    """CreateUser: addresses "can contain letters, accented characters, symbols, numbers,
    punctuation, space (normal and nonbreaking)": a line break or tab is refused."""
    broken = aws.post_user("alice", addresses=[{"formatted": "1 Main St\nParis"}])
    plain = aws.post_user("bob", addresses=[{"formatted": "1 Main St, Paris\u00a075001"}])

    assert (broken.status_code, plain.status_code) == (400, 201)


# -- "primary email address ... must be unique for each user" ----------------------------


def test_a_primary_email_another_user_holds_is_a_conflict(aws: Tenant) -> None:
    """Provisioning considerations: the primary email "must be unique for each user".
    How AWS refuses is not documented: the sandbox answers 409 (ConflictException, as for
    a taken userName), ignoring case, on POST, PUT and PATCH."""
    aws.create_user("alice", emails=_email("shared@example.org"))
    bob = aws.create_user("bob")

    posted = aws.post_user("carol", emails=_email("SHARED@example.org"))
    put = aws.http.put(f"/Users/{bob['id']}", json={**bob, "emails": _email("shared@example.org")})
    patched = aws.patch(
        f"/Users/{bob['id']}",
        {"op": "replace", "path": "emails", "value": _email("Shared@Example.org")},
    )
    kept = aws.http.put(f"/Users/{bob['id']}", json={**bob, "title": "Engineer"})

    assert (posted.status_code, put.status_code, patched.status_code) == (409, 409, 409)
    assert kept.status_code == 200  # a user keeping its own email is no conflict


# -- PatchUser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "allowed"),
    [
        ({"op": "replace", "path": "roles", "value": [{"value": "admin"}]}, False),
        ({"op": "add", "value": {"roles": [{"value": "admin"}]}}, False),
        ({"op": "replace", "path": "title", "value": "Engineer"}, True),
        ({"op": "replace", "path": "name.givenName", "value": "Al"}, True),
        ({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "R&D"}, True),
        ({"op": "add", "value": {ENTERPRISE: {"costCenter": "42"}}}, True),
    ],
)
def test_only_the_listed_attributes_can_be_modified(
    aws: Tenant, operation: dict[str, Any], allowed: bool
) -> None:
    """PatchUser: "Modification is only allowed for the userName, active, externalId,
    displayName, nickName, profileUrl, title, userType, preferredLanguage, locale,
    timezone, name, enterprise, emails, addresses, and phoneNumbers attributes" (no roles)."""
    alice = aws.create_user("alice")

    response = aws.patch(f"/Users/{alice['id']}", operation)

    assert response.status_code == (204 if allowed else 400), response.text


@pytest.mark.parametrize("attribute", ["active", "userName"])
def test_one_operation_each_on_user_name_and_active(aws: Tenant, attribute: str) -> None:
    """PatchUser: not supported: "Multiple PATCH operations on userName or active attribute"."""
    alice = aws.create_user("alice")
    first, second = (False, True) if attribute == "active" else ("al", "alice2")

    response = aws.patch(
        f"/Users/{alice['id']}",
        {"op": "replace", "path": attribute, "value": first},
        {"op": "replace", "value": {attribute: second}},
    )

    assert response.status_code == 400
    assert aws.http.get(f"/Users/{alice['id']}").json()["userName"] == "alice"


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ('emails[type eq "work"].value', True),
        ('emails[type ne "work"].value', False),
        ('emails[type co "wo"].value', False),
        ('emails[type eq "work" or primary eq true].value', False),
    ],
)
def test_patch_path_filters_take_only_eq(aws: Tenant, path: str, accepted: bool) -> None:
    """PatchUser: "Only the eq operator is supported in filters"."""
    alice = aws.create_user("alice")

    response = aws.patch(
        f"/Users/{alice['id']}", {"op": "replace", "path": path, "value": "a@example.org"}
    )

    assert response.status_code == (204 if accepted else 400), response.text


@pytest.mark.parametrize(
    "operation",
    [
        {"path": "title", "value": "x"},  # "The operation must be specified."
        {"op": "move", "path": "title", "value": "x"},  # "add, replace, and remove"
        {"op": "remove"},  # "The path is required for a remove operation."
        {"op": "add", "path": "title"},  # "A value is required for add and replace."
        {"op": "replace", "path": "title"},
    ],
)
def test_an_operation_needs_its_op_path_and_value(aws: Tenant, operation: dict[str, Any]) -> None:
    """PatchUser constraints on the shape of each operation: each one is a 400."""
    alice = aws.create_user("alice", title="Engineer")

    response = aws.patch(f"/Users/{alice['id']}", operation)

    assert response.status_code == 400
    assert aws.http.get(f"/Users/{alice['id']}").json()["title"] == "Engineer"


def test_a_rename_onto_a_taken_user_name_is_a_conflict(aws: Tenant) -> None:
    """PatchUser and PutUser errors: "ConflictException | User already exists. | 409"."""
    aws.create_user("alice")
    bob = aws.create_user("bob")

    patched = aws.patch(
        f"/Users/{bob['id']}", {"op": "replace", "path": "userName", "value": "ALICE"}
    )
    put = aws.http.put(f"/Users/{bob['id']}", json={**bob, "userName": "Alice"})

    assert (patched.status_code, put.status_code) == (409, 409)


# -- GetUser / DeleteUser -----------------------------------------------------------------


def test_an_unknown_user_is_404_to_get_patch_and_delete(aws: Tenant) -> None:
    """GetUser: "ResourceNotFoundException | Specified user or endpoint does not exist. |
    404"; DeleteUser and PatchUser: "Specified user does not exist." 404."""
    alice = aws.create_user("alice")

    deleted = aws.http.delete(f"/Users/{alice['id']}")
    answers = (
        aws.http.get(f"/Users/{alice['id']}").status_code,
        aws.http.delete(f"/Users/{alice['id']}").status_code,
        aws.patch(f"/Users/{alice['id']}", {"op": "replace", "path": "title", "value": "x"}),
    )

    assert deleted.status_code == 204
    assert answers[:2] == (404, 404)
    assert answers[2].status_code == 404
