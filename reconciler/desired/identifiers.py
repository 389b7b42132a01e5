"""Identifiers that read differently from what a server would store.

A userName written ``"alice@example.com "`` (or with a zero-width space inside, or
a line break that a ``|`` block scalar adds) looks like ``alice@example.com`` to a
reviewer, yet the server stores, matches and compares every character. Such a value
is refused, at its place, in every field that names a resource or refers to one.

Control characters and text-direction marks are the schema's to refuse (its
``CONTROL_PATTERN``); this module does not report them a second time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

USER_FIELDS: tuple[tuple[str, ...], ...] = (
    ("userName",),
    ("externalId",),
    ("enterprise", "manager"),
)
"""Identifier fields of a user entry (``emails[].value`` is checked too)."""
GROUP_FIELDS: tuple[tuple[str, ...], ...] = (("displayName",), ("externalId",))
"""Identifier fields of a group entry (``members[]`` is checked too)."""

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
_VARIATION_RANGES = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
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
    return None


def identifier_values(
    data: dict[str, Any], kind: str
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path inside the entry, text) of each identifier of an entry that may be unreadable.

    Runs on every entry of the desired state: an ASCII value with no surrounding
    whitespace (nearly all of them) is passed over without a call.
    """
    for path in USER_FIELDS if kind == "users" else GROUP_FIELDS:
        value = data.get(path[0])
        if len(path) == 2:
            value = value.get(path[1]) if value.__class__ is dict else None
        if value.__class__ is str and not (value.isascii() and value == value.strip()):
            yield path, value
    listed, field = ("emails", "value") if kind == "users" else ("members", None)
    values = data.get(listed)
    if values.__class__ is not list:
        return
    for index, item in enumerate(values):
        value = item.get(field) if field is not None and item.__class__ is dict else item
        if value.__class__ is str and not (value.isascii() and value == value.strip()):
            yield ((listed, index, field) if field else (listed, index)), value
