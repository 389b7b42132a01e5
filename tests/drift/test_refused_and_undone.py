"""Issue 19 item 3: drift tells "refused" from "changed out of band".

In CI the baseline is HEAD, the commit apply ran on, so pending cannot show what apply
left undone. Apply keeps a record of what it did not make (``apply.record``); drift
names a committed change it refused "refused", with the rule's words, and one it did
not make "pending", with the reason, while what changed behind git's back stays
"changed".
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reconciler.apply.record import NOT_APPLIED, REFUSED, Held, Undone
from reconciler.drift import Drift, DriftClass, DriftItem, with_undone
from reconciler.plan.model import Action, Change, Kind, Member
from tests.conftest import Server
from tests.workflow.helpers import edit_group, members

GRACE = "grace.hopper@example.com"
PRIVILEGED = {"aws-admins": {"approvers": ["alice-gh"]}}


def _git(org: Path, *args: str) -> None:
    base = ["git", "-C", str(org.parent), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*base, *args], check=True, capture_output=True)


def _targets(org: Path, policy: dict[str, object]) -> None:
    import yaml

    targets = {"targets": {"sandbox": {"url": "http://127.0.0.1:9/v2", "policy": policy}}}
    (org / "targets.yaml").write_text(yaml.safe_dump(targets))


def _patch_title(server: Server, user_name: str, title: str) -> None:
    user = server.user(user_name)
    server.http.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": title}],
        },
    )


@pytest.mark.integration
def test_a_committed_change_apply_refused_is_refused_not_changed(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    _targets(org, {"privileged_groups": PRIVILEGED})
    edit_group(org, "aws-admins", members=[*members(org, "aws-admins"), GRACE])
    _git(org, "init", "-q")
    _git(org, "add", ".")
    _git(org, "commit", "-q", "-m", "grace joins aws-admins")  # the merge CI applies
    plan_file = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", plan_file, env=env).code == 3
    applied = cli("apply", plan_file, "--dir", org, env=env)
    assert applied.code == 3  # the privileged member is refused: no approval
    _patch_title(generic_server, "alan.turing@example.com", "Hacker")  # behind git's back

    drift = cli("drift", "--dir", org, "--format", "json", env=env)  # baseline: HEAD

    assert drift.code == 2, drift.err
    report = json.loads(drift.out)
    assert report["baseline"] == "HEAD"
    by_class = {(i["class"], i["name"]) for i in report["items"]}
    assert ("refused", "aws-admins") in by_class
    assert ("changed", "alan.turing@example.com") in by_class
    assert not [i for i in report["items"] if i["class"] == "changed" and i["name"] == "aws-admins"]
    (refused,) = [i for i in report["items"] if i["class"] == "refused"]
    assert refused["members"] == [GRACE]
    assert "in git, refused by the last apply" in refused["detail"]
    assert "privileged group" in refused["detail"]
    text = cli("drift", "--dir", org, env=env)
    assert "Refused (in the desired state, held back by a rule at the last apply) (1):" in text.out


def test_what_the_last_apply_did_not_make_is_pending_each_member_on_its_own() -> None:
    add = Change(
        Kind.GROUP,
        Action.ADD_MEMBERS,
        "eng",
        "eng",
        id="g1",
        members=(Member("ada", "ada", "u1"), Member("bob", "bob", "u2")),
    )
    drift = Drift("lab", (DriftItem(DriftClass.CHANGED, "group", "eng", "lacks", add),), "HEAD")
    failed = Undone(
        "2026-12-08T00:00:00+00:00",
        (Held("group:eng", "add-members", NOT_APPLIED, "503", frozenset({"ada"})),),
    )
    items = with_undone(drift, failed).items
    assert [(i.drift, i.members) for i in items] == [
        (DriftClass.PENDING, ("ada",)),
        (DriftClass.CHANGED, ("bob",)),  # not in the record: as classified
    ]
    assert items[0].detail == "in git, not made by the last apply (2026-12-08T00:00:00+00:00): 503"
    refused = Undone(
        "", (Held("group:eng", "add-members", REFUSED, "protected", frozenset({"ada", "bob"})),)
    )
    assert [i.drift for i in with_undone(drift, refused).items] == [DriftClass.REFUSED]
