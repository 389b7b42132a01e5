"""The token bucket behind the sandbox's ``rate``, on a fake clock."""

from __future__ import annotations

import pytest

from reconciler.sandbox.throttle import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_rate_requests_then_a_wait():
    clock = FakeClock()
    bucket = TokenBucket(3.0, clock=clock)

    taken = [bucket.take() for _ in range(4)]

    assert taken[:3] == [0.0, 0.0, 0.0]
    assert taken[3] == pytest.approx(1 / 3)


def test_tokens_come_back_with_time():
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock)
    bucket.take(), bucket.take()

    clock.now += 0.5

    assert bucket.take() == 0.0
    assert bucket.take() > 0.0


def test_a_slow_rate_still_allows_one_request():
    clock = FakeClock()
    bucket = TokenBucket(0.5, clock=clock)

    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(2.0)
