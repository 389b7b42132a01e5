"""Heal: undo what changed on the server behind git's back, and nothing else.

``scimctl apply --heal REF`` plans the desired state as any apply does, then keeps only
what drift, against the desired state at git REF (the last one a reviewed apply made),
classes as *changed* (out of band) or *missing* (deleted on the server). A *pending*
change (in git, applied by no reviewed plan: a direct push, a merge whose apply refused
or never ran) is never healed; the plan names it in a warning. What is kept then goes
through the same safety check as any plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.desired import DesiredState
from reconciler.desired.baseline import load_baseline
from reconciler.drift import Baseline, addresses, classify, healing
from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.plan.model import Plan
from reconciler.scim.reader import LiveState
from reconciler.session import Session, desired_for, planned


@dataclass(frozen=True)
class Healing:
    """The desired state at REF, the last one a reviewed apply made."""

    ref: str
    state: DesiredState

    @classmethod
    def at(cls, directory: Path, ref: str) -> Healing:
        """``directory``'s desired state at git ``ref``; an error outside a git repository."""
        state = load_baseline(directory, ref) if ref else None
        if state is None:
            raise InputError(
                f"--heal {printable(ref)!r}: {printable(str(directory))} is not in a git "
                "repository that holds that ref, so what was applied is unknown: heal "
                "applies nothing without it"
            )
        return cls(ref, state)

    def selector(
        self, session: Session, desired: DesiredState, live: LiveState
    ) -> Callable[[Plan], Plan]:
        """What narrows a plan of ``desired`` to what drift against REF classes as changed
        or missing (``drift.healing``)."""
        base = planned(session, self.state, live)
        reference = Baseline(self.ref, base, addresses(desired_for(session.target, self.state)))
        wanted = addresses(desired_for(session.target, desired))
        return lambda plan: healing(plan, classify(plan, live.org, wanted, reference))
