"""How attribute values look in every rendering (strings escaped by ``printable``)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.escaping import printable
from reconciler.model import Item


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
