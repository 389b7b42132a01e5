"""Several targets from one desired state: scope, mapping, --all-targets."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import TOKEN

pytestmark = pytest.mark.integration

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def two_targets(org: Path, sandbox_bases: dict[str, str]) -> dict[str, str]:
    urls = {
        "aws": f"{sandbox_bases['aws-identity-center']}/{uuid.uuid4().hex}/v2",
        "lab": f"{sandbox_bases['generic']}/{uuid.uuid4().hex}/v2",
    }
    targets = {
        "aws": {
            "url": urls["aws"],
            "token_env": "AWS_TOKEN",
            "profile": "aws-identity-center",
            "mapping": {
                "displayName": "{name.familyName}, {name.givenName}",
                "enterprise.costCenter": "{attributes.costCenter}",
                "title": None,
            },
        },
        "lab": {"url": urls["lab"], "token_env": "LAB_TOKEN", "scope": {"groups": ["security"]}},
    }
    (org / "targets.yaml").write_text(yaml.safe_dump({"targets": targets}))
    users = org / "users" / "engineering.yaml"
    data = yaml.safe_load(users.read_text())
    data["users"][0]["attributes"] = {"costCenter": "CC-42"}
    users.write_text(yaml.safe_dump(data))
    return urls


ENV = {"AWS_TOKEN": TOKEN, "LAB_TOKEN": TOKEN}


def test_all_targets_apply_each_with_its_scope_and_mapping(
    cli, org: Path, two_targets: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    import httpx

    first = cli("plan", "--dir", org, "--all-targets", "--detailed-exitcode", env=ENV)
    assert first.code == 2, first.out + first.err
    assert "=== target aws ===" in first.out and "=== target lab ===" in first.out
    applied = cli("apply", "--dir", org, "--all-targets", "--auto-approve", env=ENV)
    assert applied.code == 0, applied.out + applied.err
    again = cli("plan", "--dir", org, "--all-targets", "--detailed-exitcode", env=ENV)
    assert again.code == 0, again.out

    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=two_targets["lab"], headers=headers) as lab:
        names = {u["userName"] for u in lab.get("/Users").json()["Resources"]}
        groups = [g["displayName"] for g in lab.get("/Groups").json()["Resources"]]
    assert names == {"barbara.liskov@example.com", "whitfield.diffie@example.com"}
    assert groups == ["security"]
    with httpx.Client(base_url=two_targets["aws"], headers=headers) as aws:
        ada = aws.get("/Users", params={"filter": 'userName eq "ada.lovelace@example.com"'})
        (user,) = ada.json()["Resources"]
    assert user["displayName"] == "Lovelace, Ada"
    assert user[ENTERPRISE]["costCenter"] == "CC-42"
    assert "title" not in user


def test_one_target_is_chosen_with_target(cli, org: Path, two_targets: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    ambiguous = cli("plan", "--dir", org, env=ENV)
    assert ambiguous.code == 1 and "choose one with --target NAME" in ambiguous.err
    lab = cli("plan", "--dir", org, "--target", "lab", env=ENV)
    assert lab.code == 0
    assert "Plan: 3 to create" in lab.out


def test_bad_mapping_is_reported_at_its_place(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    (org / "targets.yaml").write_text(
        "targets:\n  aws:\n    url: http://127.0.0.1:9/v2\n    mapping:\n"
        "      displayName: '{name.nickname}'\n      emails: x\n"
    )
    result = cli("plan", "--dir", org, env={"SCIM_TOKEN": "x"})
    assert result.code == 1
    assert "targets.yaml:5:7: mapping: displayName: unknown field {name.nickname}" in result.err
    assert "targets.yaml:6:7: mapping: 'emails' is not an attribute a mapping can set" in result.err


def test_scim_url_is_never_paired_with_a_targets_token(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    """A leftover `export SCIM_URL=<sandbox>` and `--target aws`: the target's token stays
    home; only SCIM_TOKEN is ever sent to SCIM_URL."""
    from reconciler.sandbox.server import running

    seen: list[str] = []

    def sandbox(environ, start):  # type: ignore[no-untyped-def]
        seen.append(environ.get("HTTP_AUTHORIZATION", ""))
        start("404 Not Found", [("Content-Type", "application/json")])
        return [b"{}"]

    (org / "targets.yaml").write_text(
        "targets:\n  aws:\n    url: http://127.0.0.1:9/v2\n    token_env: AWS_TOKEN\n"
    )
    with running(sandbox) as leftover:
        result = cli(
            "plan", "--dir", org, "--target", "aws",
            env={"SCIM_URL": f"{leftover}/v2", "AWS_TOKEN": "production-token-0123456789"},
        )  # fmt: skip
    assert result.code == 1, result.out + result.err
    assert "SCIM_URL is set but SCIM_TOKEN is not" in result.err
    assert seen == []
