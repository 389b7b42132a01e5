"""The per-target apply lock: one holder at a time, released however the holder ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import LockedError
from reconciler.lock import lock_path, target_lock

URL = "https://scim.example.com/v2"


def test_the_lock_has_one_holder_per_target_and_is_released_after(tmp_path: Path) -> None:
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    with target_lock(URL, env) as held:
        assert held == lock_path(URL, env) == lock_path(URL + "/", env)
        refused = pytest.raises(LockedError, match="another scimctl apply against")
        with refused as info, target_lock(URL, env):
            pass
        assert str(held) in str(info.value)
        with target_lock("https://other.example.com/v2", env):
            pass
    with target_lock(URL, env):
        pass


def test_one_server_spelled_two_ways_has_one_lock(tmp_path: Path) -> None:
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    held, second = target_lock("https://SCIM.example.com:443/v2/", env), target_lock(URL, env)
    with held, pytest.raises(LockedError), second:
        pass


def test_a_link_at_the_locks_place_is_not_followed(tmp_path: Path) -> None:
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    lock_path(URL, env).symlink_to(victim)
    with pytest.raises(LockedError, match="cannot take the apply lock"), target_lock(URL, env):
        pass
    assert victim.read_text() == "keep\n"


def test_the_refusal_shows_the_url_escaped(tmp_path: Path) -> None:
    """The URL may come from targets.yaml: a direction mark or C1 control in it is not
    printed raw."""
    env = {"SCIMCTL_CACHE_DIR": str(tmp_path)}
    url = "https://scim.example.com/v2/\u202e\x9b2J"
    with target_lock(url, env), pytest.raises(LockedError) as info, target_lock(url, env):
        pass
    message = str(info.value)
    assert "\u202e" not in message and "\x9b" not in message
    assert "v2/\\u202e\\u009b2J is running" in message


def test_with_no_home_and_no_cache_dir_the_lock_is_a_clear_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A container with HOME unset and no passwd entry (issue 19, item 6): Path.home()
    raised RuntimeError; now the apply is refused before any write, with the fix."""
    import pwd

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(LockedError) as refused, target_lock(URL, {}):
        pass
    assert str(refused.value) == (
        "cannot take the apply lock: no home directory (HOME is not set and the user has no "
        "passwd entry), and neither SCIMCTL_CACHE_DIR nor XDG_CACHE_HOME is set; set "
        "SCIMCTL_CACHE_DIR to a writable directory. Nothing was changed."
    )
