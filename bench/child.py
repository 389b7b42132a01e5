"""The benchmark's helper processes (the SCIM server, the delaying proxy) as children."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running(module: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m <module> <args>`` in a child process whose stdout is a pipe, for the
    duration of the block; then asked to stop, and killed if it has not 10 s later."""
    command = [sys.executable, "-m", module, *args]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
