"""The drift report: values per attribute, classes per attribute (14.19), a baseline that
must exist (14.20), server text escaped (13.11) and the Markdown capped for GitHub (12.9)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from reconciler.drift import AttrDrift, Drift, DriftClass, DriftItem
from reconciler.render.drift import REPORT_NOTE, drift_markdown, drift_text
from tests.conftest import Server
from tests.faults.proxy import CannedServer
from tests.reliability.support import write_targets
from tests.reliability.test_hostile_servers import TOKEN, scim_server
from tests.workflow.helpers import edit_group, edit_user, members

GRACE = "grace.hopper@example.com"
ISSUE_BODY = 65_536
STEP_SUMMARY = 1024 * 1024
MENTION = "@octocat"
IMAGE = "![x](https://evil.example/x.png)"
LINK = "[click me](https://evil.example/login)"
HOSTILE = f"{MENTION} {IMAGE} {LINK} <img src=x> | `tick` \x1b[2J\u202e"


def _git(org: Path, *args: str) -> None:
    base = ["git", "-C", str(org.parent), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*base, *args], check=True, capture_output=True)


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
def test_one_user_changed_out_of_band_and_pending_is_reported_with_both(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    _git(org, "init", "-q")
    _git(org, "add", ".")
    _git(org, "commit", "-qm", "org")
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    _patch_title(generic_server, GRACE, "Changed by hand")  # out of band
    edit_user(org, GRACE, displayName="Amazing Grace")  # in git, not applied (nor committed)
    edit_group(org, "finance", members=[*members(org, "finance"), "ada.lovelace@example.com"])

    text = cli("drift", "--dir", org, "--fail-on", "changed", env=env)
    assert text.code == 2, text.out + text.err
    changed, pending = text.out.split("Pending", 1)
    assert f"  user {GRACE}: the server differs from git" in changed
    assert 'title: git "Principal Engineer", server "Changed by hand"' in changed
    assert f"  user {GRACE}: edited in git, not applied yet" in pending
    assert 'displayName: git "Amazing Grace", server "Grace Hopper"' in pending
    assert "group finance: members added in git, not applied yet: ada.lovelace" in pending
    assert "1 changed, 0 missing, 2 pending" in text.out

    report = json.loads(cli("drift", "--dir", org, "--format", "json", env=env).out)
    by_class = {(i["class"], i["name"]): i for i in report["items"]}
    title = by_class[("changed", GRACE)]["attributes"]
    assert title == [{"path": "title", "git": "Principal Engineer", "server": "Changed by hand"}]
    assert by_class[("pending", GRACE)]["attributes"][0]["path"] == "displayName"


def test_outside_git_a_baseline_that_cannot_exist_is_refused(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    refused = cli("drift", "--dir", org, "--baseline", "no-such-ref", env=env)
    assert refused.code == 1
    assert "--baseline 'no-such-ref':" in refused.err
    assert "is not in a git repository" in refused.err
    assert cli("drift", "--dir", org, env=env).code == 2, "no --baseline: compares without one"
    assert cli("drift", "--dir", org, "--baseline", "", env=env).code == 2


def test_inside_git_a_missing_ref_is_refused(cli, org: Path, generic_server: Server) -> None:  # type: ignore[no-untyped-def]
    _git(org, "init", "-q")
    _git(org, "add", ".")
    _git(org, "commit", "-qm", "org")
    refused = cli("drift", "--dir", org, "--baseline", "no-such-ref", env=generic_server.env)
    assert refused.code == 1
    assert "git cannot read" in refused.err


# --- hostile server text ---------------------------------------------------------------------


def _hostile_server() -> Any:
    alice = {
        "id": "u1",
        "userName": "alice@example.com",
        "externalId": "scimctl:alice@example.com",
        "title": f"Boss {HOSTILE}",
    }
    stranger = {"id": "u2", "userName": HOSTILE}
    group = {
        "id": "g1",
        "displayName": "eng",
        "externalId": "scimctl:eng",
        "members": [{"value": "u1"}, {"value": f"id-{HOSTILE}"}],
    }
    return scim_server(users=(alice, stranger), groups=(group,))


def outside_code(html: str) -> str:
    return re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def assert_inert(markdown: str) -> None:
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in html and "<a " not in html
    assert MENTION not in outside_code(html), "an @mention outside code notifies"
    assert "https://evil.example" not in outside_code(html)
    assert markdown.count("<details>") == markdown.count("</details>")


def test_server_text_in_drift_is_escaped_in_text_and_markdown(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(
        "users:\n  - userName: alice@example.com\n    title: Engineer\n"
        "groups:\n  - displayName: eng\n    members: [alice@example.com]\n"
    )
    with CannedServer(_hostile_server()) as server:
        write_targets(directory, f"{server.url}/v2")
        env = {"SCIM_TOKEN": TOKEN}
        args = ("drift", "--dir", directory, "--baseline", "")
        text = cli(*args, env=env)
        markdown = cli(*args, "--format", "markdown", env=env)
    assert text.code == 2, text.err
    for raw in ("\x1b", "\u202e"):
        assert raw not in text.out + markdown.out
    assert "\\u001b[2J\\u202e" in text.out
    assert "the server has members git does not: id-@octocat" in text.out
    assert_inert(markdown.out)
    assert "<code>id-@octocat" in markdown.out


def hostile_drift(count: int) -> Drift:
    items = [
        DriftItem(
            DriftClass.CHANGED if n % 2 else DriftClass.UNMANAGED,
            "user",
            f"user{n:05} {HOSTILE}",
            "the server differs from git",
            attributes=(AttrDrift("title", "Engineer", f"{HOSTILE} {n}"),),
        )
        for n in range(count)
    ]
    return Drift("aws", tuple(items), "HEAD")


def test_20000_hostile_changes_fit_an_issue_body_and_stay_inert() -> None:
    markdown = drift_markdown(hostile_drift(20_000))
    assert len(markdown) < ISSUE_BODY and len(markdown.encode()) < STEP_SUMMARY
    assert_inert(markdown)
    assert REPORT_NOTE in markdown
    assert "**10000 of 10000 not shown**" in markdown  # unmanaged: no room left
    rows = [line for line in markdown.splitlines() if line.startswith("| user")]
    assert rows and all(line.endswith(" |") for line in rows), "no row is cut"
    assert markdown.rstrip().endswith("</details>")


def test_text_report_names_every_value() -> None:
    text = drift_text(hostile_drift(2)).plain
    assert 'title: git "Engineer", server "@octocat' in text
    assert "\x1b" not in text
