"""One deadline for a whole request: connect, TLS, send, status line, headers and body.

httpx's timeouts bound each network operation, not the request: a server that sends
its status line and headers one byte a second answers every read in time and holds
the client for ever. ``Deadline`` is a per-thread deadline that the client sets
around each exchange; ``DeadlineBackend`` wraps httpcore's network backend so that
every connect, read and write waits at most until it, and fails as that operation's
timeout once it has passed.
"""

from __future__ import annotations

import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx

SOCKET_OPTION = typing.Any


class Deadline(threading.local):
    """The monotonic time by which this thread's current request must be over."""

    at: float | None = None

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        self.at = time.monotonic() + seconds
        try:
            yield
        finally:
            self.at = None

    def budget(self, timeout: float | None, late: type[Exception]) -> float | None:
        """The timeout for one operation: ``timeout``, shortened to what is left."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise late("the whole request took longer than its timeout")
        return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = self._deadline.budget(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, budget), self._deadline
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        budget = self._deadline.budget(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, budget, local_address, socket_options)
        return DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        budget = self._deadline.budget(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, budget, socket_options)
        return DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bind(client: httpx.Client, deadline: Deadline) -> int:
    """Put ``deadline`` under every httpx transport of ``client`` that reaches the network
    (the direct one and those of proxies from the environment); returns how many.

    httpx does not let one pass a network backend, so this reaches into its transports'
    pools (``_transport``, ``_mounts``, ``_pool._network_backend``);
    tests/scim/test_deadline.py holds httpx to it.
    """
    transports = [client._transport, *client._mounts.values()]
    bound = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        inner = getattr(pool, "_network_backend", None)
        if isinstance(inner, httpcore.NetworkBackend) and not isinstance(inner, DeadlineBackend):
            pool._network_backend = DeadlineBackend(inner, deadline)  # type: ignore[union-attr]
            bound += 1
    return bound
