"""A burst of 429s from the AWS-profile sandbox (ThrottlingException, no Retry-After):
the client backs off and retries, and the apply converges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from orgfiles import names, write_org

from tests.conftest import Server

pytestmark = pytest.mark.integration


def test_an_apply_survives_a_burst_of_429s(cli, tmp_path: Path, throttled_server: Server) -> None:  # type: ignore[no-untyped-def]
    people = names(40)
    org = write_org(tmp_path / "org", people, {"everyone": people})

    applied = cli("apply", "--dir", org, "--auto-approve", "-v", env=throttled_server.env)

    assert applied.code == 0, applied.out + applied.err
    refused = [line for line in applied.err.splitlines() if line.endswith(")") and "-> 429" in line]
    retried = [line for line in applied.err.splitlines() if line.startswith("retrying ")]
    assert refused, "the sandbox never throttled: the test proves nothing"
    assert len(retried) == len(refused)
    assert "Retry-After" not in applied.err  # AWS sends none: the waits are the client's own
    assert "Apply: 42 done, 0 failed, 0 skipped" in applied.out
    assert f", {len(refused)} after 429 Too Many Requests)." in applied.out  # the summary says
    again = cli("plan", "--dir", org, "--detailed-exitcode", env=throttled_server.env)
    assert again.code == 0, again.out + again.err  # read back whole, through the 429s too


def test_a_throttled_apply_says_so_once_and_keeps_its_429s_few(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, throttled_server: Server
) -> None:
    """IAM Identity Center answers 429 with no Retry-After: the client learns the rate
    the server allows instead of retrying each refusal on its own (issue 19, item 1:
    at 15 requests a second, 135 of 343 requests were 429s, each a line on stderr)."""
    people = names(150)
    org = write_org(tmp_path / "org", people, {"everyone": people})
    report = tmp_path / "report.json"

    applied = cli(
        "apply", "--dir", org, "--auto-approve", "--report", report, env=throttled_server.env
    )

    assert applied.code == 0, applied.out + applied.err
    said = [line for line in applied.err.splitlines() if "throttling" in line]
    assert len(said) == 1, applied.err
    assert "retrying" not in applied.err  # each retry is a -v line, not a warning
    figures = json.loads(report.read_text())
    assert figures["throttled"] >= 1, "the sandbox never throttled: the test proves nothing"
    assert figures["throttled"] <= 0.1 * figures["requests"], figures  # today: about a third
