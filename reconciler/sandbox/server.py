"""Build and run the sandbox SCIM server (scim2-server in memory, optionally as AWS).

Public API::

    make_app(token, profile="generic", *, rate=None, tenants=False, legacy_paging=False)
    serve_forever(app, host="127.0.0.1", port=8080, *, log_requests=False, ready=None)
    running(app, host="127.0.0.1")  # context manager yielding "http://127.0.0.1:PORT"

URLs: without tenants the SCIM root is ``<base>/v2`` (``/v2`` is optional for
scim2-server); with ``tenants=True`` it is ``<base>/<tenant>/v2``, and any new tenant
name gets a new, empty, isolated store on its first request.

Everything is in memory and lost when the server stops. There is no TLS: the server
listens on loopback unless told otherwise, and should stay there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from scim2_models import ScimProvider
from scim2_server.applications.wsgi import TenantDispatcher
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import load_default_resource_types, load_default_schemas

from reconciler.sandbox.profiles import PROFILES, Profile
from reconciler.sandbox.throttle import Throttle, TokenBucket

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LOOPBACK = "127.0.0.1"


def make_app(
    token: str | None,
    profile: str = "generic",
    *,
    rate: float | None = None,
    tenants: bool = False,
    legacy_paging: bool = False,
) -> WSGIApplication:
    """Return a WSGI application serving SCIM 2.0 from memory.

    :param token: the bearer token every request must carry; None accepts any request.
    :param profile: ``"generic"`` (plain scim2-server) or ``"aws-identity-center"``
        (behaves as AWS IAM Identity Center documents its SCIM endpoint).
    :param rate: requests per second allowed over the whole application (all tenants),
        as a token bucket with bursts of ``max(1, rate)``; beyond it, 429.
    :param tenants: serve ``/<tenant>/v2/...``, each tenant its own store, created on
        its first request (scim2-server's ``--dynamic-tenants``).
    :param legacy_paging: AWS only: list as the older documentation says (at most 50
        results, or ``count`` if lower; no pagination, ``cursor`` ignored;
        ``totalResults`` equal to the number returned).
    :raises ValueError: for an unknown profile, a non-positive rate, or
        ``legacy_paging`` with a profile it does not apply to.
    """
    chosen = _profile(profile, legacy_paging)
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(),
        load_default_resource_types().values(),
        config=chosen.config(token is not None),
    )
    build = _tenant_factory(chosen, ScimService(provider), token, legacy_paging)
    app: WSGIApplication = TenantDispatcher(build) if tenants else build(None)
    if rate is not None:
        app = Throttle(app, TokenBucket(rate), chosen.refusal)
    return app


def _profile(name: str, legacy_paging: bool) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown sandbox profile {name!r}; choose from {sorted(PROFILES)}")
    chosen = PROFILES[name]
    if legacy_paging and not chosen.legacy_paging:
        raise ValueError(f"legacy_paging does not apply to the {name!r} profile")
    return chosen


def _tenant_factory(
    profile: Profile, service: ScimService, token: str | None, legacy_paging: bool
) -> Callable[[str | None], WSGIApplication]:
    """Return what builds one tenant's application, each with its own empty store."""

    def build(tenant: str | None) -> WSGIApplication:
        storage = InMemoryStorage()
        app = BearerTokenApplication(
            storage, service.provider, service=service, bearer_tokens=[token] if token else []
        )
        return profile.wrap(app, storage, legacy_paging)

    return build


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """Serve each request in its own thread, as scim2-server's own CLI does."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _server(app: WSGIApplication, host: str, port: int, log_requests: bool) -> WSGIServer:
    handler = WSGIRequestHandler if log_requests else _QuietHandler
    return make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=handler)


def _base_url(server: WSGIServer, host: str) -> str:
    return f"http://{host}:{server.server_port}"


def serve_forever(
    app: WSGIApplication,
    host: str = LOOPBACK,
    port: int = 8080,
    *,
    log_requests: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` until interrupted (KeyboardInterrupt returns normally).

    :param port: 0 picks a free port; ``ready`` then tells which.
    :param log_requests: write an access-log line per request on stderr.
    :param ready: called once listening, with the base URL ``http://HOST:PORT``.
    """
    with _server(app, host, port, log_requests) as server:
        if ready is not None:
            ready(_base_url(server, host))
        with suppress(KeyboardInterrupt):
            server.serve_forever()


@contextmanager
def running(app: WSGIApplication, host: str = LOOPBACK) -> Iterator[str]:
    """Serve ``app`` on a free port in a daemon thread for the duration of the block.

    Yields the base URL ``http://HOST:PORT``, with no trailing slash, no tenant and no
    ``/v2``: the SCIM root is ``f"{base}/v2"``, or ``f"{base}/{tenant}/v2"`` for an
    app made with ``tenants=True``. The server is shut down on exit. IPv4 hosts only.
    """
    server = _server(app, host, 0, log_requests=False)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield _base_url(server, host)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
