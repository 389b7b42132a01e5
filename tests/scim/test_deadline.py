"""The whole-request deadline reaches every transport httpx builds (issue 13, item 5).

``reconciler.scim.deadline.bind`` reaches into httpx's transports, which httpx does
not promise to keep: these tests fail if an httpx upgrade moves them. The behaviour
itself is tested against a trickling server in
tests/reliability/test_trickling_server.py.
"""

from __future__ import annotations

import httpcore
import httpx
import pytest

from reconciler.scim.client import ScimClient
from reconciler.scim.deadline import Deadline, DeadlineBackend, bind


def _backends(client: httpx.Client) -> list[object]:
    transports = [client._transport, *client._mounts.values()]
    return [t._pool._network_backend for t in transports if t is not None]  # type: ignore[attr-defined]


def test_the_client_binds_its_transport() -> None:
    with ScimClient("https://scim.example.test/v2", "t0k3n-for-the-deadline-test") as client:
        backends = _backends(client._http)
    assert backends and all(isinstance(b, DeadlineBackend) for b in backends)


def test_proxies_from_the_environment_are_bound_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with ScimClient("https://scim.example.test/v2", "t0k3n-for-the-deadline-test") as client:
        backends = _backends(client._http)
    assert len(backends) >= 2
    assert all(isinstance(b, DeadlineBackend) for b in backends)


def test_an_operation_after_the_deadline_fails_as_its_timeout() -> None:
    deadline = Deadline()
    with deadline.within(-1), pytest.raises(httpcore.ReadTimeout):
        deadline.budget(5.0, httpcore.ReadTimeout)
    assert deadline.budget(5.0, httpcore.ReadTimeout) == 5.0  # no request: unchanged
    with deadline.within(2.0):
        budget = deadline.budget(5.0, httpcore.ReadTimeout)
    assert budget is not None and budget <= 2.0


def test_binding_twice_does_not_wrap_twice() -> None:
    with httpx.Client() as client:
        deadline = Deadline()
        assert bind(client, deadline) == 1
        assert bind(client, deadline) == 0
