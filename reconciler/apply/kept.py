"""What a server kept of a write: the attributes it was sent and did not store.

Some servers accept an attribute and drop it (one stores no ``displayName``). Each
later plan would then show the same update forever. After a create or a PATCH that
answers with the resource, the attributes sent are looked for in the answer; one
that is absent is reported with the outcome. A PATCH answered 204 (no body) says
nothing, and nothing is reported for it: no request is spent on reading it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ReconcileError
from reconciler.model import MANAGER, MULTI_VALUED
from reconciler.plan.model import Change
from reconciler.scim.resources import parse_user

NOT_COMPARED = frozenset({"userName", MANAGER})
"""Read back in another form (case-folded name, the manager's id): not compared here."""


@dataclass(frozen=True, slots=True)
class Unkept:
    """An attribute the server was sent and did not keep."""

    path: str
    default: bool
    """The desired state filled it in (the YAML does not write it): plans stop asking."""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "default": self.default}


def unkept(change: Change, answer: Mapping[str, Any] | None) -> tuple[Unkept, ...]:
    """The attributes of user ``change`` that ``answer`` (the server's resource) lacks,
    and the sub-attributes (``emails.type``) it kept in none of a multi-valued
    attribute's values."""
    if not answer:
        return ()
    try:
        kept = parse_user(answer, "", {}).attrs
    except ReconcileError:
        return ()  # an answer we cannot read tells nothing; the next plan reads it again
    found: list[Unkept] = []
    for attr in change.attributes:
        if attr.path in NOT_COMPARED or attr.after is None:
            continue
        if attr.path not in kept:
            found.append(Unkept(attr.path, attr.default))
        elif attr.path in MULTI_VALUED:
            found += (
                Unkept(f"{attr.path}.{part}", attr.default)
                for part in sorted(_parts(attr.after) - _parts(kept[attr.path]))
            )
    return tuple(found)


def _parts(values: Any) -> set[str]:
    """The sub-attributes (but ``value``) any of a multi-valued attribute's values has."""
    if not isinstance(values, tuple):
        return set()
    return {part for item in values for part, _ in item} - {"value"}
