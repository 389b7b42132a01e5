"""The last-seen guard: an empty listing after a non-empty one yields no plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    with pytest.raises(IncompleteReadError):  # without the apply's word: refused
        check_and_record(Org(), "http://s/v2", env)
    remember("http://s/v2", 0, env)  # the apply removed every managed resource
    check_and_record(Org(), "http://s/v2", env)  # so an empty read is what it should be
    check_and_record(MANAGED, "http://s/v2", env)
    with pytest.raises(IncompleteReadError):  # and the guard keeps watching after it
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


def test_the_refusal_gives_the_exact_command_to_run(tmp_path: Path) -> None:
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path / "my cache")}
    check_and_record(MANAGED, "http://s/v2", env)
    with pytest.raises(IncompleteReadError) as refused:
        check_and_record(Org(), "http://s/v2", env)
    (record,) = (tmp_path / "my cache").iterdir()
    assert str(refused.value).endswith(f"rm '{record}'")


def test_the_refusal_shows_the_url_escaped(tmp_path: Path) -> None:
    """The URL may come from targets.yaml: a direction mark in it is not printed raw."""
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    url = "http://s/v2/\u202eevil"
    check_and_record(MANAGED, url, env)
    with pytest.raises(IncompleteReadError) as refused:
        check_and_record(Org(), url, env)
    assert "\u202e" not in str(refused.value)
    assert "last read of http://s/v2/\\u202eevil found 1" in str(refused.value)


def _sandbox_that_starts(monkeypatch: pytest.MonkeyPatch, base: str) -> None:
    """``scimctl sandbox`` as far as being ready on ``base``, without serving forever."""
    import reconciler.sandbox.server as server

    def started(app: object, host: str, port: int, *, ready: Any) -> None:
        ready(base)

    monkeypatch.setattr(server, "serve_forever", started)


def test_a_restarted_sandbox_does_not_trip_the_guard(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = "http://127.0.0.1:8080/v2"
    check_and_record(MANAGED, url)  # the run before the restart applied the org
    check_and_record(MANAGED, "https://scim.example.com/v2")  # a real server
    _sandbox_that_starts(monkeypatch, "http://127.0.0.1:8080")
    assert cli("sandbox", "--port", "8080", "--token", "dev-token").code == 0
    check_and_record(Org(), url)  # the README's next command plans against the empty store
    with pytest.raises(IncompleteReadError):
        check_and_record(Org(), "https://scim.example.com/v2")


def test_the_sandbox_banner_is_pasteable(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _sandbox_that_starts(monkeypatch, "http://127.0.0.1:8080")
    started = cli("sandbox", "--token", "dev-token", "--profile", "aws-identity-center")
    assert started.out.splitlines() == [
        "export SCIM_URL=http://127.0.0.1:8080/v2",
        "export SCIM_TOKEN=dev-token",
        "export SCIM_PROFILE=aws-identity-center",
    ]
    assert "a aws" not in started.err
    assert "(profile aws-identity-center)" in started.err


def test_the_sandbox_banner_prints_a_token_with_brackets_as_it_is(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _sandbox_that_starts(monkeypatch, "http://127.0.0.1:8080")
    started = cli("sandbox", "--token", "dev[bold]tok[/bold]en")
    assert "export SCIM_TOKEN='dev[bold]tok[/bold]en'" in started.out.splitlines()


@pytest.fixture
def homeless(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container's user: HOME unset, no passwd entry, no cache directory named."""
    import pwd

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    for name in ("HOME", "XDG_CACHE_HOME", "SCIMCTL_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.integration
def test_a_plan_with_no_home_directory_is_not_lost_after_the_read(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, homeless: None
) -> None:
    """Before: the read went through, then Path.home() raised RuntimeError (a traceback,
    the plan lost). Now the guard is off for the run, and says so (issue 19, item 6)."""
    plan = cli("plan", "--dir", org, env=generic_server.env)
    assert plan.code == 0, plan.err
    assert "Plan: 21 to create" in plan.out
    assert "the last-seen guard is off for this run: no home directory" in plan.err
    assert "Traceback" not in plan.err
    applied = cli("apply", "--dir", org, "--auto-approve", env=generic_server.env)
    assert applied.code == 1
    assert "cannot take the apply lock: no home directory" in applied.err
    assert generic_server.users() == []


def test_the_cache_dir_comes_from_the_environment_then_home() -> None:
    from reconciler.lastseen import cache_dir

    assert cache_dir({"SCIMCTL_CACHE_DIR": "/c", "HOME": "/h"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/scim-reconciler")
    assert cache_dir({"HOME": "/h"}) == Path("/h/.cache/scim-reconciler")


def test_a_link_at_the_records_place_is_not_followed(tmp_path: Path) -> None:
    """The record is written as the lock is: a link planted at its place (to a file the
    user can write) is refused, never followed and overwritten (issue 19, item 6)."""
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    remember("http://s/v2", 1, env)
    (record,) = tmp_path.iterdir()
    record.unlink()
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    record.symlink_to(victim)
    remember("http://s/v2", 5, env)
    check_and_record(MANAGED, "http://s/v2", env)
    assert victim.read_text() == "keep\n"
    assert record.is_symlink()
