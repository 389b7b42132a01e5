"""Issue 17: a value of the wrong type from the server is a failed read, not a guess.

``"active": "false"`` counted as active (every plan flipped it), ``NaN`` and
``Infinity`` went through to the JSON plan (which was then not JSON), and a member or an
email entry of the wrong shape was dropped or read as something else. Every attribute the
model reads has one JSON type; ``null`` is an absent value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.errors import ProtocolError
from reconciler.scim.jsonbody import decode_json
from reconciler.scim.resources import ENTERPRISE_SCHEMA, parse_group, parse_user

ALICE: dict[str, Any] = {
    "id": "u1",
    "userName": "alice@example.com",
    "externalId": "scimctl:alice@example.com",
    "active": True,
    "name": {"givenName": "Alice", "familyName": "Liddell"},
    "emails": [{"value": "alice@example.com", "type": "work", "primary": True}],
    ENTERPRISE_SCHEMA: {"department": "Wonderland", "manager": {"value": "u2"}},
    "meta": {"version": 'W/"1"', "lastModified": "2026-01-01T00:00:00Z"},
}
ENGINEERS: dict[str, Any] = {
    "id": "g1",
    "displayName": "engineers",
    "externalId": "scimctl:engineers",
    "members": [{"value": "u1"}, {"value": "u2", "display": "Bob"}],
}
NAN = float("nan")
INFINITY = float("inf")

USER_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "active-a-string": (
        {"active": "false"},
        'active is the string "false", where SCIM has true or false',
    ),
    "active-a-number": ({"active": 0}, "active is the number 0, where SCIM has true or false"),
    "title-true": ({"title": True}, "title is true, where SCIM has a string"),
    "title-a-number": ({"title": 7}, "title is the number 7, where SCIM has a string"),
    "title-nan": ({"title": NAN}, "title is the number NaN, where SCIM has a string"),
    "locale-infinity": (
        {"locale": -INFINITY},
        "locale is the number -Infinity, where SCIM has a string",
    ),
    "display-name-an-object": (
        {"displayName": {}},
        "displayName is an object, where SCIM has a string",
    ),
    "external-id-a-number": (
        {"externalId": 5},
        "externalId is the number 5, where SCIM has a string",
    ),
    "user-name-a-number": ({"userName": 5}, "userName is the number 5, where SCIM has a string"),
    "name-a-string": ({"name": "Alice"}, 'name is the string "Alice", where SCIM has an object'),
    "name-empty": ({"name": ""}, 'name is the string "", where SCIM has an object'),
    "given-name-a-list": (
        {"name": {"givenName": ["A"]}},
        "name.givenName is a list, where SCIM has a string",
    ),
    "emails-a-string": (
        {"emails": "a@x.com"},
        'emails is the string "a@x.com", where SCIM has a list of objects',
    ),
    "emails-empty-string": (
        {"emails": ""},
        'emails is the string "", where SCIM has a list of objects',
    ),
    "emails-an-object": (
        {"emails": {"value": "a@x.com"}},
        "emails is an object, where SCIM has a list of objects",
    ),
    "email-a-string": (
        {"emails": ["a@x.com"]},
        'emails[0] is the string "a@x.com", where SCIM has an object',
    ),
    "email-value-a-number": (
        {"emails": [{"value": 1}]},
        "emails[0].value is the number 1, where SCIM has a string",
    ),
    "email-value-true": (
        {"emails": [{"value": True}]},
        "emails[0].value is true, where SCIM has a string",
    ),
    "primary-a-string": (
        {"emails": [{"value": "a@x.com", "primary": "true"}]},
        'emails[0].primary is the string "true", where SCIM has true or false',
    ),
    "primary-a-number": (
        {"phoneNumbers": [{"value": "1"}, {"value": "2", "primary": 1}]},
        "phoneNumbers[1].primary is the number 1, where SCIM has true or false",
    ),
    "address-country-nan": (
        {"addresses": [{"country": NAN}]},
        "addresses[0].country is the number NaN, where SCIM has a string",
    ),
    "enterprise-a-string": (
        {ENTERPRISE_SCHEMA: "x"},
        'the enterprise extension is the string "x", where SCIM has an object',
    ),
    "department-a-number": (
        {ENTERPRISE_SCHEMA: {"department": 42}},
        "enterprise.department is the number 42, where SCIM has a string",
    ),
    "manager-a-string": (
        {ENTERPRISE_SCHEMA: {"manager": "u2"}},
        'enterprise.manager is the string "u2", where SCIM has an object',
    ),
    "manager-value-a-number": (
        {ENTERPRISE_SCHEMA: {"manager": {"value": 2}}},
        "enterprise.manager.value is the number 2, where SCIM has a string",
    ),
    "meta-a-list": ({"meta": []}, "meta is a list, where SCIM has an object"),
    "version-a-number": (
        {"meta": {"version": 3}},
        "meta.version is the number 3, where SCIM has a string",
    ),
    "last-modified-false": (
        {"meta": {"lastModified": False}},
        "meta.lastModified is false, where SCIM has a string",
    ),
}


@pytest.mark.parametrize("case", list(USER_CASES))
def test_a_value_of_the_wrong_type_is_a_failed_read_naming_the_user_and_the_attribute(
    case: str,
) -> None:
    change, wrong = USER_CASES[case]
    with pytest.raises(ProtocolError) as caught:
        parse_user({**ALICE, **change}, "scimctl:", {})
    assert str(caught.value) == (
        f"user u1 cannot be read: {wrong}; nothing is guessed (fix it on the server)"
    )


GROUP_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "display-name-a-number": (
        {"displayName": 5},
        "displayName is the number 5, where SCIM has a string",
    ),
    "external-id-nan": (
        {"externalId": NAN},
        "externalId is the number NaN, where SCIM has a string",
    ),
    "members-an-object": (
        {"members": {"value": "u1"}},
        "members is an object, where SCIM has a list of objects",
    ),
    "member-a-string": (
        {"members": [{"value": "u1"}, "u2"]},
        'members[1] is the string "u2", where SCIM has an object',
    ),
    "member-without-value": (
        {"members": [{"display": "Bob"}]},
        "members[0].value is null, where SCIM has a string",
    ),
    "member-value-a-number": (
        {"members": [{"value": 2}]},
        "members[0].value is the number 2, where SCIM has a string",
    ),
    "version-true": ({"meta": {"version": True}}, "meta.version is true, where SCIM has a string"),
}


@pytest.mark.parametrize("case", list(GROUP_CASES))
def test_a_value_of_the_wrong_type_is_a_failed_read_naming_the_group_and_the_attribute(
    case: str,
) -> None:
    """A member that is not an object with a string ``value`` used to be dropped: the
    group then seemed to lack a member it has."""
    change, wrong = GROUP_CASES[case]
    with pytest.raises(ProtocolError) as caught:
        parse_group({**ENGINEERS, **change}, "scimctl:")
    assert str(caught.value) == (
        f"group g1 cannot be read: {wrong}; nothing is guessed (fix it on the server)"
    )


def test_nan_and_infinity_as_the_json_decoder_reads_them_are_refused_by_name() -> None:
    """The decoder accepts ``NaN`` and ``Infinity`` (Python's json does); what the model
    reads refuses them, and what it does not read (an email's ``display``) is left."""
    body = json.dumps({**ALICE, "title": NAN, "emails": [{"value": "a@x.com", "display": NAN}]})
    assert "NaN" in body
    with pytest.raises(ProtocolError, match="user u1 cannot be read: title is the number NaN"):
        parse_user(decode_json(body.encode()), "scimctl:", {})
    harmless = json.dumps({**ALICE, "emails": [{"value": "a@x.com", "display": INFINITY}]})
    assert parse_user(decode_json(harmless.encode()), "scimctl:", {}).attrs["emails"] == (
        (("value", "a@x.com"),),
    )


def test_the_id_in_the_message_is_shown_safely() -> None:
    hostile = {**ALICE, "id": "u1\x1b[2J" + "x" * 500, "active": "no"}
    with pytest.raises(ProtocolError) as caught:
        parse_user(hostile, "scimctl:", {})
    message = str(caught.value)
    assert "\x1b" not in message and len(message) < 300, message
    assert message.startswith("user u1 [2J") and "active is the string" in message
