"""Fixtures for the SCIM client tests; the fakes themselves are in ``httpfakes``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from httpfakes import BASE, TOKEN, FakeClock

from reconciler.scim.client import ScimClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., ScimClient]]:
    """``make_client(handler, **kwargs)``: a ScimClient on a MockTransport, with the fake
    clock, instant sleeps and jitter fixed at 1 (so each backoff is its ceiling)."""
    clients: list[ScimClient] = []

    def make(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> ScimClient:
        kwargs.setdefault("sleep", clock.sleep)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("jitter", lambda: 1.0)
        base = kwargs.pop("base_url", BASE)
        client = ScimClient(base, TOKEN, transport=httpx.MockTransport(handler), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
