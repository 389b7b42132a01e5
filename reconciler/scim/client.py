"""The SCIM client: the only code in the project that speaks HTTP.

``ScimClient`` sends one SCIM request at a time per call and is safe to share
between threads. It authenticates with a bearer token, retries what can safely be
retried (see ``reconciler.scim.retry``), paces itself to the rate the server's
429s allow, learnt as it goes, and to any configured rate
(``reconciler.scim.ratelimit``), and raises only the project's errors
(``reconciler.errors``), translated in ``reconciler.scim.httperrors``.

The token never appears in a message, a log line or a repr: it lives only in the
Authorization header, which nothing here prints, and every message raised is
scrubbed of it and its fragments besides (``reconciler.scim.redaction``), in case a
server echoes it back. Bodies are read exactly; the client hands its token to
``keep_out_of_output``, so that whatever the program writes is redacted at its edge
(``reconciler.cli.output``), data that echoes the token included. Each
attempt runs under one deadline, ``timeout``, from connect to last byte
(``deadline``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

from reconciler import __version__
from reconciler.errors import InputError, ProtocolError, ScimError, ServerError
from reconciler.scim.deadline import Deadline, bind
from reconciler.scim.httperrors import (
    TRANSLATED,
    Failure,
    RequestContext,
    ambiguous_write,
    clean_text,
    failure_for_status,
    precondition_after_loss,
    scim_object,
    too_large,
    translate_exception,
)
from reconciler.scim.jsonbody import MAX_VALUES
from reconciler.scim.ratelimit import AdaptiveRate, TokenBucket
from reconciler.scim.redaction import REDACTED, Secrets, keep_out_of_output, scrub
from reconciler.scim.retry import Resend, RetryPolicy, Verdict, backoff, may_retry, verdict

__all__ = ["DEFAULT_USER_AGENT", "RetryPolicy", "ScimClient", "resource_path"]

DEFAULT_USER_AGENT = f"scim-reconciler/{__version__}"
SCIM_JSON = "application/scim+json"
TARGET_LIMIT = 300
COLLECTIONS = frozenset({"Users", "Groups"})
MAX_ID_LENGTH = 1024
"""Longest resource id sent in a path (AWS's are 36 to 47 characters)."""

log = logging.getLogger("reconciler.http")


def resource_path(collection: str, resource_id: str) -> str:
    """``/Users/<id>`` or ``/Groups/<id>``: the one builder of a path that names a resource.

    The id becomes exactly one path segment: every character but the unreserved ones
    (letters, digits, ``-._~``) is percent-encoded, ``/``, ``%``, ``?`` and ``#``
    included, so ``../Groups/gadmin`` or ``%2e%2e%2f`` name a resource of that odd id
    and never another one. An id that cannot be a segment is refused
    (``ProtocolError``): empty, ``.`` or ``..`` (dot-segments, which URL
    normalisation removes), longer than ``MAX_ID_LENGTH``, or holding characters that
    are not printable (control and format characters, lone surrogates). Nothing else
    in the project puts an id into a path (tests/scim/test_paths.py checks).
    """
    name = collection.strip("/")
    if name not in COLLECTIONS:
        raise ValueError(f"not a SCIM resource collection: {collection!r}")
    problem = _id_problem(resource_id)
    if problem is not None:
        raise ProtocolError(
            f"refusing to send a request for a {name[:-1].lower()} whose id {problem}; "
            "such an id (from the server, or a saved plan) cannot name one resource in a URL"
        )
    return f"/{name}/{quote(resource_id, safe='')}"


def _id_problem(resource_id: str) -> str | None:
    if not isinstance(resource_id, str) or not resource_id:
        return "is empty"
    if resource_id in (".", ".."):
        return f"is {resource_id!r}"
    if len(resource_id) > MAX_ID_LENGTH:
        return f"is {len(resource_id)} characters long (at most {MAX_ID_LENGTH})"
    if not resource_id.isprintable():
        return "holds control, format or other unprintable characters"
    return None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    too_large: bool = False


class ScimClient:
    """A SCIM 2.0 client for one server and one token.

    ``path`` arguments are relative to ``base_url`` (which may hold a path prefix
    such as ``/tenant1/scim/v2``) and start with ``/``; ids inside them must be
    percent-encoded (``resource_path`` does it). ``requests_sent`` counts every
    HTTP request handed to the network, retries included; ``retries`` how many of them
    repeated a failed one, and ``throttled`` how many of those followed a 429. Each
    retry wait is logged at WARNING, so a user sees that it is retrying without -v; but
    429s are said once, at the first one (the client then slows down to the rate the
    server allows, see ``AdaptiveRate``), and each of their retries is logged at INFO
    (-v).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
        retry: RetryPolicy = RetryPolicy(),
        rate: float | None = None,
        write_rate: float | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        max_response_bytes: int = 64 * 1024 * 1024,
        max_response_values: int = MAX_VALUES,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._base = _base_url(base_url)
        self._base_text = str(self._base).rstrip("/")
        self._token = _checked_token(token)
        self._secrets = Secrets.of(self._token)
        keep_out_of_output(self._token)
        self._timeout = timeout
        self._retry = retry
        self._pace = _adaptive(rate, clock, sleep)
        self._write_bucket = _bucket(write_rate, clock, sleep)
        self._max_bytes = max_response_bytes
        self._max_values = max_response_values
        self._deadline = Deadline()
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._sent = 0
        self._retries = 0
        self._throttled = 0
        self._said_throttling = False
        self._sent_lock = threading.Lock()
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": f"{SCIM_JSON}, application/json",
                "User-Agent": user_agent,
            },
            timeout=httpx.Timeout(timeout),
            verify=_tls(verify),
            transport=transport,
            follow_redirects=False,  # a redirect would carry the token to another address
        )
        if transport is None:
            bind(self._http, self._deadline)
        _warn_if_plain_http(self._base, proxied=_proxied(self._http, self._base))

    # --- public API ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_text

    @property
    def requests_sent(self) -> int:
        with self._sent_lock:
            return self._sent

    @property
    def retries(self) -> int:
        with self._sent_lock:
            return self._retries

    @property
    def throttled(self) -> int:
        with self._sent_lock:
            return self._throttled

    @property
    def rate(self) -> float | None:
        """Requests per second the client keeps to now (configured, or learnt from the
        server's 429s); None: no limit."""
        return self._pace.rate()

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        ctx, answer = self._send("GET", path, params=params)
        return self._object(answer, ctx)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        ctx, answer = self._send("POST", path, body=body)
        return self._object(answer, ctx)

    def put(
        self, path: str, body: Mapping[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        ctx, answer = self._send("PUT", path, body=body, if_match=if_match)
        return self._object(answer, ctx)

    def patch(
        self, path: str, body: Mapping[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any] | None:
        """The patched resource, or None when the server answers 204 / an empty body."""
        ctx, answer = self._send("PATCH", path, body=body, if_match=if_match)
        if answer.status == 204 or not answer.body.strip():
            return None
        return self._object(answer, ctx)

    def delete(self, path: str, *, if_match: str | None = None) -> None:
        self._send("DELETE", path, if_match=if_match)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ScimClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ScimClient({self._base_text!r}, token={REDACTED})"

    # --- one request, with retries ----------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
        if_match: str | None = None,
    ) -> tuple[RequestContext, _Answer]:
        ctx = self._context(method, path, params)
        try:
            request = self._build(ctx, path, params, body, if_match)
        except TRANSLATED as exc:
            self._raise(translate_exception(exc, ctx).error, exc)
        return ctx, self._with_retries(request, ctx)

    def _with_retries(self, request: httpx.Request, ctx: RequestContext) -> _Answer:
        started = self._clock()
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(request, ctx)
            if isinstance(outcome, _Answer):
                return outcome
            if _already_deleted(ctx.method, outcome, maybe_applied):
                log.info("%s: 404 after an earlier attempt may have deleted it", ctx.what)
                return _Answer(204, httpx.Headers(), b"")
            if _own_precondition(request, outcome, maybe_applied):
                self._raise(precondition_after_loss(ctx), None)
            decision = verdict(ctx.method, outcome.resend)
            if decision is Verdict.FAIL:
                self._raise(outcome.error, outcome.cause)
            if decision is Verdict.AMBIGUOUS:
                self._raise(ambiguous_write(outcome, ctx), outcome.cause)
            delay = backoff(self._retry, attempt, outcome.retry_after, self._jitter)
            elapsed = self._clock() - started
            if not may_retry(self._retry, attempt, elapsed, delay):
                self._raise(_gave_up(outcome.error, attempt, elapsed), outcome.cause)
            self._log_retry(ctx, outcome, attempt, delay)
            self._sleep(delay)
            maybe_applied = maybe_applied or outcome.resend is Resend.IF_IDEMPOTENT

    def _attempt(self, request: httpx.Request, ctx: RequestContext) -> _Answer | Failure:
        epoch = self._pace.acquire()
        if self._write_bucket is not None and request.method != "GET":
            self._write_bucket.acquire()
        with self._sent_lock:
            self._sent += 1
        started = self._clock()
        try:
            answer = self._exchange(request)
        except TRANSLATED as exc:
            self._log_sent(ctx, type(exc).__name__, started)
            return translate_exception(exc, ctx)
        self._log_sent(ctx, str(answer.status), started)
        self._pace.answered(accepted=answer.status != 429)
        if answer.status == 429:
            self._slow_down(epoch)
        return self._judge(answer, ctx)

    def _slow_down(self, epoch: int) -> None:
        """Cut the rate after a 429 (see ``AdaptiveRate.throttled``). The first 429 is
        said at WARNING, once for the run; the rest, and each retry, at INFO (-v)."""
        rate = self._pace.throttled(epoch)
        with self._sent_lock:
            first, self._said_throttling = not self._said_throttling, True
        if first:
            now = f" (now {rate:.1f} requests a second)" if rate is not None else ""
            log.warning(
                "the server is throttling (429 Too Many Requests): slowing down to the rate "
                "it allows%s, learnt as the run goes; -v shows each retry, --rate N starts "
                "slower",
                now,
            )
        elif rate is not None:
            log.info("429 Too Many Requests: slowing down to %.1f requests a second", rate)

    def _exchange(self, request: httpx.Request) -> _Answer:
        """One attempt, connect to last byte within ``timeout`` in all (see ``deadline``)."""
        with self._deadline.within(self._timeout):
            response = self._http.send(request, stream=True)
            try:
                deadline = self._clock() + self._timeout
                body = _read_capped(response, self._max_bytes, lambda: self._clock() > deadline)
            finally:
                response.close()
        if body is None:
            return _Answer(response.status_code, response.headers, b"", too_large=True)
        return _Answer(response.status_code, response.headers, body)

    def _judge(self, answer: _Answer, ctx: RequestContext) -> _Answer | Failure:
        if answer.too_large:
            return too_large(answer.status, self._max_bytes, ctx)
        if 200 <= answer.status < 300:
            return answer
        return failure_for_status(answer.status, answer.headers, answer.body, ctx, time.time())

    # --- building requests ------------------------------------------------------------

    def _context(
        self, method: str, path: str, params: Mapping[str, str | int] | None
    ) -> RequestContext:
        query = "&".join(f"{key}={value}" for key, value in (params or {}).items())
        target = clean_text(f"{path}?{query}" if query else path, TARGET_LIMIT, self._secrets)
        return RequestContext(
            method, target, self._base_text, self._timeout, self._secrets, self._max_values
        )

    def _build(
        self,
        ctx: RequestContext,
        path: str,
        params: Mapping[str, str | int] | None,
        body: Mapping[str, Any] | None,
        if_match: str | None,
    ) -> httpx.Request:
        headers = {"If-Match": if_match} if if_match is not None else {}
        content = None
        if body is not None:
            headers["Content-Type"] = SCIM_JSON
            content = json.dumps(dict(body), ensure_ascii=False, separators=(",", ":")).encode()
        url = self._url(path, ctx)
        return self._http.build_request(
            ctx.method, url, params=params, headers=headers, content=content
        )

    def _url(self, path: str, ctx: RequestContext) -> httpx.URL:
        url = httpx.URL(f"{self._base_text}/{path.lstrip('/')}")
        if not _is_under(url, self._base) or not _is_resource_path(path):
            raise self._scrubbed(
                ProtocolError(
                    f"refusing {ctx.what}: a path must stay under SCIM_URL, name an endpoint "
                    "and at most one id, and hold no query or fragment (pass queries as "
                    "params; build paths with resource_path)"
                )
            )
        return url

    # --- errors and logs --------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def _scrubbed(self, error: ScimError) -> ScimError:
        error.args = tuple(self._scrub(a) if isinstance(a, str) else a for a in error.args)
        if isinstance(error, ServerError):
            error.detail = error.detail and self._scrub(error.detail)
            error.scim_type = error.scim_type and self._scrub(error.scim_type)
        return error

    def _raise(self, error: ScimError, cause: BaseException | None) -> NoReturn:
        """Raise ``error`` scrubbed of the token, chained to ``cause`` unless that mentions it."""
        if cause is not None and self._mentions_token(cause):
            cause = None
        raise self._scrubbed(error) from cause

    def _mentions_token(self, exc: BaseException) -> bool:
        seen: BaseException | None = exc
        for _ in range(10):  # cause chains are short; the bound guards against cycles
            if seen is None:
                return False
            for text in (str(seen), repr(seen)):
                if self._scrub(text) != text:
                    return True
            seen = seen.__cause__ or seen.__context__
        return True  # too deep to be sure: do not chain it

    def _log_sent(self, ctx: RequestContext, outcome: str, started: float) -> None:
        millis = (self._clock() - started) * 1000
        log.info("%s -> %s (%d ms)", ctx.what, outcome, millis)

    def _log_retry(self, ctx: RequestContext, failure: Failure, attempt: int, delay: float) -> None:
        with self._sent_lock:
            self._retries += 1
            self._throttled += failure.status == 429
        log.log(
            logging.INFO if failure.status == 429 else logging.WARNING,
            "retrying %s in %.2f s (attempt %d of %d): %s",
            ctx.what,
            delay,
            attempt + 1,
            self._retry.max_attempts,
            self._scrub(failure.reason),
        )

    def _object(self, answer: _Answer, ctx: RequestContext) -> dict[str, Any]:
        try:
            return scim_object(answer.status, answer.headers.get("content-type"), answer.body, ctx)
        except ProtocolError as exc:
            raise self._scrubbed(exc) from None


# --- construction helpers ---------------------------------------------------------------


def _base_url(text: str) -> httpx.URL:
    example = "e.g. https://scim.example.com/scim/v2"
    try:
        url = httpx.URL(text.strip())
    except httpx.InvalidURL:
        # The value is not echoed: a mixed-up SCIM_URL could be the token itself.
        raise InputError(f"SCIM_URL is not a valid URL ({example})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InputError(f"SCIM_URL must start with https:// and name a host ({example})")
    if url.userinfo:
        raise InputError(
            "SCIM_URL must not hold a user name or password; the token goes in SCIM_TOKEN"
        )
    if url.query or url.fragment:
        raise InputError(f"SCIM_URL must not have a query or fragment ({example})")
    return url


def _checked_token(token: str) -> str:
    where = "check SCIM_TOKEN (or the target's token_env)"
    stripped = token.strip()
    if not stripped:
        raise InputError(f"the SCIM token is empty; {where}")
    if not all("!" <= c <= "~" for c in stripped):
        raise InputError(f"the SCIM token holds spaces, control or non-ASCII characters; {where}")
    return stripped


def _bucket(
    rate: float | None, clock: Callable[[], float], sleep: Callable[[float], None]
) -> TokenBucket | None:
    if rate is None:
        return None
    try:
        return TokenBucket(rate, clock=clock, sleep=sleep)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _adaptive(
    rate: float | None, clock: Callable[[], float], sleep: Callable[[float], None]
) -> AdaptiveRate:
    try:
        return AdaptiveRate(rate, clock=clock, sleep=sleep)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _tls(verify: bool | str) -> bool | ssl.SSLContext:
    if isinstance(verify, bool):
        return verify
    try:
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        reason = clean_text(str(exc), 200)
        raise InputError(f"cannot use the CA bundle {verify}: {reason}") from None


def _warn_if_plain_http(url: httpx.URL, *, proxied: bool) -> None:
    """Plain http to another machine carries the token in clear text; so does plain http
    to this one when a proxy (HTTP_PROXY, ALL_PROXY) carries it there."""
    if url.scheme != "http":
        return
    if proxied:
        log.warning(
            "SCIM_URL uses plain http to %s through the proxy that HTTP_PROXY or ALL_PROXY "
            "names: the token travels unencrypted to the proxy and on from it. Use https://, "
            "or put %s in NO_PROXY",
            url.host,
            url.host,
        )
    elif not _is_loopback(url.host):
        log.warning("SCIM_URL uses plain http to %s: the token travels unencrypted", url.host)


def _proxied(http: httpx.Client, url: httpx.URL) -> bool:
    """Whether httpx sends the requests for ``url`` through a proxy from the environment
    (HTTP_PROXY, ALL_PROXY, less NO_PROXY): httpx is asked, so its own rules apply."""
    route = getattr(http, "_transport_for_url", None)
    default = getattr(http, "_transport", None)
    if route is None or default is None:  # an httpx without them: assume the worst
        names = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
        return any(os.environ.get(name) for name in names)
    return route(url) is not default


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- request helpers ----------------------------------------------------------------------


def _is_under(url: httpx.URL, base: httpx.URL) -> bool:
    prefix = base.path.rstrip("/")
    return (
        (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        and (url.path == prefix or url.path.startswith(prefix + "/"))
        and not url.query
        and not url.fragment
    )


def _is_resource_path(path: str) -> bool:
    """``/Endpoint`` or ``/Endpoint/<one segment>``: what every SCIM request names, and
    all ``resource_path`` builds (a second line of defence: a path built another way
    with an unencoded id holding ``/`` is refused here)."""
    segments = path.strip("/").split("/")
    return len(segments) <= 2 and all(s not in ("", ".", "..") for s in segments)


def _read_capped(
    response: httpx.Response, limit: int, late: Callable[[], bool] = lambda: False
) -> bytes | None:
    """The whole body, or None as soon as it proves larger than ``limit`` bytes.

    httpx's read timeout bounds each read, not the body: a server that sends a byte
    now and then would hold the client for ever. ``late()`` turning true while the
    body is still coming is a read timeout too.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        if late():
            raise httpx.ReadTimeout(
                "the body kept coming past the timeout", request=response.request
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _gave_up(error: ScimError, attempts: int, elapsed: float) -> ScimError:
    if attempts > 1:
        message = f"{error.args[0]} (gave up after {attempts} attempts over {elapsed:.1f} s)"
        error.args = (message, *error.args[1:])
    return error


def _already_deleted(method: str, failure: Failure, maybe_applied: bool) -> bool:
    """A DELETE resent after an attempt that may have worked, now answered 404: it did."""
    return method == "DELETE" and maybe_applied and failure.status == 404


def _own_precondition(request: httpx.Request, failure: Failure, maybe_applied: bool) -> bool:
    """A conditional write resent after an attempt that may have worked, now answered 412:
    the change the If-Match guarded against may be our own earlier attempt."""
    return maybe_applied and failure.status == 412 and "if-match" in request.headers
