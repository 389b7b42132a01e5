"""Validate time against the floor: PyYAML's C loader alone on the same files.

The floor is ``yaml.load(f, Loader=yaml.CSafeLoader)`` on every file, one after the
other (``bench.bench_yaml.floor``). Against it: ``scimctl validate`` in a fresh process
(both cores allowed: the loader has a process pool), and the stages of
``reconciler.desired.load_desired`` one by one, to show where the time goes. All of it
runs in a fresh process of its own (``in_subprocess``): a large heap in the caller
would slow the floor's and the stages' garbage collection::

    python -m bench.validatecost DIRECTORY

``--hostile MIB…`` measures instead the worst input validate meets (issue 13, item 9):
one file of ``users: [{},{},…]`` of that many MiB, every entry a problem. The time and
peak memory must grow in proportion to the size::

    python -m bench.validatecost --hostile 1 10
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench import clirun
from bench.bench_yaml import floor
from reconciler.desired import desired_files, display_path
from reconciler.desired.build import build_org
from reconciler.desired.schema import schema_problems
from reconciler.desired.semantic import semantic_problems
from reconciler.desired.yamlfile import YamlDocument, load_many

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@dataclass(frozen=True)
class ValidateFigures:
    files: int
    megabytes: float
    floor_seconds: float
    cli: clirun.CliRun
    stages: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.cli.seconds / self.floor_seconds


def _timed(stages: dict[str, float], name: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    stages[name] = time.perf_counter() - started
    return result


def stages(directory: Path) -> dict[str, float]:
    """Seconds of each stage of ``load_desired``, run here one after the other."""
    took: dict[str, float] = {}
    paths = desired_files(directory)
    loaded = _timed(took, "load_many", lambda: load_many(paths, [display_path(p) for p in paths]))
    docs = [d for d in loaded if isinstance(d, YamlDocument) and not d.problems]
    if len(docs) != len(loaded):
        raise RuntimeError("the generated desired state has problems")

    def schema() -> list[Any]:
        return [p for doc in docs for p in schema_problems(doc, "desired-state")]

    problems = _timed(took, "schema", schema)
    problems += _timed(took, "semantic", lambda: list(semantic_problems(docs)))
    if problems:
        raise RuntimeError(f"the generated desired state has problems: {problems[0]}")
    _timed(took, "build", lambda: build_org(docs))
    return took


def measure(directory: Path) -> ValidateFigures:
    paths = desired_files(directory)
    size = sum(p.stat().st_size for p in paths) / 1e6
    started = time.perf_counter()
    floor(paths)
    floor_seconds = time.perf_counter() - started
    cli = clirun.run(["validate", "--dir", str(directory), "--profile", "generic"])
    if cli.code != 0:
        raise RuntimeError(f"scimctl validate exited {cli.code}")
    return ValidateFigures(len(paths), size, floor_seconds, cli, stages(directory))


def in_subprocess(directory: Path) -> ValidateFigures:
    """``measure`` in a fresh interpreter."""
    command = [sys.executable, "-m", "bench.validatecost", str(directory)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    found["cli"] = clirun.CliRun(**found["cli"])
    return ValidateFigures(**found)


def hostile_tree(directory: Path, mebibytes: float) -> Path:
    """A desired state of one file ``users: [{},{},…]`` of ``mebibytes`` MiB."""
    entries = int(mebibytes * 2**20) // 3 - 4
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "users.yaml").write_text("users: [" + ",".join(["{}"] * entries) + "]\n")
    return directory


def hostile(sizes: Sequence[float]) -> None:
    """Print the cost of validating ``users: [{},…]`` of each size (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            directory = hostile_tree(Path(tmp) / f"{size}", size)
            cli = clirun.run(["validate", "--dir", str(directory), "--profile", "generic"])
            print(
                f"users: [{{}},…] of {size:g} MiB: exit {cli.code}, {cli.seconds:.1f} s, "
                f"peak {cli.peak_mb:.0f} MB (with workers {cli.tree_peak_mb:.0f} MB)"
            )


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--hostile"]:
        hostile([float(size) for size in argv[1:]])
        return 0
    figures = measure(Path(argv[0]))
    print(json.dumps(asdict(figures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
