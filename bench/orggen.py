"""A deterministic org of any size, in the three forms the benchmark needs.

- the desired state: plain data as the YAML loader returns it, and YAML files that a
  person could have written (block style, 1,000 users a file);
- the SCIM bodies that load a server with the same org, as ``scimctl apply`` writes it
  (our ownership marker, managers and members by id), so a plan against it is empty;
- the live JSON a listing returns (bodies plus ``id`` and ``meta``), for the diff cost.

User *i*: userName, externalId ``E{i:07d}``, given and family name, displayName, one
primary work email, a phone number for every third user, title, ``active`` (false for
every 17th), enterprise department, employeeNumber and manager (user ``i // 10``; user 0
has none). Groups ``team-00000`` …; each user is in 1 to 5 of them, 3 on average.
Ids are derived from names, so every process computes the same ones.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "scimctl:"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/desired-state.schema.json\n"

GIVEN = ["Alice", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Gustav", "Hana", "Ines", "Jürgen"]
FAMILY = ["Liddell", "Smith", "Nguyen", "O'Brien", "Kowalski", "Müller", "Tanaka", "García"]
DEPARTMENTS = ["R&D", "Sales", "Finance", "Support", "Legal", "Platform Engineering"]
TITLES = ["Engineer", "Senior Engineer", "Account Executive", "Analyst", "Counsel", "Manager"]
GROUPS_PER_USER = (1, 2, 3, 4, 5)
"""How many groups a user is in, drawn uniformly: 3 on average."""

_IDS = uuid.UUID("6f1c7a52-8d1e-4c1b-9a57-5b0c2f4e9d10")

User = dict[str, Any]
GroupData = dict[str, Any]


@dataclass(frozen=True)
class OrgSpec:
    users: int
    groups: int
    seed: int = 7


@dataclass
class OrgData:
    """An org in desired form: user entries and group entries as the YAML holds them."""

    users: list[User] = field(default_factory=list)
    groups: list[GroupData] = field(default_factory=list)

    @property
    def memberships(self) -> int:
        return sum(len(g["members"]) for g in self.groups)


# --- the desired state -------------------------------------------------------------------


def generate(spec: OrgSpec) -> OrgData:
    """The org of ``spec``: the same data for the same spec, in every process."""
    rng = random.Random(spec.seed)
    users = [_user(i, rng) for i in range(spec.users)]
    members: list[list[str]] = [[] for _ in range(spec.groups)]
    for user in users:
        count = min(rng.choice(GROUPS_PER_USER), spec.groups)
        for index in rng.sample(range(spec.groups), count):
            members[index].append(user["userName"])
    groups = [{"displayName": group_name(j), "members": m} for j, m in enumerate(members)]
    return OrgData(users, groups)


def user_name(i: int) -> str:
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
    return f"{given.lower()}.{family.lower().replace(chr(39), '')}{i}@example.com"


def group_name(j: int) -> str:
    return f"team-{j:05d}"


def _user(i: int, rng: random.Random) -> User:
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
    login = user_name(i)
    user: User = {
        "userName": login,
        "externalId": f"E{i:07d}",
        "name": {"givenName": given, "familyName": family},
        "displayName": f"{given} {family}",
        "emails": [{"value": login, "type": "work", "primary": True}],
    }
    if i % 3 == 0:
        user["phoneNumbers"] = [{"value": f"+44 20 7946 {i % 10000:04d}", "type": "work"}]
    user["title"] = rng.choice(TITLES)
    user["active"] = i % 17 != 0
    enterprise = {"department": rng.choice(DEPARTMENTS), "employeeNumber": str(i)}
    if i > 0:
        enterprise["manager"] = user_name(i // 10)
    user["enterprise"] = enterprise
    return user


def with_changes(org: OrgData, fraction: float, seed: int = 11) -> OrgData:
    """A desired state that differs from ``org`` for ``fraction`` of its users.

    A quarter each: a new title (update), removed (deactivation, and its memberships
    removed), new users (create, each in one group), moved to another group
    (one membership removed, one added). Managers are never removed.
    """
    rng = random.Random(seed)
    quarter = max(1, round(len(org.users) * fraction / 4))
    managers = len(org.users) // 10 + 1
    active = [i for i in range(managers, len(org.users)) if org.users[i]["active"]]
    picked = rng.sample(active, 3 * quarter)
    retitled, removed, moved = (
        picked[:quarter],
        picked[quarter : 2 * quarter],
        picked[2 * quarter :],
    )
    users = [dict(u) for u in org.users]
    for i in retitled:
        users[i]["title"] = "Principal " + users[i]["title"]
    gone = {org.users[i]["userName"] for i in removed}
    groups = [
        {"displayName": g["displayName"], "members": [m for m in g["members"] if m not in gone]}
        for g in org.groups
    ]
    _move(groups, [org.users[i]["userName"] for i in moved], rng)
    kept = [u for u in users if u["userName"] not in gone]
    return OrgData(kept + extension(org, groups, quarter, rng), groups)


def _move(groups: list[GroupData], names: list[str], rng: random.Random) -> None:
    where: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        for member in group["members"]:
            where.setdefault(member, []).append(index)
    for name in names:
        current = where.get(name, [])
        if current:
            groups[current[0]]["members"].remove(name)
        others = [j for j in range(len(groups)) if j not in current]
        if others:
            groups[rng.choice(others)]["members"].append(name)


def extension(org: OrgData, groups: list[GroupData], count: int, rng: random.Random) -> list[User]:
    """``count`` new users after the last of ``org``, each added to one of ``groups``.

    Their managers are existing users, so a create never waits for another.
    """
    start = len(org.users)
    new = [_user(start + k, rng) for k in range(count)]
    for k, user in enumerate(new):
        user["enterprise"]["manager"] = org.users[k % max(1, start // 10)]["userName"]
        if groups:
            groups[k % len(groups)]["members"].append(user["userName"])
    return new


# --- YAML files ---------------------------------------------------------------------------

_PLAIN = re.compile(r"[^\W\d_][\w@.+'& -]*")
_RESERVED = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def scalar(value: Any) -> str:
    """A YAML scalar: plain where a person would write it plain, else JSON-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if _PLAIN.fullmatch(text) and not text.endswith(" ") and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _mapping(data: dict[str, Any], indent: str, first: str) -> Iterator[str]:
    """Block-style lines of a mapping; ``first`` prefixes its first line (``- `` in a list)."""
    lead = first
    for key, value in data.items():
        if isinstance(value, dict):
            yield f"{lead}{key}:\n"
            yield from _mapping(value, indent + "  ", indent + "  ")
        elif isinstance(value, list):
            yield f"{lead}{key}:\n"
            for item in value:
                if isinstance(item, dict):
                    yield from _mapping(item, indent + "    ", indent + "  - ")
                else:
                    yield f"{indent}  - {scalar(item)}\n"
        else:
            yield f"{lead}{key}: {scalar(value)}\n"
        lead = indent


def entries_yaml(kind: str, entries: Sequence[dict[str, Any]]) -> str:
    lines = [SCHEMA_LINE, f"{kind}:\n"]
    for entry in entries:
        lines += _mapping(entry, "    ", "  - ")
    return "".join(lines)


def write_desired(
    directory: Path, org: OrgData, users_per_file: int = 1000, groups_per_file: int = 500
) -> list[Path]:
    """Write ``org`` as YAML under ``directory`` (users/ and groups/); return the files."""
    paths = []
    for kind, entries, per_file in (
        ("users", org.users, users_per_file),
        ("groups", org.groups, groups_per_file),
    ):
        (directory / kind).mkdir(parents=True, exist_ok=True)
        for start in range(0, len(entries), per_file):
            path = directory / kind / f"{kind}-{start // per_file:04d}.yaml"
            path.write_text(entries_yaml(kind, entries[start : start + per_file]), "utf-8")
            paths.append(path)
    return paths


# --- SCIM: request bodies and listed resources ---------------------------------------------


def user_id(name: str) -> str:
    return uuid.uuid5(_IDS, "user:" + name.casefold()).hex


def group_id(name: str) -> str:
    return uuid.uuid5(_IDS, "group:" + name.casefold()).hex


def user_body(user: User) -> dict[str, Any]:
    """The POST /Users body ``scimctl apply`` would send for this desired user."""
    body: dict[str, Any] = {"schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA]}
    for key, value in user.items():
        if key == "externalId":
            body[key] = MARKER + value
        elif key == "enterprise":
            extension = dict(value)
            if "manager" in extension:
                extension["manager"] = {"value": user_id(extension["manager"])}
            body[ENTERPRISE_SCHEMA] = extension
        else:
            body[key] = value
    return body


def group_body(group: GroupData) -> dict[str, Any]:
    """The POST /Groups body with every member, as ours (with the marker)."""
    return {
        "schemas": [GROUP_SCHEMA],
        "displayName": group["displayName"],
        "externalId": MARKER + group["displayName"].casefold(),
        "members": [{"value": user_id(m)} for m in group["members"]],
    }


def _meta(kind: str, rid: str, base: str) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": "2024-05-01T12:00:00.000000Z",
        "lastModified": "2024-05-01T12:00:00.000000Z",
        "location": f"{base}/{kind}s/{rid}",
        "version": 'W/"1"',
    }


def user_resource(user: User, base: str = "http://127.0.0.1/v2") -> dict[str, Any]:
    """A user as scim2-server lists it: the body with its id and meta."""
    rid = user_id(user["userName"])
    return {"id": rid, **user_body(user), "meta": _meta("User", rid, base)}


def group_resource(group: GroupData, base: str = "http://127.0.0.1/v2") -> dict[str, Any]:
    rid = group_id(group["displayName"])
    return {"id": rid, **group_body(group), "meta": _meta("Group", rid, base)}
