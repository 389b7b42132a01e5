"""Fakes for testing the SCIM client without a network: scripted handlers for
``httpx.MockTransport`` and a clock that only moves when the client sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

TOKEN = "canary-Zq7-token-9f3b1c0e5a"
BASE = "https://scim.example.test/tenant1/scim/v2"

Step = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps (or a test says)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


class Script:
    """A MockTransport handler that plays its steps in order, the last one forever,
    and keeps every request it received."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return step(request)


def answer(status: int = 200, **kwargs: Any) -> Step:
    """A step answering a fresh ``httpx.Response(status, **kwargs)``."""
    return lambda request: httpx.Response(status, **kwargs)


def fail(exc_type: type[Exception], message: str = "boom") -> Step:
    """A step raising ``exc_type`` as the transport would."""

    def step(request: httpx.Request) -> httpx.Response:
        if issubclass(exc_type, httpx.RequestError):
            raise exc_type(message, request=request)
        raise exc_type(message)

    return step


class ChunkStream(httpx.SyncByteStream):
    """A response body delivered chunk by chunk, optionally breaking off with an error."""

    def __init__(self, chunks: Iterable[bytes], then: Exception | None = None) -> None:
        self.chunks = chunks
        self.then = then
        self.yielded = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.yielded += 1
            yield chunk
        if self.then is not None:
            raise self.then

    def close(self) -> None:
        self.closed = True
