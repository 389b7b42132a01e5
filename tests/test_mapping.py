"""Attribute mapping and scope, on in-memory users."""

from __future__ import annotations

from reconciler.mapping import AttributeMapping, for_target, mapping_problems
from reconciler.model import Group, Org, User, flat_attributes

ALICE = User(
    "alice",
    "alice",
    flat_attributes(
        {
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "title": "Eng",
            "emails": [{"value": "a@x.com"}, {"value": "alice@x.com", "primary": True}],
        },
        {"department": "R&D"},
    ),
    custom={"costCenter": "CC-7"},
)


def test_templates_fill_attributes_from_fields() -> None:
    mapping = AttributeMapping(
        {
            "userName": "{emails.primary}",
            "displayName": "{name.givenName} {name.familyName} ({enterprise.department})",
            "enterprise.costCenter": "{attributes.costCenter}",
            "title": None,
        }
    )
    mapped = mapping.apply(ALICE)
    assert mapped.user_name == "alice@x.com"
    assert mapped.key == "alice"
    assert mapped.attrs["displayName"] == "Alice Liddell (R&D)"
    assert mapped.attrs["enterprise.costCenter"] == "CC-7"
    assert "title" not in mapped.attrs


def test_a_missing_field_leaves_the_attribute_out() -> None:
    mapped = AttributeMapping({"nickName": "{attributes.nick}"}).apply(ALICE)
    assert "nickName" not in mapped.attrs


def test_problems_name_unknown_targets_and_fields() -> None:
    problems = dict(mapping_problems({"emails": "x", "title": "{nope}", "userName": None}))
    assert problems == {
        "emails": "mapping: 'emails' is not an attribute a mapping can set",
        "title": "mapping: title: unknown field {nope} in '{nope}'",
        "userName": "mapping: userName cannot be unmanaged",
    }


def test_scope_keeps_only_its_groups_and_their_members() -> None:
    bob = User("bob", "bob")
    org = Org((ALICE, bob), (Group("eng", "eng", frozenset({"alice"})), Group("ops", "ops")))
    narrowed = for_target(org, AttributeMapping({}), frozenset({"eng"}))
    assert [u.user_name for u in narrowed.users] == ["alice"]
    assert [g.display_name for g in narrowed.groups] == ["eng"]
    assert for_target(org, AttributeMapping({}), None) == org


def test_a_mapping_that_writes_a_defaulted_attribute_makes_it_written() -> None:
    user = User("ada@x.com", "k", {"displayName": "Ada L"}, defaults=frozenset({"displayName"}))
    mapped = AttributeMapping({"displayName": "{userName}"}).apply(user)
    assert mapped.attrs["displayName"] == "ada@x.com"
    assert mapped.defaults == frozenset()
    untouched = AttributeMapping({"title": None}).apply(user)
    assert untouched.defaults == frozenset({"displayName"})
