"""The daily plan/apply loop as a user meets it (issue 14): what the output names, when
apply asks, what its exit code says, and what an interrupted apply leaves behind."""

from __future__ import annotations

import functools
import io
import json
import socket
from pathlib import Path

import pytest
import yaml

from reconciler.scim.client import ScimClient
from reconciler.scim.retry import RetryPolicy
from tests.conftest import TOKEN, Server
from tests.workflow.helpers import edit_user

pytestmark = pytest.mark.integration

UNMANAGED_GRACE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "Grace.Hopper@example.com",
    "displayName": "Grace Hopper",
    "name": {"givenName": "Grace", "familyName": "Hopper"},
    "emails": [{"value": "grace.hopper@example.com", "primary": True}],
}


def _apply(cli, org: Path, server: Server, *more: str):  # type: ignore[no-untyped-def]
    return cli("apply", "--dir", org, "--auto-approve", *more, env=server.env)


# --- 9: git not realised is not a success ---------------------------------------------------


def test_an_apply_left_in_conflict_exits_3_and_says_why(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    assert server.http.post("/Users", json=UNMANAGED_GRACE).status_code == 201
    first = _apply(cli, org, server)
    assert first.code == 3, first.out + first.err  # everything else went ahead
    assert "0 failed, 0 skipped" in first.out
    only_conflict = _apply(cli, org, server)
    assert "(1 in conflict)" in only_conflict.out
    assert "Apply:" not in only_conflict.out  # nothing ran
    assert only_conflict.code == 3
    assert (
        "Not applied: 1 change in conflict (user:grace.hopper@example.com); each row above "
        "says how to resolve it" in only_conflict.err
    )
    assert "Git is not realised until then: exit 3." in only_conflict.err


def test_a_plan_that_holds_a_conflict_exits_3_as_its_apply_would(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    """A CI check on the plan goes red when the merge's apply would exit 3 (issue 18, 11)."""
    assert generic_server.http.post("/Users", json=UNMANAGED_GRACE).status_code == 201
    plain = cli("plan", "--dir", org, env=generic_server.env)
    detailed = cli("plan", "--dir", org, "--detailed-exitcode", env=generic_server.env)
    assert "! conflict user grace.hopper@example.com" in plain.out
    assert (plain.code, detailed.code) == (3, 3), plain.out + plain.err
    assert _apply(cli, org, generic_server).code == 3


# --- 10: the plan names its server ----------------------------------------------------------


def test_plans_start_with_the_target_and_its_url(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    plan = cli("plan", "--dir", org, env=generic_server.env)
    first = plan.out.splitlines()[0]
    assert first == f"Target sandbox: {generic_server.url} (from SCIM_URL)"
    assert TOKEN not in plan.out + plan.err
    (org / "targets.yaml").unlink()
    bare = cli("plan", "--dir", org, "--format", "json", env=generic_server.env)
    assert bare.err.splitlines()[0] == f"Target default: {generic_server.url} (from SCIM_URL)"
    assert json.loads(bare.out)["target"] == "default"  # stdout stays pure JSON


def test_the_prompt_names_the_server(cli, org: Path, generic_server: Server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    answer = io.StringIO("no\n")
    monkeypatch.setattr(answer, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("sys.stdin", answer)
    asked = cli("apply", "--dir", org, env=generic_server.env)
    assert asked.code == 1
    assert f"Apply these changes to {generic_server.url} (target sandbox)?" in asked.out
    assert "'env'" not in asked.out
    assert generic_server.users() == []


# --- 11 and 12: a saved plan is the approval, and can be shown --------------------------------


def test_a_saved_plan_applies_without_asking(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", saved, env=generic_server.env).code == 0
    applied = cli("apply", "--dir", org, saved, env=generic_server.env)  # stdin: no terminal
    assert applied.code == 0, applied.out + applied.err
    assert "Apply: 27 done, 0 failed, 0 skipped" in applied.out
    assert len(generic_server.users()) == 15


def test_show_renders_a_saved_plan_with_no_server(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli("plan", "--dir", org, "--out", saved, env=generic_server.env).code == 0
    text = cli("show", saved)  # no SCIM_URL, no token, no --dir
    assert text.code == 0, text.err
    assert text.out.splitlines()[0] == f"Saved plan {saved} for target sandbox"
    assert "  + create user ada.lovelace@example.com" in text.out
    assert "Plan: 21 to create, 0 to update, 0 to deactivate, 0 to delete" in text.out
    markdown = cli("show", saved, "--format", "markdown")
    assert markdown.out.startswith("<!-- scim-reconciler:plan")
    shown = cli("show", saved, "--format", "json")
    assert json.loads(shown.out) == json.loads(saved.read_text())
    assert cli("show", tmp_path / "missing.json").code == 1


# --- 13: Ctrl-C, or an unexpected error, mid-apply ----------------------------------------------


def _groups_fail_with(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """The apply is stopped while it creates groups (users are all done by then)."""
    from reconciler.apply.requests import Requests

    def stop(self: Requests, change: object, *members: object) -> str:
        raise error

    monkeypatch.setattr(Requests, "create_group", stop)


def test_ctrl_c_mid_apply_says_what_was_done_and_writes_the_report(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path, monkeypatch
) -> None:
    _groups_fail_with(monkeypatch, KeyboardInterrupt())
    report = tmp_path / "report.json"
    stopped = _apply(cli, org, generic_server, "--report", str(report))
    assert stopped.code == 130
    assert "Apply stopped (interrupted): 15 done" in stopped.out
    assert "changes not attempted" in stopped.out
    written = json.loads(report.read_text())
    assert written["stopped"] == "interrupted"
    done = [o for o in written["outcomes"] if o["result"] == "ok"]
    assert len(done) == 15 == len(generic_server.users())
    rest = [o for o in written["outcomes"] if o["result"] != "ok"]
    assert rest and all("not attempted" in o["message"] for o in rest)
    assert len(generic_server.groups()) == 0


def test_an_unexpected_error_mid_apply_still_writes_the_report(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path, monkeypatch
) -> None:
    _groups_fail_with(monkeypatch, UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogate"))
    report, markdown = tmp_path / "report.json", tmp_path / "report.md"
    with pytest.raises(UnicodeEncodeError):
        _apply(cli, org, generic_server, "--report", str(report), "--markdown", str(markdown))
    written = json.loads(report.read_text())
    assert written["stopped"] == "by an unexpected error: UnicodeEncodeError"
    assert written["summary"]["ok"] == 15
    assert "Apply stopped (by an unexpected error: UnicodeEncodeError)" in markdown.read_text()


# --- 14: --only and a manager that is not there -------------------------------------------------


def test_only_leaves_out_a_manager_that_is_not_there(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    edit_user(org, "ada.lovelace@example.com", externalId="E1001")
    plan = cli("plan", "--dir", org, env=server.env)
    assert 'enterprise.manager: "ada.lovelace@example.com"' in plan.out
    assert '"E1001"' not in plan.out.replace('externalId: "E1001"', "")
    grace = _apply(cli, org, server, "--only", "user:grace.hopper@example.com")
    assert grace.code == 0, grace.out + grace.err
    assert (
        "Warning: the manager of grace.hopper@example.com, ada.lovelace@example.com, is not "
        "on the server yet: add --only user:ada.lovelace@example.com to set it" in grace.out
    )
    assert "skipped" not in grace.out.replace("0 skipped", "")
    assert [u["userName"] for u in server.users()] == ["grace.hopper@example.com"]
    both = _apply(
        cli,
        org,
        server,
        "--only",
        "user:grace.hopper@example.com",
        "--only",
        "user:ada.lovelace@example.com",
    )
    assert both.code == 0, both.out + both.err
    ada = server.user("ada.lovelace@example.com")["id"]
    extension = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert server.user("grace.hopper@example.com")[extension]["manager"]["value"] == ada


# --- 15: counts --------------------------------------------------------------------------------


def test_counts_are_singular_when_one(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    assert _apply(cli, org, generic_server).code == 0
    groups = org / "groups" / "groups.yaml"
    data = yaml.safe_load(groups.read_text())
    data["groups"][0]["members"].remove("frances.allen@example.com")
    groups.write_text(yaml.safe_dump(data))
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.out.endswith("0 to delete; 1 membership change.\n")
    applied = _apply(cli, org, generic_server)
    assert (
        "Applied, as the plan counts: 0 created, 0 updated, 0 deactivated, 0 deleted; "
        "1 membership change." in applied.out
    )
    assert "no retries" in applied.out


# --- 17: a server that cannot be reached ---------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_url_names_where_it_came_from_and_says_it_retries(  # type: ignore[no-untyped-def]
    cli, org: Path, monkeypatch
) -> None:
    import reconciler.session

    quick = RetryPolicy(base_delay=0.001, max_delay=0.01)
    quick_client = functools.partial(ScimClient, retry=quick)
    monkeypatch.setattr(reconciler.session, "ScimClient", quick_client)
    url = f"http://127.0.0.1:{_closed_port()}/v2"
    targets = {"targets": {"staging": {"url": url, "token_env": "STAGING_TOKEN"}}}
    (org / "targets.yaml").write_text(yaml.safe_dump(targets))
    failed = cli("plan", "--dir", org, env={"STAGING_TOKEN": TOKEN})
    assert failed.code == 1
    assert failed.out.splitlines()[0] == f"Target staging: {url} (url from targets.yaml)"
    retries = [line for line in failed.err.splitlines() if line.startswith("retrying GET")]
    assert len(retries) == quick.max_attempts - 1  # one line per wait, without -v
    assert "is the url of target 'staging' in targets.yaml right?" in failed.err
    assert "SCIM_URL" not in failed.err
    from_env = cli("plan", "--dir", org, env={"SCIM_URL": url, "SCIM_TOKEN": TOKEN})
    assert "is SCIM_URL right?" in from_env.err
