"""When a failed SCIM request may be sent again, and how long to wait first.

A failed attempt is classified by how safe it is to send it again (``Resend``);
``verdict`` combines that with the method: a POST is only repeated when the
server certainly did not act on it, because a second POST could create a
second user.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import Enum

from reconciler.errors import InputError

# Methods whose repetition leaves the server as one request would (RFC 9110 §9.2.2,
# and PATCH as the reconciler uses it: it sets values, it does not append blindly).
IDEMPOTENT = frozenset({"GET", "PUT", "PATCH", "DELETE"})

_MAX_EXPONENT = 60  # 2**60 * base_delay is far beyond any max_delay


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request: exponential backoff with full jitter."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 120.0  # give up after this much time spent on one request

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InputError(f"retry max_attempts must be at least 1, not {self.max_attempts}")
        for name in ("base_delay", "max_delay", "max_total"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"retry {name} must be a number of seconds >= 0, not {value}")


class Resend(Enum):
    """How safe it is to send a failed request again."""

    SAFE = "the server did not act on it"  # refused before processing: any method
    IF_IDEMPOTENT = "the server may have acted on it"  # only GET, PUT, PATCH, DELETE
    NEVER = "sending it again would fail the same way"


class Verdict(Enum):
    RETRY = "retry"
    FAIL = "fail"
    AMBIGUOUS = "ambiguous"  # a non-idempotent request that may have been applied


def verdict(method: str, resend: Resend) -> Verdict:
    if resend is Resend.NEVER:
        return Verdict.FAIL
    if resend is Resend.SAFE or method in IDEMPOTENT:
        return Verdict.RETRY
    return Verdict.AMBIGUOUS


def backoff(
    policy: RetryPolicy, attempt: int, retry_after: float | None, jitter: Callable[[], float]
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    The server's Retry-After wins when given; otherwise "full jitter": a uniform
    draw below an exponentially growing ceiling, so that parallel clients spread out.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), policy.max_delay)
    growth = 2.0 ** min(attempt - 1, _MAX_EXPONENT)
    ceiling = min(policy.max_delay, policy.base_delay * growth)
    return ceiling * jitter()


def may_retry(policy: RetryPolicy, attempt: int, elapsed: float, delay: float) -> bool:
    """Whether attempt ``attempt + 1`` is allowed after waiting ``delay`` more seconds."""
    return attempt < policy.max_attempts and elapsed + delay <= policy.max_total


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date.

    ``now`` is the wall-clock time (``time.time()``) that a date is measured from.
    Returns None when the header is absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text, now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 5322 for "UTC, origin unknown"
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)
