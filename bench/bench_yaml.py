"""Time the desired-state YAML loader against the bare LibYAML floor.

Generates N users of realistic desired state (1,000 users a file) in a temporary
directory, then prints how long ``yaml.load(f, Loader=yaml.CSafeLoader)`` takes on
every file one after the other (the floor), how long ``load_many`` takes with one
and with two jobs, and the ratios. Wall-clock times are the best of ``--repeat``
runs; the CPU times of this process tell more on a machine that others share::

    python bench/bench_yaml.py --users 100000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.desired.yamlfile import YamlDocument, load_many

GIVEN = ["Alice", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Gustav", "Hana", "Ines", "Jürgen"]
FAMILY = ["Liddell", "Smith", "Nguyen", "O'Brien", "Kowalski", "Müller", "Tanaka", "García"]
DEPARTMENTS = ["R&D", "Sales", "Finance", "Support", "Legal", "Platform Engineering"]
TITLES = ["Engineer", "Senior Engineer", "Account Executive", "Analyst", "Counsel", "Manager"]


def user_yaml(index: int, rng: random.Random) -> str:
    """One user entry, in the block style people write by hand."""
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    login = f"{given.lower()}.{family.lower().replace(chr(39), '')}{index}@example.com"
    manager = f"manager{index // 10}@example.com"
    home = f"{given.lower()}{index}@home.example"
    home_email = f"      - value: {home}\n        type: home\n" if index % 2 else ""
    return (
        f"  - userName: {login}\n"
        f"    externalId: E{index:07d}\n"
        f"    name:\n"
        f"      givenName: {given}\n"
        f'      familyName: "{family}"\n'
        f"    displayName: {given} {family}\n"
        f"    emails:\n"
        f"      - value: {login}\n"
        f"        type: work\n"
        f"        primary: true\n"
        f"{home_email}"
        f"    title: {rng.choice(TITLES)}\n"
        f"    active: {'true' if index % 17 else 'false'}\n"
        f"    enterprise:\n"
        f"      department: {rng.choice(DEPARTMENTS)}\n"
        f'      employeeNumber: "{index}"\n'
        f"      manager: {manager}\n"
    )


def generate(directory: Path, users: int, per_file: int = 1000) -> list[Path]:
    """Write ``users`` users into files of ``per_file`` users; return the paths."""
    rng = random.Random(7)
    paths = []
    for start in range(0, users, per_file):
        lines = ["# yaml-language-server: $schema=../../schemas/desired-state.schema.json\n"]
        lines.append("users:\n")
        lines += [user_yaml(i, rng) for i in range(start, min(start + per_file, users))]
        path = directory / f"users-{start // per_file:04d}.yaml"
        path.write_text("".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def floor(paths: Sequence[Path]) -> None:
    """The bare C loader on every file, one after the other."""
    for path in paths:
        with path.open("rb") as stream:
            yaml.load(stream, Loader=yaml.CSafeLoader)


def ours(paths: Sequence[Path], jobs: int) -> None:
    results = load_many(paths, jobs=jobs)
    bad = [r for r in results if not isinstance(r, YamlDocument)]
    if bad:
        raise SystemExit(f"unexpected problems: {bad[0]}")


def best_of(repeat: int, run: Callable[[], None]) -> tuple[float, float]:
    """The best wall-clock and CPU seconds (of this process) of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), args.users, args.per_file)
        size = sum(p.stat().st_size for p in paths)
        print(f"{args.users:,} users in {len(paths)} files, {size / 2**20:.1f} MiB")
        base, base_cpu = best_of(args.repeat, partial(floor, paths))
        print(f"floor: yaml.load, CSafeLoader, one by one  {base:6.2f} s   (CPU {base_cpu:.2f} s)")
        took, cpu = best_of(args.repeat, partial(ours, paths, 1))
        print(
            f"load_many, jobs=1                         {took:6.2f} s   (CPU {cpu:.2f} s)"
            f"   {took / base:.2f} × floor (CPU {cpu / base_cpu:.2f} ×)"
        )
        took, _ = best_of(args.repeat, partial(ours, paths, 2))
        ratio = took / base
        print(f"load_many, jobs=2                         {took:6.2f} s   {ratio:.2f} × floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
