"""SIGTERM and SIGHUP mid-apply (what CI sends when a job is cancelled) end as Ctrl-C does:
the writes in flight finish, the summary and the report say what was done and what was
not, and the exit code says which signal (issue 19, item 6; before: rc 143, no report,
users on the server that no report named)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from reconciler.sandbox.server import make_app, running
from tests.conftest import ROOT, TOKEN

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

pytestmark = pytest.mark.integration

USERS = 40


class SlowWrites:
    """WSGI middleware: every write takes a while, so an apply is long enough to stop."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "GET":
            time.sleep(0.1)
        return self.app(environ, start_response)


@pytest.fixture
def slow_server() -> Iterator[str]:
    with running(SlowWrites(make_app(TOKEN, "generic"))) as base:
        yield f"{base}/v2"


def _org(directory: Path) -> Path:
    directory.mkdir()
    users = "".join(f"  - userName: u{n:02d}@example.com\n" for n in range(USERS))
    (directory / "users.yaml").write_text("users:\n" + users)
    return directory


def _server_users(url: str) -> set[str]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    found = httpx.get(f"{url}/Users", params={"count": 1000}, headers=headers).json()
    return {u["userName"] for u in found.get("Resources", [])}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_mid_apply_ends_like_ctrl_c(
    tmp_path: Path, slow_server: str, signum: signal.Signals, code: int
) -> None:
    report, markdown = tmp_path / "report.json", tmp_path / "report.md"
    env = {
        **os.environ,
        "SCIM_URL": slow_server,
        "SCIM_TOKEN": TOKEN,
        "SCIM_PROFILE": "generic",
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "reconciler", "apply", "--dir", str(_org(tmp_path / "org"))]
    command += ["--auto-approve", "--concurrency", "2", "--report", str(report)]
    command += ["--markdown", str(markdown)]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as apply:
        assert apply.stdout is not None
        printed, done = [], 0
        for line in apply.stdout:
            printed.append(line)
            done += line.startswith("  ok ")
            if done == 3:
                apply.send_signal(signum)
                break
        rest, errors = apply.communicate(timeout=60)
    out = "".join(printed) + rest

    assert apply.returncode == code, out + errors
    name = signum.name
    assert f"Apply stopped (interrupted by {name}): " in out
    assert "not attempted" in out
    assert f"Stopped by {name}." in errors
    assert "Traceback" not in errors
    written = json.loads(report.read_text())
    assert written["stopped"] == f"interrupted by {name}"
    reported = {
        o["address"].removeprefix("user:") for o in written["outcomes"] if o["result"] == "ok"
    }
    assert 3 <= len(reported) < USERS
    assert reported == _server_users(slow_server)  # no write the report does not name
    assert f"Apply stopped (interrupted by {name})" in markdown.read_text()
