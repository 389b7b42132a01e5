"""The last-seen guard: an empty listing after a non-empty one yields no plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import IncompleteReadError
from reconciler.lastseen import check_and_record, remember
from reconciler.model import Org, User
from tests.conftest import Server

MANAGED = Org(users=(User("a", "a", id="1"),))


def test_empty_read_after_a_managed_one_is_refused(tmp_path: Path) -> None:
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    check_and_record(MANAGED, "http://s/v2", env)
    with pytest.raises(IncompleteReadError, match="found 1: refusing to plan"):
        check_and_record(Org(), "http://s/v2", env)
    check_and_record(Org(), "http://other/v2", env)


def test_an_apply_that_removed_everything_is_remembered(tmp_path: Path) -> None:
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    check_and_record(MANAGED, "http://s/v2", env)
    remember("http://s/v2", 0, env)
    check_and_record(Org(), "http://s/v2", env)


@pytest.mark.integration
def test_plan_refuses_when_the_server_suddenly_lists_nothing(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    emptied = {**generic_server.env, "SCIM_URL": generic_server.url}
    for user in generic_server.users():
        generic_server.http.delete(f"/Users/{user['id']}")
    for group in generic_server.groups():
        generic_server.http.delete(f"/Groups/{group['id']}")
    result = cli("plan", "--dir", org, env=emptied)
    assert result.code == 1
    assert "the server lists no managed users or groups, but the last read" in result.err
