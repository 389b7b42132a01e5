"""Issue 5, item 4: partial failure. Independent changes go on after one fails; the ones
that depend on a failed change are skipped and name it; the apply report, as text and
as `--report` JSON, lists every change with its outcome; the exit code is 1.

The server (a real sandbox, through a proxy) refuses the create of one user and of one
group, and keeps failing the update of another user.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.faults.proxy import FaultProxy, Forward, Incoming, Reply
from tests.reliability.support import create, scim_user

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("quick_retries")]

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
REFUSAL = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
    "status": "400",
    "scimType": "invalidValue",
    "detail": "the email domain is not verified",
}


def _user(name: str, **extra: Any) -> str:
    local = name.split("@", 1)[0]
    lines = [
        f"  - userName: {name}",
        f"    name: {{givenName: {local.title()}, familyName: Tester}}",
        f"    emails: [{{value: {name}, type: work, primary: true}}]",
    ]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


ORG = (
    "users:\n"
    + _user("bad@ex.com")
    + _user("good@ex.com")
    + _user("report@ex.com", enterprise="{manager: bad@ex.com}")
    + _user("ref@ex.com", enterprise="{manager: good@ex.com}")
    + _user("stuck@ex.com", title="Lead")
    + _user("fine@ex.com", title="Lead")
    + "groups:\n"
    + "  - displayName: team\n    members: [bad@ex.com, good@ex.com]\n"
    + "  - displayName: doomed\n    members: [good@ex.com]\n"
)


def _seed(server: Server) -> dict[str, str]:
    ids = {}
    for name in ("ref", "stuck", "fine", "gone"):
        user = f"{name}@ex.com"
        ids[name] = create(server, "/Users", scim_user(user, f"scimctl:{user}"))["id"]
    return ids


def _refusing(stuck_id: str) -> Callable[[Incoming, Forward], Reply | None]:
    def intercept(incoming: Incoming, forward: Forward) -> Reply | None:
        refused = (b'"userName":"bad@ex.com"', b'"displayName":"doomed"')
        if incoming.method == "POST" and any(r in incoming.body for r in refused):
            return Reply(
                400, {"Content-Type": "application/scim+json"}, json.dumps(REFUSAL).encode()
            )
        if incoming.method == "PATCH" and incoming.path.endswith(stuck_id):
            return Reply(500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>")
        return None

    return intercept


def test_independent_changes_go_on_and_dependent_ones_are_skipped_and_named(
    cli,  # type: ignore[no-untyped-def]
    server: Server,
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    ids = _seed(server)
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    faulty = proxy(server.url, intercept=_refusing(ids["stuck"]))
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}
    report_path = tmp_path / "report.json"

    result = cli("apply", "--dir", directory, "--auto-approve", "--report", report_path, env=env)

    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.out + result.err
    report = json.loads(report_path.read_text())
    outcomes = {(o["address"], o["action"]): o for o in report["outcomes"]}
    listed = Counter((o["address"], o["action"]) for o in report["outcomes"])
    assert max(listed.values()) == 1, listed  # one outcome per change
    expected = {
        ("user:bad@ex.com", "create"): "failed",
        ("user:good@ex.com", "create"): "ok",
        ("user:report@ex.com", "create"): "skipped",
        ("user:ref@ex.com", "update"): "ok",
        ("user:stuck@ex.com", "update"): "failed",
        ("user:fine@ex.com", "update"): "ok",
        ("user:gone@ex.com", "deactivate"): "ok",
        ("group:team", "create"): "ok",
        ("group:team", "add-members"): "skipped",
        ("group:doomed", "create"): "failed",
        ("group:doomed", "add-members"): "skipped",
    }
    assert {key: o["result"] for key, o in outcomes.items()} == expected
    assert report["summary"] == {"ok": 5, "failed": 3, "skipped": 3}

    assert "the email domain is not verified" in outcomes[("user:bad@ex.com", "create")]["message"]
    assert "500 Internal Server Error" in outcomes[("user:stuck@ex.com", "update")]["message"]
    assert "bad@ex.com" in outcomes[("user:report@ex.com", "create")]["message"]
    assert "bad@ex.com" in outcomes[("group:team", "add-members")]["message"]
    assert "doomed" in outcomes[("group:doomed", "add-members")]["message"]

    for (address, action), outcome in outcomes.items():  # the text report says the same
        kind, name = address.split(":", 1)
        line = [
            text
            for text in result.out.splitlines()
            if text.split()[:1] == [outcome["result"]] and f" {kind} {name}" in text
        ]
        assert line, f"no line for {address} {action} in:\n{result.out}"
    assert "Apply: 5 done, 3 failed, 3 skipped" in result.out

    assert server.member_names("team") == {"good@ex.com"}
    assert server.user("report@ex.com")["externalId"] == "scimctl:report@ex.com"
    good = server.user("good@ex.com")
    assert server.user("ref@ex.com")[ENTERPRISE]["manager"]["value"] == good["id"]
    assert server.user("fine@ex.com")["title"] == "Lead"
    assert server.user("gone@ex.com")["active"] is False
    assert "doomed" not in {g["displayName"] for g in server.groups()}


def test_members_of_a_group_whose_adoption_failed_are_not_touched(
    cli,  # type: ignore[no-untyped-def]
    generic_server: Server,
    proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    """With --adopt, an unmanaged group is taken over (a PATCH writes our marker) and then
    its members are set. When the adoption fails, the group is still not ours: its
    members must not be changed, and the report says why."""
    server = generic_server
    outsider = create(server, "/Users", scim_user("outsider@ex.com"))
    group = create(
        server,
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "legacy",
            "members": [{"value": outsider["id"]}],
        },
    )
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(
        "users:\n"
        + _user("new@ex.com")
        + "groups:\n  - displayName: legacy\n    members: [new@ex.com]\n"
    )

    def refuse_adoption(incoming: Incoming, forward: Forward) -> Reply | None:
        adopting = incoming.method == "PATCH" and b"externalId" in incoming.body
        if adopting and incoming.path.endswith(group["id"]):
            return Reply(403, {"Content-Type": "application/scim+json"}, b'{"detail": "no"}')
        return None

    faulty = proxy(server.url, intercept=refuse_adoption)
    env = {**server.env, "SCIM_URL": faulty.base(server.url)}
    report_path = tmp_path / "report.json"
    result = cli(
        "apply", "--dir", directory, "--adopt", "--auto-approve", "--report", report_path, env=env
    )

    assert result.code == 1, result.out + result.err
    outcomes = {
        (o["address"], o["action"]): o for o in json.loads(report_path.read_text())["outcomes"]
    }
    assert outcomes[("group:legacy", "adopt")]["result"] == "failed"
    for action in ("add-members", "remove-members"):
        outcome = outcomes[("group:legacy", action)]
        assert outcome["result"] == "skipped"
        assert "legacy" in outcome["message"] and "not adopted" in outcome["message"]
    group_patches = [r for r in faulty.writes() if r.path.endswith(group["id"])]
    assert len(group_patches) == 1  # the refused adoption, and nothing after it
    assert server.member_names("legacy") == {"outsider@ex.com"}
