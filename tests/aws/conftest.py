"""AWS-profile sandboxes beyond the shared one: the older unpaged listing, and throttling."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.server import make_app, running
from tests.conftest import TOKEN, Server

AWS = "aws-identity-center"
THROTTLE_RATE = 30.0
"""Requests per second the throttled sandbox accepts (bursts of as many), then 429."""


@pytest.fixture
def aws_server(sandbox_bases: dict[str, str]) -> Iterator[Server]:
    """A fresh tenant of the session's AWS-profile sandbox."""
    yield from tenant(sandbox_bases[AWS])


@pytest.fixture(scope="session")
def legacy_base() -> Iterator[dict[str, str]]:
    with running(make_app(TOKEN, AWS, tenants=True, legacy_paging=True)) as base:
        yield {AWS: base}


@pytest.fixture
def legacy_server(legacy_base: dict[str, str]) -> Iterator[Server]:
    """A tenant that lists as AWS's older documentation says: 50 at most, no paging."""
    yield from tenant(legacy_base[AWS])


@pytest.fixture
def throttled_server() -> Iterator[Server]:
    """A tenant of its own sandbox that answers AWS's 429 (no Retry-After) past the rate."""
    with running(make_app(TOKEN, AWS, tenants=True, rate=THROTTLE_RATE)) as base:
        yield from tenant(base)


def tenant(base: str) -> Iterator[Server]:
    """A fresh, empty tenant of the sandbox at ``base``."""
    url = f"{base}/{uuid.uuid4().hex}/v2"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        yield Server(url, AWS, http)
