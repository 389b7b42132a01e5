"""The token bucket: spacing, bursts, and one budget shared by all threads."""

from __future__ import annotations

import threading

import pytest
from httpfakes import FakeClock

from reconciler.scim.ratelimit import TokenBucket


def test_requests_are_spaced_by_one_over_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, pytest.approx(0.2), pytest.approx(0.2), pytest.approx(0.2)]
    assert clock.now == pytest.approx(1000.6)


def test_time_that_passed_is_not_waited_again() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    clock.now += 0.3
    assert bucket.acquire() == pytest.approx(0.2)
    clock.now += 10  # idle time does not pile up into a burst
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.5)


def test_a_burst_goes_through_at_once_then_the_rate_applies() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, burst=3, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, pytest.approx(0.1), pytest.approx(0.1)]


def test_threads_share_one_budget() -> None:
    clock = FakeClock()
    clock.sleep = lambda seconds: clock.sleeps.append(seconds)  # type: ignore[method-assign]
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    barrier = threading.Barrier(10)

    def take() -> None:
        barrier.wait()
        bucket.acquire()

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The clock stood still, so each thread got its own slot, 0.1 s after the previous.
    assert sorted(clock.sleeps) == pytest.approx([0.1 * n for n in range(1, 10)])


@pytest.mark.parametrize("rate", [0, -2, float("inf"), float("nan")])
def test_a_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be a positive number"):
        TokenBucket(rate)


def test_a_burst_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(1, burst=0)
