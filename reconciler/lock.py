"""One apply at a time per target on one machine.

Two applies against one server at once both read "group eng is missing" and both
create it: a race the next plan cannot untangle (see ``plan.twins``). So ``apply``
holds an exclusive ``flock`` on a small file in the cache directory
(``$SCIMCTL_CACHE_DIR``, else ``~/.cache/scim-reconciler``), named after the
target's URL, from before it reads the server until its last write. A second
apply against the same URL fails at once, naming the file, and changes nothing.
The kernel drops the lock when the process ends, however it ends, so a killed
run never leaves a stale lock behind.

This serialises runs on one machine only. Runs on several machines (CI runners)
are serialised by the CI: the workflows put every apply of one target in one
``concurrency`` group.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from reconciler.errors import LockedError
from reconciler.escaping import printable
from reconciler.lastseen import NO_CACHE_DIR, cache_dir, target_digest


def lock_path(url: str, env: Mapping[str, str] | None = None) -> Path:
    """The lock file of the target at ``url``; ``LockedError`` when there is no cache
    directory to keep it in (see ``lastseen.cache_dir``)."""
    directory = cache_dir(os.environ if env is None else env)
    if directory is None:
        raise LockedError(
            f"cannot take the apply lock: {NO_CACHE_DIR}; set SCIMCTL_CACHE_DIR to a "
            "writable directory. Nothing was changed."
        )
    return directory / f"apply-{target_digest(url)}.lock"


@contextmanager
def target_lock(url: str, env: Mapping[str, str] | None = None) -> Iterator[Path]:
    """Hold the apply lock of ``url`` for the ``with`` block, or raise ``LockedError``."""
    path = lock_path(url, env)
    descriptor = _open(path)
    try:
        _take(descriptor, path, url)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield path
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: never write through a link someone put at the lock's place.
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise LockedError(
            f"cannot take the apply lock {path}: {error.strerror}; set SCIMCTL_CACHE_DIR to a "
            "writable directory. Nothing was changed."
        ) from None


def _take(descriptor: int, path: Path, url: str) -> None:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise LockedError(
                f"cannot take the apply lock {path}: {error.strerror}. Nothing was changed."
            ) from None
        raise LockedError(
            f"another scimctl apply against {printable(url)} is running on this machine (it "
            f"holds the lock {path}); nothing was changed. Wait for it to finish, then plan again."
        ) from None
