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

USER_FIELDS: tuple[tuple[str | int, ...], ...] = (
    ("userName",),
    ("externalId",),
    ("enterprise", "manager"),
)
"""Identifier fields of a user entry (``emails[].value`` is checked too)."""
GROUP_FIELDS: tuple[tuple[str | int, ...], ...] = (("displayName",), ("externalId",))
"""Identifier fields of a group entry (``members[]`` is checked too)."""

_SCHEMA_REFUSES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0")
"""Characters that draw nothing but are not of the format category."""


def unreadable(text: str) -> str | None:
    """Why ``text`` would be stored as something other than what a reader sees, or None."""
    if _SCHEMA_REFUSES.search(text):
        return None
    if text != text.strip():
        end = "starts" if text[:1].isspace() else "ends"
        return (
            f"{text!r} {end} with whitespace, which a reader does not see but the server "
            "would store and match: remove it (or quote the value without it)"
        )
    for position, char in enumerate(text, 1):
        if _invisible(char):
            name = unicodedata.name(char, "unnamed")
            return (
                f"{text!r} holds an invisible character, U+{ord(char):04X} ({name}), at "
                f"character {position}: it reads as {_visible(text)!r} but would be stored "
                "with it; remove it"
            )
    return None


def _invisible(char: str) -> bool:
    return char in _FILLERS or unicodedata.category(char) == "Cf" or _variation(char)


def _variation(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _visible(text: str) -> str:
    return "".join(char for char in text if not _invisible(char))


def identifier_values(
    data: dict[str, Any], kind: str
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path inside the entry, text) of every identifier an entry holds as a string."""
    for path in USER_FIELDS if kind == "users" else GROUP_FIELDS:
        value = _get(data, path)
        if isinstance(value, str):
            yield path, value
    listed, field = ("emails", "value") if kind == "users" else ("members", None)
    values = data.get(listed)
    for index, item in enumerate(values if isinstance(values, list) else ()):
        value = item.get(field) if field and isinstance(item, dict) else item
        if isinstance(value, str):
            yield ((listed, index, field) if field else (listed, index)), value


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data.get(step) if isinstance(data, dict) else None
    return data
