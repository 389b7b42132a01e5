"""Identifiers that read differently from what a server would store.

A userName written ``"alice@example.com "`` (or with a zero-width space inside, or
a line break that a ``|`` block scalar adds) looks like ``alice@example.com`` to a
reviewer, yet the server stores, matches and compares every character. Such a value
is refused, at its place, in every field that names a resource or refers to one.

Forms that servers may read as another name (not NFC, compatibility characters) are
``reconciler.identity``'s rule; this module reports them at their place.

Control characters and text-direction marks are the schema's to refuse (its
``CONTROL_PATTERN``); this module does not report them a second time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from reconciler.identity import problem

# The fields checked: a user's userName, externalId, enterprise.manager and emails[].value;
# a group's displayName, externalId and members[].

_SCHEMA_REFUSES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0")
"""Characters that draw nothing but are not of the format category."""
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)  # fmt: skip
"""The format characters (Unicode category Cf, as of Unicode 14; a test compares them
with the running Python's): written out, so the check is one regular expression."""
_VARIATION_RANGES = ((0x180B, 0x180D), (0x180F, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
"""Variation selectors (Mongolian's free ones too): marks that draw nothing."""
_SUSPECT = re.compile(
    "["
    + "".join(
        re.escape(chr(low)) + ("-" + re.escape(chr(high)) if high > low else "")
        for low, high in (*_FORMAT_RANGES, *_VARIATION_RANGES)
    )
    + "".join(re.escape(char) for char in sorted(_FILLERS))
    + "]"
)
"""Any invisible character: what ``unreadable`` looks for, in one search."""


def _maybe(value: str) -> bool:
    """Whether ``unreadable`` needs to look at ``value``: false for nearly every value."""
    return not value.isascii() or value != value.strip()


def unreadable(text: str) -> str | None:
    """Why ``text`` would be stored as something other than what a reader sees, or None."""
    if text.isascii():  # the common case: only surrounding spaces can hide
        if not (text[:1].isspace() or text[-1:].isspace()) or _SCHEMA_REFUSES.search(text):
            return None
    elif _SCHEMA_REFUSES.search(text):
        return None
    if text != text.strip():
        end = "starts" if text[:1].isspace() else "ends"
        return (
            f"{text!r} {end} with whitespace, which a reader does not see but the server "
            "would store and match: remove it (or quote the value without it)"
        )
    found = _SUSPECT.search(text)
    if found is not None:
        char, position = found[0], found.start() + 1
        name = unicodedata.name(char, "unnamed")
        return (
            f"{text!r} holds an invisible character, U+{ord(char):04X} ({name}), at "
            f"character {position}: it reads as {_SUSPECT.sub('', text)!r} but would be "
            "stored with it; remove it"
        )
    return problem(text)


def identifier_values(
    data: dict[str, Any], kind: str, known: AbstractSet[str] = frozenset()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path inside the entry, text) of each identifier of an entry that may be unreadable.

    Runs on every entry and member of the desired state, so it is quick to pass over a
    value: ``known`` holds values already found readable (the userNames), which members,
    managers and emails usually repeat.
    """
    if kind == "users":
        yield from _user_values(data, known)
        return
    for key in ("displayName", "externalId"):
        value = data.get(key)
        if value.__class__ is str and _maybe(value):
            yield (key,), value
    yield from _member_values(data.get("members"), known)


def _user_values(
    data: dict[str, Any], known: AbstractSet[str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for key in ("userName", "externalId"):
        value = data.get(key)
        if value.__class__ is str and _maybe(value):
            yield (key,), value
    enterprise = data.get("enterprise")
    manager = enterprise.get("manager") if enterprise.__class__ is dict else None
    if manager.__class__ is str and manager not in known and _maybe(manager):
        yield ("enterprise", "manager"), manager
    emails = data.get("emails")
    if emails.__class__ is list:
        yield from _email_values(emails, known)


def _email_values(
    emails: Any, known: AbstractSet[str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for index, item in enumerate(emails if emails.__class__ is list else ()):
        value = item.get("value") if item.__class__ is dict else None
        if value.__class__ is str and value not in known and _maybe(value):
            yield ("emails", index, "value"), value


def _member_values(
    members: Any, known: AbstractSet[str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if members.__class__ is not list:
        return
    try:
        if known >= set(members):  # the usual case: every member is a readable userName
            return
    except TypeError:  # a member that is no string: the schema reports it
        pass
    for index, value in enumerate(members):
        if value.__class__ is dict:  # a temporary member: {user, until}
            user = value.get("user")
            if user.__class__ is str and user not in known and _maybe(user):
                yield ("members", index, "user"), user
        elif value.__class__ is str and value not in known and _maybe(value):
            yield ("members", index), value
