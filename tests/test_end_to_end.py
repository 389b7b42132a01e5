"""The whole cycle against real sandbox servers (generic and AWS-profile):
validate → plan → apply → plan is empty; change the YAML → plan shows exactly that → converge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, Server

pytestmark = pytest.mark.integration

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_validate_accepts_the_example_org(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate", "--dir", org)
    assert result.code == 0, result.err
    assert "15 users and 6 groups in 3 files are valid" in result.out


def test_example_org_converges_and_unmanaged_user_survives(cli, org: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    stranger = server.http.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "stranger@example.com",
            "displayName": "Stranger Danger",
            "name": {"givenName": "Stranger", "familyName": "Danger"},
            "emails": [{"value": "stranger@example.com", "primary": True}],
        },
    ).json()

    first = cli("plan", "--dir", org, "--detailed-exitcode", env=server.env)
    assert first.code == 2, first.err
    assert "  + create user ada.lovelace@example.com" in first.out
    assert (
        "Plan: 21 to create, 0 to update, 0 to deactivate, 0 to delete; 31 membership changes."
        in first.out
    )

    applied = cli("apply", "--dir", org, "--auto-approve", env=server.env)
    assert applied.code == 0, applied.out + applied.err
    assert "Apply: 27 done, 0 failed, 0 skipped" in applied.out

    grace = server.user("grace.hopper@example.com")
    ada = server.user("ada.lovelace@example.com")
    assert grace["externalId"] == "scimctl:grace.hopper@example.com"
    assert grace["name"] == {"givenName": "Grace", "familyName": "Hopper"}
    assert grace["displayName"] == "Grace Hopper"
    assert grace["title"] == "Principal Engineer"
    assert grace[ENTERPRISE]["department"] == "Engineering"
    assert grace[ENTERPRISE]["manager"]["value"] == ada["id"]
    assert server.member_names("security") == {
        "barbara.liskov@example.com",
        "whitfield.diffie@example.com",
    }
    assert len(server.member_names("all-staff")) == 15

    again = cli("plan", "--dir", org, "--detailed-exitcode", env=server.env)
    assert again.code == 0, again.out + again.err
    assert "No changes. Live state matches" in again.out

    _edit(org)
    changed = cli("plan", "--dir", org, "--detailed-exitcode", env=server.env)
    assert changed.code == 2, changed.err
    assert _blocks(changed.out) == [
        "~ update user alan.turing@example.com",
        "- deactivate user john.nash@example.com",
        "~ update group finance",
        "+ create group interns",
        "~ update group security",
    ]
    assert 'title: "Staff Engineer" → "Distinguished Engineer"' in changed.out
    assert "- member john.nash@example.com" in changed.out
    assert "+ member dennis.ritchie@example.com" in changed.out

    assert cli("apply", "--dir", org, "--auto-approve", env=server.env).code == 0
    final = cli("plan", "--dir", org, "--detailed-exitcode", env=server.env)
    assert final.code == 0, final.out
    assert server.user("john.nash@example.com")["active"] is False
    assert server.user("alan.turing@example.com")["title"] == "Distinguished Engineer"
    assert server.member_names("interns") == {"frances.allen@example.com"}

    after = server.user("stranger@example.com")
    assert after == stranger


def _edit(org: Path) -> None:
    eng = org / "users" / "engineering.yaml"
    eng.write_text(
        eng.read_text().replace("title: Staff Engineer", "title: Distinguished Engineer")
    )
    biz = org / "users" / "business.yaml"
    text = biz.read_text()
    start = text.index("  - userName: john.nash@example.com")
    end = text.index("  - userName: hedy.lamarr@example.com")
    biz.write_text(text[:start] + text[end:])
    groups = org / "groups" / "groups.yaml"
    text = groups.read_text().replace("      - john.nash@example.com\n", "")
    text = text.replace(
        "      - whitfield.diffie@example.com\n",
        "      - whitfield.diffie@example.com\n      - dennis.ritchie@example.com\n",
        1,
    )
    groups.write_text(text + "  - displayName: interns\n    members: [frances.allen@example.com]\n")


def _blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^  ([+~\-!&] \w+ \w+ \S+)", text, re.MULTILINE)]


def test_plan_json_is_valid_against_the_published_schema(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    result = cli("plan", "--dir", org, "--format", "json", env=generic_server.env)
    assert result.code == 0, result.err
    plan = json.loads(result.out)
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(plan, schema)
    assert plan["summary"]["create"] == 21
    assert {c["action"] for c in plan["changes"]} == {"create", "add-members"}
