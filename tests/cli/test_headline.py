"""The line that names the server a plan is for: where the URL came from, and never a
credential, even one pasted into the URL by mistake."""

from __future__ import annotations

from reconciler.cli.common import headline
from reconciler.config import ENV_TARGET, Target


def test_the_url_comes_from_targets_yaml_or_scim_url() -> None:
    aws = Target("aws", url="https://scim.example.com/tenant/scim/v2/")
    assert (
        headline(aws, {})
        == "Target aws: https://scim.example.com/tenant/scim/v2 (url from targets.yaml)"
    )
    env = {"SCIM_URL": "http://127.0.0.1:8080/v2"}
    assert headline(aws, env) == "Target aws: http://127.0.0.1:8080/v2 (from SCIM_URL)"
    assert (
        headline(Target(ENV_TARGET), env)
        == "Target default: http://127.0.0.1:8080/v2 (from SCIM_URL)"
    )


def test_no_credential_in_the_url_is_shown() -> None:
    pasted = {"SCIM_URL": "https://admin:s3cr3t@scim.example.com:8443/v2?token=s3cr3t#x"}
    line = headline(Target(ENV_TARGET), pasted)
    assert line == "Target default: https://scim.example.com:8443/v2 (from SCIM_URL)"
    assert "s3cr3t" not in line and "admin" not in line


def test_a_url_that_is_not_one_is_not_echoed() -> None:
    assert "(not a valid URL)" in headline(Target(ENV_TARGET), {"SCIM_URL": "s3cr3t-token"})
    assert "(not a valid URL)" in headline(Target(ENV_TARGET), {"SCIM_URL": "http://h:99999999/v2"})


def test_no_url_at_all_prints_no_headline() -> None:
    assert headline(Target(ENV_TARGET), {}) == ""
