"""A host name that does not resolve is said at once, not retried six times (issue 19,
item 7). No name is looked up for real: ``getaddrinfo`` is replaced, as a resolver that
answers NXDOMAIN (or cannot be reached) would behave."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from httpfakes import FakeClock

from reconciler.errors import TransportError
from reconciler.scim.client import ScimClient

HOST = "scim.example.invalid"
URL = f"https://{HOST}/scim/v2"
real_getaddrinfo = socket.getaddrinfo


def resolver(code: int, reason: str) -> Callable[..., Any]:
    """A ``getaddrinfo`` that fails for ``HOST`` with ``code`` and resolves the rest."""
    looked_up: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == HOST:
            looked_up.append(host)
            raise socket.gaierror(code, reason)
        return real_getaddrinfo(host, *args, **kwargs)

    getaddrinfo.looked_up = looked_up  # type: ignore[attr-defined]
    return getaddrinfo


def test_a_name_that_does_not_resolve_fails_at_once(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    lookup = resolver(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    with (
        ScimClient(URL, "token-0123456789", sleep=clock.sleep, clock=clock) as client,
        pytest.raises(TransportError) as failed,
    ):
        client.get("/ServiceProviderConfig")
    assert str(failed.value) == (
        f"cannot connect to {URL}: the host name '{HOST}' does not resolve "
        "(Name or service not known). Is SCIM_URL right?"
    )
    assert lookup.looked_up == [HOST]  # type: ignore[attr-defined]
    assert clock.sleeps == []
    assert client.requests_sent == 1


def test_a_resolver_that_fails_for_now_is_tried_again(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    lookup = resolver(socket.EAI_AGAIN, "Temporary failure in name resolution")
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    with (
        ScimClient(URL, "token-0123456789", sleep=clock.sleep, clock=clock) as client,
        pytest.raises(TransportError, match="Is the network \\(DNS\\) up"),
    ):
        client.get("/ServiceProviderConfig")
    assert len(lookup.looked_up) == 6  # type: ignore[attr-defined]


def test_check_says_what_failed_once_and_exits_1(  # type: ignore[no-untyped-def]
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo", resolver(socket.EAI_NONAME, "Name or service not known")
    )
    checked = cli(
        "check", "--dir", tmp_path, env={"SCIM_URL": URL, "SCIM_TOKEN": "token-0123456789"}
    )
    assert checked.code == 1
    assert "retrying" not in checked.err
    assert f"the host name '{HOST}' does not resolve (Name or service not known)" in checked.err
