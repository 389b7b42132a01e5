"""``--rate`` and ``--concurrency``: every command that talks to a server takes them, and
they override the target's ``rate`` and ``concurrency`` (issue 19, item 1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reconciler.config import Target
from reconciler.sandbox.server import make_app, running
from tests.conftest import TOKEN

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

pytestmark = pytest.mark.integration

RATE = 8.0


class Watching:
    """WSGI middleware noting when each request arrived and how many were in flight."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self.arrivals.append(time.monotonic())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.02)  # long enough for a second request to overlap, if one is sent
            return list(self.app(environ, start_response))
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def watched() -> Iterator[tuple[Watching, dict[str, str]]]:
    watching = Watching(make_app(TOKEN, "generic"))
    with running(watching) as base:
        env = {"SCIM_URL": f"{base}/v2", "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": "generic"}
        yield watching, env


def _org(directory: Path) -> Path:
    directory.mkdir()
    users = "".join(f"  - userName: u{n}@example.com\n" for n in range(12))
    (directory / "users.yaml").write_text("users:\n" + users)
    return directory


@pytest.mark.parametrize("command", ["plan", "apply", "drift", "import", "check"])
def test_every_command_that_talks_to_a_server_keeps_to_rate_and_concurrency(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, watched: tuple[Watching, dict[str, str]], command: str
) -> None:
    watching, env = watched
    org = _org(tmp_path / "org")
    where = {
        "plan": ["--dir", org],
        "apply": ["--dir", org, "--auto-approve"],
        "drift": ["--dir", org, "--baseline", ""],
        "import": ["--out", tmp_path / "imported"],
        "check": ["--dir", org],
    }[command]

    done = cli(command, *where, "--rate", str(RATE), "--concurrency", "1", env=env)

    assert done.code in (0, 2), done.out + done.err
    arrivals = watching.arrivals
    assert len(arrivals) >= 3
    assert watching.most_in_flight == 1  # the generic profile's default is 8
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) / RATE * 0.9  # none unpaced


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--rate", "0", "--rate 0: give a positive number of requests per second"),
        ("--rate", "-3", "--rate -3: give a positive number of requests per second"),
        ("--rate", "nan", "--rate nan: give a positive number of requests per second"),
        ("--concurrency", "0", "Invalid value for '--concurrency'"),
    ],
)
def test_a_rate_or_concurrency_that_cannot_be_is_refused_before_any_request(  # type: ignore[no-untyped-def]
    cli,
    tmp_path: Path,
    watched: tuple[Watching, dict[str, str]],
    option: str,
    value: str,
    message: str,
) -> None:
    watching, env = watched
    done = cli("plan", "--dir", _org(tmp_path / "org"), option, value, env=env)
    assert done.code == 1
    assert message in done.err
    assert watching.arrivals == []


def test_the_options_override_the_targets_keys() -> None:
    from reconciler.session import Pace

    target = Target("aws", url="https://scim.example.com/v2", rate=5.0, concurrency=2)
    assert Pace(20.0, 6).applied(target) == Target(
        "aws", url="https://scim.example.com/v2", rate=20.0, concurrency=6
    )
    assert Pace().applied(target) == target
