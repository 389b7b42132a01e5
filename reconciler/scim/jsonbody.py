"""Decoding a server's JSON body into data that is safe to hold, compare and print.

``decode_json`` is the only place a SCIM body becomes Python objects. What comes out:

* holds no more than ``max_values`` JSON values: the byte cap bounds the body, not
  what parsing makes of it (60 MB of ``[[],[],…]`` is 20 million lists, 1.6 GB), so
  the values are counted, from the bytes, before anything is parsed;
* is valid Unicode: bytes that are not UTF-8 become U+FFFD, and so do lone surrogates
  (``"\\ud800"`` in JSON decodes to a string no file or terminal can encode);
* holds no echo of the token: a string that holds it, or its first or last twelve
  characters and what follows or precedes them, is scrubbed
  (``reconciler.scim.redaction.scrub_data``).

The fixing walk runs only when a cheap search over the text finds something to fix.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from reconciler.scim.redaction import NO_SECRETS, Secrets, scrub_data

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


def decode_json(
    body: bytes, secrets: Secrets = NO_SECRETS, max_values: int | None = MAX_VALUES
) -> Any:
    """The JSON document of ``body``, made safe (see the module). Raises ``ValueError``
    when it is not JSON, ``TooManyValues`` (a ValueError) when it is too big to parse,
    ``RecursionError`` when absurdly deep."""
    if max_values is not None and value_bound(body) > max_values:
        raise TooManyValues(max_values)
    text = body.decode("utf-8-sig", errors="replace")
    document = json.loads(text)
    if _lone_escape(text) or _may_echo(text, secrets):
        document = _fixed(document, secrets)
    return document


def _may_echo(text: str, secrets: Secrets) -> bool:
    """Whether ``text`` may spell the token: it holds one of its probes, or a JSON escape
    of one of its characters (``\\u0074``, ``\\/``), with which a body can spell the
    token so that no probe is found in it."""
    if not secrets:
        return False
    return any(p in text for p in secrets.probes) or bool(_escapes(secrets).search(text))


@functools.lru_cache(maxsize=4)
def _escapes(secrets: Secrets) -> re.Pattern[str]:
    """The JSON escapes of the characters the token's forms hold."""
    chars = sorted(set("".join(secrets.forms)))
    short = [re.escape(c) for c in chars if c in '/"\\']
    return re.compile(
        r"\\(?:" + "|".join([*short, *(f"u00{ord(c):02x}" for c in chars)]) + ")", re.I
    )


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


def safe_string(text: str, secrets: Secrets = NO_SECRETS) -> str:
    """One string from a server, with lone surrogates replaced and the token scrubbed
    (when one of its probes is there: a name is not searched for every fragment)."""
    if not text.isprintable() and _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub("\ufffd", text)
    if any(probe in text for probe in secrets.probes):
        text = scrub_data(text, secrets)
    return text


def _fixed(document: Any, secrets: Secrets) -> Any:
    """``document`` with every string in it (keys too) made safe; iterative, so a
    document as deep as the parser allows cannot overflow the stack here."""
    root: list[Any] = [document]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        holder, where = stack.pop()
        value = holder[where]
        if isinstance(value, str):
            holder[where] = safe_string(value, secrets)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
        elif isinstance(value, dict):
            items = [(safe_string(k, secrets), v) for k, v in value.items()]
            value.clear()
            value.update(items)
            stack.extend((value, k) for k, _ in items)
    return root[0]
