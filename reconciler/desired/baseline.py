"""The desired state as committed at a git ref: the baseline drift compares against.

In CI, drift runs on the default branch right after apply: the baseline is HEAD
and anything the server lacks was removed behind git's back ("missing"). On a
working copy with edits not yet applied, those edits show as "pending".
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from reconciler.desired import DesiredState, load_desired
from reconciler.errors import InputError, ValidationFailed
from reconciler.escaping import printable


def load_baseline(directory: Path, ref: str) -> DesiredState | None:
    """The desired state of ``directory`` at git ``ref``; None outside a git repository."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    root = Path(top.decode().strip()).resolve()
    relative = directory.resolve().relative_to(root)
    archive = _git(root, "archive", "--format=tar", ref, "--", relative.as_posix() or ".")
    if archive is None:
        shown = printable(ref)
        raise InputError(
            f"--baseline {shown}: git cannot read {printable(str(directory))} at {shown}"
        )
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(scratch, filter="data")
        try:
            return load_desired(Path(scratch) / relative)
        except ValidationFailed as failed:
            raise InputError(
                f"the desired state at {printable(ref)} does not validate ({failed.count:,} "
                "problems); "
                "pass another --baseline or --no-baseline"
            ) from None


def _git(directory: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
