"""A group of 250 members against the AWS-profile sandbox: filled and emptied 100
membership changes per PATCH, members read back per group through ``groups.value``."""

from __future__ import annotations

from pathlib import Path

import pytest
from orgfiles import logged, names, write_org

from tests.conftest import Server

pytestmark = pytest.mark.integration

MEMBERS = names(250)


def test_a_group_of_250_is_filled_and_emptied_100_changes_per_patch(
    cli, tmp_path: Path, aws_server: Server
) -> None:  # type: ignore[no-untyped-def]
    org = write_org(tmp_path / "org", MEMBERS, {"everyone": MEMBERS})

    filled = cli("apply", "--dir", org, "--auto-approve", "-v", env=aws_server.env)

    assert filled.code == 0, filled.out + filled.err
    assert len(logged(filled.err, "POST", "/Users")) == 250
    assert len(logged(filled.err, "PATCH", "/Groups/")) == 3
    assert aws_server.member_names("everyone") == set(MEMBERS)

    write_org(org, MEMBERS, {"everyone": []})
    plan = cli("plan", "--dir", org, "-v", env=aws_server.env)
    assert "read the members of 1 groups in 3 requests" in plan.err
    assert "- member user249@example.com" in plan.out
    emptied = cli("apply", "--dir", org, "--auto-approve", "--force", "-v", env=aws_server.env)

    assert emptied.code == 0, emptied.out + emptied.err
    assert len(logged(emptied.err, "PATCH", "/Groups/")) == 3
    assert aws_server.member_names("everyone") == set()
    again = cli("plan", "--dir", org, "--detailed-exitcode", env=aws_server.env)
    assert again.code == 0, again.out + again.err
