"""Issue 13, item 5: one deadline covers the whole request.

A server on 127.0.0.1 reads the request, then sends its status line and headers one
byte every half second: every read is answered well within the timeout, so httpx's
per-operation timeouts never fire (issue 13: still running after 90 s with
``timeout: 2``). With ``timeout: 1`` the run must end with a clear error; the bound
asserted, 15 s, is generous (two attempts of about a second each, and backoff).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.reliability.support import write_targets

pytestmark = pytest.mark.usefixtures("few_retries")

TOKEN = "trickle-canary-token-5c1e"
GIVE_UP = 40.0
PACE = 0.5
"""The server stops trickling after this long (so a client that never gives up fails
the test instead of hanging it)."""
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nX-Slow: " + b"a" * 200


@contextmanager
def trickling_server(head: bytes = HEAD) -> Iterator[str]:
    """``http://127.0.0.1:PORT``: every connection gets ``head`` a byte every ``PACE`` s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.recv(65536)
            ends = time.monotonic() + GIVE_UP
            for byte in head:
                if stop.wait(PACE) or time.monotonic() > ends:
                    return
                conn.sendall(bytes([byte]))

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.mark.parametrize("command", ["plan", "check"])
def test_a_server_trickling_its_headers_cannot_hold_the_run(
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    command: str,
) -> None:
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text("users:\n  - userName: alice@example.com\n")
    with trickling_server() as url:
        write_targets(directory, f"{url}/v2", timeout=1)
        started = time.monotonic()
        result = cli(command, "--dir", directory, env={"SCIM_TOKEN": TOKEN})
        took = time.monotonic() - started
    everything = result.out + result.err
    assert result.code == 1, everything
    assert "did not answer within 1 s" in everything, everything
    assert "Traceback" not in everything
    assert took < 15, f"the run took {took:.0f} s"
