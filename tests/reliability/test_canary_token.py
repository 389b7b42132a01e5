"""Issue 5, item 7: the token never shows.

Every command (validate, plan, apply, drift, import, check, access-review; `sandbox` prints its own
token on purpose and is left out) runs with a recognisable canary token and `-v`,
through success and through each error path: 401, 500 from a server that echoes the
Authorization header back in every place it can (body, JSON detail, headers, a
redirect's Location), a refused write that echoes it, connection refused, a timeout,
TLS to a plain-HTTP server, and bad YAML. The canary must appear in no stdout, no
stderr, no log record (ours at any level, any logger at INFO), and no file the
command wrote (plan, report, Markdown, imported YAML, the last-seen record).

(httpcore's DEBUG trace, off unless a user turns DEBUG on for every logger, prints
response headers as received: a server that echoes the token in a header is shown
there, out of our hands.)
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import make_app, running
from tests.access_review.gitrepo import GitRepo
from tests.faults.proxy import CannedServer, Incoming, Reply, closed_port
from tests.reliability.support import FILLER, LONG_TOKEN, SHORT_TOKEN, longest_run

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("few_retries")]

CANARY = "scimctl-CANARY-7Hq2-never-print-me-91d0"
COMMANDS = ("validate", "plan", "apply", "drift", "import", "check", "access-review")
ORG = """\
users:
  - userName: ada@example.com
    name: {givenName: Ada, familyName: Lovelace}
    emails: [{value: ada@example.com, type: work, primary: true}]
groups:
  - displayName: analysts
    members: [ada@example.com]
"""
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM = {"Content-Type": "application/scim+json"}
CONFIG = {"patch": {"supported": True}, "filter": {"supported": True, "maxResults": 100}}


def _registered() -> set[str]:
    from reconciler.cli.app import app

    return {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}


def test_the_canary_covers_every_command_that_reads_a_server() -> None:
    """A command renamed, removed or added fails here rather than going unwatched
    (``sandbox`` serves, ``show`` reads a plan file: neither holds a token)."""
    assert _registered() == {*COMMANDS, "sandbox", "show"}


def _echo(status: int) -> Callable[[Incoming], Reply]:
    """A server that answers ``status`` and echoes the Authorization header everywhere."""

    def handle(incoming: Incoming) -> Reply:
        secret = incoming.headers.get("authorization", "")
        body = {"status": str(status), "scimType": secret, "detail": f"you sent {secret}"}
        headers = {
            "Content-Type": "application/scim+json",
            "Retry-After": secret,
            "X-Echo": secret,
            "WWW-Authenticate": f'Bearer error="{secret}"',
        }
        return Reply(status, headers, json.dumps(body).encode())

    return handle


def _echo_html(incoming: Incoming) -> Reply:
    secret = incoming.headers.get("authorization", "")
    page = f"<html><body><h1>Bad gateway</h1><pre>{secret}</pre></body></html>"
    return Reply(502, {"Content-Type": "text/html"}, page.encode())


def _redirect_echo(incoming: Incoming) -> Reply:
    secret = incoming.headers.get("authorization", "").replace(" ", "%20")
    return Reply(302, {"Location": f"http://127.0.0.1:9/steal?auth={secret}"}, b"")


def _writes_refused_with_echo(incoming: Incoming) -> Reply:
    """Reads are fine (an empty server); every write is refused, echoing the header."""
    if incoming.method == "GET":
        if incoming.path.endswith("/ServiceProviderConfig"):
            return Reply(
                200, {"Content-Type": "application/scim+json"}, json.dumps(CONFIG).encode()
            )
        empty = {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "Resources": []}
        return Reply(200, {"Content-Type": "application/scim+json"}, json.dumps(empty).encode())
    return _echo(400)(incoming)


@pytest.fixture(scope="module")
def canary_sandbox() -> Iterator[str]:
    """A generic sandbox that accepts the canary as its token."""
    with running(make_app(CANARY, "generic", tenants=True)) as base:
        yield base


@pytest.fixture(scope="module")
def other_sandbox() -> Iterator[str]:
    """A sandbox with another token: the canary gets 401."""
    with running(make_app("some-other-token-entirely", "generic", tenants=True)) as base:
        yield base


def _scenarios(canary_base: str, other_base: str) -> dict[str, Callable[[], Any]]:
    """Each error path: a context manager yielding the SCIM_URL to use."""
    from contextlib import contextmanager

    @contextmanager
    def url(value: str) -> Iterator[str]:
        yield value

    @contextmanager
    def canned(handler: Callable[[Incoming], Reply], scheme: str = "http") -> Iterator[str]:
        with CannedServer(handler) as server:
            yield f"{scheme}{server.url.removeprefix('http')}/v2"

    return {
        "success": lambda: url(f"{canary_base}/{uuid.uuid4().hex}/v2"),
        "401": lambda: url(f"{other_base}/{uuid.uuid4().hex}/v2"),
        "500-echoing": lambda: canned(_echo(500)),
        "502-html-echoing": lambda: canned(_echo_html),
        "403-echoing": lambda: canned(_echo(403)),
        "redirect-echoing": lambda: canned(_redirect_echo),
        "write-refused-echoing": lambda: canned(_writes_refused_with_echo),
        "connection-refused": lambda: url(f"http://127.0.0.1:{closed_port()}/v2"),
        "timeout": lambda: canned(lambda incoming: Reply(action="hold", hold=5)),
        "tls-to-plain-http": lambda: canned(_echo(200), scheme="https"),
        "bad-yaml": lambda: url(f"{canary_base}/{uuid.uuid4().hex}/v2"),
    }


def _args(command: str, directory: Path, out: Path) -> list[str | Path]:
    common: list[str | Path] = ["--dir", directory, "-v"]
    return {
        "validate": ["validate", *common],
        "plan": ["plan", *common, "--out", out / "plan.json", "--markdown", out / "plan.md"],
        "apply": [
            "apply",
            *common,
            "--auto-approve",
            "--report",
            out / "report.json",
            "--markdown",
            out / "report.md",
        ],
        "drift": ["drift", *common, "--report", out / "drift.json", "--markdown", out / "drift.md"],
        "import": ["import", "--out", out / "imported", "--dir", directory, "-v", "--force"],
        "check": ["check", *common],
        "access-review": [
            "access-review",
            *common,
            *(
                "--out",
                out / "review.md",
                "--out",
                out / "review.json",
                "--out",
                out / "review.csv",
            ),
        ],
    }[command]


SCENARIOS = (
    "success",
    "401",
    "500-echoing",
    "502-html-echoing",
    "403-echoing",
    "redirect-echoing",
    "write-refused-echoing",
    "connection-refused",
    "timeout",
    "tls-to-plain-http",
    "bad-yaml",
)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("command", COMMANDS)
def test_the_canary_token_never_shows(
    cli,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    canary_sandbox: str,
    other_sandbox: str,
    command: str,
    scenario: str,
) -> None:
    assert command in _registered(), f"scimctl {command} is gone: rename it in COMMANDS"
    caplog.set_level(logging.INFO)  # every logger at INFO (httpx's request lines too)
    caplog.set_level(logging.DEBUG, logger="reconciler")  # ours at every level
    directory = tmp_path / "org"
    directory.mkdir()
    bad = scenario == "bad-yaml"
    (directory / "org.yaml").write_text("users:\n\t- userName: x\n" if bad else ORG)
    (directory / "targets.yaml").write_text(
        "targets:\n  t:\n    url: https://unused.invalid/v2\n    timeout: 0.5\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    if command == "access-review":  # it reads who granted each membership from git
        GitRepo(directory).commit({}, "Ann <ann@example.com>", "the org")

    with _scenarios(canary_sandbox, other_sandbox)[scenario]() as url:
        if command == "apply" and scenario == "success":  # something to see afterwards
            cli("apply", "--dir", directory, "--auto-approve", env=_env(url))
        result = cli(*_args(command, directory, out), env=_env(url))

    texts = {"stdout": result.out, "stderr": result.err, "log": caplog.text}
    texts.update(_written(tmp_path, directory))
    texts.update(_written(Path(os.environ["SCIMCTL_CACHE_DIR"]), directory))  # last-seen
    for where, text in texts.items():
        assert CANARY not in text, f"the canary is in {where} of scimctl {command} ({scenario})"
    assert "Traceback" not in result.out + result.err
    if _must_fail(command, scenario):
        assert result.code != 0, result.out + result.err
    elif scenario == "success" and command != "drift":  # drift wants a git baseline
        assert result.code == 0, result.out + result.err


def _must_fail(command: str, scenario: str) -> bool:
    if scenario == "bad-yaml":
        return command in ("validate", "plan", "apply", "drift")
    if scenario == "write-refused-echoing":
        return command == "apply"
    return scenario != "success" and command != "validate"  # validate sends nothing


def _env(url: str) -> dict[str, str]:
    return {"SCIM_URL": url, "SCIM_TOKEN": CANARY, "GITHUB_TOKEN": ""}  # no GitHub here


def _written(root: Path, directory: Path) -> dict[str, str]:
    """Every file under ``root`` (plans, reports, imports), as text."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            found[str(path.relative_to(root))] = path.read_bytes().decode("utf-8", "replace")
    return found


def test_the_check_would_catch_a_leak(cli, canary_sandbox: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Not vacuous: the canary really is the token the server checked (a wrong one gets
    401), and it really would be seen in a file written under tmp_path."""
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    url = f"{canary_sandbox}/{uuid.uuid4().hex}/v2"
    assert cli("plan", "--dir", directory, env=_env(url)).code == 0
    wrong = cli("plan", "--dir", directory, env={"SCIM_URL": url, "SCIM_TOKEN": "x" * 24})
    assert wrong.code == 1 and "401" in wrong.err
    (tmp_path / "leak.txt").write_text(f"Bearer {CANARY}")
    assert any(CANARY in text for text in _written(tmp_path, directory).values())


# --- issue 13, item 1: an echo cut short leaves no fragment -------------------------------


def _echo_cut(filler: str, status: int) -> Callable[[Incoming], Reply]:
    """Reads of an empty server; ``status`` for the writes (or, with status 500, for the
    listing of users), whose detail is ``filler`` and then the Authorization header."""

    def handle(incoming: Incoming) -> Reply:
        echo = {"detail": f"{filler}{incoming.headers.get('authorization', '')}"}
        if incoming.method == "GET" and incoming.path.endswith("/ServiceProviderConfig"):
            return Reply(200, SCIM, json.dumps(CONFIG).encode())
        if incoming.method == "GET" and not (status == 500 and incoming.path.endswith("/Users")):
            empty = {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "Resources": []}
            return Reply(200, SCIM, json.dumps(empty).encode())
        return Reply(status, SCIM, json.dumps(echo).encode())

    return handle


@pytest.mark.parametrize(
    ("token", "filler"),
    [(LONG_TOKEN, "you sent "), (SHORT_TOKEN, FILLER)],
    ids=["810-char-token-in-a-detail", "short-token-after-485-characters"],
)
@pytest.mark.parametrize("failing", ["listing-500", "write-400"])
def test_no_fragment_of_the_token_shows_when_its_echo_is_cut(
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    token: str,
    filler: str,
    failing: str,
) -> None:
    """The server's detail is cut to 500 characters: the token must be redacted before
    the cut, and what the cut leaves of it too, in the output, the report and the
    Markdown (issue 13: 471 characters of an 810-character token were printed)."""
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    out = tmp_path / "out"
    out.mkdir()
    status = 500 if failing == "listing-500" else 400
    with CannedServer(_echo_cut(filler, status)) as server:
        env = {"SCIM_URL": f"{server.url}/v2", "SCIM_TOKEN": token}
        plan = cli("plan", "--dir", directory, "--markdown", out / "plan.md", env=env)
        apply = cli(*_args("apply", directory, out), env=env)
    texts = {"plan": plan.out + plan.err, "apply": apply.out + apply.err}
    texts.update(_written(out, directory))
    assert apply.code == 1, texts["apply"]
    assert "[redacted]" in texts["apply"], texts["apply"]
    for where, text in texts.items():
        assert longest_run(text, token) < 4, f"a piece of the token is in {where}: {text}"
