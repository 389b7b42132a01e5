"""Managers as a reviewer knows them: by userName, not by the stable key the plan keeps.

A plan names a manager by the manager's key (an explicit ``externalId`` such as
``E1001``, else the userName), because that is what apply resolves. The desired
state names managers by userName, so the renderings show that: ``readable`` returns
a copy of the plan for display only; the plan that is saved or applied is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from reconciler.model import MANAGER, Org
from reconciler.plan.model import AttrChange, Change, Plan


def user_names(orgs: Iterable[Org]) -> dict[str, str]:
    """Stable key → userName of every keyed user (the first org wins: pass desired first)."""
    names: dict[str, str] = {}
    for org in orgs:
        for user in org.users:
            if user.key is not None:
                names.setdefault(user.key, user.user_name)
    return names


def with_manager_names(plan: Plan, names: Mapping[str, str]) -> Plan:
    """``plan`` keeping the userName of each manager its rows name by another key, so that
    a saved plan is shown (``scimctl show``) as ``plan`` showed it."""
    keys = {
        value
        for change in plan.changes
        for attr in change.attributes
        if attr.path == MANAGER
        for value in (attr.before, attr.after)
        if isinstance(value, str)
    }
    kept = {key: names[key] for key in sorted(keys) if key in names and names[key] != key}
    return replace(plan, user_names=kept) if kept else plan


def readable(plan: Plan, names: Mapping[str, str]) -> Plan:
    """``plan`` with every manager shown by userName where the key is known."""
    if not names:
        return plan
    return replace(plan, changes=tuple(_change(c, names) for c in plan.changes))


def _change(change: Change, names: Mapping[str, str]) -> Change:
    if not any(a.path == MANAGER for a in change.attributes):
        return change
    attributes = tuple(_attr(a, names) if a.path == MANAGER else a for a in change.attributes)
    return replace(change, attributes=attributes)


def _attr(attr: AttrChange, names: Mapping[str, str]) -> AttrChange:
    return replace(attr, before=_name(attr.before, names), after=_name(attr.after, names))


def _name(value: object, names: Mapping[str, str]) -> object:
    return names.get(value, value) if isinstance(value, str) else value
