"""Issue 14 item 7: `validate` judges the desired state with the profile `plan` would
use: --profile, else SCIM_PROFILE (when SCIM_URL is set), else the target's."""

from __future__ import annotations

from pathlib import Path

import pytest

AWS_REFUSES = "users:\n  - userName: alice@example.com\n"  # AWS requires name parts


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    found = tmp_path / "desired"
    found.mkdir()
    (found / "users.yaml").write_text(AWS_REFUSES)
    return found


def test_scim_profile_is_honoured(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"SCIM_URL": "http://127.0.0.1:9/v2", "SCIM_PROFILE": "aws-identity-center"}
    result = cli("validate", "--dir", directory, env=env)
    assert result.code == 1
    assert "users.yaml:2:5: aws-identity-center requires name.givenName" in result.err


def test_the_targets_profile_is_honoured_and_scim_profile_wins(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    (directory / "targets.yaml").write_text(
        "targets:\n  aws:\n    url: https://example.com/scim/v2\n    profile: aws-identity-center\n"
    )
    assert "requires name.givenName" in cli("validate", "--dir", directory).err
    env = {"SCIM_URL": "http://127.0.0.1:9/v2", "SCIM_PROFILE": "generic"}
    result = cli("validate", "--dir", directory, env=env)
    assert result.code == 0, result.err
    assert "(profile generic)" in result.out


def test_without_scim_url_scim_profile_is_not_read(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """As plan: SCIM_PROFILE describes the server SCIM_URL names."""
    result = cli("validate", "--dir", directory, env={"SCIM_PROFILE": "aws-identity-center"})
    assert result.code == 0, result.err
    assert "(profile generic)" in result.out


def test_profile_checks_run_beside_schema_problems(cli, directory: Path) -> None:  # type: ignore[no-untyped-def]
    (directory / "users.yaml").write_text(
        "users:\n  - userName: alice@example.com\n    name: Alice Liddell\n"
        "  - userName: bob@example.com\n"
    )
    env = {"SCIM_URL": "http://127.0.0.1:9/v2", "SCIM_PROFILE": "aws-identity-center"}
    result = cli("validate", "--dir", directory, env=env)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "users.yaml:3:11: users[0].name: expected a mapping" in result.err
    assert "users.yaml:4:5: aws-identity-center requires name.givenName" in result.err
