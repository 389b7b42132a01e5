"""Run one ``scimctl`` command in a fresh process and report its time and peak memory.

``python -m bench.clirun RESULT.json plan --dir D`` runs ``scimctl plan --dir D``
in-process (its output to /dev/null), then writes to RESULT.json the exit code, the
wall time of the command (interpreter start-up and imports excluded), and the peak
resident memory (``ru_maxrss``) of this process and of its largest child (the YAML
loader's worker processes, if it started any).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 3600.0


@dataclass(frozen=True)
class CliRun:
    code: int
    seconds: float
    peak_mb: float
    children_peak_mb: float


def run(args: Sequence[str], env: Mapping[str, str] | None = None) -> CliRun:
    """Run ``scimctl *args`` in a child process (``env`` added to this one's)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "bench.clirun", str(result), *args]
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            check=False,
            timeout=TIMEOUT,
            stdout=subprocess.DEVNULL,
        )
        return CliRun(**json.loads(result.read_text()))


def main(argv: Sequence[str]) -> int:
    from reconciler.cli.app import main as scimctl

    result_path, *args = argv
    sys.argv = ["scimctl", *args]
    started = time.perf_counter()
    code = 0
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        try:
            scimctl()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    found = {"code": code, "seconds": seconds, "peak_mb": own, "children_peak_mb": children}
    Path(result_path).write_text(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
