"""The pull-request pipeline, scenario by scenario: the action run as a runner would, against
the sandbox SCIM server and a fake GitHub API (tests/github/fakeapi.py).

A pull request's plan is made by the base branch's tool from the pull request's files
fetched as data, judged by the base branch's targets.yaml; the saved plan travels as the
artifact of that head; after the merge, ``apply-reviewed`` applies that plan and nothing
else, or nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.github.reviewed import artifact_name
from reconciler.render.markdown import marker
from tests.action.github_script import run_script, step_script
from tests.action.runner import GITHUB_TOKEN, ActionRun, Runner
from tests.conftest import EXAMPLE, ROOT, TOKEN, Server
from tests.faults.proxy import FaultProxy
from tests.github.fakeapi import FakeGitHub, serving
from tests.needs import tool
from tests.reliability.support import origin_of
from tests.workflow.helpers import edit_group, edit_user, remove_user

pytestmark = pytest.mark.integration

HEAD = "1" * 40
MERGE = "2" * 40
LATER = "3" * 40
PR = 7
ALAN = "alan.turing@example.com"
GRACE = "grace.hopper@example.com"
JOAN = "joan.clarke@example.com"
NASH = "john.nash@example.com"


def pull_request_event(head: str = HEAD, number: int = PR) -> dict[str, Any]:
    repo = {"full_name": "example/identity"}
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": "change", "sha": head, "repo": repo},
            "base": {"ref": "main", "repo": repo},
        },
        "repository": {"full_name": "example/identity", "default_branch": "main"},
        "sender": {"login": "pr-author"},
    }


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub(token=GITHUB_TOKEN)) as fake:
        fake.branches["main"] = "0" * 40
        fake.open_pull(PR, HEAD)
        yield fake


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The workspace's desired state: the base branch (later: the merged tree)."""
    target = tmp_path / "workspace" / "desired-state"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture
def proposed(tmp_path: Path) -> Path:
    """The pull request's desired state, which the fake GitHub serves as the head's tree."""
    target = tmp_path / "pull" / "desired-state"
    shutil.copytree(EXAMPLE, target)
    return target


def runner_for(base: Path, github: FakeGitHub, event: dict[str, Any], **env: str) -> Runner:
    temp = base.parent.parent / f"runner-temp-{len(list(base.parent.parent.iterdir()))}"
    temp.mkdir()
    environment = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "HOME": str(base.parent.parent),
        "LANG": "C.UTF-8",
        "SCIMCTL_CACHE_DIR": str(base.parent.parent / "cache"),
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": str(github.next_run_id()),
        **env,
    }
    name = "push" if "GITHUB_SHA" in env else "pull_request_target"
    return Runner(ROOT, base.parent, temp, environment, event=event, event_name=name)


INPUTS = {"target": "sandbox", "install": "none", "token": TOKEN}


def act(runner: Runner, server: Server | None, command: str, **inputs: str) -> ActionRun:
    """The action with ``command``; against ``server`` (SCIM_URL), or None: the url of the
    target in targets.yaml."""
    env = {"SCIM_URL": server.url} if server is not None else {}
    return runner.run({**INPUTS, "command": command, **inputs}, env=env)


def tree(directory: Path) -> dict[str, bytes]:
    return {
        f"desired-state/{p.relative_to(directory).as_posix()}": p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def plan_pull_request(
    base: Path,
    proposed: Path | None,
    github: FakeGitHub,
    server: Server | None,
    head: str = HEAD,
    failed: list[str] | None = None,
    number: int = PR,
) -> ActionRun:
    """The plan job as scim-plan.yml runs it: the head's files as data (``proposed``, or
    the tree already served for ``head``), then plan; its artifact uploaded; then the
    template's own comment and check steps (node, against the fake GitHub). What those
    steps failed with goes to ``failed``."""
    if proposed is not None:
        github.commit_tree(head, tree(proposed))
    run_id = github.next_run_id()
    event = pull_request_event(head, number)
    runner = runner_for(base, github, event, GITHUB_RUN_ID=str(run_id))
    run = act(runner, server, "plan", **{"pull-request": str(number)})
    out = runner.temp / "scim-reconciler"
    files = {p.name: p.read_bytes() for p in out.iterdir()} if out.is_dir() else {}
    if files:  # the whole folder, as uploaded (if-no-files-found: ignore)
        github.plan_run(
            artifact_name("sandbox", head),
            files,
            conclusion="success" if run.code == 0 else "failure",
            run_id=run_id,
        )
    payload = event
    scratch = runner.temp / "scripts"
    comment = run_script(
        github,
        step_script("scim-plan.yml", "plan", "Comment the plan"),
        payload,
        {"COMMENT": run.outputs.get("comment-path", "")},
        scratch,
        run_id,
    )
    check = run_script(
        github,
        step_script("scim-plan.yml", "plan", "Publish the plan's check"),
        payload,
        {
            "EXIT_CODE": run.outputs.get("exit-code", ""),
            "COMMENTED": "failure" if comment else "success",
            "TARGET": "sandbox",
        },
        scratch,
        run_id,
    )
    (failed if failed is not None else []).extend(comment + check)
    return run


def shown_comment(github: FakeGitHub, number: int = PR) -> str:
    """The body of the sandbox target's sticky plan comment on the pull request."""
    (body,) = [
        c["body"]
        for c in github.comments.get(number, [])
        if c["user"]["login"] == "github-actions[bot]" and c["body"].startswith(marker("sandbox"))
    ]
    return str(body)


def merge(base: Path, proposed: Path, github: FakeGitHub) -> None:
    """Merge the pull request: the workspace now holds its tree; main's head is MERGE."""
    shutil.rmtree(base)
    shutil.copytree(proposed, base)
    github.merge(PR, MERGE)


def apply_merge(base: Path, github: FakeGitHub, server: Server, sha: str = MERGE) -> ActionRun:
    event = {
        "after": sha,
        "repository": {"full_name": "example/identity", "default_branch": "main"},
    }
    runner = runner_for(base, github, event, GITHUB_SHA=sha, GITHUB_REF="refs/heads/main")
    return act(runner, server, "apply-reviewed")


def apply_base(base: Path, github: FakeGitHub, server: Server) -> None:
    run = act(runner_for(base, github, pull_request_event()), server, "apply")
    assert run.code == 0, run.log


def set_title_by_hand(server: Server, user_name: str, title: str) -> None:
    user = server.user(user_name)
    server.http.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": title}],
        },
    ).raise_for_status()


def add_member_by_hand(server: Server, group: str, user_name: str) -> None:
    (found,) = [g for g in server.groups() if g["displayName"] == group]
    server.http.patch(
        f"/Groups/{found['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": server.user(user_name)["id"]}]}
            ],
        },
    ).raise_for_status()


# --- the scenarios ---------------------------------------------------------------------------


def test_merge_applies_the_reviewed_plan_and_refuses_what_changed_since(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """Review → out-of-band change → merge: the stale row is refused, not overwritten."""
    apply_base(base, github, generic_server)
    edit_user(proposed, ALAN, title="Reviewed title for Alan")
    edit_user(proposed, GRACE, title="Reviewed title for Grace")
    planned = plan_pull_request(base, proposed, github, generic_server)
    assert planned.outputs["exit-code"] == "2", planned.log
    assert json.loads(Path(planned.outputs["json-path"]).read_text())["summary"]["update"] == 2

    set_title_by_hand(generic_server, ALAN, "Set in the console")
    add_member_by_hand(generic_server, "aws-admins", JOAN)
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)

    assert applied.outputs["exit-code"] == "3", applied.log
    assert generic_server.user(ALAN)["title"] == "Set in the console"  # refused, kept
    assert generic_server.user(GRACE)["title"] == "Reviewed title for Grace"  # reviewed, done
    assert JOAN in generic_server.member_names("aws-admins")  # not in the plan: untouched
    assert "Applied the plan reviewed on pull request #7" in applied.summary
    assert "1 reviewed change(s) were refused, not overwritten" in applied.summary
    assert "- <code>update user alan.turing@example.com</code>" in applied.summary
    assert "(refused: stale: changed since the plan (title))" in applied.log
    assert applied.annotations() == [
        ("error", "", "scimctl apply-reviewed: refused by a safety rule (exit 3); see the summary")
    ]


def test_a_clean_merge_applies_the_reviewed_plan(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "2"
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.code == 0, applied.log
    assert applied.outputs["has-changes"] == "true"
    assert generic_server.user(GRACE)["title"] == "Rear Admiral"
    # The artifact's zip came from "blob storage" without GitHub's token.
    assert [auth for path, auth in github.requests if path.startswith("/blob/")] == ["", ""]


def test_a_failed_apply_of_the_reviewed_plan_says_so_and_how_to_finish(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    with FaultProxy(origin_of(generic_server.url)) as front:
        server = Server(front.base(generic_server.url), "generic", generic_server.http)
        apply_base(base, github, server)
        edit_user(proposed, GRACE, title="Rear Admiral")
        plan_pull_request(base, proposed, github, server)
        merge(base, proposed, github)
    applied = apply_merge(base, github, server)  # the server is down: nothing listens
    assert applied.outputs["exit-code"] == "1", applied.log
    assert "**The apply failed (exit 1)**" in applied.summary
    assert "were refused" not in applied.summary


def test_a_pull_request_cannot_switch_off_the_rule_that_flags_it(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """It removes privileged_groups while adding an admin: still flagged, exit 3."""
    apply_base(base, github, generic_server)
    policy = {"on_remove": "deactivate", "privileged_groups": ["aws-admins"]}
    write_policy(base, policy)
    write_policy(proposed, {"on_remove": "deactivate"})
    edit_group(proposed, "aws-admins", members=[*admins(proposed), GRACE])

    run = plan_pull_request(base, proposed, github, generic_server)

    assert run.code == 3, run.log
    assert run.outputs["exit-code"] == "3"
    summary = run.summary
    assert "🔒 **privileged**" in summary
    attention = summary[summary.index("#### Needs attention") :]
    first = attention.split("\n- ", 1)[1]
    assert first.startswith("**Policy change:** this pull request changes target")
    assert (
        '- **Policy change:** policy.privileged&#95;groups: &#91;"aws-admins"&#93; → (not set)'
        in summary
    )
    plan = json.loads(Path(run.outputs["json-path"]).read_text())
    assert plan["policy_change"][1] == 'policy.privileged_groups: ["aws-admins"] → (not set)'


def test_a_pull_requests_server_address_is_not_used(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """The token goes to the base branch's server, whatever the pull request's file says."""
    apply_base(base, github, generic_server)
    targets = yaml.safe_load((proposed / "targets.yaml").read_text())
    targets["targets"]["sandbox"]["url"] = "http://127.0.0.1:9/steal"
    (proposed / "targets.yaml").write_text(yaml.safe_dump(targets))
    runner = runner_for(base, github, pull_request_event())
    github.commit_tree(HEAD, tree(proposed))
    run = runner.run(
        {"command": "plan", "target": "sandbox", "install": "none", "pull-request": str(PR)},
        env={"SCIM_TOKEN": TOKEN},  # no SCIM_URL: the target's url decides
    )
    assert run.outputs["exit-code"] == "1", run.log
    assert "127.0.0.1:8080" in run.log  # the base branch's url (nothing listens there)
    assert "steal" not in run.log.split("Policy change")[0]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the openssl command, as in test_tls_options)."""
    tool("openssl", "apt-get install openssl; it makes the test certificate")
    directory.mkdir(parents=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def test_a_pull_request_cannot_supply_the_ca_the_plan_trusts(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server, tmp_path: Path
) -> None:
    """The base's targets.yaml says `ca_bundle: desired-state/ca.pem`; the pull request
    changes only that file, to the CA of a server in the middle. A relative path is read
    from the directory of the targets.yaml that names it (the base's), never from the pull
    request's files the plan runs among: the token is never sent (issue 18, 1)."""
    evil_cert, evil_key = self_signed(tmp_path / "evil")
    legit_cert, _ = self_signed(tmp_path / "legit")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(evil_cert), str(evil_key))
    with FaultProxy(origin_of(generic_server.url), tls=context) as middle:
        for tree_, ca in ((base, legit_cert), (proposed, evil_cert)):
            targets = yaml.safe_load((tree_ / "targets.yaml").read_text())
            sandbox = targets["targets"]["sandbox"]
            sandbox.update(url=middle.base(generic_server.url), ca_bundle="desired-state/ca.pem")
            (tree_ / "targets.yaml").write_text(yaml.safe_dump(targets))
            (tree_ / "ca.pem").write_bytes(ca.read_bytes())
        github.commit_tree(HEAD, tree(proposed))
        run = runner_for(base, github, pull_request_event()).run(
            {"command": "plan", "target": "sandbox", "install": "none", "pull-request": str(PR)},
            env={"SCIM_TOKEN": TOKEN},  # no SCIM_URL: the base's targets.yaml decides
        )
        assert run.outputs["exit-code"] == "1", run.log
        assert middle.requests() == []  # not one request, so no token, went to the middle
    assert "desired-state/desired-state/ca.pem" in run.log  # read from the base's folder


def test_the_plan_comment_is_the_plan_that_merging_applies(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server, tmp_path: Path
) -> None:
    """Push EVIL (it deactivates John Nash), push GOOD, force-push back to EVIL, then re-run
    GOOD's plan run (a re-run keeps its event): the re-run shows nothing, so the comment
    reviewers approve on is EVIL's, and the merge applies that plan, whose digest the
    comment carries (issue 18, 3)."""
    evil, good = "4" * 40, "5" * 40
    apply_base(base, github, generic_server)
    evil_tree = tmp_path / "evil" / "desired-state"
    shutil.copytree(proposed, evil_tree)
    remove_user(evil_tree, NASH)
    edit_user(proposed, GRACE, title="Rear Admiral")
    github.push(PR, evil)
    plan_pull_request(base, evil_tree, github, generic_server, head=evil)
    github.push(PR, good)
    plan_pull_request(base, proposed, github, generic_server, head=good)
    github.push(PR, evil)  # force-pushed back
    plan_pull_request(base, None, github, generic_server, head=evil)
    failed: list[str] = []
    rerun = plan_pull_request(base, None, github, generic_server, head=good, failed=failed)

    assert rerun.outputs["exit-code"] != "2", rerun.log  # the re-run fetched nothing
    assert f"pull request #7's head is now {evil[:12]}, not {good[:12]}" in rerun.log
    assert any("its plan is not shown" in f for f in failed), failed
    assert any("no check is published" in f for f in failed), failed
    shown = shown_comment(github)
    assert f"Plan of `{evil[:12]}`" in shown
    assert "deactivate" in shown and NASH in shown and "Rear Admiral" not in shown
    assert [c["head_sha"] for c in github.check_runs] == [evil, good, evil]

    shutil.rmtree(proposed)
    shutil.copytree(evil_tree, proposed)
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.code == 0, applied.log
    assert generic_server.user(NASH).get("active", True) is False
    digest = shown.split("merging applies this saved plan and nothing else: `", 1)[1][:71]
    assert digest.startswith("sha256:") and f"<code>{digest}</code>" in applied.summary
    assert "<summary>The plan as reviewed</summary>" in applied.summary


def test_an_edited_plan_comment_applies_nothing(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """A writer edits the bot's comment (here: drops a row): what reviewers saw is no
    longer provably the plan, so the merge applies nothing (issue 18, 3)."""
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "2"
    (comment,) = github.comments[PR]
    comment["body"] = comment["body"].replace("Rear Admiral", "Admiral")
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.outputs["exit-code"] == "3", applied.log
    assert "is not the one the reviewed plan's run published" in applied.summary
    assert generic_server.user(GRACE).get("title") != "Rear Admiral"


def test_a_change_of_the_server_applies_nothing_in_its_own_pull_request(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server, tmp_path: Path
) -> None:
    """The pull request points the target at another server and adds a user. The plan is
    made against the base's server; after the merge, nothing is applied, and the new
    server gets no request, so no token (issue 18, 2)."""
    other = f"{origin_of(generic_server.url)}/{uuid.uuid4().hex}/v2"
    with FaultProxy(origin_of(other)) as elsewhere:
        for tree_, url in ((base, generic_server.url), (proposed, elsewhere.base(other))):
            targets = yaml.safe_load((tree_ / "targets.yaml").read_text())
            targets["targets"]["sandbox"]["url"] = url
            (tree_ / "targets.yaml").write_text(yaml.safe_dump(targets))
        act_base = runner_for(base, github, pull_request_event())
        assert act_base.run(INPUTS | {"command": "apply"}).code == 0
        (proposed / "users" / "new.yaml").write_text(
            "users:\n  - userName: ada.byron@example.com\n"
            "    name: {givenName: Ada, familyName: Byron}\n"
        )
        github.commit_tree(HEAD, tree(proposed))
        planned = plan_pull_request(base, None, github, None)
        assert planned.outputs["exit-code"] == "2", planned.log
        merge(base, proposed, github)
        event = {"after": MERGE, "repository": {"full_name": "example/identity"}}
        event["repository"]["default_branch"] = "main"
        runner = runner_for(base, github, event, GITHUB_SHA=MERGE, GITHUB_REF="refs/heads/main")
        applied = runner.run(INPUTS | {"command": "apply-reviewed"})
        assert applied.outputs["exit-code"] == "3", applied.log
        assert "connects target 'sandbox' otherwise than the reviewed plan was made" in (
            applied.summary
        )
        assert "No fresh plan is made here" in applied.summary
        assert elsewhere.requests() == []
    assert "ada.byron@example.com" not in {u["userName"] for u in generic_server.users()}


def test_another_pull_requests_plan_of_the_same_head_does_not_shadow_this_ones(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """Pull request #8 has the same head commit; its plan run is newer (issue 18, 7)."""
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "2"
    github.open_pull(8, HEAD)
    other = plan_pull_request(base, None, github, generic_server, number=8)
    assert other.outputs["exit-code"] == "2", other.log
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.code == 0, applied.log
    assert "Applied the plan reviewed on pull request #7" in applied.summary
    assert generic_server.user(GRACE)["title"] == "Rear Admiral"


def test_a_plan_run_of_another_base_branch_is_never_the_reviewed_plan(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """On GitHub Enterprise Server a pull request into a branch a writer made runs that
    branch's scim-plan.yml; its artifact of the same name, newer, is not this plan
    (issue 18, 7)."""
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "2"
    (real,) = github.artifacts
    crafted = {"plan-sandbox.exit": b"1\n", "pull-request.json": b'{"pull_request": 7}'}
    github.plan_run(real["name"], crafted, head_branch="attackers-base")
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.code == 0, applied.log
    assert generic_server.user(GRACE)["title"] == "Rear Admiral"


def _git(workspace: Path, *args: str) -> str:
    base = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@t"]
    return subprocess.run([*base, *args], check=True, capture_output=True, text=True).stdout


def _committed(workspace: Path, message: str) -> str:
    _git(workspace, "add", ".")
    _git(workspace, "commit", "-qm", message)
    return _git(workspace, "rev-parse", "HEAD").strip()


def heal(base: Path, github: FakeGitHub, server: Server) -> ActionRun:
    """scim-drift.yml's heal job: the action's `heal` on the default branch."""
    event = {"repository": {"full_name": "example/identity", "default_branch": "main"}}
    return act(runner_for(base, github, event), server, "heal")


def test_heal_sets_back_what_changed_out_of_band_and_never_an_unreviewed_push(
    base: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """The last reviewed apply made REVIEWED; a direct push since (its apply refused)
    changes Grace; the console changes Alan. Heal sets Alan back and leaves Grace, naming
    her change (issue 18, 9)."""
    _git(base.parent, "init", "-q")
    reviewed = _committed(base.parent, "merged and applied")
    apply_base(base, github, generic_server)
    apply_runs = {"event": "push", "path": ".github/workflows/scim-apply.yml"}
    github.plan_run(
        "scim-apply-sandbox", {"apply-sandbox.exit": b"0\n"}, **apply_runs, head_sha=reviewed
    )
    edit_user(base, GRACE, title="Pushed straight to main")
    pushed = _committed(base.parent, "a direct push")
    github.plan_run(
        "scim-apply-sandbox", {"apply-sandbox.exit": b"3\n"}, **apply_runs, head_sha=pushed
    )
    set_title_by_hand(generic_server, ALAN, "Set in the console")

    healed = heal(base, github, generic_server)

    assert healed.code == 0, healed.log
    assert f"last reviewed apply of sandbox: commit {reviewed[:12]}" in healed.log
    assert generic_server.user(ALAN)["title"] == "Staff Engineer"
    assert generic_server.user(GRACE)["title"] == "Principal Engineer"
    assert f"not healed: 1 change(s) pending since {reviewed}" in healed.summary
    assert "user:grace.hopper" in healed.summary  # (the @ is escaped: it mentions no one)


def test_heal_without_a_reviewed_apply_on_record_applies_nothing(
    base: Path, github: FakeGitHub, generic_server: Server
) -> None:
    _git(base.parent, "init", "-q")
    _committed(base.parent, "never applied by a reviewed plan")
    healed = heal(base, github, generic_server)
    assert healed.outputs["exit-code"] == "3", healed.log
    assert "no reviewed apply of target 'sandbox' is on record" in healed.summary
    assert generic_server.users() == []


def test_a_re_run_of_an_old_apply_is_refused(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    plan_pull_request(base, proposed, github, generic_server)
    merge(base, proposed, github)
    github.branches["main"] = LATER  # a later merge came after this one

    rerun = apply_merge(base, github, generic_server)

    assert rerun.outputs["exit-code"] == "3", rerun.log
    assert f"commit {MERGE[:12]} is no longer the head of main ({LATER[:12]} is)" in rerun.log
    assert "nothing applied" in rerun.summary
    assert generic_server.user(GRACE).get("title") != "Rear Admiral"


def test_a_merged_tree_that_differs_from_the_reviewed_one_applies_nothing(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    plan_pull_request(base, proposed, github, generic_server)
    merge(base, proposed, github)
    edit_user(base, ALAN, title="Folded in by the squash")  # not what was reviewed

    applied = apply_merge(base, github, generic_server)

    assert applied.outputs["exit-code"] == "3", applied.log
    assert generic_server.user(GRACE).get("title") != "Rear Admiral"
    assert generic_server.user(ALAN).get("title") != "Folded in by the squash"
    summary = applied.summary
    assert "⛔ nothing applied" in summary
    assert "the merged desired state is not the one the plan was made from" in summary
    assert "#### What a fresh plan would do" in summary
    assert "**Plan: 0 to create, 2 to update" in summary  # both titles: for a follow-up PR


def test_a_direct_push_applies_nothing(
    base: Path, github: FakeGitHub, generic_server: Server
) -> None:
    apply_base(base, github, generic_server)
    github.branches["main"] = MERGE  # pushed, not merged from a pull request
    edit_user(base, GRACE, title="Pushed straight to main")
    applied = apply_merge(base, github, generic_server)
    assert applied.outputs["exit-code"] == "3", applied.log
    assert f"no pull request merged commit {MERGE[:12]}" in applied.summary
    assert generic_server.user(GRACE).get("title") != "Pushed straight to main"


@pytest.mark.parametrize(
    ("event", "path", "status"),
    [
        ("pull_request", ".github/workflows/scim-plan.yml", "completed"),  # the PR's own workflow
        ("pull_request_target", ".github/workflows/other.yml", "completed"),  # another workflow
        ("pull_request_target", ".github/workflows/scim-plan.yml", "in_progress"),  # unfinished
    ],
)
def test_only_a_finished_run_of_the_plan_workflow_makes_a_reviewed_plan(
    base: Path,
    proposed: Path,
    github: FakeGitHub,
    generic_server: Server,
    event: str,
    path: str,
    status: str,
) -> None:
    """An artifact of the right name from any other run is not a reviewed plan."""
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "2"
    (artifact,) = github.artifacts
    github.runs[artifact["workflow_run"]["id"]].update(event=event, path=path, status=status)
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.outputs["exit-code"] == "3", applied.log
    assert "has no reviewed plan" in applied.summary
    assert generic_server.user(GRACE).get("title") != "Rear Admiral"


def test_when_the_last_plan_shown_was_refused_nothing_is_applied(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """An earlier successful plan of the same head does not count: the reviewers last saw
    a refusal (here: a privileged change, planned again after the policy said so)."""
    apply_base(base, github, generic_server)
    edit_group(proposed, "aws-admins", members=[*admins(proposed), GRACE])
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "2"
    write_policy(base, {"on_remove": "deactivate", "privileged_groups": ["aws-admins"]})
    assert plan_pull_request(base, proposed, github, generic_server).outputs["exit-code"] == "3"
    merge(base, proposed, github)
    write_policy(base, {"on_remove": "deactivate", "privileged_groups": ["aws-admins"]})
    applied = apply_merge(base, github, generic_server)
    assert applied.outputs["exit-code"] == "3", applied.log
    assert f"the last plan of head {HEAD[:12]} did not succeed (exit 3)" in applied.summary
    assert GRACE not in generic_server.member_names("aws-admins")


def test_no_token_reaches_the_install_step(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    github.commit_tree(HEAD, tree(proposed))
    run = act(
        runner_for(base, github, pull_request_event()),
        generic_server,
        "plan",
        **{"pull-request": str(PR)},
    )
    assert run.outputs["exit-code"] == "2", run.log
    by_name = {step.name.split(" (")[0]: step.env for step in run.steps}
    assert set(by_name) == {
        "Install scim-reconciler",
        "Fetch the pull request's desired state as data",
        "scimctl ${{ inputs.command }}",
    }
    install = by_name["Install scim-reconciler"]
    assert not any(TOKEN in v or GITHUB_TOKEN in v for v in install.values())
    assert not any(
        TOKEN in v for v in by_name["Fetch the pull request's desired state as data"].values()
    )
    assert TOKEN in by_name["scimctl ${{ inputs.command }}"].values()


def test_no_module_of_the_checked_out_tree_runs_beside_the_tokens(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    """A merged `argparse.py` at the repository's root: `python -m` from the checkout would
    import it in the fetch and the apply steps, with both tokens in the environment."""
    stolen = base.parent.parent / "stolen.txt"
    trap = f"import os\nopen({str(stolen)!r}, 'a').write(repr(sorted(os.environ)))\n"
    (base.parent / "argparse.py").write_text(trap)
    apply_base(base, github, generic_server)
    edit_user(proposed, GRACE, title="Rear Admiral")
    planned = plan_pull_request(base, proposed, github, generic_server)
    assert planned.outputs["exit-code"] == "2", planned.log
    merge(base, proposed, github)
    applied = apply_merge(base, github, generic_server)
    assert applied.code == 0, applied.log
    assert generic_server.user(GRACE)["title"] == "Rear Admiral"
    assert not stolen.exists()


def test_a_file_name_cannot_make_an_annotation(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    hostile = "x\n::error title=spoof::x\n::add-mask::everything.yaml"
    (proposed / "users" / hostile).write_text("users:\n  - userName: x@example.com\n    titel: X\n")
    github.commit_tree(HEAD, tree(proposed))
    runner = runner_for(base, github, pull_request_event())
    run = act(runner, generic_server, "validate", **{"pull-request": str(PR)})
    assert run.code == 1
    assert "spoof" in run.log  # it was printed...
    assert not [c for c in run.commands if "spoof" in c[1] + c[2] or c[0] == "add-mask"]  # ...inert
    assert ("error", "", "scimctl validate failed (exit 1); see the summary") in run.annotations()


def test_problems_in_a_pull_requests_files_are_annotated_at_their_place_in_the_repository(
    base: Path, proposed: Path, github: FakeGitHub, generic_server: Server
) -> None:
    (proposed / "users" / "broken.yaml").write_text(
        "users:\n  - userName: x@example.com\n    titel: X\n"
    )
    github.commit_tree(HEAD, tree(proposed))
    run = act(
        runner_for(base, github, pull_request_event()),
        generic_server,
        "plan",
        **{"pull-request": str(PR)},
    )
    assert run.outputs["exit-code"] == "1"
    (annotation,) = [a for a in run.annotations() if a[1]]
    assert annotation[:2] == ("error", "file=desired-state/users/broken.yaml,line=3,col=5")
    assert "titel" in annotation[2]


def write_policy(directory: Path, policy: dict[str, Any]) -> None:
    targets = yaml.safe_load((directory / "targets.yaml").read_text())
    targets["targets"]["sandbox"]["policy"] = policy
    (directory / "targets.yaml").write_text(yaml.safe_dump(targets))


def admins(directory: Path) -> list[str]:
    data = yaml.safe_load((directory / "groups" / "groups.yaml").read_text())
    (group,) = [g for g in data["groups"] if g["displayName"] == "aws-admins"]
    return list(group["members"])
