"""SCIM filter expressions (RFC 7644 §3.4.2.2), with values escaped as JSON strings."""

from __future__ import annotations

import json
import re

ATTRIBUTE = re.compile(r"^[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?$|^urn:[\w:.-]+:[A-Za-z][\w$.-]*$")


def eq(attribute: str, value: str) -> str:
    """``attribute eq "value"``; quotes, backslashes and control characters are escaped."""
    if not ATTRIBUTE.match(attribute):
        raise ValueError(f"not a SCIM attribute path: {attribute!r}")
    return f"{attribute} eq {json.dumps(value, ensure_ascii=False)}"


def member_path(user_id: str) -> str:
    """The PATCH path that names one member: ``members[value eq "<id>"]``."""
    return f"members[{eq('value', user_id)}]"
