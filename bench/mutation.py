"""`make mutation`: break the safety rules one at a time and check that a test notices.

mutmut (``[tool.mutmut]`` in pyproject.toml says which modules and which tests) runs in a
copy of the working tree under ``build/mutation``, never in place: it writes every
mutant of a module into one file there and, per mutant, runs only the tests that cover
the mutated function, fastest first, stopping at the first failure.

A mutant that survives either shows a missing test or changes nothing a caller can see
(an equivalent mutant). The equivalent ones are written down, each with its reason, in
``bench/mutation-equivalent.toml``; this script checks that each entry still names the
same change (mutmut numbers mutants per function, so an edit can shift the numbers) and
counts it apart. It writes ``bench/MUTATION.md`` and exits 1 when a survivor is
unexplained, 2 when mutmut itself failed.

    python bench/mutation.py            # all modules (about half an hour on 2 cores)
    python bench/mutation.py --jobs 1   # gentler on a shared machine
    python bench/mutation.py --head     # the last commit, not the working tree
    python bench/mutation.py --resume   # the same mutants, today's tests: survivors again
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ROOT / "build" / "mutation"
EQUIVALENT = ROOT / "bench" / "mutation-equivalent.toml"
REPORT = ROOT / "bench" / "MUTATION.md"
STATUS: dict[int | None, str] = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    36: "timeout",
}
STATUS |= {-24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", 37: "type check"}
STATUS |= {None: "not checked"}


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    status: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--head", action="store_true", help="mutate HEAD, not the work tree")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the last run's mutants; take today's tests and run the survivors again",
    )
    parser.add_argument(
        "--tests",
        nargs="*",
        default=[],
        help="with --resume: take only these test files of today (the source mutated may be "
        "older than other tests)",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="only write the report of the last run as it stands (stopped or not)",
    )
    args = parser.parse_args()
    if args.report:
        return write_report(float((COPY / "took.txt").read_text()), args.jobs)
    names: list[str] = []
    if args.resume:
        entries = tomllib.loads(EQUIVALENT.read_text()).get("equivalent", [])
        settled = {entry["mutant"] for entry in entries}
        names = [
            m.name
            for m in read_results(COPY / "mutants")
            if m.status != "killed" and m.name not in settled
        ]
        for name in args.tests or [
            str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")
        ]:
            (COPY / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, COPY / name)
    elif args.head:
        export_head(COPY)
        (COPY / "source.txt").write_text(f"commit {git('rev-parse', '--short', 'HEAD')}")
    else:
        copy_tree(COPY)
        (COPY / "source.txt").write_text(
            f"the working tree at {git('rev-parse', '--short', 'HEAD')}"
        )
    started = time.monotonic()
    log = COPY / ("mutmut-resume.log" if args.resume else "mutmut.log")
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs), *names],
            cwd=COPY,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    took = time.monotonic() - started
    if args.resume:
        took += float((COPY / "took.txt").read_text())
        (COPY / "source.txt").write_text(
            (COPY / "source.txt").read_text().split(";")[0]
            + f"; its {len(names)} survivors run again with the tests of "
            + git("rev-parse", "--short", "HEAD")
        )
    (COPY / "took.txt").write_text(f"{took:.0f}")
    if done.returncode != 0 or not read_results(COPY / "mutants"):
        print(log.read_text()[-3000:], file=sys.stderr)
        print(f"mutmut failed (exit {done.returncode}); its log: {log}", file=sys.stderr)
        return 2
    return write_report(took, args.jobs)


def write_report(took: float, jobs: int) -> int:
    mutants = read_results(COPY / "mutants")
    equivalent, stale = check_equivalents(mutants)
    source = (COPY / "source.txt").read_text().strip()
    REPORT.write_text(report(mutants, equivalent, stale, took, jobs, source))
    unexplained = [m for m in mutants if m.status != "killed" and m.name not in equivalent]
    print(f"{len(mutants)} mutants in {took / 60:.1f} min; written to {REPORT.relative_to(ROOT)}")
    for mutant in unexplained:
        print(f"  {mutant.status}: {mutant.name}\n{indent(show(mutant.name))}")
    return 1 if unexplained or stale else 0


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def copy_tree(dest: Path) -> None:
    """The working tree as it is (tracked files and new ones, not ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    if dest.exists():
        shutil.rmtree(dest)
    for name in filter(None, listed.split("\0")):
        source, target = ROOT / name, dest / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree, not yet in the index
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


def export_head(dest: Path) -> None:
    """The last commit, whatever the working tree holds (others' edits under way)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


def read_results(mutants: Path) -> list[Mutant]:
    found = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = meta.relative_to(mutants).as_posix().removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            found.append(Mutant(name, module, STATUS.get(code, f"suspicious ({code})")))
    return found


def show(name: str) -> str:
    """The mutant's diff, as ``mutmut show`` prints it (changed lines only)."""
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name],
        cwd=COPY,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    lines = [line for line in shown.splitlines() if re.match(r"^[-+](?![-+])", line)]
    return "\n".join(lines)


def added(diff: str) -> str:
    """The lines a mutant writes, without the ``+``."""
    return "\n".join(line[1:] for line in diff.splitlines() if line.startswith("+"))


def check_equivalents(mutants: list[Mutant]) -> tuple[dict[str, str], list[str]]:
    """The equivalent mutants still named right (name → reason), and the stale entries."""
    entries = tomllib.loads(EQUIVALENT.read_text()).get("equivalent", [])
    survived = {m.name for m in mutants if m.status != "killed"}
    equivalent, stale = {}, []
    for entry in entries:
        name, change = entry["mutant"], entry["change"].strip()
        if name not in survived:
            continue  # killed now, or gone: nothing to explain
        if change not in added(show(name)):
            stale.append(f"{name}: the file says `{change}`, the mutant is now:\n{show(name)}")
            continue
        equivalent[name] = entry["reason"].strip()
    return equivalent, stale


def report(
    mutants: list[Mutant],
    equivalent: dict[str, str],
    stale: list[str],
    took: float,
    jobs: int,
    source: str,
) -> str:
    by_module: dict[str, Counter[str]] = {}
    for m in mutants:
        status = "equivalent" if m.name in equivalent else m.status
        by_module.setdefault(m.module, Counter())[status] += 1
    columns = ["killed", "survived", "equivalent", "timeout", "no tests", "not checked"]
    lines = [
        "# Mutation testing",
        "",
        "Written by `make mutation` (`python bench/mutation.py`): mutmut breaks the modules",
        "that hold the promises one change at a time, in a copy of the tree, and runs the",
        "tests that cover each change. A survivor is a rule no test notices when broken,",
        "unless it is written down as equivalent (bench/mutation-equivalent.toml, with why).",
        "",
        f"Command: {command(source)} ({jobs} workers); {len(mutants)} mutants of {source}, "
        f"in {took / 60:.1f} minutes in all on {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| module | mutants | " + " | ".join(columns) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in columns) + " |",
    ]
    total: Counter[str] = Counter()
    for module, counts in sorted(by_module.items()):
        total += counts
        row = " | ".join(str(counts[c]) for c in columns)
        lines.append(f"| {module} | {sum(counts.values())} | {row} |")
    row = " | ".join(f"**{total[c]}**" for c in columns)
    lines.append(f"| **all** | **{sum(total.values())}** | {row} |")
    survivors = [m for m in mutants if m.status != "killed" and m.name not in equivalent]
    if survivors or stale:
        lines += ["", "## Not explained (survived, or not checked before the run was stopped)", ""]
        lines += [f"- `{m.name}` ({m.status})" for m in survivors]
        lines += [f"- stale entry: {s}" for s in stale]
    lines += ["", "## Equivalent mutants", ""]
    for name, reason in sorted(equivalent.items()):
        lines.append(f"- `{name}`: {' '.join(reason.split())}")
    return "\n".join(lines) + "\n"


def command(source: str) -> str:
    first = "`make mutation ARGS=--head`" if source.startswith("commit") else "`make mutation`"
    return f"{first}, then `make mutation ARGS=--resume`" if "again" in source else first


def indent(text: str) -> str:
    return "\n".join(f"      {line}" for line in text.splitlines())


if __name__ == "__main__":
    sys.exit(main())
