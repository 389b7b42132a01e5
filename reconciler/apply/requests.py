"""One change → the SCIM requests that carry it out. No ordering or threading here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Any, Protocol

from reconciler.errors import AmbiguousWriteError, ReconcileError, ServerError
from reconciler.model import MANAGER, Org, user_key
from reconciler.plan.model import Action, AttrChange, Change, Kind, Member
from reconciler.scim.client import resource_path
from reconciler.scim.filters import eq, member_path
from reconciler.scim.listing import resources_of
from reconciler.scim.profiles import Profile
from reconciler.scim.resources import (
    group_body,
    parse_group,
    parse_user,
    patch_body,
    replace_op,
    scim_value,
    user_body,
)

Answer = dict[str, Any] | None
"""The resource a write's answer carried, or None (204, or the answer was lost)."""
CREATE_ATTEMPTS = 3
"""POSTs of one create, in all, when the answers are lost and look-ups find nothing."""


class Client(Protocol):
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]: ...
    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def patch(
        self, path: str, body: Mapping[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any] | None: ...
    def delete(self, path: str, *, if_match: str | None = None) -> None: ...


class CreateConflict(ReconcileError):
    """A create met a resource of the same name that is not ours."""


@dataclass
class Ids:
    """Live ids the requests need, seeded from the live org and grown by creates."""

    users_by_key: dict[str, str] = field(default_factory=dict)
    users_by_name: dict[str, str] = field(default_factory=dict)
    groups_by_key: dict[str, str] = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)

    @classmethod
    def of(cls, live: Org, adoptions: Iterable[Change] = ()) -> Ids:
        """Ids of the live org, with the keys that planned adoptions will give."""
        ids = cls()
        for change in adoptions:
            if change.key and change.id:
                target = ids.users_by_key if change.kind is Kind.USER else ids.groups_by_key
                target[change.key] = change.id
        for user in live.users:
            if user.id:
                ids.users_by_name[user_key(user.user_name)] = user.id
                if user.key:
                    ids.users_by_key[user.key] = user.id
        for group in live.groups:
            if group.id and group.key:
                ids.groups_by_key[group.key] = group.id
        return ids

    def created(self, change: Change, new_id: str) -> None:
        with self.lock:
            if change.kind is Kind.USER:
                self.users_by_key[change.key or ""] = new_id
                self.users_by_name[user_key(change.name)] = new_id
            else:
                self.groups_by_key[change.key or ""] = new_id

    def member(self, member: Member) -> str | None:
        return member.id or self.users_by_key.get(member.key)

    def group(self, change: Change) -> str | None:
        return change.id or self.groups_by_key.get(change.key or "")


@dataclass(frozen=True)
class Requests:
    """Builds and sends the requests of each kind of change."""

    client: Client
    profile: Profile
    ids: Ids
    etags: bool = False

    def create_user(self, change: Change) -> tuple[str, AttrChange | None, Answer]:
        """Create the user; also return the manager it could not set yet (not created),
        and the server's answer (None when the create had to be looked up)."""
        attrs = {a.path: a.after for a in change.attributes if a.path != "userName"}
        manager = attrs.get(MANAGER)
        manager_id = self.ids.users_by_key.get(str(manager)) if manager else None
        body = user_body(change.name, change.external_id, attrs, manager_id)
        new_id, answer = self._create("/Users", "userName", change, body)
        deferred = None
        if manager and manager_id is None:
            deferred = next(a for a in change.attributes if a.path == MANAGER)
        return new_id, deferred, answer

    def create_group(self, change: Change, members: Sequence[str] = ()) -> tuple[str, bool]:
        """Create the group with ``members`` in its POST: its id, and whether the server's
        answer says the POST made it (a group found by a look-up after a lost answer or a
        409 may lack them: its members then go by PATCH, where adding one already there
        changes nothing)."""
        body = group_body(change.name, change.external_id, list(members))
        new_id, answer = self._create("/Groups", "displayName", change, body)
        return new_id, bool(members) and answer is not None

    def _create(
        self, endpoint: str, attribute: str, change: Change, body: dict[str, Any]
    ) -> tuple[str, Answer]:
        """POST ``body``: the new id and the server's answer. When the answer is lost, look
        the resource up before anything else (then there is no answer to return).

        A create that may or may not have been applied is never sent again blindly: the
        resource is looked up by its name, and taken if it carries our marker. When the
        look-up finds nothing, a user's POST is sent again (at most ``CREATE_ATTEMPTS``
        in all): its userName is unique on the server, so a first copy that lands late
        meets a 409 instead of making a second user. A group's is not, since group
        names need not be unique: the change fails and the next run decides.
        """
        for _ in range(CREATE_ATTEMPTS if change.kind is Kind.USER else 1):
            try:
                created = self.client.post(endpoint, body)
            except AmbiguousWriteError:
                found = self._recover(endpoint, attribute, change, "the create's answer was lost")
                if found is None:
                    continue
                return found, None
            except ServerError as error:
                if error.status != 409:
                    raise
                found = self._recover(endpoint, attribute, change, "the server answered 409")
                if found is None:
                    raise CreateConflict(
                        f"the server answered 409 to the create of {change.kind} "
                        f"{change.name!r}, but none of that name exists: another of its unique "
                        f"attributes (an email?) is taken{_detail(error)}"
                    ) from None
                return found, None
            new_id = created.get("id")
            if not isinstance(new_id, str) or not new_id:
                raise CreateConflict(f"POST {endpoint} answered without an id")
            return new_id, created
        raise CreateConflict(_unanswered(change))

    def _recover(self, endpoint: str, attribute: str, change: Change, why: str) -> str | None:
        """Look the resource up by its name: its id if it is ours, None if there is none,
        ``CreateConflict`` if one that is not ours holds the name."""
        found = resources_of(
            self.client.get(endpoint, {"filter": eq(attribute, change.name)}), endpoint
        )
        for resource in found:
            if resource.get("externalId") == change.external_id:
                return str(resource["id"])
        if found:
            raise CreateConflict(
                f"{why}: {change.kind} {change.name!r} exists on the server without our "
                "marker; run plan again (it will show a conflict to adopt)"
            )
        return None

    def update_user(self, change: Change, later: AttrChange | None = None) -> Answer:
        """PATCH the user's changed attributes, except ``later`` (set once it can be);
        the server's answer when it sent the resource back."""
        ops = [self._user_op(a) for a in change.attributes if a is not later]
        if change.action is Action.ADOPT:
            ops.append(replace_op("externalId", change.external_id))
        if not ops:
            return None
        return self._patch(resource_path("Users", change.id or ""), ops, change)

    def set_manager(self, change: Change, user_id: str, attr: AttrChange) -> None:
        self.client.patch(resource_path("Users", user_id), patch_body([self._user_op(attr)]))

    def _user_op(self, attr: AttrChange) -> dict[str, Any]:
        manager_id = self.ids.users_by_key.get(str(attr.after)) if attr.path == MANAGER else None
        if attr.path == MANAGER and manager_id is None:
            raise CreateConflict(f"manager {attr.after!r} does not exist on the server")
        return replace_op(attr.path, scim_value(attr.path, attr.after, manager_id))

    def update_group(self, change: Change) -> None:
        ops = [replace_op(a.path, a.after) for a in change.attributes]
        if change.action is Action.ADOPT:
            ops.append(replace_op("externalId", change.external_id))
        if ops:
            self._patch(resource_path("Groups", change.id or ""), ops, change)

    def add_members(self, group_id: str, ids: Sequence[str]) -> None:
        for chunk in _chunks(ids, self.profile.members_per_patch):
            op = {"op": "add", "path": "members", "value": [{"value": i} for i in chunk]}
            self.client.patch(resource_path("Groups", group_id), patch_body([op]))

    def remove_members(self, group_id: str, ids: Sequence[str]) -> None:
        for chunk in _chunks(ids, self.profile.members_per_patch):
            if self.profile.member_removal == "value":
                values = [{"value": i} for i in chunk]
                ops = [{"op": "remove", "path": "members", "value": values}]
            else:
                ops = [{"op": "remove", "path": member_path(i)} for i in chunk]
            self.client.patch(resource_path("Groups", group_id), patch_body(ops))

    def delete(self, change: Change) -> None:
        path = resource_path("Users" if change.kind is Kind.USER else "Groups", change.id or "")
        try:
            self.client.delete(path, if_match=self._if_match(change))
        except ServerError as error:
            if error.status != 404:
                raise

    def _patch(self, path: str, ops: list[dict[str, Any]], change: Change) -> Answer:
        try:
            return self.client.patch(path, patch_body(ops), if_match=self._if_match(change))
        except AmbiguousWriteError:
            if not self._took_effect(path, change):
                raise
            return None

    def _took_effect(self, path: str, change: Change) -> bool:
        """Whether the resource at ``path`` now holds what ``change`` writes (read back
        after a conditional PATCH whose answer was lost and whose retry met 412)."""
        resource = self.client.get(path)
        if change.external_id is not None and resource.get("externalId") != change.external_id:
            return False
        if change.kind is Kind.GROUP:
            name = parse_group(resource, "").display_name
            return all(a.after == name for a in change.attributes if a.path == "displayName")
        keys = {uid: key for key, uid in self.ids.users_by_key.items()}
        user = parse_user(resource, "", keys)
        for attr in change.attributes:
            now = user.user_name if attr.path == "userName" else user.attrs.get(attr.path)
            if attr.path == "userName" and isinstance(now, str) and isinstance(attr.after, str):
                now, after = user_key(now), user_key(attr.after)
            else:
                after = attr.after
            if now != after:
                return False
        return True

    def _if_match(self, change: Change) -> str | None:
        return change.version if self.etags else None


def _unanswered(change: Change) -> str:
    if change.kind is Kind.USER:
        return (
            f"the create of user {change.name!r} was sent {CREATE_ATTEMPTS} times and never "
            "answered (timeouts, lost connections or gateway errors), and a look-up after "
            "each found no such user; nothing was created: run again"
        )
    return (
        f"the create of group {change.name!r} got no answer and a look-up found no such "
        "group; it was not sent again (group names need not be unique, so a first copy "
        "landing late would make two): run again"
    )


def _detail(error: ServerError) -> str:
    return f" ({error.detail})" if error.detail else ""


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
