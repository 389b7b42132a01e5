"""Loopback HTTP servers for the reliability tests.

* ``FaultProxy``: a threaded proxy on 127.0.0.1 in front of a real SCIM server that
  injects faults at configurable rates (5xx, 429 with and without Retry-After,
  connection resets, timeouts, slow answers, truncated bodies), decided by a seeded
  RNG per request, so a run can be reproduced. It can also intercept or rewrite
  chosen exchanges (a test that needs one page to lie).
* ``CannedServer``: a threaded server answering whatever a test scripts (an HTML
  page, invalid JSON, a redirect, an endless body, nothing at all).

Both record every request they receive (``seen``) and every connection they accept
(``connections``), so a test can assert that nothing was written, or nothing sent.
Nothing here talks to anything but 127.0.0.1, and every wait is bounded.
"""

from __future__ import annotations

import hashlib
import http.client
import random
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"}
)
MAX_HOLD = 30.0
"""No connection is ever held longer than this, whatever a test asks."""


@dataclass(frozen=True)
class Incoming:
    """One request as the server received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.target).query).items()}

    @property
    def is_write(self) -> bool:
        return self.method in WRITES


@dataclass
class Reply:
    """What to do with one request.

    ``action``: ``answer`` (status, headers, body), ``reset`` (a TCP RST, no answer),
    ``hold`` (say nothing for ``hold`` seconds, then close), ``truncate`` (the headers
    with the full Content-Length, half the body, then the end of the stream).
    ``delay`` seconds are waited first, whatever the action. A body may be an iterable
    of chunks (sent with no Content-Length, the end marked by closing the connection).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    action: str = "answer"
    hold: float = 0.0
    delay: float = 0.0


Handler = Callable[[Incoming], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: Handler, owner: Loopback) -> None:
        self.handler = handler
        self.owner = owner
        super().__init__((LOOPBACK, 0), _RequestHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.owner._accepted()
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and held connections end in socket errors on purpose


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a fault never leaks
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        incoming = Incoming(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        self.server.owner._record(incoming)
        reply = self.server.handler(incoming)
        self._perform(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _perform(self, reply: Reply) -> None:
        stop = self.server.owner.stopping
        if reply.delay:
            stop.wait(min(reply.delay, MAX_HOLD))
        if reply.action == "reset":
            self._reset()
        elif reply.action == "hold":
            stop.wait(min(reply.hold, MAX_HOLD))
            self.close_connection = True
        elif reply.action == "truncate":
            body = reply.body if isinstance(reply.body, bytes) else b"".join(reply.body)
            self._head(reply, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            with suppress(OSError):  # a clean end of stream, short of Content-Length
                self.connection.shutdown(socket.SHUT_WR)
            self.close_connection = True
        else:
            self._answer(reply)

    def _head(self, reply: Reply, length: int | None) -> None:
        self.send_response_only(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if length is not None and not any(k.lower() == "content-length" for k in reply.headers):
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()

    def _answer(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            self._head(reply, len(reply.body))
            self.wfile.write(reply.body)
            return
        self._head(reply, None)
        deadline = time.monotonic() + MAX_HOLD
        with suppress(OSError):
            for chunk in reply.body:
                if self.server.owner.stopping.is_set() or time.monotonic() > deadline:
                    break
                self.wfile.write(chunk)

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0): the client sees a connection reset."""
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True

    def finish(self) -> None:
        with suppress(OSError):
            super().finish()


class Loopback:
    """A threaded HTTP server on 127.0.0.1 calling ``handler`` for every request; with
    ``tls`` (a server-side SSLContext), an HTTPS one."""

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self._lock = threading.Lock()
        self.seen: list[Incoming] = []
        self.connections = 0
        self.stopping = threading.Event()
        self._server = _Server(handler, self)
        scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://{LOOPBACK}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _accepted(self) -> None:
        with self._lock:
            self.connections += 1

    def _record(self, incoming: Incoming) -> None:
        with self._lock:
            self.seen.append(incoming)

    def requests(self) -> list[Incoming]:
        with self._lock:
            return list(self.seen)

    def writes(self) -> list[Incoming]:
        """Every POST, PUT, PATCH and DELETE received."""
        return [r for r in self.requests() if r.is_write]


# --- forwarding ------------------------------------------------------------------------


def forward(origin: str, incoming: Incoming, timeout: float = 30.0) -> Reply:
    """Send ``incoming`` to ``origin`` (``http://127.0.0.1:PORT``) and return its answer."""
    parts = urlsplit(origin)
    assert parts.hostname == LOOPBACK, "the proxy forwards to loopback only"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {k: v for k, v in incoming.headers.items() if k not in HOP_BY_HOP}
        connection.request(incoming.method, incoming.target, incoming.body or None, headers)
        response = connection.getresponse()
        body = response.read()
        kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
        return Reply(response.status, kept, body)
    finally:
        connection.close()


# --- the fault-injecting proxy ------------------------------------------------------------


@dataclass(frozen=True)
class Faults:
    """Per-request probabilities of each fault (their sum at most 1).

    ``errors``: 500/502/503; ``throttle``: 429, half with ``Retry-After`` and half
    without; ``resets``: a TCP reset; ``timeouts``: no answer for ``hold`` seconds
    (make it longer than the client's timeout); ``slow``: an answer ``slow_delay``
    seconds late; ``truncated``: half the body, then the end of the stream. Errors, resets and
    timeouts happen before the request reaches the server or after it was served
    (its answer lost), half and half; a truncated body always comes from a served one.
    """

    errors: float = 0.0
    throttle: float = 0.0
    resets: float = 0.0
    timeouts: float = 0.0
    slow: float = 0.0
    truncated: float = 0.0
    hold: float = 2.0
    slow_delay: float = 0.2
    retry_after: str = "1"
    methods: frozenset[str] = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

    def __post_init__(self) -> None:
        total = self.errors + self.throttle + self.resets + self.timeouts
        assert total + self.slow + self.truncated <= 1.0, "fault rates add up to more than 1"


NO_FAULTS = Faults()

Forward = Callable[[Incoming], Reply]
Intercept = Callable[[Incoming, Forward], Reply | None]
Rewrite = Callable[[Incoming, Reply], Reply]


class FaultProxy(Loopback):
    """A proxy to ``origin`` that injects ``faults``, reproducibly for a given ``seed``.

    Each request draws from its own RNG, seeded with the seed, the method, the target,
    the body and how many times that exact request was seen before: the same run sees the same
    faults on the same requests whatever order threads send them in.

    ``intercept(incoming, forward)`` may answer a request itself (return a Reply, after
    calling ``forward(incoming)`` or not) before any fault is drawn, or return None to
    let it through; ``rewrite`` may change what the server answered. ``injected`` counts each fault.
    """

    def __init__(
        self,
        origin: str,
        faults: Faults = NO_FAULTS,
        *,
        seed: int = 0,
        intercept: Intercept | None = None,
        rewrite: Rewrite | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.origin = origin
        self.faults = faults
        self.seed = seed
        self.intercept = intercept
        self.rewrite = rewrite
        self.injected: Counter[str] = Counter()
        self.forwarded: list[Incoming] = []
        self._occurrences: Counter[str] = Counter()
        self._fault_lock = threading.Lock()
        super().__init__(self._handle, tls=tls)

    def base(self, upstream_url: str) -> str:
        """The proxy URL for a URL of the origin (same path, the proxy's host and port)."""
        assert upstream_url.startswith(self.origin), upstream_url
        return self.url + upstream_url[len(self.origin) :]

    def served(self) -> list[Incoming]:
        """The requests that reached the server."""
        with self._fault_lock:
            return list(self.forwarded)

    def _rng(self, incoming: Incoming) -> random.Random:
        digest = hashlib.sha256(incoming.body).hexdigest()[:16]
        key = f"{incoming.method} {incoming.target} {digest}"
        with self._fault_lock:
            self._occurrences[key] += 1
            occurrence = self._occurrences[key]
        return random.Random(f"{self.seed}|{key}|{occurrence}")

    def _count(self, name: str) -> None:
        with self._fault_lock:
            self.injected[name] += 1

    def _forward(self, incoming: Incoming) -> Reply:
        with self._fault_lock:
            self.forwarded.append(incoming)
        reply = forward(self.origin, incoming)
        return self.rewrite(incoming, reply) if self.rewrite else reply

    def _handle(self, incoming: Incoming) -> Reply:
        if self.intercept is not None:
            scripted = self.intercept(incoming, self._forward)
            if scripted is not None:
                return scripted
        fault = self._draw(incoming)
        if fault is None:
            return self._forward(incoming)
        name, after, rng = fault
        self._count(f"{name}-after" if after else name)
        served = self._forward(incoming) if after or name == "slow" else None
        if name == "slow":
            assert served is not None
            served.delay = self.faults.slow_delay
            return served
        return self._fault_reply(name, served, rng)

    def _draw(self, incoming: Incoming) -> tuple[str, bool, random.Random] | None:
        f = self.faults
        if incoming.method not in f.methods:
            return None
        rng = self._rng(incoming)
        roll = rng.random()
        after = rng.random() < 0.5
        for name, rate in (
            ("error", f.errors),
            ("throttle", f.throttle),
            ("reset", f.resets),
            ("timeout", f.timeouts),
            ("slow", f.slow),
            ("truncated", f.truncated),
        ):
            if roll < rate:
                if name in ("throttle", "slow"):
                    return name, False, rng  # turned away unread / merely late
                return name, after or name == "truncated", rng
            roll -= rate
        return None

    def _fault_reply(self, name: str, served: Reply | None, rng: random.Random) -> Reply:
        f = self.faults
        if name == "error":
            status = rng.choice((500, 502, 503))
            page = f"<html><body><h1>{status}</h1>injected</body></html>".encode()
            return Reply(status, {"Content-Type": "text/html"}, page)
        if name == "throttle":
            headers = {"Content-Type": "application/scim+json"}
            if rng.random() < 0.5:
                headers["Retry-After"] = f.retry_after
            body = b'{"status": "429", "detail": "ThrottlingException (injected)"}'
            return Reply(429, headers, body)
        if name == "reset":
            return Reply(action="reset")
        if name == "timeout":
            return Reply(action="hold", hold=f.hold)
        if name == "truncated":
            assert served is not None
            return Reply(served.status, served.headers, served.body, action="truncate")
        raise AssertionError(name)


class CannedServer(Loopback):
    """Answers each request with ``handler(incoming)``; records everything."""


@contextmanager
def canned(handler: Handler) -> Iterator[CannedServer]:
    with CannedServer(handler) as server:
        yield server


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port
