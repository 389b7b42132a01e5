"""A client-side rate limit shared by every thread that uses one client."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most ``rate`` acquisitions per second, with bursts of up to ``burst``.

    Implemented as the equivalent "virtual scheduling" form of a token bucket:
    each caller reserves the next free slot under a lock and then sleeps until it
    outside the lock, so waiting threads queue fairly and never hold each other up
    longer than their own slot.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number of requests per second, not {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._next_slot = -math.inf
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a slot; return how many seconds were waited."""
        with self._lock:
            now = self._clock()
            slot = max(self._next_slot, now)
            wait = max(slot - self._tolerance - now, 0.0)
            self._next_slot = slot + self._interval
        if wait > 0:
            self._sleep(wait)
        return wait
