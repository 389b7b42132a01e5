"""A small run of the access review's benchmark, so it cannot rot.

Nothing here asserts a time: the machine running the tests is not the benchmark's.
"""

from __future__ import annotations

import pytest

from bench import accessreview

pytestmark = pytest.mark.integration


def test_the_review_benchmark_finds_every_granting_commit_and_the_request_floor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--commits=300", "--memberships=320", "--groups=30", "--users=200"]
    assert accessreview.main([*argv, "--github-groups=3"]) == 0
    printed = capsys.readouterr().out
    assert "| granting commits right (past every `until` change) | 320 of 320 | all | yes |" in (
        printed
    )
    assert "| = floor | yes |" in printed
