"""Issue 13, item 8: server text that is not valid Unicode is shown, never a traceback.

JSON may escape a lone surrogate (``"\\ud800"``): Python decodes it into a string that
no terminal, file or report can encode. A server may also send bytes that are not
UTF-8 at all. Here a server does both in names, titles and error details, and
``scimctl plan`` and ``apply`` (with a report and Markdown) must print clearly, write
valid UTF-8, and end with their usual exit codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.proxy import CannedServer, Incoming, Reply
from tests.reliability.support import write_targets
from tests.reliability.test_hostile_servers import CONFIG, SCIM, TOKEN, answer, listing

pytestmark = pytest.mark.usefixtures("few_retries")

MARK = "scimctl:"
ORG = """\
users:
  - userName: bob@example.com
    title: Engineer
groups:
  - displayName: keep
"""
USERS = (
    {
        "id": "u1",
        "userName": "bob@example.com",
        "externalId": f"{MARK}bob@example.com",
        "title": "Intern\ud800",
    },
    {
        "id": "u2",
        "userName": "eve\udc00@example.com",
        "externalId": f"{MARK}eve@example.com",
        "active": True,
        "displayName": "Eve \udfff",
    },
    {"id": "u3", "userName": "x\ud83d@example.com"},  # unmanaged, half an emoji
)
GROUPS = (
    {"id": "g1", "displayName": "keep", "externalId": f"{MARK}keep"},
    {"id": "g2", "displayName": "gone\ud800", "externalId": f"{MARK}gone"},
)
RAW_USER = b'{"id": "u4", "userName": "raw\xff\xfe@example.com", "title": "b\xed\xa0\x80d"}'


def _users_page() -> bytes:
    """The users as JSON (json.dumps escapes lone surrogates as \\udXXX), plus one
    whose bytes are not UTF-8."""
    body = json.dumps(listing(*USERS, {"id": "u4"}))
    return body.replace('{"id": "u4"}', "%s").encode() % RAW_USER


def _server(incoming: Incoming) -> Reply:
    if incoming.path.endswith("/ServiceProviderConfig"):
        return answer(CONFIG)
    if incoming.method == "GET" and incoming.path.endswith("/Users"):
        return Reply(200, dict(SCIM), _users_page())
    if incoming.method == "GET" and incoming.path.endswith("/Groups"):
        return answer(listing(*GROUPS))
    if incoming.method == "DELETE":
        return Reply(500, {"Content-Type": "text/html"}, b"<h1>broken \xff\xed\xa0\x80 page</h1>")
    return answer({"detail": "cannot store \ud800 or \udfff", "scimType": "invalid\udc00"}, 400)


def _check_text(text: str, where: str) -> None:
    assert "Traceback" not in text, f"{where}: {text}"
    text.encode("utf-8")  # strict: no lone surrogate survived
    assert "\ufffd" in text or where.endswith(".json"), f"{where}: {text}"


def test_plan_and_apply_show_invalid_unicode_from_the_server_safely(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    out = tmp_path / "out"
    out.mkdir()
    with CannedServer(_server) as server:
        write_targets(directory, f"{server.url}/v2")
        env = {"SCIM_TOKEN": TOKEN}
        plan = cli(
            "plan",
            "--dir",
            directory,
            "--out",
            out / "plan.json",
            "--markdown",
            out / "plan.md",
            env=env,
        )
        apply = cli(
            "apply",
            "--dir",
            directory,
            "--auto-approve",
            "--report",
            out / "report.json",
            "--markdown",
            out / "report.md",
            env=env,
        )
    assert plan.code == 0, plan.out + plan.err
    _check_text(plan.out + plan.err, "plan")
    assert "deactivate user eve\ufffd@example.com" in plan.out
    assert "title" in plan.out and "Intern\ufffd" in plan.out
    assert apply.code == 1, apply.out + apply.err
    _check_text(apply.out + apply.err, "apply")
    assert "cannot store \ufffd or \ufffd" in apply.out + apply.err
    assert {p.name for p in out.iterdir()} >= {"plan.json", "plan.md", "report.json", "report.md"}
    for written in sorted(out.iterdir()):
        _check_text(written.read_bytes().decode("utf-8"), written.name)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_is_not_utf8_gets_escapes_not_a_traceback(
    tmp_path: Path, encoding: str
) -> None:
    """``LANG=C`` on an old system, or ``PYTHONIOENCODING=ascii``: what the terminal
    cannot encode is written as ``\\uXXXX``."""
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    with CannedServer(_server) as server:
        write_targets(directory, f"{server.url}/v2")
        env = {**os.environ, "SCIM_TOKEN": TOKEN, "PYTHONIOENCODING": encoding}
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", "--dir", str(directory)],
            env=env,
            capture_output=True,
            check=False,
            timeout=120,
        )
    out, err = done.stdout.decode(encoding), done.stderr.decode(encoding)
    assert done.returncode == 0, out + err
    assert "Traceback" not in err
    assert "deactivate user eve\\ufffd@example.com" in out
