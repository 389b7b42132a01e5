"""Rate limiting for the sandbox: a token bucket in front of the whole application."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from scim2_models import Error
from scim2_server.applications.wsgi import send_response
from scim2_server.responses import ScimResponse

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Refusal = Callable[[float], ScimResponse]
"""Build the 429 response, given the seconds until a request would be accepted."""


class TokenBucket:
    """Accept ``rate`` requests per second on average, with bursts of ``max(1, rate)``.

    :param clock: Monotonic seconds; pass a fake one to test without sleeping.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take a token: return 0.0 if one was available, else the seconds to wait for one."""
        with self._lock:
            now = self._clock()
            elapsed = now - self._updated
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


class Throttle:
    """WSGI middleware answering ``refusal(wait)`` when the bucket is empty."""

    def __init__(self, app: WSGIApplication, bucket: TokenBucket, refusal: Refusal) -> None:
        self.app = app
        self.bucket = bucket
        self.refusal = refusal

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        wait = self.bucket.take()
        if wait > 0:
            return send_response(self.refusal(wait), start_response)
        return self.app(environ, start_response)


def retry_after_refusal(wait: float) -> ScimResponse:
    """A 429 in the SCIM error shape with ``Retry-After`` in whole seconds (at least 1)."""
    error = Error(status=429, detail="Too many requests: slow down and retry later")
    headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    return ScimResponse(HTTPStatus.TOO_MANY_REQUESTS, error.model_dump(), headers)
