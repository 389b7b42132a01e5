"""Where each membership is written: the file and line of the member in its group's entry.

Read with the YAML loader's marks, from the desired-state files (after ``load_desired``
validated them) and, to follow a member that moved, from a file as an older commit holds
it: the line of ``- bob@…``, of ``user: bob@…`` in ``{user: bob@…, until: …}``, or of a
flow list ``members: [alice@…, bob@…]`` (then several members share a line).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.desired import desired_files
from reconciler.desired.build import desired_group_key
from reconciler.desired.semantic import member_name, member_place
from reconciler.desired.yamlfile import YamlDocument, load_yaml
from reconciler.identity import fold

MembershipKey = tuple[str, str]
"""(group key, user key): one membership of the desired state."""


@dataclass(frozen=True)
class Written:
    """A member as written in a file: the file (relative to the top of the repository),
    the line that names the member, the name, and the key of its group."""

    file: str
    line: int
    member: str
    group: str


def written_members(
    directory: Path, root: Path, user_keys: Mapping[str, str]
) -> dict[MembershipKey, Written]:
    """Every membership of the desired state in ``directory``, where it is written.

    ``root``: the top of the repository; ``user_keys``: the desired users' keys by
    folded userName (members name users)."""
    found: dict[MembershipKey, Written] = {}
    top = root.resolve()
    for path in desired_files(directory):
        if not path.is_file() or b"members" not in path.read_bytes():
            continue  # a file that never says "members" lists none
        file = path.resolve().relative_to(top).as_posix()
        for group, member, line in members_of(load_yaml(path, str(path))):
            user_key = user_keys.get(fold(member))
            if user_key is not None:
                found[(group, user_key)] = Written(file, line, member, group)
    return found


def members_of(doc: YamlDocument) -> Iterator[tuple[str, str, int]]:
    """(group key, member name, line) of each member of each group of ``doc``; what is
    not shaped as a group is passed over (an older commit's file may be anything)."""
    groups = doc.data.get("groups") if isinstance(doc.data, dict) else None
    for index, entry in enumerate(groups if isinstance(groups, list) else ()):
        if not isinstance(entry, dict) or not isinstance(entry.get("displayName"), str):
            continue
        key = desired_group_key(entry)
        for position, item in enumerate(_list(entry.get("members"))):
            name = member_name(item)
            if name is not None:
                mark = doc.mark(("groups", index, *member_place(item, position)))
                yield key, name, mark.line


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
