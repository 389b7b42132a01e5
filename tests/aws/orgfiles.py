"""Desired-state directories for the AWS tests, written as a user would write them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

USER = """\
  - userName: {name}
    name: {{givenName: User, familyName: {local}}}
    emails: [{{value: {name}, type: work, primary: true}}]
"""


def names(count: int, prefix: str = "user") -> list[str]:
    return [f"{prefix}{n:03d}@example.com" for n in range(count)]


def write_org(directory: Path, users: Sequence[str], groups: dict[str, Sequence[str]]) -> Path:
    """``users.yaml`` of AWS-valid users and ``groups.yaml`` of these groups (by userName)."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = "".join(USER.format(name=name, local=name.split("@")[0]) for name in users)
    (directory / "users.yaml").write_text("users:\n" + entries if users else "users: []\n")
    lines = ["groups:"] if groups else ["groups: []"]
    for group, members in groups.items():
        lines += [f"  - displayName: {group}", f"    members: [{', '.join(members)}]"]
    (directory / "groups.yaml").write_text("\n".join(lines) + "\n")
    return directory


def logged(log: str, method: str, prefix: str) -> list[str]:
    """The ``-v`` lines of requests sent with ``method`` to a path starting with ``prefix``."""
    return [
        line
        for line in log.splitlines()
        if line.startswith(f"{method} {prefix}") and " -> " in line
    ]
