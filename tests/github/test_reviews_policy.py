"""The policy's privileged groups: the list form names no approvers, the mapping names them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_targets
from reconciler.errors import InputError
from reconciler.plan.model import Action, Change, Kind, Member, Plan, Status
from reconciler.plan.safety import Approvals, approve, check
from reconciler.policy import Policy


def _targets(tmp_path: Path, privileged: str) -> Path:
    (tmp_path / "targets.yaml").write_text(
        "targets:\n  t:\n    url: https://scim.example.com/v2\n    token_env: T\n"
        f"    policy:\n      privileged_groups: {privileged}\n"
    )
    return tmp_path


def test_both_forms_load_from_targets_yaml(tmp_path: Path) -> None:
    listed = load_targets(_targets(tmp_path, "[AWS-Admins]"))["t"].policy
    assert listed.privileged_groups == {"aws-admins"} and listed.approvers == {}
    named = load_targets(
        _targets(tmp_path, '{AWS-Admins: {approvers: [alice-gh, "@acme/security"]}, ops: {}}')
    )["t"].policy
    assert named.privileged_groups == {"aws-admins", "ops"}
    assert named.approvers == {"aws-admins": ("alice-gh", "@acme/security"), "ops": ()}


@pytest.mark.parametrize("approver", ["alice gh", "@acme", "../x", "@acme/../x", "@acme/..", ""])
def test_an_approver_that_is_no_github_login_or_team_is_refused(
    tmp_path: Path, approver: str
) -> None:
    with pytest.raises(InputError):
        load_targets(_targets(tmp_path, f'{{admins: {{approvers: ["{approver}"]}}}}'))


def _row(action: Action = Action.ADD_MEMBERS) -> Change:
    return Change(Kind.GROUP, action, "Admins", "admins", id="g1", members=(Member("a", "a"),))


POLICY = Policy(privileged_groups=frozenset({"admins"}), approvers={"admins": ("alice-gh",)})


@pytest.mark.parametrize("action", [Action.ADD_MEMBERS, Action.REMOVE_MEMBERS, Action.DELETE])
def test_force_refuses_and_allow_approves_every_privileged_action(action: Action) -> None:
    plan = Plan.build("t", [_row(action)])
    forced = check(plan, POLICY, force=True)
    assert forced.changes[0].status is Status.REFUSED
    assert "one of: alice-gh" in (forced.changes[0].reason or "")
    allowed = check(plan, POLICY, approvals=Approvals(allow_privileged=True))
    assert allowed.changes[0].status is Status.PLANNED


def test_an_approval_by_someone_the_group_does_not_name_is_no_approval() -> None:
    by_bob = Approvals(approved_by={"bob-gh": "bob-gh"})
    assert approve(_row(), ("alice-gh",), by_bob).status is Status.REFUSED
    by_alice = Approvals(approved_by={"alice-gh": "Alice-GH"}, source="pull request #1 at abc")
    approved = approve(_row(), ("Alice-gh",), by_alice)
    assert approved.status is Status.PLANNED
    assert (
        approved.reason
        == "privileged group: approved by Alice-gh (Alice-GH) on pull request #1 at abc"
    )
