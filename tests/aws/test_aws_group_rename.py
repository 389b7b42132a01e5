"""A group's rename against the AWS-profile sandbox: kept with its old key it is an update
of the same group; without it the plan deletes one group and creates another, says that
it looks like a rename, and (on AWS) that the deleted group's account assignments go with
it. examples/group-rename/ is the org a user would copy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT, Server

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "group-rename"
KEEP = "set `externalId: platform` on the new entry"
ASSIGNMENTS = "its account assignments go with it"
MEMBERS = {
    "margaret.hamilton@example.com",
    "dennis.ritchie@example.com",
    "radia.perlman@example.com",
}


def _blocks(out: str) -> list[str]:
    return re.findall(r"^  ([-+~!&] \w+ (?:user|group) \S+)", out, flags=re.MULTILINE)


def _applied(cli, directory: Path, server: Server) -> None:  # type: ignore[no-untyped-def]
    done = cli("apply", "--dir", directory, "--auto-approve", env=server.env)
    assert done.code == 0, done.out + done.err


def _without_key(tmp_path: Path) -> Path:
    """The example's after/ with the externalId line taken out: a bare rename."""
    directory = tmp_path / "renamed"
    directory.mkdir()
    text = (EXAMPLE / "after" / "org.yaml").read_text()
    kept = [line for line in text.splitlines() if not line.strip().startswith("externalId:")]
    (directory / "org.yaml").write_text("\n".join(kept) + "\n")
    return directory


def _group_removed(tmp_path: Path) -> Path:
    """The example's before/ with the group platform taken out of the YAML."""
    directory = tmp_path / "removed"
    directory.mkdir()
    org = yaml.safe_load((EXAMPLE / "before" / "org.yaml").read_text())
    org["groups"] = [g for g in org["groups"] if g["displayName"] != "platform"]
    (directory / "org.yaml").write_text(yaml.safe_dump(org))
    return directory


def _attention_rows(markdown: str) -> list[str]:
    attention = markdown.split("#### Needs attention")[1].split("<details>")[0]
    return [line for line in attention.splitlines() if line.startswith("| ") and "**" in line]


def test_the_example_rename_keeps_the_group_and_its_id(cli, aws_server: Server) -> None:  # type: ignore[no-untyped-def]
    _applied(cli, EXAMPLE / "before", aws_server)
    (before,) = [g for g in aws_server.groups() if g["displayName"] == "platform"]

    plan = cli("plan", "--dir", EXAMPLE / "after", "--detailed-exitcode", env=aws_server.env)
    assert plan.code == 2, plan.out + plan.err
    assert _blocks(plan.out) == ["~ update group platform-engineering"]
    assert 'displayName: "platform" → "platform-engineering"' in plan.out
    assert "Plan: 0 to create, 1 to update, 0 to deactivate, 0 to delete" in plan.out

    _applied(cli, EXAMPLE / "after", aws_server)
    names = {g["displayName"]: g for g in aws_server.groups()}
    assert sorted(names) == ["oncall", "platform-engineering"]
    after = names["platform-engineering"]
    assert after["id"] == before["id"]
    assert after["externalId"] == "scimctl:platform"
    assert aws_server.member_names("platform-engineering") == MEMBERS
    again = cli("plan", "--dir", EXAMPLE / "after", "--detailed-exitcode", env=aws_server.env)
    assert again.code == 0, again.out + again.err


def test_a_rename_without_the_key_is_called_one_in_the_text_and_markdown_plan(  # type: ignore[no-untyped-def]
    cli, aws_server: Server, tmp_path: Path
) -> None:
    _applied(cli, EXAMPLE / "before", aws_server)
    markdown = tmp_path / "plan.md"

    plan = cli("plan", "--dir", _without_key(tmp_path), "--markdown", markdown, env=aws_server.env)
    assert plan.code == 0, plan.out + plan.err
    assert _blocks(plan.out) == [
        "- delete group platform",
        "+ create group platform-engineering",
    ]
    lines = plan.out.splitlines()
    deleted = lines.index("  - delete group platform")
    assert "looks like a rename to 'platform-engineering'" in lines[deleted + 1]
    assert KEEP in lines[deleted + 1]
    created = lines.index("  + create group platform-engineering")
    hints = [line for line in lines[created:] if "looks like a rename of 'platform'" in line]
    assert len(hints) == 1 and KEEP in hints[0]

    (row,) = [r for r in _attention_rows(markdown.read_text()) if "<code>platform</code>" in r]
    assert "looks like a rename to 'platform-engineering'" in row
    assert "set &#96;externalId: platform&#96; on the new entry" in row
    assert ASSIGNMENTS in row


def test_every_group_deletion_on_aws_says_its_account_assignments_go_with_it(  # type: ignore[no-untyped-def]
    cli, aws_server: Server, tmp_path: Path
) -> None:
    _applied(cli, EXAMPLE / "before", aws_server)
    markdown, saved = tmp_path / "plan.md", tmp_path / "plan.json"

    removed = _group_removed(tmp_path)
    plan = cli("plan", "--dir", removed, "--markdown", markdown, "--out", saved, env=aws_server.env)
    assert plan.code == 0, plan.out + plan.err
    assert _blocks(plan.out) == ["- delete group platform"]
    lines = plan.out.splitlines()
    assert ASSIGNMENTS in lines[lines.index("  - delete group platform") + 1]
    assert "looks like a rename" not in plan.out  # nothing is created

    (row,) = _attention_rows(markdown.read_text())
    assert row.startswith("| 🗑️ **delete** | delete | group <code>platform</code> |")
    assert ASSIGNMENTS in row

    written = json.loads(saved.read_text())  # the saved plan keeps the note, as its schema says
    jsonschema.validate(written, json.loads((ROOT / "schemas" / "plan.schema.json").read_text()))
    (deleted,) = [c for c in written["changes"] if c["action"] == "delete"]
    assert any(ASSIGNMENTS in note for note in deleted["notes"])
    shown = cli("show", saved)
    assert shown.code == 0, shown.err
    assert ASSIGNMENTS in shown.out
    shown = cli("show", saved, "--format", "markdown")
    assert ASSIGNMENTS in _attention_rows(shown.out)[0]


def test_a_group_deletion_on_a_generic_server_says_nothing_of_account_assignments(  # type: ignore[no-untyped-def]
    cli, generic_server: Server, tmp_path: Path
) -> None:
    _applied(cli, EXAMPLE / "before", generic_server)
    markdown = tmp_path / "plan.md"

    removed = _group_removed(tmp_path)
    plan = cli("plan", "--dir", removed, "--markdown", markdown, env=generic_server.env)
    assert plan.code == 0, plan.out + plan.err
    assert _blocks(plan.out) == ["- delete group platform"]
    (row,) = _attention_rows(markdown.read_text())
    assert row.startswith("| 🗑️ **delete** | delete | group <code>platform</code> |")
    assert "assignment" not in plan.out + markdown.read_text()


def test_the_demo_orgs_platform_group_keeps_its_key_through_a_rename(  # type: ignore[no-untyped-def]
    cli, org: Path, aws_server: Server
) -> None:
    _applied(cli, org, aws_server)
    groups_file = org / "groups" / "groups.yaml"
    data = yaml.safe_load(groups_file.read_text())
    (platform,) = [g for g in data["groups"] if g["displayName"] == "platform"]
    assert platform["externalId"] == "platform"
    platform["displayName"] = "platform-engineering"
    groups_file.write_text(yaml.safe_dump(data))

    plan = cli("plan", "--dir", org, "--detailed-exitcode", env=aws_server.env)
    assert plan.code == 2, plan.out + plan.err
    assert _blocks(plan.out) == ["~ update group platform-engineering"]
    assert "looks like a rename" not in plan.out
