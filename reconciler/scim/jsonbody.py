"""Decoding a server's JSON body into data that is safe to hold, compare and print.

``decode_json`` is the only place a SCIM body becomes Python objects. What comes out:

* holds no more than ``max_values`` JSON values: the byte cap bounds the body, not
  what parsing makes of it (60 MB of ``[[],[],…]`` is 20 million lists, 1.6 GB), so
  the values are counted, from the bytes, before anything is parsed;
* is valid Unicode: bytes that are not UTF-8 become U+FFFD, and so do lone surrogates
  (``"\\ud800"`` in JSON decodes to a string no file or terminal can encode).

Nothing else is changed: data is what the server sent, an echo of the token
included (``reconciler.scim.redaction`` removes it from what the program writes; a
name changed here would change who is who). The fixing walk runs only when a cheap
search over the text finds a lone surrogate to fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_VALUES = 2_000_000
"""JSON values in one body, at most, as ``value_bound`` counts them: about what 64 MiB
of ordinary SCIM JSON holds (a listing page of some 20,000 users, or a group of some
400,000 members). At the cap, parsing takes a few hundred MB whatever the values are
(1,999,990 distinct short strings, parsed: 240 MiB peak RSS for the whole run of
``scimctl plan``; 60 MiB of ``[[],…]``, refused: about 200 MiB, where parsing it took
1.6 GB)."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class TooManyValues(ValueError):
    """The body holds more JSON values than the cap allows; it was not parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} JSON values")
        self.limit = limit


def value_bound(body: bytes) -> int:
    """An upper bound of the JSON values in ``body``, counted without parsing: each value
    but the first of its array or object follows a comma, the first an opening bracket.
    (Commas and brackets inside strings count too: the bound only errs high.)"""
    return body.count(b",") + body.count(b"[") + body.count(b"{") + 1


def decode_json(body: bytes, max_values: int | None = MAX_VALUES) -> Any:
    """The JSON document of ``body``, made safe (see the module). Raises ``ValueError``
    when it is not JSON, ``TooManyValues`` (a ValueError) when it is too big to parse,
    ``RecursionError`` when absurdly deep."""
    if max_values is not None and value_bound(body) > max_values:
        raise TooManyValues(max_values)
    text = body.decode("utf-8-sig", errors="replace")
    document = json.loads(text)
    if _lone_escape(text):
        document = _fixed(document)
    return document


def _lone_escape(text: str) -> bool:
    """Whether ``text`` escapes a surrogate that is not half of a pair (escaped pairs,
    an emoji in ASCII-only JSON, are common and need no walk)."""
    expect_low = -1
    for found in _SURROGATE_ESCAPE.finditer(text):
        low = found[0][3].lower() in "cdef"
        if low != (found.start() == expect_low):
            return True
        expect_low = found.end() if not low else -1
    return expect_low != -1


def safe_string(text: str) -> str:
    """One string from a server, with lone surrogates replaced."""
    if not text.isprintable() and _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _fixed(document: Any) -> Any:
    """``document`` with every string in it (keys too) made safe; iterative, so a
    document as deep as the parser allows cannot overflow the stack here."""
    root: list[Any] = [document]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        holder, where = stack.pop()
        value = holder[where]
        if isinstance(value, str):
            holder[where] = safe_string(value)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
        elif isinstance(value, dict):
            items = [(safe_string(k), v) for k, v in value.items()]
            value.clear()
            value.update(items)
            stack.extend((value, k) for k, _ in items)
    return root[0]
