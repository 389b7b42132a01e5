"""The last-seen guard: an empty listing where the last read had managed resources.

A server that suddenly lists nothing (a wrong tenant, a permission change, a
broken deployment) must not be planned against as if the directory were empty.
After every whole read, the number of managed users and groups is kept per
target URL in a small file (``$SCIMCTL_CACHE_DIR``, else ``$XDG_CACHE_HOME`` or
``~/.cache``, under ``scim-reconciler``; in CI, keep it with the runner cache). The
next read that finds none of them, where the last one found some, yields no plan.
With no such directory to name (a container with no ``HOME`` and no passwd entry) the
guard is off for the run, with a warning: a plan is never lost after its read for it.
The record is written without following a link at its place, as the lock is.

``scimctl sandbox`` is in memory: each start is empty by construction. It forgets
the record of the URLs it now serves when it starts (``forget``), so the README's
rehearsal works after a restart; a real server never sits on the loopback port a
running sandbox holds, so no real server's record is touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pwd
import shlex
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

import httpx

from reconciler.errors import IncompleteReadError
from reconciler.escaping import printable
from reconciler.model import Org

log = logging.getLogger("reconciler.lastseen")


NO_CACHE_DIR = (
    "no home directory (HOME is not set and the user has no passwd entry), and neither "
    "SCIMCTL_CACHE_DIR nor XDG_CACHE_HOME is set"
)


def cache_dir(env: Mapping[str, str]) -> Path | None:
    """Where the last-seen records and the apply locks are kept; None when there is no
    directory to name (``NO_CACHE_DIR``)."""
    explicit = env.get("SCIMCTL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = env.get("XDG_CACHE_HOME")
    if not base:
        home = _home(env)
        if home is None:
            return None
        base = str(Path(home) / ".cache")
    return Path(base) / "scim-reconciler"


def _home(env: Mapping[str, str]) -> str | None:
    """``HOME``, else the passwd entry's directory (as ``Path.home`` looks, without its
    RuntimeError when there is neither)."""
    if env.get("HOME"):
        return env["HOME"]
    try:
        return pwd.getpwuid(os.getuid()).pw_dir or None
    except KeyError:
        return None


def target_digest(url: str) -> str:
    """One short digest per server, however its URL is spelled: the host's case, a
    default port and a trailing slash do not change it (the lock uses it too)."""
    try:
        canonical = str(httpx.URL(url)).rstrip("/")
    except httpx.InvalidURL:
        canonical = url.rstrip("/")
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _record(directory: Path | None, url: str) -> Path | None:
    if directory is None:
        return None
    return directory / f"last-seen-{target_digest(url)}.json"


def check_and_record(org: Org, url: str, env: Mapping[str, str] | None = None) -> None:
    """Refuse an empty read after a non-empty one; otherwise remember this read."""
    path = _record(cache_dir(os.environ if env is None else env), url)
    if path is None:
        log.warning(
            "the last-seen guard is off for this run: %s; set SCIMCTL_CACHE_DIR to a "
            "directory kept between runs",
            NO_CACHE_DIR,
        )
        return
    managed = sum(1 for u in org.users if u.managed) + sum(1 for g in org.groups if g.managed)
    before = _previous(path)
    if managed == 0 and before > 0:
        raise IncompleteReadError(
            "the server lists no managed users or groups, but the last read of "
            f"{printable(url)} found {before}: refusing to plan from what may be a broken "
            "listing. If the directory really was emptied (or it is a test server that was "
            "restarted empty), forget the last read and run again: "
            f"rm {shlex.quote(str(path))}"
        )
    remember(url, managed, env)


def remember(url: str, managed: int, env: Mapping[str, str] | None = None) -> None:
    """Record how many managed resources ``url`` has (after a read, or after an apply)."""
    path = _record(cache_dir(os.environ if env is None else env), url)
    if path is None:
        return  # check_and_record said the guard is off
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_unfollowed(path, json.dumps({"url": url, "managed": managed}) + "\n")
    except OSError:
        pass  # a read-only home must not stop a plan; the guard is then best effort


def _write_unfollowed(path: Path, text: str) -> None:
    """Write ``path`` whole; a link at its place is refused (ELOOP), never followed to
    overwrite the file it names."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def _previous(path: Path) -> int:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0
    value = data.get("managed") if isinstance(data, dict) else None
    return value if isinstance(value, int) else 0


def forget(urls: list[str], env: Mapping[str, str] | None = None) -> None:
    """Drop what was remembered of ``urls`` (a sandbox that starts empty serves them)."""
    directory = cache_dir(os.environ if env is None else env)
    for url in urls:
        record = _record(directory, url)
        if record is not None:
            with suppress(OSError):  # best effort, as remembering is
                record.unlink(missing_ok=True)
