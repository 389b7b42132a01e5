"""The client counts its retries, and those after a 429, for apply's summary; and says
at WARNING (shown without -v) each time it waits to retry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from httpfakes import Script, answer, fail

from reconciler.scim.client import ScimClient

MakeClient = Callable[..., ScimClient]
OK = answer(200, json={"id": "abc"})


def test_retries_and_throttles_are_counted(make_client: MakeClient) -> None:
    script = Script(
        answer(429, headers={"Retry-After": "1"}),
        answer(503),
        fail(httpx.ConnectError, "refused"),
        OK,
    )
    client = make_client(script)
    client.get("/Users/abc")
    client.get("/Users/abc")  # answered at once: no retry
    assert (client.requests_sent, client.retries, client.throttled) == (5, 3, 1)


def test_each_retry_wait_is_a_warning(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="reconciler.http")
    make_client(Script(fail(httpx.ConnectError, "refused"), OK)).get("/Users/abc")
    warnings: list[Any] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "retrying GET /Users/abc in 0.50 s (attempt 2 of 6): ConnectError: refused"
    ]
