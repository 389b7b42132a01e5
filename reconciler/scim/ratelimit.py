"""Client-side rate limits shared by every thread that uses one client: a fixed one
(``TokenBucket``) and one learnt from the server's 429s (``AdaptiveRate``)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
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


class AdaptiveRate:
    """The request rate a server's 429s allow, learnt during the run and shared by every
    thread of one client.

    Until the first cut the client keeps only to ``ceiling`` (None: no limit). A cut sets
    the rate to ``BETA`` times the rate in force, or times the rate the server accepted
    over the last second when that is lower than ``BETA`` times it (or nothing limited the
    client yet): what the server lets through is what it allows. While requests succeed,
    the rate grows back along a cubic curve, flat near the rate of the cut and steeper
    away from it (TCP CUBIC, RFC 9438, as AWS SDKs' adaptive retry mode uses it), never
    above twice what the client sent over the last second. So a throttled run spends most
    of its time just below the server's rate and probes above it now and then. The curve
    takes about ``RECOVERY`` requests to climb back to the rate of the cut (CUBIC measures
    it in seconds; in requests, a slow server is probed as seldom, per request, as a fast
    one, and its 429s stay as small a share).

    Which 429s cut: those that show a limit being hit, at least ``LIMIT_HIT`` over the
    last second, making up at least ``LIMIT_SHARE`` of its answers, beside at least
    ``MEASURED`` accepted ones to measure a rate by. A server past its rate refuses more
    and more of what comes above it; a 429 now and then among successes, which a server
    may send whatever the rate (a fault, another client's burst), is retried and cuts
    nothing: cutting on each would drive the rate down without end, the rate in force
    each time being the reference. Nor does a 429 that answers a request sent before the
    last cut (sent at the old rate, it says nothing new; ``acquire`` returns the "epoch"
    a request is sent in, and ``throttled`` takes it back).
    """

    BETA = 0.7
    LIMIT_HIT = 2
    LIMIT_SHARE = 0.1
    MEASURED = 5
    """429s cut only when at least ``LIMIT_HIT`` came over the last second, made up at
    least ``LIMIT_SHARE`` of its answers, and ``MEASURED`` were accepted."""
    RECOVERY = 50
    """Requests, about, from a cut back to the rate of the cut: CUBIC's K times that rate."""
    RECOVERY_SECONDS = (0.5, 10.0)
    """Bounds of K, in seconds: a very slow server is still probed now and then."""
    FLOOR = 0.5
    """Never slower than this many requests per second."""
    WINDOW = 1.0
    """Seconds over which the accepted and the sent rates are measured."""
    YOUNG = 0.25
    """A client younger than ``WINDOW`` measures over its age, but never less than this."""
    RECHECK = 0.25
    """Seconds, at most, between two looks at the rate by a waiting thread."""

    def __init__(
        self,
        ceiling: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if ceiling is not None and not (math.isfinite(ceiling) and ceiling > 0):
            raise ValueError(
                f"rate must be a positive number of requests per second, not {ceiling}"
            )
        self._ceiling = ceiling
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last = -math.inf  # when the last request was let go
        self._epoch = 0
        self._cut_at: float | None = None  # None: no 429 yet
        self._peak = 0.0  # the rate of the last cut (CUBIC's W_max)
        self._k = 1.0  # seconds from the cut back to ``_peak`` (CUBIC's K)
        self._sent: deque[float] = deque()
        self._accepted: deque[float] = deque()
        self._refused: deque[float] = deque()
        self._born: float | None = None  # when the first answer came

    def rate(self) -> float | None:
        """Requests per second allowed now; None: no limit."""
        with self._lock:
            return self._rate(self._clock())

    def acquire(self) -> int:
        """Wait for a slot at the rate allowed now; return the epoch the request goes in.

        No slot is booked ahead: a waiting thread looks again at least every ``RECHECK``
        seconds, so a rate that grows (or is cut) applies to the requests already waiting."""
        while True:
            with self._lock:
                now = self._clock()
                rate = self._rate(now)
                if rate is None:
                    return self._epoch
                interval = 1.0 / rate
                due = self._last + interval
                if now >= due:
                    # On schedule when woken a little late; idle time is not caught up on.
                    self._last = due if now - due < interval else now
                    return self._epoch
            self._sleep(min(due - now, self.RECHECK))

    def answered(self, *, accepted: bool) -> None:
        """A request got an answer: ``accepted`` unless it was a 429."""
        with self._lock:
            now = self._clock()
            if self._born is None:
                self._born = now
            self._sent.append(now)
            (self._accepted if accepted else self._refused).append(now)
            self._forget_before(now - self.WINDOW)

    def throttled(self, epoch: int) -> float | None:
        """A 429 answered a request sent in ``epoch``: the new rate when it cut the rate,
        None when it said nothing new."""
        with self._lock:
            now = self._clock()
            self._forget_before(now - self.WINDOW)
            if epoch != self._epoch or not self._accepted:
                return None
            if not self._limit_hit():
                return None
            age = now - (self._born if self._born is not None else now)
            accepted = len(self._accepted) / max(self.YOUNG, min(self.WINDOW, age))
            current = self._rate(now)
            if current is None or accepted < self.BETA * current:
                current = accepted  # what the server let through is what it allows
            self._peak = max(self.FLOOR, current)
            shortest, longest = self.RECOVERY_SECONDS
            self._k = min(longest, max(shortest, self.RECOVERY / self._peak))
            self._cut_at = now
            self._epoch += 1
            self._last = now  # the next request waits a whole interval at the new rate
            rate = self._rate(now)
            assert rate is not None
            return rate

    def _limit_hit(self) -> bool:
        refused = len(self._refused)
        return (
            refused >= self.LIMIT_HIT
            and refused >= self.LIMIT_SHARE * len(self._sent)
            and len(self._accepted) >= self.MEASURED
        )

    def _rate(self, now: float) -> float | None:
        if self._cut_at is None:
            return self._ceiling
        self._forget_before(now - self.WINDOW)
        grown = self._peak * (1 + (1 - self.BETA) * ((now - self._cut_at) / self._k - 1) ** 3)
        used = 2 * len(self._sent) / self.WINDOW
        learnt = max(self.FLOOR, min(grown, max(used, self._peak * self.BETA)))
        return learnt if self._ceiling is None else min(learnt, self._ceiling)

    def _forget_before(self, start: float) -> None:
        for seen in (self._sent, self._accepted, self._refused):
            while seen and seen[0] < start:
                seen.popleft()
