"""The last-seen guard: an empty listing where the last read had managed resources.

A server that suddenly lists nothing (a wrong tenant, a permission change, a
broken deployment) must not be planned against as if the directory were empty.
After every whole read, the number of managed users and groups is kept per
target URL in a small file (``$SCIMCTL_CACHE_DIR``, else ``~/.cache/scim-reconciler``;
in CI, keep it with the runner cache). The next read that finds none of them,
where the last one found some, yields no plan.

``scimctl sandbox`` is in memory: each start is empty by construction. It forgets
the record of the URLs it now serves when it starts (``forget``), so the README's
rehearsal works after a restart; a real server never sits on the loopback port a
running sandbox holds, so no real server's record is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

import httpx

from reconciler.errors import IncompleteReadError
from reconciler.escaping import printable
from reconciler.model import Org


def cache_dir(env: Mapping[str, str]) -> Path:
    explicit = env.get("SCIMCTL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scim-reconciler"


def target_digest(url: str) -> str:
    """One short digest per server, however its URL is spelled: the host's case, a
    default port and a trailing slash do not change it (the lock uses it too)."""
    try:
        canonical = str(httpx.URL(url)).rstrip("/")
    except httpx.InvalidURL:
        canonical = url.rstrip("/")
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _record(directory: Path, url: str) -> Path:
    return directory / f"last-seen-{target_digest(url)}.json"


def check_and_record(org: Org, url: str, env: Mapping[str, str] | None = None) -> None:
    """Refuse an empty read after a non-empty one; otherwise remember this read."""
    path = _record(cache_dir(os.environ if env is None else env), url)
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"url": url, "managed": managed}) + "\n")
    except OSError:
        pass  # a read-only home must not stop a plan; the guard is then best effort


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
        with suppress(OSError):  # best effort, as remembering is
            _record(directory, url).unlink(missing_ok=True)
