"""The scale benchmark: plan, diff, memory, apply and validate, each against its floor.

Generates an org (default 10,000 users, 1,000 groups, a user in 3 groups on average),
loads it straight into a local scim2-server (setup, not measured) and measures, in one
run, the figures of issue 7, the AWS read behind latency of issue 11 (part 7) and a
first apply into a throttled server of issue 19 (part 8), printed as one Markdown table
(ratios and counts first, absolute times for reference)::

    python bench/bench.py                                  # 10,000 users, 1,000 groups
    python bench/bench.py --users 100000 --groups 10000 --profiles generic
    python bench/bench.py --users 1000 --groups 100 --skip-apply
    python bench/bench.py --skip-plan --skip-memory --skip-diff --skip-apply --skip-validate
                                    # only the AWS read behind 50 ms of latency (7)
    python bench/bench.py --skip-plan --skip-memory --skip-diff --skip-apply --skip-validate \
        --skip-awsread              # only the first apply into a throttled server (8)

Every server, proxy and measured command runs on 127.0.0.1, in child processes of
this one, all stopped at the end. See bench/RESULTS.md for results and how to read them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: import the bench package from the repo
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import applyrate, awsread, clirun, diffcost, plantime, throttled, validatecost
from bench.liveserver import TOKEN, serving
from bench.orggen import OrgData, OrgSpec, generate, write_desired
from bench.table import Row, count, markdown, percent, ratio, seconds
from reconciler.desired import load_desired

PROFILES = ("generic", "aws-identity-center")
PARTS = ("plan", "memory", "diff", "apply", "validate", "awsread", "throttled")
PLAN_TIME_TARGET = 1.3
DIFF_TARGETS = {0.0: 1.5, 0.01: 3.0}
MEMORY_TARGET_MB = 500.0
APPLY_SHARE_TARGET = 0.7
VALIDATE_TARGET = 1.5


@dataclass
class Options:
    users: int = 10_000
    groups: int = 1_000
    profiles: tuple[str, ...] = PROFILES
    repeat: int = 1
    diff_users: tuple[int, ...] = (10_000, 30_000, 100_000)
    apply_profiles: tuple[str, ...] = PROFILES
    apply_creates: int = 2000
    apply_latency: float = 0.02
    aws_latency: float = 0.05
    throttled_users: int = 600
    throttled_groups: int = 60
    throttled_rate: float = 20.0
    skip: frozenset[str] = frozenset()


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    setup: dict[str, float] = field(default_factory=dict)


def run(options: Options) -> Results:
    results = Results()
    started = time.perf_counter()
    org = generate(OrgSpec(options.users, options.groups))
    results.setup["generate"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp:
        directory = Path(tmp) / "desired-state"
        began = time.perf_counter()
        write_desired(directory, org)
        results.setup["write YAML"] = time.perf_counter() - began
        if "plan" not in options.skip or "memory" not in options.skip:
            _server_parts(options, org, directory, results)
        if "validate" not in options.skip:
            _validate_part(options, directory, results)
        if "awsread" not in options.skip:
            _aws_read_part(options, org, directory, results)
    if "diff" not in options.skip:
        _diff_part(options, results)
    if "apply" not in options.skip:
        _apply_part(options, results)
    if "throttled" not in options.skip:
        _throttled_part(options, results)
    return results


# --- 1, 2 and 4: against a loaded server --------------------------------------------------


def _server_parts(options: Options, org: OrgData, directory: Path, results: Results) -> None:
    began = time.perf_counter()
    desired = load_desired(directory)
    results.setup["load desired (for the plans)"] = time.perf_counter() - began
    sizes = [len(g["members"]) for g in org.groups]
    for index, profile in enumerate(options.profiles):
        with serving(profile, options.users, options.groups) as live:
            results.setup[f"load server ({profile})"] = live.load_seconds
            if "plan" not in options.skip:
                figures = plantime.measure(live.url, profile, desired, sizes, options.repeat)
                results.rows += _plan_rows(figures)
                results.raw[f"plan {profile}"] = asdict(figures)
            if index == 0 and "memory" not in options.skip:
                env = {"SCIM_URL": live.url, "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": profile}
                cli = clirun.run(["plan", "--dir", str(directory)], env)
                results.rows.append(_memory_row(cli, options.users, profile))
                results.raw["memory"] = asdict(cli)


def _plan_rows(f: plantime.PlanFigures) -> list[Row]:
    rows = [
        Row(
            "1",
            f"plan requests, no change ({f.profile})",
            f"{count(f.plan.requests)} (floor {count(f.floor_requests)})",
            "= floor",
            f.plan.requests == f.floor_requests and f.plan.changes == 0,
            f"bare httpx sent {count(f.bare.requests)}",
        )
    ]
    if f.floor_membership_requests:
        rows.append(
            Row(
                "1",
                f"of which membership queries ({f.profile})",
                f"{count(f.plan.membership_requests)} (floor {count(f.floor_membership_requests)})",
                "= floor",
                f.plan.membership_requests == f.floor_membership_requests,
            )
        )
    rows.append(
        Row(
            "2",
            f"plan time / bare-httpx floor ({f.profile})",
            ratio(f.time_ratio),
            f"≤ {PLAN_TIME_TARGET}×",
            f.time_ratio <= PLAN_TIME_TARGET,
            f"plan {seconds(f.plan.seconds)}, floor {seconds(f.bare.seconds)}",
        )
    )
    return rows


def _memory_row(cli: clirun.CliRun, users: int, profile: str) -> Row:
    peak = max(cli.peak_mb, cli.tree_peak_mb)  # judged with the YAML workers counted
    return Row(
        "4",
        f"peak memory of `scimctl plan`, {count(users)} users ({profile}), with its YAML workers",
        f"{peak:.0f} MB",
        f"≤ {MEMORY_TARGET_MB:.0f} MB at 100,000",
        peak <= MEMORY_TARGET_MB if users >= 100_000 else None,
        f"the plan process alone {cli.peak_mb:.0f} MB (VmHWM), with the workers "
        f"{cli.tree_peak_mb:.0f} MB (sampled); exit {cli.code}, "
        f"{seconds(cli.seconds)} with loading the YAML",
    )


# --- 3: diff cost, no HTTP ---------------------------------------------------------------------


DIFF_RUNS = 3
"""Each diff cost is the best of this many runs, each in a fresh process: on a shared
machine noise only ever adds time (timeit's reasoning); the spread is reported too."""


def _diff_part(options: Options, results: Results) -> None:
    runs = {
        (users, fraction): [
            diffcost.in_subprocess(users, max(1, users // 10), fraction) for _ in range(DIFF_RUNS)
        ]
        for users in options.diff_users
        for fraction in DIFF_TARGETS
    }
    results.raw["diff"] = [
        {**asdict(c), "total_seconds": c.total_seconds} for found in runs.values() for c in found
    ]
    costs = [min(found, key=lambda c: c.total_seconds) for found in runs.values()]
    largest = max(options.diff_users)
    for cost in costs:
        if cost.users != largest:
            continue
        target = DIFF_TARGETS[cost.fraction]
        spread = [c.total_seconds for c in runs[cost.users, cost.fraction]]
        results.rows.append(
            Row(
                "3",
                f"diff cost, {count(cost.users)} users, {cost.fraction:.0%} changed "
                f"({count(cost.changes)} changes), best of {DIFF_RUNS}",
                seconds(cost.total_seconds),
                f"≤ {target} s at 100,000",
                cost.total_seconds <= target if largest >= 100_000 else None,
                f"CPU: desired {cost.desired_seconds:.2f} + live {cost.live_seconds:.2f} "
                f"+ diff {cost.diff_seconds:.2f}; all {DIFF_RUNS} runs "
                f"{min(spread):.2f}–{max(spread):.2f} s",
            )
        )
    running = diffcost.in_subprocess(largest, max(1, largest // 10), 0.0, running=True)
    results.raw["diff, collector running"] = asdict(running)
    results.rows.append(
        Row(
            "3",
            "for reference: the same, 0% changed, with the cycle collector running",
            seconds(running.total_seconds),
            "",
            None,
            f"CPU: desired {running.desired_seconds:.2f} + live {running.live_seconds:.2f} "
            f"+ diff {running.diff_seconds:.2f}",
        )
    )
    unchanged = [c for c in costs if c.fraction == 0.0]
    per_user = [c.total_seconds / c.users * 1e6 for c in unchanged]
    growth = per_user[-1] / per_user[0]
    results.rows.append(
        Row(
            "3",
            "diff cost growth, µs per user at " + ", ".join(count(c.users) for c in unchanged),
            " → ".join(f"{u:.1f}" for u in per_user),
            "close to linear",
            None,
            f"{ratio(growth)} per user from smallest to largest",
        )
    )


# --- 5: apply through a delaying proxy ----------------------------------------------------------


def _apply_part(options: Options, results: Results) -> None:
    for profile in options.apply_profiles:
        scenario = applyrate.Scenario(profile, creates=options.apply_creates)
        default, alone, single = applyrate.measure_all(scenario, options.apply_latency)
        results.raw[f"apply {profile}"] = [asdict(r) for r in (default, alone, single)]
        results.rows += _apply_rows(default, alone, single)


def _apply_rows(
    default: applyrate.ApplyRun, alone: applyrate.ApplyRun, single: applyrate.ApplyRun
) -> list[Row]:
    profile, millis = default.profile, default.latency * 1000
    return [
        Row(
            "5",
            f"creates/s at concurrency {default.concurrency} (default), {millis:.0f} ms "
            f"latency, / bound {default.concurrency}/latency ({profile})",
            percent(default.share_of_bound),
            f"≥ {percent(APPLY_SHARE_TARGET)}",
            default.share_of_bound >= APPLY_SHARE_TARGET,
            f"{default.create_rate:.0f}/s of {default.bound:.0f}/s; the server alone, no "
            f"latency: {alone.create_rate:.0f}/s; client CPU "
            f"{default.client_cpu_per_request * 1000:.2f} ms per request",
        ),
        Row(
            "5",
            f"speed-up over concurrency 1 ({profile})",
            ratio(default.create_rate / single.create_rate),
            "",
            None,
            f"concurrency 1: {single.create_rate:.0f}/s "
            f"({percent(single.share_of_bound)} of {single.bound:.0f}/s)",
        ),
        Row(
            "5",
            f"PATCHes for {count(default.membership_changes)} membership changes ({profile})",
            f"{count(default.requests.get('PATCH', 0))} (floor {count(default.patch_floor)})",
            "= floor",
            default.requests.get("PATCH", 0) == default.patch_floor,
            f"{count(default.creates)} creates, {default.failed} failed; "
            f"apply {seconds(default.seconds)}, at concurrency 1 {seconds(single.seconds)}",
        ),
    ]


# --- 6: validate ----------------------------------------------------------------------------------


def _validate_part(options: Options, directory: Path, results: Results) -> None:
    figures = validatecost.in_subprocess(directory)
    results.raw["validate"] = asdict(figures)
    stages = ", ".join(f"{name} {took:.2f}" for name, took in figures.stages.items())
    results.rows.append(
        Row(
            "6",
            f"`scimctl validate` / C-loader floor, {count(options.users)} users "
            f"({figures.files} files, {figures.megabytes:.0f} MB)",
            ratio(figures.ratio),
            f"≤ {VALIDATE_TARGET}×",
            figures.ratio <= VALIDATE_TARGET,
            f"validate {seconds(figures.cli.seconds)}, floor {seconds(figures.floor_seconds)}; "
            f"stages (s): {stages}",
        )
    )


# --- 7: the AWS read behind latency (issue 11) ---------------------------------------------------


def _aws_read_part(options: Options, org: OrgData, directory: Path, results: Results) -> None:
    figures = awsread.measure(org, load_desired(directory), options.aws_latency)
    results.raw["aws read"] = {**asdict(figures), "bound_seconds": figures.bound_seconds}
    results.rows += _aws_read_rows(figures)


def _aws_read_rows(f: awsread.AwsRead) -> list[Row]:
    millis = f.latency * 1000
    return [
        Row(
            "7",
            f"plan requests, no change, {millis:.0f} ms latency (aws-identity-center)",
            f"{count(f.plan.requests)} (floor {count(f.floor_requests)})",
            "= floor",
            f.plan.requests == f.floor_requests and f.plan.changes == 0,
            f"membership queries {count(f.plan.membership_requests)} "
            f"(floor {count(f.floor_membership_requests)})",
        ),
        Row(
            "7",
            f"plan time / (requests ÷ concurrency {f.concurrency} × {millis:.0f} ms) "
            "(aws-identity-center)",
            ratio(f.time_ratio),
            f"≤ {awsread.TIME_TARGET}×",
            f.time_ratio <= awsread.TIME_TARGET,
            f"plan {seconds(f.plan.seconds)}, bound {seconds(f.bound_seconds)}; the same "
            f"pages with no latency (bare httpx, warming the sandbox) "
            f"{seconds(f.warm_up.seconds)}",
        ),
    ]


# --- 8: a first apply into a throttled server (issue 19) -----------------------------------------


def _throttled_part(options: Options, results: Results) -> None:
    f = throttled.measure(options.throttled_users, options.throttled_groups, options.throttled_rate)
    results.raw["throttled"] = {**asdict(f), "bound_seconds": f.bound_seconds}
    results.rows += _throttled_rows(f)


def _throttled_rows(f: throttled.Throttled) -> list[Row]:
    what = (
        f"first apply, {count(f.users)} users and {count(f.groups)} groups, server allowing "
        f"{f.rate:g} requests/s, 429 without Retry-After ({f.profile})"
    )
    return [
        Row(
            "8",
            f"{what}: requests answered 429",
            f"{100 * f.refused_share:.1f}%",
            f"≤ {100 * throttled.SHARE_TARGET:.0f}%",
            f.refused_share <= throttled.SHARE_TARGET and f.code == 0 and f.converged,
            f"{count(f.refused)} of {count(f.requests)}; exit {f.code}; plan afterwards "
            f"{'empty' if f.converged else 'NOT empty'}; stderr: {f.throttling_lines} line "
            f"about throttling, {f.retrying_lines} 'retrying' lines",
        ),
        Row(
            "8",
            f"{what}: first to last request / accepted requests ÷ rate",
            ratio(f.time_ratio),
            f"≤ {throttled.TIME_TARGET}×",
            f.time_ratio <= throttled.TIME_TARGET,
            f"{seconds(f.span_seconds)} against {count(f.accepted)} ÷ {f.rate:g}/s = "
            f"{seconds(f.bound_seconds)}; the command {seconds(f.command_seconds)} with start-up "
            "and loading the YAML",
        ),
    ]


# --- the command -------------------------------------------------------------------------------


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cpus} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def report(options: Options, results: Results) -> str:
    setup = ", ".join(f"{name} {took:.1f} s" for name, took in results.setup.items())
    head = (
        f"{count(options.users)} users, {count(options.groups)} groups; {machine()}\n"
        f"setup (not measured): {setup}\n\n"
    )
    return head + markdown(sorted(results.rows, key=lambda row: row.part))


def parse(argv: Sequence[str] | None) -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--profiles", default=",".join(PROFILES), help="for the plan part")
    parser.add_argument("--repeat", type=int, default=1, help="plan/floor pairs, best kept")
    parser.add_argument(
        "--diff-users", default="10000,30000,100000", help="sizes of the diff cost (groups: /10)"
    )
    parser.add_argument("--apply-profiles", default=",".join(PROFILES))
    parser.add_argument("--apply-creates", type=int, default=2000)
    parser.add_argument("--apply-latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument(
        "--aws-latency", type=float, default=0.05, help="seconds per request, AWS read (7)"
    )
    parser.add_argument("--throttled-users", type=int, default=600, help="throttled apply (8)")
    parser.add_argument("--throttled-groups", type=int, default=60)
    parser.add_argument(
        "--throttled-rate", type=float, default=20.0, help="requests/s the server allows (8)"
    )
    for part in PARTS:
        parser.add_argument(f"--skip-{part}", action="store_true")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--json", type=Path, help="also write every raw figure to this file")
    args = parser.parse_args(argv)
    skip = frozenset(p for p in PARTS if vars(args)[f"skip_{p}"])
    options = Options(
        users=args.users,
        groups=args.groups,
        profiles=_names(args.profiles),
        repeat=args.repeat,
        diff_users=tuple(int(n) for n in args.diff_users.split(",") if n),
        apply_profiles=_names(args.apply_profiles),
        apply_creates=args.apply_creates,
        apply_latency=args.apply_latency,
        aws_latency=args.aws_latency,
        throttled_users=args.throttled_users,
        throttled_groups=args.throttled_groups,
        throttled_rate=args.throttled_rate,
        skip=skip,
    )
    return options, args


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def main(argv: Sequence[str] | None = None) -> int:
    options, args = parse(argv)
    results = run(options)
    text = report(options, results)
    print(text, end="")
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        raw = {"options": asdict(options), "setup": results.setup, **results.raw}
        args.json.write_text(json.dumps(raw, indent=2, default=sorted) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
