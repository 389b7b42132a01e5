"""Run one ``scimctl`` command in a fresh process and report its time and peak memory.

``python -m bench.clirun RESULT.json plan --dir D`` runs ``scimctl plan --dir D``
in-process (its output to /dev/null), then writes to RESULT.json the exit code, the
wall time of the command (interpreter start-up and imports excluded), the peak resident
memory of this process (``VmHWM``), and the peak of this process and every process it
started (the YAML loader's fork server and workers) together, sampled every 50 ms.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
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
    tree_peak_mb: float


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
    with _TreeSampler() as tree, open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        try:
            scimctl()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    seconds = time.perf_counter() - started
    found = {"code": code, "seconds": seconds, "peak_mb": _peak_mb(), "tree_peak_mb": tree.peak}
    Path(result_path).write_text(json.dumps(found))
    return 0


class _TreeSampler:
    """Samples, in a thread, the resident memory of this process and its descendants."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now (0 where /proc is not)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else ():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except OSError:
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """This process's own peak resident memory.

    Not ``ru_maxrss``: Linux folds into it the peak of the memory a process had before
    it exec'd, which for a child of ``subprocess`` is its parent's (the benchmark, with
    its own copy of the org: measured, a 10 MB child reported 431 MB). ``VmHWM`` is
    the peak of this program's memory alone.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024  # kB


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
