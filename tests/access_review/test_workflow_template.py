"""The quarterly access-review template: read-only, the default branch's whole history."""

from __future__ import annotations

from tests.action.test_workflows import ACTION, jobs, load
from tests.conftest import ROOT

TEMPLATE = ROOT / "examples" / "github" / "scim-access-review.yml"


def test_the_review_runs_quarterly_reads_only_and_keeps_its_files() -> None:
    on = load(TEMPLATE)["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}  # never a pull request's code
    day, months, weekday = on["schedule"][0]["cron"].split()[2:]
    assert (day, months, weekday) == ("2", "1,4,7,10", "*")
    (job,) = jobs(TEMPLATE).values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert job["environment"] == "scim-plan-${{ matrix.target }}"  # the read-only token
    checkout, *_ = job["steps"]
    assert checkout["with"] == {
        "ref": "${{ github.event.repository.default_branch }}",
        "fetch-depth": 0,
        "persist-credentials": False,
    }
    (run,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith(ACTION)]
    assert run["with"]["command"] == "access-review"
    assert "github-token" not in run["with"]  # the job's own, with the permissions above
    (upload,) = [s for s in job["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert upload["with"]["path"] == "${{ runner.temp }}/scim-reconciler/"
    assert upload["with"]["if-no-files-found"] == "error"
    assert upload["if"] == "${{ !cancelled() }}"
