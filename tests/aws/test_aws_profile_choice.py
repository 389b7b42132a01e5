"""The right profile without guessing: a URL on ``scim.<region>.amazonaws.com`` selects
aws-identity-center unless a profile is given (``--profile``, ``SCIM_PROFILE``, or the
target's ``profile``), and every run knows where its profile came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import Target, choose_profile, is_aws_identity_center, resolve_connection

AWS_URL = "https://scim.us-east-1.amazonaws.com/a1b2c3d4-1111-2222/scim/v2"


@pytest.mark.parametrize(
    "url",
    [
        AWS_URL,
        "https://scim.eu-central-1.amazonaws.com/x/scim/v2/",
        "https://SCIM.ap-southeast-2.AMAZONAWS.com/x/scim/v2",
        "https://scim.us-gov-west-1.amazonaws.com:443/x/scim/v2",
    ],
)
def test_an_identity_center_host_is_recognised(url: str) -> None:
    assert is_aws_identity_center(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://scim.example.com/scim/v2",
        "https://scim.us-east-1.amazonaws.com.evil.example/scim/v2",
        "https://evil.example/scim.us-east-1.amazonaws.com/scim/v2",
        "https://xscim.us-east-1.amazonaws.com/scim/v2",
        "https://identitystore.us-east-1.amazonaws.com/scim/v2",
        "http://127.0.0.1:8080/v2",
        "not a url [",
    ],
)
def test_other_hosts_are_not(url: str) -> None:
    assert not is_aws_identity_center(url)


def test_the_url_selects_the_aws_profile_when_none_is_given() -> None:
    from_target = choose_profile(Target("prod", url=AWS_URL), {})
    from_env = choose_profile(Target("env"), {"SCIM_URL": AWS_URL})

    assert from_target.name == from_env.name == "aws-identity-center"
    assert from_target.source == "the URL's host (scim.<region>.amazonaws.com)"


def test_a_profile_given_is_never_second_guessed() -> None:
    target = Target("prod", url=AWS_URL, profile="generic")
    env = {"SCIM_URL": AWS_URL, "SCIM_PROFILE": "slack"}

    assert choose_profile(target, {}).name == "generic"
    assert choose_profile(target, {}).source == "target 'prod' in targets.yaml"
    assert choose_profile(target, env).name == "slack"
    assert choose_profile(target, env).source == "SCIM_PROFILE"
    assert choose_profile(target, env, "github-emu").name == "github-emu"
    assert choose_profile(target, env, "github-emu").source == "--profile"


def test_any_other_url_keeps_the_generic_profile() -> None:
    chosen = choose_profile(Target("lab", url="https://scim.example.com/v2"), {})

    assert (chosen.name, chosen.source) == ("generic", "default (no profile given)")


def test_the_connection_carries_the_profile_and_its_source() -> None:
    connection = resolve_connection(Target("env"), {"SCIM_URL": AWS_URL, "SCIM_TOKEN": "t"})

    assert (connection.profile, connection.profile_source) == (
        "aws-identity-center",
        "the URL's host (scim.<region>.amazonaws.com)",
    )


def test_validate_applies_the_aws_profile_to_an_aws_url_offline(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No request is made: the URL alone chooses the profile whose rules validate checks."""
    (tmp_path / "targets.yaml").write_text(f"targets:\n  prod:\n    url: {AWS_URL}\n")
    (tmp_path / "users.yaml").write_text("users:\n  - userName: ada@example.com\n")

    result = cli("validate", "--dir", tmp_path)
    generic = cli("validate", "--dir", tmp_path, "--profile", "generic")

    assert result.code == 1, result.out + result.err
    assert "aws-identity-center requires name.givenName" in result.err
    assert generic.code == 0, generic.out + generic.err
