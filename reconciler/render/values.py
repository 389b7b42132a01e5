"""How attribute values look in every rendering."""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.model import Item

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters, line separators and text-direction marks: never printed raw, since
they could reorder or hide what a reviewer reads, or drive the terminal."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` on one line, each unprintable character as an escape a reader can see."""
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m[0], f"\\u{ord(m[0]):04x}"), text)


def show(value: Any) -> str:
    """A value as a reader should see it: JSON-quoted strings, items compact."""
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return "[" + ", ".join(_item(item) for item in value) + "]"
    return printable(json.dumps(value, ensure_ascii=False))


def _item(item: Item) -> str:
    fields = dict(item)
    head = json.dumps(fields.pop("value", ""), ensure_ascii=False)
    rest = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(fields.items()))
    return printable(f"{head} ({rest})" if rest else head)
