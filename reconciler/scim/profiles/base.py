"""What a provider profile declares: how one kind of SCIM server really behaves.

A profile is data plus small hooks. The reader, the payload builders, the apply
executor and offline validation ask the profile, never the server's name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reconciler.identity import fold
from reconciler.model import Org, User, with_attrs

Paging = Literal["index", "cursor"]
MembershipRead = Literal["inline", "per-group"]
MemberRemoval = Literal["filter", "value"]
DeleteSemantics = Literal["delete", "deactivates", "irreversible"]

ACKNOWLEDGE_IRREVERSIBLE = "acknowledge_irreversible_delete"
"""The policy key that confirms deletes on a server whose DELETE cannot be undone."""


@dataclass(frozen=True)
class Profile:
    """How to talk to one kind of SCIM server.

    ``None`` in a capability means "ask the server's /ServiceProviderConfig";
    a value overrides what the server advertises (some advertise wrongly).
    """

    name: str
    description: str
    paging: Paging | None = None
    page_size: int | None = None
    """Largest page to ask for; None: the server's filter.maxResults, else 100."""
    membership_read: MembershipRead = "inline"
    members_per_patch: int = 500
    member_removal: MemberRemoval = "filter"
    """How a PATCH names the members it removes: ``"filter"``, one
    ``remove members[value eq "<id>"]`` each (RFC 7644's form); ``"value"``, one
    ``remove members`` with a list of values (GitHub, whose PATCH ignores path filters)."""
    members_on_create: int | None = None
    """Members a group's POST carries, at most (the rest go in PATCHes of
    ``members_per_patch``); None: groups are created empty and filled by PATCH."""
    group_members_required: bool = False
    """The server refuses a group without members (Slack): validation says so offline."""
    etags: bool | None = None
    bulk: bool | None = None
    unstored: frozenset[str] = frozenset()
    """Attribute paths the server does not keep: never diffed, never sent."""
    required: tuple[str, ...] = ("userName",)
    """User attribute paths the server requires on create."""
    max_values: Mapping[str, int] = field(default_factory=dict)
    """Multi-valued attributes and how many values the server keeps."""
    primary_required: frozenset[str] = frozenset()
    """Multi-valued attributes whose single value must be ``primary: true``."""
    unsupported: frozenset[str] = frozenset()
    """User attributes the server refuses: validation rejects them offline."""
    unique_primary: frozenset[str] = frozenset()
    """Multi-valued attributes whose primary value no two users may share (AWS: emails)."""
    plain_text: frozenset[str] = frozenset()
    """User attribute paths that take only letters, accents, symbols, numbers and
    punctuation: no spaces, tabs or line breaks (AWS: userName)."""
    one_line: frozenset[str] = frozenset()
    """Multi-valued attributes whose parts take spaces but no tabs or line breaks
    (AWS: addresses)."""
    item_required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Sub-attributes every value of a multi-valued attribute must carry
    (GitHub: each email needs ``type`` and ``primary``)."""
    patterns: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """User attribute paths whose text must match a regular expression, and what the
    expression means in words (Slack: a userName of at most 21 ``a-z0-9._-``)."""
    not_patchable: frozenset[str] = frozenset()
    """User attributes the server takes on create but refuses in a PATCH, so a change
    could never be applied: validation refuses them (AWS: roles)."""
    delete: DeleteSemantics = "delete"
    """What ``DELETE /Users/{id}`` does on this server (groups are always deleted):

    - ``"delete"``: the user is gone (404 afterwards), as RFC 7644 §3.6 says;
    - ``"deactivates"``: the user stays, inactive (Slack), so ``on_remove: delete``
      could never converge: refused, see ``removal_problems``;
    - ``"irreversible"``: the user and its data are erased for good (GitHub EMU), so
      ``on_remove: delete`` needs an explicit acknowledgement in the policy.
    """
    group_delete_note: str | None = None
    """What deleting a group takes with it on this server beyond its memberships, said
    beside every group deletion in a plan (AWS: its account assignments); None: nothing."""
    default_rate: float | None = None
    """Requests per second, all methods, when the target sets no ``rate``; None: unpaced."""
    default_write_rate: float | None = None
    """Writes (POST, PUT, PATCH, DELETE) per second, on top of ``default_rate``, for
    servers whose write budget is far below their read budget; None: no separate limit."""
    default_concurrency: int = 8
    """Requests in flight during apply when the target sets no ``concurrency``."""
    user_agent: str | None = None
    """The User-Agent to send; None: the client's default. Set by servers that require one."""
    legacy_cap: int | None = None
    """A listing of exactly this many results with no way to page may be cut short."""
    hidden_while_inactive: frozenset[str] = frozenset()
    """User attributes the server replaces with made-up values while a user is deactivated
    (GitHub obfuscates a suspended user's handle and primary email): for a user the YAML
    keeps deactivated they are never compared, so a plan does not rename it every run
    (``as_kept``)."""

    def user_problems(self, user: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(path inside the user entry, message) for each thing this server would refuse."""
        yield from _missing(self, user)
        yield from _too_many(self, user)
        yield from _not_primary(self, user)
        yield from _unsupported(self, user)
        yield from _not_plain(self, user)
        yield from _items_incomplete(self, user)
        yield from _not_matching(self, user)
        yield from _not_patchable(self, user)

    def users_problems(
        self, users: Sequence[Mapping[str, Any]]
    ) -> Iterator[tuple[int, tuple[str | int, ...], str]]:
        """(index of the user, path inside it, message) for what spans users: a primary
        value of a ``unique_primary`` attribute that an earlier user already holds."""
        for attribute in sorted(self.unique_primary):
            yield from _shared_primaries(self, attribute, users)

    def group_problems(
        self, group: Mapping[str, Any]
    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(path inside the group entry, message) for each thing this server would refuse."""
        members = group.get("members")
        if self.group_members_required and not (isinstance(members, list) and members):
            yield (
                ("members",) if "members" in group else (),
                f"{self.name} requires at least one member in a group: it refuses to "
                "create one without",
            )

    def removal_problems(
        self, on_remove: str, delete_after: int | None = None, *, acknowledged: bool = False
    ) -> Iterator[str]:
        """Why this server cannot honour a target's removal policy as written.

        ``acknowledged`` is the policy's ``acknowledge_irreversible_delete``; it
        lets ``on_remove: delete`` and ``delete_after`` through on a server whose
        DELETE is irreversible, and changes nothing elsewhere.
        """
        keep = "keep on_remove: deactivate (the default)"
        settings = {
            "on_remove: delete": (keep, on_remove == "delete"),
            "delete_after": ("remove delete_after", delete_after is not None),
        }
        for setting, (instead, wanted) in settings.items():
            if not wanted:
                continue
            if self.delete == "deactivates":
                yield (
                    f"{setting}: on {self.name}, DELETE /Users only deactivates a user, so "
                    f"every plan would delete it again; {instead}"
                )
            elif self.delete == "irreversible" and not acknowledged:
                yield (
                    f"{setting}: on {self.name}, DELETE /Users erases a user for good and "
                    f"cannot be undone; to mean it, add {ACKNOWLEDGE_IRREVERSIBLE}: true to the "
                    f"target's policy, or {instead}: deactivated users can be reactivated"
                )


def as_kept(live: Org, desired: Org, hidden: frozenset[str]) -> Org:
    """``live`` with each managed user that is deactivated there, and that the desired
    state keeps deactivated, showing the desired values of the ``hidden`` attributes
    (``Profile.hidden_while_inactive``): what the server shows of them is not what it
    keeps, and is not ours to correct. A user the YAML reactivates is compared whole."""
    if not hidden:
        return live
    asleep = {u.key for u in desired.users if u.key is not None and not u.active}
    if not asleep:
        return live
    wanted = {u.key: u for u in desired.users if u.key in asleep}
    users = tuple(
        _kept(user, wanted[user.key], hidden) if user.key in asleep and not user.active else user
        for user in live.users
    )
    return replace(live, users=users)


def _kept(user: User, want: User, hidden: frozenset[str]) -> User:
    attrs = dict(user.attrs)
    for path in hidden - {"userName"}:
        if path in want.attrs:
            attrs[path] = want.attrs[path]
    name = want.user_name if "userName" in hidden else user.user_name
    return with_attrs(user, attrs)._replace(user_name=name)


def _get(user: Mapping[str, Any], path: str) -> Any:
    value: Any = user
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _missing(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path in profile.required:
        if path == "userName":
            continue  # the schema requires it of every entry, and says so
        if path == "displayName":
            name = user.get("name")
            name = name if isinstance(name, Mapping) else {}
            if user.get("displayName") or name.get("givenName") or name.get("familyName"):
                continue  # the desired state defaults it to "givenName familyName"
        if _get(user, path) in (None, ""):
            parent = path.rpartition(".")[0]
            where: tuple[str | int, ...] = (parent,) if parent and parent in user else ()
            yield where, f"{profile.name} requires {path}"


def _too_many(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for attribute, limit in profile.max_values.items():
        values = user.get(attribute)
        if isinstance(values, list) and len(values) > limit:
            noun = "value" if limit == 1 else "values"
            yield (
                (attribute, limit),
                f"{profile.name} keeps at most {limit} {noun} in {attribute}; remove the rest",
            )


def _not_primary(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for attribute in sorted(profile.primary_required):
        values = user.get(attribute)
        if not isinstance(values, list) or len(values) > profile.max_values.get(attribute, 1):
            continue  # too many values: that problem is reported, and is the one to fix
        for index, value in enumerate(values):
            if not (isinstance(value, Mapping) and value.get("primary") is True):
                yield (attribute, index), f"{profile.name} requires {attribute} to be primary: true"


def _unsupported(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path in sorted(profile.unsupported):
        if _get(user, path) is not None:
            head = tuple(path.split("."))
            yield head, f"{profile.name} does not support {path}"


def _not_plain(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path in sorted(profile.plain_text):
        value = _get(user, path)
        if isinstance(value, str) and not is_plain_text(value, spaces=False):
            yield (
                tuple(path.split(".")),
                f"{profile.name} takes only letters, accents, symbols, numbers and "
                f"punctuation in {path}: no spaces, tabs or line breaks",
            )
    for attribute in sorted(profile.one_line):
        values = user.get(attribute)
        for index, item in enumerate(values if isinstance(values, list) else []):
            for key, text in item.items() if isinstance(item, Mapping) else ():
                if isinstance(text, str) and not is_plain_text(text, spaces=True):
                    yield (
                        (attribute, index, key),
                        f"{profile.name} takes no tabs or line breaks in {attribute}; "
                        "write it on one line",
                    )


def _items_incomplete(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for attribute, needed in sorted(profile.item_required.items()):
        values = user.get(attribute)
        for index, item in enumerate(values if isinstance(values, list) else []):
            missing = [name for name in needed if not (isinstance(item, Mapping) and name in item)]
            if missing:
                yield (
                    (attribute, index),
                    f"{profile.name} requires {' and '.join(missing)} on each of {attribute}",
                )


def _not_matching(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for path, (pattern, meaning) in sorted(profile.patterns.items()):
        value = _get(user, path)
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            yield tuple(path.split(".")), f"{profile.name} takes in {path} {meaning}"


def _not_patchable(
    profile: Profile, user: Mapping[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for attribute in sorted(profile.not_patchable):
        if user.get(attribute) is not None:
            yield (
                (attribute,),
                f"{profile.name} refuses {attribute} in a PATCH, so a change to it could "
                f"never be applied; leave {attribute} out",
            )


def is_plain_text(text: str, *, spaces: bool) -> bool:
    """Only letters, marks, symbols, numbers, punctuation; and, if ``spaces``, the
    normal and the no-break space (AWS's wording: "space (normal and nonbreaking)")."""
    return all(
        unicodedata.category(char)[0] in "LMSNP" or (spaces and char in " \u00a0") for char in text
    )


def _shared_primaries(
    profile: Profile, attribute: str, users: Sequence[Mapping[str, Any]]
) -> Iterator[tuple[int, tuple[str | int, ...], str]]:
    first: dict[str, str] = {}
    for index, user in enumerate(users):
        values = user.get(attribute)
        for position, item in enumerate(values if isinstance(values, list) else []):
            if not (isinstance(item, Mapping) and item.get("primary")):
                continue
            value = str(item.get("value", ""))
            holder = first.setdefault(fold(value), str(user.get("userName")))
            if holder != str(user.get("userName")):
                yield (
                    index,
                    (attribute, position),
                    f"{profile.name} requires the primary {attribute} value to be unique: "
                    f"{value!r} is already the primary of user {holder!r}",
                )
