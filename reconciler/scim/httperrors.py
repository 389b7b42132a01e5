"""The one place where HTTP failures become the project's errors.

Two translations live here, each complete:

* ``translate_exception``: every exception httpx can raise while sending a
  request, looked up by class in ``EXCEPTION_TRANSLATORS``. The classes httpx
  exports but that a request cannot raise (misuse of a stream, cookies,
  ``raise_for_status``) are listed in ``NOT_RAISED_BY_REQUESTS``; a test checks
  that the two sets together cover every exception class in httpx.
* ``failure_for_status``: every status that is not a success (3xx, 4xx, 5xx).

Each returns a ``Failure``: the error to raise, plus how safe it is to send the
request again, which the retry loop decides on. Messages say what failed and what
to do; they never contain request headers, and every piece of server text in them
(a detail, a Location, an excerpt, an exception's text) goes through ``clean_text``,
which redacts the token and its fragments before it cuts (``redaction.tidy``).
"""

from __future__ import annotations

import html
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.errors import (
    AmbiguousWriteError,
    AuthError,
    ProtocolError,
    ScimError,
    ServerError,
    TransportError,
)
from reconciler.scim.jsonbody import MAX_VALUES, TooManyValues, decode_json
from reconciler.scim.redaction import NO_SECRETS, REDACTED, Secrets, tidy
from reconciler.scim.retry import Resend, parse_retry_after

DETAIL_LIMIT = 500
EXCERPT_LIMIT = 200
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RequestContext:
    """What a message needs to say about the request that failed."""

    method: str
    target: str  # path relative to the base, with its query: "/Users?count=100"
    base_url: str  # shown to users; never holds credentials
    timeout: float
    secrets: Secrets = field(default=NO_SECRETS, repr=False)
    max_values: int | None = MAX_VALUES  # JSON values a body may hold (see jsonbody)

    @property
    def what(self) -> str:
        return f"{self.method} {self.target}"


@dataclass(frozen=True)
class Failure:
    """One failed attempt: the error to raise if it is the last one."""

    error: ScimError
    resend: Resend
    reason: str  # short, for retry logs: "503 Service Unavailable", "ReadTimeout: ..."
    status: int | None = None
    retry_after: float | None = None
    cause: BaseException | None = None


# --- exceptions --------------------------------------------------------------------

Translator = Callable[[Exception, RequestContext], Failure]


def _seconds(value: float) -> str:
    return f"{value:g}"


def _reason(exc: Exception, ctx: RequestContext) -> str:
    # An exception's text may quote what the server sent (a garbled status line).
    return clean_text(str(exc), EXCERPT_LIMIT, ctx.secrets) or type(exc).__name__


def _failure(exc: Exception, error: ScimError, resend: Resend, ctx: RequestContext) -> Failure:
    name = type(exc).__name__
    text = clean_text(str(exc), EXCERPT_LIMIT, ctx.secrets)
    reason = f"{name}: {text}" if text else name
    return Failure(error=error, resend=resend, reason=reason, cause=exc)


def is_tls_failure(exc: BaseException) -> bool:
    """Whether a connect error came from TLS (certificate, hostname, handshake)."""
    seen: BaseException | None = exc
    for _ in range(10):  # the cause chain is short; the bound guards against cycles
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text


def name_error(exc: BaseException) -> socket.gaierror | None:
    """The failed name look-up (``getaddrinfo``) behind a connect error, if it was one."""
    seen: BaseException | None = exc
    for _ in range(10):  # the cause chain is short; the bound guards against cycles
        if seen is None:
            break
        if isinstance(seen, socket.gaierror):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _unresolved(exc: Exception, lookup: socket.gaierror, ctx: RequestContext) -> Failure:
    """A host name that does not resolve fails at once: asking again gets the same answer.
    Only a temporary failure of the resolver itself (EAI_AGAIN) is worth another try."""
    host = httpx.URL(ctx.base_url).host
    why = clean_text(lookup.strerror or str(lookup), EXCERPT_LIMIT, ctx.secrets)
    message = f"cannot connect to {ctx.base_url}: the host name {host!r} does not resolve ({why})"
    if lookup.errno == socket.EAI_AGAIN:
        message += ". Is the network (DNS) up, and is SCIM_URL right?"
        return _failure(exc, TransportError(message), Resend.SAFE, ctx)
    message += ". Is SCIM_URL right?"
    return _failure(exc, TransportError(message), Resend.NEVER, ctx)


def _connect_error(exc: Exception, ctx: RequestContext) -> Failure:
    if (lookup := name_error(exc)) is not None:
        return _unresolved(exc, lookup, ctx)
    if is_tls_failure(exc):
        message = (
            f"TLS with {ctx.base_url} failed: {_reason(exc, ctx)}. If the server uses a private "
            "CA, pass its certificate with --ca-bundle"
        )
        return _failure(exc, TransportError(message), Resend.NEVER, ctx)
    message = (
        f"cannot connect to {ctx.base_url}: {_reason(exc, ctx)}. "
        "Is the server running and is SCIM_URL right?"
    )
    return _failure(exc, TransportError(message), Resend.SAFE, ctx)


def _connect_timeout(exc: Exception, ctx: RequestContext) -> Failure:
    message = (
        f"cannot connect to {ctx.base_url}: no connection within {_seconds(ctx.timeout)} s. "
        "Is the server running and is SCIM_URL right?"
    )
    return _failure(exc, TransportError(message), Resend.SAFE, ctx)


def _read_timeout(exc: Exception, ctx: RequestContext) -> Failure:
    message = f"{ctx.what}: {ctx.base_url} did not answer within {_seconds(ctx.timeout)} s"
    return _failure(exc, TransportError(message), Resend.IF_IDEMPOTENT, ctx)


def _write_timeout(exc: Exception, ctx: RequestContext) -> Failure:
    message = (
        f"{ctx.what}: could not send the request to {ctx.base_url} within {_seconds(ctx.timeout)} s"
    )
    return _failure(exc, TransportError(message), Resend.IF_IDEMPOTENT, ctx)


def _pool_timeout(exc: Exception, ctx: RequestContext) -> Failure:
    message = (
        f"{ctx.what}: no free connection to {ctx.base_url} within {_seconds(ctx.timeout)} s "
        "(too many requests in parallel)"
    )
    return _failure(exc, TransportError(message), Resend.SAFE, ctx)


def _transport(text: str, resend: Resend) -> Translator:
    """A translator to TransportError whose message is ``text`` formatted with
    ``what``, ``base`` and ``reason``."""

    def translate(exc: Exception, ctx: RequestContext) -> Failure:
        message = text.format(what=ctx.what, base=ctx.base_url, reason=_reason(exc, ctx))
        return _failure(exc, TransportError(message), resend, ctx)

    return translate


def _protocol(text: str) -> Translator:
    def translate(exc: Exception, ctx: RequestContext) -> Failure:
        message = text.format(what=ctx.what, base=ctx.base_url, reason=_reason(exc, ctx))
        return _failure(exc, ProtocolError(message), Resend.NEVER, ctx)

    return translate


def _unsupported_protocol(exc: Exception, ctx: RequestContext) -> Failure:
    message = (
        f"cannot use SCIM_URL {ctx.base_url}: {_reason(exc, ctx)}. "
        "It must start with https:// (or http://)"
    )
    return _failure(exc, TransportError(message), Resend.NEVER, ctx)


EXCEPTION_TRANSLATORS: dict[type[Exception], Translator] = {
    httpx.ConnectError: _connect_error,
    httpx.ConnectTimeout: _connect_timeout,
    httpx.ReadTimeout: _read_timeout,
    httpx.WriteTimeout: _write_timeout,
    httpx.PoolTimeout: _pool_timeout,
    httpx.TimeoutException: _read_timeout,
    httpx.ReadError: _transport(
        "{what}: the connection to {base} broke while reading the answer: {reason}",
        Resend.IF_IDEMPOTENT,
    ),
    httpx.WriteError: _transport(
        "{what}: the connection to {base} broke while sending the request: {reason}",
        Resend.IF_IDEMPOTENT,
    ),
    httpx.CloseError: _transport(
        "{what}: the connection to {base} failed while closing: {reason}",
        Resend.IF_IDEMPOTENT,
    ),
    httpx.NetworkError: _transport(
        "{what}: network error talking to {base}: {reason}", Resend.IF_IDEMPOTENT
    ),
    httpx.RemoteProtocolError: _transport(
        "{what}: {base} broke off or garbled its answer: {reason}", Resend.IF_IDEMPOTENT
    ),
    httpx.LocalProtocolError: _transport(
        "{what}: could not send a valid HTTP request: {reason}", Resend.NEVER
    ),
    httpx.ProtocolError: _transport(
        "{what}: HTTP protocol error talking to {base}: {reason}", Resend.IF_IDEMPOTENT
    ),
    httpx.ProxyError: _transport(
        "{what}: the proxy failed: {reason}. Check HTTPS_PROXY, HTTP_PROXY and NO_PROXY",
        Resend.SAFE,
    ),
    httpx.UnsupportedProtocol: _unsupported_protocol,
    httpx.TransportError: _transport(
        "{what}: transport error talking to {base}: {reason}", Resend.IF_IDEMPOTENT
    ),
    httpx.DecodingError: _protocol("{what}: the answer from {base} could not be decoded: {reason}"),
    httpx.TooManyRedirects: _protocol(
        "{what}: too many redirects ({reason}); set SCIM_URL to the final address"
    ),
    httpx.RequestError: _transport("{what}: the request to {base} failed: {reason}", Resend.NEVER),
    httpx.InvalidURL: _transport(
        "{what}: invalid URL under {base}: {reason}. Check SCIM_URL", Resend.NEVER
    ),
}

# Exported by httpx but not raised by sending a request: misuse of a response stream,
# of cookies, or raise_for_status (which the client never calls). Left to propagate as
# the programming errors they would be.
NOT_RAISED_BY_REQUESTS: frozenset[type[Exception]] = frozenset(
    {
        httpx.HTTPError,
        httpx.HTTPStatusError,
        httpx.CookieConflict,
        httpx.StreamError,
        httpx.StreamConsumed,
        httpx.StreamClosed,
        httpx.ResponseNotRead,
        httpx.RequestNotRead,
    }
)

TRANSLATED = tuple(EXCEPTION_TRANSLATORS)


def translate_exception(exc: Exception, ctx: RequestContext) -> Failure:
    """Turn an exception from httpx into a Failure, by its most specific class."""
    for cls in type(exc).__mro__:
        translator = EXCEPTION_TRANSLATORS.get(cls)
        if translator is not None:
            return translator(exc, ctx)
    raise TypeError(f"not an exception from sending a request: {type(exc).__name__}") from exc


# --- statuses ----------------------------------------------------------------------


def phrase(status: int) -> str:
    return f"{status} {httpx.codes.get_reason_phrase(status)}".rstrip()


def failure_for_status(
    status: int, headers: httpx.Headers, body: bytes, ctx: RequestContext, now: float
) -> Failure:
    """Translate a non-success answer; ``now`` is wall-clock time for Retry-After dates."""
    retry_after = parse_retry_after(headers.get("retry-after"), now)
    scim_type, detail = error_details(body, headers.get("content-type"), ctx)
    error = _status_error(status, headers, ctx, scim_type, detail)
    reason = phrase(status) + (
        f", Retry-After {headers['retry-after']}" if retry_after is not None else ""
    )
    return Failure(
        error=error,
        resend=_resend_for_status(status, retry_after),
        reason=clean_text(reason, EXCERPT_LIMIT, ctx.secrets),
        status=status,
        retry_after=retry_after,
    )


def _resend_for_status(status: int, retry_after: float | None) -> Resend:
    # 429, and 503 with Retry-After, say "not now": the request was turned away unread.
    if status == 429 or (status == 503 and retry_after is not None):
        return Resend.SAFE
    if status in RETRYABLE_STATUSES:
        return Resend.IF_IDEMPOTENT
    return Resend.NEVER


def _status_error(
    status: int,
    headers: httpx.Headers,
    ctx: RequestContext,
    scim_type: str | None,
    detail: str | None,
) -> ScimError:
    if 300 <= status < 400:
        return _redirected(status, headers.get("location"), ctx)
    if status == 401:
        return AuthError(
            "the server refused the token (401). Check SCIM_TOKEN / the target's token_env; "
            "tokens expire and AWS keeps at most two. AWS also answers 401 when the URL's "
            "tenant ID is wrong: check the URL too"
        )
    if status == 403:
        return AuthError(
            f"the token lacks the rights for {ctx.what} (403 Forbidden){_suffix(detail)}. "
            "Check what the token is allowed to do on the SCIM server"
        )
    message = _server_message(status, ctx, scim_type, detail)
    return ServerError(message, status=status, scim_type=scim_type, detail=detail)


def _server_message(
    status: int, ctx: RequestContext, scim_type: str | None, detail: str | None
) -> str:
    if status == 404 and _is_top_level(ctx.target):
        return (
            f"404 Not Found for {ctx.what} — if this is the first request, the SCIM_URL path "
            "is probably wrong (it must end at the SCIM base, e.g. .../scim/v2)"
            f"{_suffix(detail)}"
        )
    kind = f" (scimType {scim_type})" if scim_type else ""
    return f"{ctx.what} failed: {phrase(status)}{kind}{_suffix(detail)}"


def _is_top_level(target: str) -> bool:
    """A listing or discovery path right under the base (/Users, /Schemas), not /Users/id."""
    path = target.split("?", 1)[0]
    return path.strip("/").count("/") == 0


def _suffix(detail: str | None) -> str:
    return f": {detail}" if detail else ""


def _redirected(status: int, location: str | None, ctx: RequestContext) -> ProtocolError:
    if not location:
        return ProtocolError(
            f"{ctx.what} was redirected ({status}) without a Location; "
            "set SCIM_URL to the final address"
        )
    where = clean_text(location, EXCERPT_LIMIT, ctx.secrets)
    return ProtocolError(
        f"{ctx.what} was redirected ({status}) to {where}; set SCIM_URL to the final address"
    )


# --- bodies ------------------------------------------------------------------------


def error_details(
    body: bytes, content_type: str | None, ctx: RequestContext | None = None
) -> tuple[str | None, str | None]:
    """``(scimType, detail)`` from an RFC 7644 §3.12 error body, or an excerpt of any other."""
    secrets = ctx.secrets if ctx is not None else NO_SECRETS
    if not body.strip():
        return None, None
    document = parse_json(body, ctx.max_values if ctx is not None else MAX_VALUES)
    if isinstance(document, dict):
        scim_type = _string(document.get("scimType"))
        return scim_type and clean_text(scim_type, 100, secrets), _json_detail(document, secrets)
    return None, excerpt(body, content_type, secrets)


def _json_detail(document: dict[str, Any], secrets: Secrets) -> str | None:
    detail = _string(document.get("detail")) or _string(document.get("message"))
    errors = document.get("Errors")  # SCIM 1.1 servers still answer this way
    if detail is None and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        detail = _string(errors[0].get("description"))
    return clean_text(detail, DETAIL_LIMIT, secrets) if detail else None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_UNPARSED = object()


def parse_json(body: bytes, max_values: int | None = MAX_VALUES) -> Any:
    """The decoded JSON document (see ``jsonbody``), or ``_UNPARSED`` when the body is
    not JSON or too big to parse."""
    try:
        return decode_json(body, max_values)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return _UNPARSED


def is_unparsed(document: object) -> bool:
    return document is _UNPARSED


_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
EXCERPT_BYTES = 64 * 1024
"""Of a body that is not JSON, only the start is looked at for an excerpt."""


def excerpt(body: bytes, content_type: str | None, secrets: Secrets = NO_SECRETS) -> str | None:
    """A short, printable excerpt of a body that is not JSON (an HTML error page...)."""
    for form in secrets.forms:  # the token is ASCII; redact it before the cut below
        body = body.replace(form.encode(), REDACTED.encode())
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    if "html" in (content_type or "").lower() or text.lstrip().startswith("<"):
        text = html.unescape(_TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", text)))
    return clean_text(text, EXCERPT_LIMIT, secrets) or None


def clean_text(text: str, limit: int, secrets: Secrets = NO_SECRETS) -> str:
    """Server text as one printable line of at most ``limit`` characters, with the token
    and any fragment of it redacted before it is cut (``redaction.tidy``)."""
    return tidy(text, limit, secrets)


def media_type(content_type: str | None) -> str:
    if not content_type:
        return "no Content-Type"
    return clean_text(content_type.split(";", 1)[0], 100) or "no Content-Type"


# --- answers that are not usable -----------------------------------------------------


def scim_object(
    status: int, content_type: str | None, body: bytes, ctx: RequestContext
) -> dict[str, Any]:
    """The JSON object of a success answer, or a ProtocolError saying what came instead."""
    if not body.strip():
        raise _unusable(status, "the body is empty", ctx)
    try:
        document = decode_json(body, ctx.max_values)
    except TooManyValues as exc:
        raise ProtocolError(
            f"{ctx.what} answered {status} with a body of {exc}; refusing to parse it "
            "(it could take gigabytes of memory)"
        ) from None
    except (ValueError, RecursionError):
        raise _unusable(status, f"the body is not JSON ({media_type(content_type)})", ctx) from None
    if isinstance(document, dict):
        return document
    raise _unusable(status, f"the body is JSON {_json_kind(document)}, not an object", ctx)


def _json_kind(document: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(document), "a number")


def _unusable(status: int, why: str, ctx: RequestContext) -> ProtocolError:
    return ProtocolError(
        f"{ctx.what} answered {status} but {why} — is SCIM_URL pointing at a SCIM server?"
    )


def too_large(status: int, limit: int, ctx: RequestContext) -> Failure:
    error = ProtocolError(
        f"{ctx.what} answered {status} with a body larger than {limit} bytes; "
        "refusing to read it (max_response_bytes)"
    )
    return Failure(error=error, resend=Resend.NEVER, reason="body too large", status=status)


def ambiguous_write(failure: Failure, ctx: RequestContext) -> AmbiguousWriteError:
    return AmbiguousWriteError(
        f"{ctx.what} may or may not have been applied ({failure.reason}); it was not sent "
        "again. Look the resource up by its key before trying again"
    )


def precondition_after_loss(ctx: RequestContext) -> AmbiguousWriteError:
    return AmbiguousWriteError(
        f"{ctx.what}: an earlier attempt got no answer and the retry met 412 Precondition "
        "Failed: the resource changed since the plan, perhaps by that earlier attempt. "
        "Look the resource up before trying again"
    )
