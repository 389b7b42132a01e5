"""A small run of the benchmark, so it cannot rot; and the plan's request count, counted.

Nothing here asserts a time: the machine running the tests is not the benchmark's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import bench
from bench.liveserver import serving
from bench.orggen import OrgSpec, generate, write_desired
from bench.plantime import floor_requests, paging_of, plan_once
from reconciler.desired import load_desired

pytestmark = pytest.mark.integration


def test_small_benchmark_runs_every_part_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = tmp_path / "figures.json"
    code = bench.main(
        [
            "--users=1000",
            "--groups=100",
            "--profiles=generic",
            "--diff-users=1000",
            "--apply-profiles=generic",
            "--apply-creates=40",
            "--apply-latency=0.005",
            "--aws-latency=0.005",
            "--throttled-users=120",
            "--throttled-groups=12",
            "--throttled-rate=60",
            f"--json={raw}",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    parts = {m.group(1) for m in re.finditer(r"^\| (\d) \|", printed, re.MULTILINE)}
    assert parts == {"1", "2", "3", "4", "5", "6", "7", "8"}
    assert "server allowing 60 requests/s" in printed and "plan afterwards empty" in printed
    assert "| plan requests, no change (generic) | 3 (floor 3) | = floor | yes |" in printed
    assert "PATCHes for 40 membership changes (generic) | 40 (floor 40)" in printed
    assert (
        "| plan requests, no change, 5 ms latency (aws-identity-center) | 112 (floor 112) "
        "| = floor | yes |"
    ) in printed
    assert raw.read_text().startswith("{")


@pytest.mark.parametrize(
    ("profile", "users", "groups"),
    [("generic", 1500, 150), ("aws-identity-center", 1000, 100)],
)
def test_a_no_change_plan_sends_exactly_the_floor_of_requests(
    profile: str, users: int, groups: int, tmp_path: Path
) -> None:
    """Discovery, every listing page at the largest page size, and on AWS one paged
    membership query per group: not one request more."""
    org = generate(OrgSpec(users, groups))
    write_desired(tmp_path, org)
    desired = load_desired(tmp_path)
    paging = paging_of(profile)
    floor, membership = floor_requests(paging, users, [len(g["members"]) for g in org.groups])
    with serving(profile, users, groups) as live:
        run = plan_once(live.url, profile, desired)
    assert run.changes == 0
    assert (run.requests, run.membership_requests) == (floor, membership)
    assert floor == {"generic": 1 + 2 + 1, "aws-identity-center": 1 + 10 + 1 + 100}[profile]
