"""Fixtures of the reliability and security tests: fresh sandbox tenants, fault proxies,
in-process commands with fast retries."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from reconciler.scim.client import ScimClient
from reconciler.scim.retry import RetryPolicy
from tests.conftest import TOKEN, Server
from tests.faults.proxy import FaultProxy, Faults
from tests.reliability.support import FAST, origin_of


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The last-seen guard keeps a record per SCIM URL; loopback ports are reused between
    tests, so each test keeps its records to itself (not in ~/.cache)."""
    monkeypatch.setenv("SCIMCTL_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def tenant(sandbox_bases: dict[str, str]) -> Iterator[Callable[[str], Server]]:
    """``tenant(profile)``: a fresh, empty tenant of the sandbox of that profile."""
    with ExitStack() as stack:

        def make(profile: str) -> Server:
            url = f"{sandbox_bases[profile]}/{uuid.uuid4().hex}/v2"
            headers = {"Authorization": f"Bearer {TOKEN}"}
            http = stack.enter_context(httpx.Client(base_url=url, headers=headers, timeout=30))
            return Server(url, profile, http)

        yield make


@pytest.fixture
def proxy() -> Iterator[Callable[..., FaultProxy]]:
    """``proxy(server_url, faults, seed=…, intercept=…, rewrite=…)``: a started FaultProxy
    in front of the sandbox that serves ``server_url``; stopped after the test."""
    with ExitStack() as stack:

        def make(url: str, faults: Faults = Faults(), **kwargs: Any) -> FaultProxy:
            return stack.enter_context(FaultProxy(origin_of(url), faults, **kwargs))

        yield make


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> RetryPolicy:
    """Commands run in-process retry with ``FAST`` instead of the default policy.

    Only the waits change: the attempts, the verdicts and the messages are the
    product's own. (A test-only patch of the name ``open_session`` uses; the product
    has no switch for this.)
    """
    import reconciler.session

    monkeypatch.setattr(reconciler.session, "ScimClient", functools.partial(ScimClient, retry=FAST))
    return FAST


@pytest.fixture
def few_retries(monkeypatch: pytest.MonkeyPatch, quick_retries: RetryPolicy) -> RetryPolicy:
    """Like ``quick_retries``, with two attempts per request: for tests whose every
    request fails slowly (a server that never answers)."""
    import reconciler.session

    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)
    quick = functools.partial(ScimClient, retry=policy)
    monkeypatch.setattr(reconciler.session, "ScimClient", quick)
    return policy
