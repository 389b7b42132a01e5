"""Files a command is asked to write, or to read, that cannot be (issue 19, item 6).

An output file (``--report``, ``--markdown``, ``--out``) that cannot be written is a
clear error before the first write to the server: before, apply made every change and
then died with a traceback when it came to write the report. A plan file nested too
deeply for the JSON parser is a file that is not a plan, not a RecursionError.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server

pytestmark = pytest.mark.integration

NOWHERE = "/nonexistent/out.json"
FULL = "/dev/full"
CANNOT = {
    NOWHERE: f"cannot write {NOWHERE}: No such file or directory",
    FULL: f"cannot write {FULL}: No space left on device",
}


@pytest.fixture
def few(tmp_path: Path) -> Path:
    directory = tmp_path / "org"
    directory.mkdir()
    users = "".join(f"  - userName: u{n}@example.com\n" for n in range(3))
    (directory / "users.yaml").write_text("users:\n" + users)
    return directory


@pytest.mark.parametrize("path", [NOWHERE, FULL])
@pytest.mark.parametrize("option", ["--report", "--markdown"])
def test_apply_refuses_an_output_it_cannot_write_before_changing_anything(  # type: ignore[no-untyped-def]
    cli, few: Path, generic_server: Server, option: str, path: str
) -> None:
    applied = cli("apply", "--dir", few, "--auto-approve", option, path, env=generic_server.env)
    assert applied.code == 1
    assert f"Error: {CANNOT[path]}" in applied.err
    assert "Traceback" not in applied.err
    assert generic_server.users() == []


@pytest.mark.parametrize("path", [NOWHERE, FULL])
@pytest.mark.parametrize(
    ("command", "option"),
    [("plan", "--out"), ("plan", "--markdown"), ("drift", "--report"), ("drift", "--markdown")],
)
def test_plan_and_drift_say_which_output_they_cannot_write(  # type: ignore[no-untyped-def]
    cli, few: Path, generic_server: Server, command: str, option: str, path: str
) -> None:
    done = cli(command, "--dir", few, option, path, env=generic_server.env)
    assert done.code == 1
    assert f"Error: {CANNOT[path]}" in done.err
    assert "Traceback" not in done.err


def test_an_output_that_was_not_there_is_not_left_behind_by_the_check(  # type: ignore[no-untyped-def]
    cli, few: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    env = {"SCIM_URL": "http://127.0.0.1:9/v2", "SCIM_TOKEN": "token-0123456789"}
    done = cli("plan", "--dir", few, "--out", saved, "--markdown", NOWHERE, env=env)
    assert done.code == 1
    assert f"Error: {CANNOT[NOWHERE]}" in done.err  # before any request (nothing listens)
    assert not saved.exists()


def test_the_report_of_an_apply_that_never_finished_says_so(  # type: ignore[no-untyped-def]
    cli, few: Path, generic_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is written first, then replaced: a run killed on the way leaves a report
    that says it did not finish, never the report of an earlier run."""
    from reconciler.apply.executor import Executor

    report = tmp_path / "report.json"
    report.write_text('{"an": "older run"}\n')
    seen: dict[str, object] = {}

    def run(self: Executor, plan: object) -> object:
        seen.update(json.loads(report.read_text()))
        raise SystemExit(137)  # as if killed here

    monkeypatch.setattr(Executor, "run", run)
    cli("apply", "--dir", few, "--auto-approve", "--report", report, env=generic_server.env)
    assert seen["stopped"] == "not finished: written as the apply started, replaced when it ends"
    assert seen["outcomes"] == []


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_a_plan_file_nested_too_deeply_is_not_a_plan(  # type: ignore[no-untyped-def]
    cli, few: Path, generic_server: Server, tmp_path: Path, depth: int
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * depth + "]" * depth)
    message = f"{deep}: not a plan file (nested too deeply to read"
    shown = cli("show", deep)
    assert shown.code == 1 and message in shown.err, shown.err
    applied = cli("apply", deep, "--dir", few, env=generic_server.env)
    assert applied.code == 1 and message in applied.err, applied.err
    assert "Traceback" not in shown.err + applied.err
    assert generic_server.users() == []
