"""The translation of HTTP failures into the project's errors: complete, and worded to help."""

from __future__ import annotations

import inspect
import ssl
from collections.abc import Callable

import httpx
import pytest
from httpfakes import BASE, Script, answer, fail

from reconciler.errors import (
    AuthError,
    ProtocolError,
    ScimError,
    ServerError,
    TransportError,
)
from reconciler.scim.client import ScimClient
from reconciler.scim.httperrors import (
    EXCEPTION_TRANSLATORS,
    NOT_RAISED_BY_REQUESTS,
    RequestContext,
    clean_text,
    error_details,
    excerpt,
    translate_exception,
)
from reconciler.scim.retry import Resend, RetryPolicy

MakeClient = Callable[..., ScimClient]
CTX = RequestContext("GET", "/Users", BASE, 30.0)
ONCE = RetryPolicy(max_attempts=1)

SAFE, MAYBE, NEVER = Resend.SAFE, Resend.IF_IDEMPOTENT, Resend.NEVER
EXPECTED: dict[type[Exception], tuple[type[ScimError], Resend]] = {
    httpx.ConnectError: (TransportError, SAFE),
    httpx.ConnectTimeout: (TransportError, SAFE),
    httpx.PoolTimeout: (TransportError, SAFE),
    httpx.ProxyError: (TransportError, SAFE),
    httpx.ReadTimeout: (TransportError, MAYBE),
    httpx.WriteTimeout: (TransportError, MAYBE),
    httpx.TimeoutException: (TransportError, MAYBE),
    httpx.ReadError: (TransportError, MAYBE),
    httpx.WriteError: (TransportError, MAYBE),
    httpx.CloseError: (TransportError, MAYBE),
    httpx.NetworkError: (TransportError, MAYBE),
    httpx.RemoteProtocolError: (TransportError, MAYBE),
    httpx.ProtocolError: (TransportError, MAYBE),
    httpx.TransportError: (TransportError, MAYBE),
    httpx.LocalProtocolError: (TransportError, NEVER),
    httpx.UnsupportedProtocol: (TransportError, NEVER),
    httpx.RequestError: (TransportError, NEVER),
    httpx.InvalidURL: (TransportError, NEVER),
    httpx.DecodingError: (ProtocolError, NEVER),
    httpx.TooManyRedirects: (ProtocolError, NEVER),
}


def _httpx_exceptions() -> set[type[BaseException]]:
    return {
        cls
        for _, cls in inspect.getmembers(httpx, inspect.isclass)
        if issubclass(cls, BaseException)
    }


def _instance(cls: type[Exception], message: str = "boom") -> Exception:
    return cls(message)


# --- completeness ------------------------------------------------------------------------


def test_every_httpx_exception_is_translated_or_known_not_to_arise() -> None:
    translated, not_raised = set(EXCEPTION_TRANSLATORS), set(NOT_RAISED_BY_REQUESTS)
    assert translated.isdisjoint(not_raised)
    assert _httpx_exceptions() == translated | not_raised


def test_the_expectations_below_cover_every_translator() -> None:
    assert set(EXPECTED) == set(EXCEPTION_TRANSLATORS)


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_each_exception_becomes_the_expected_error(cls: type[Exception]) -> None:
    error_type, resend = EXPECTED[cls]
    failure = translate_exception(_instance(cls), CTX)
    assert type(failure.error) is error_type
    assert failure.resend is resend
    assert failure.reason == f"{cls.__name__}: boom"
    assert BASE in str(failure.error) or "/Users" in str(failure.error)


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_each_exception_from_the_transport_reaches_the_caller_translated(
    make_client: MakeClient, cls: type[Exception]
) -> None:
    with pytest.raises(EXPECTED[cls][0]) as caught:
        make_client(Script(fail(cls))).get("/Users")
    assert isinstance(caught.value.__cause__, cls)


def test_an_unknown_subclass_falls_back_to_its_nearest_translated_base() -> None:
    class NewTimeout(httpx.ReadTimeout):
        pass

    failure = translate_exception(NewTimeout("late"), CTX)
    assert str(failure.error) == f"GET /Users: {BASE} did not answer within 30 s"


def test_something_that_is_not_from_httpx_is_a_bug_not_a_translation() -> None:
    with pytest.raises(TypeError):
        translate_exception(ValueError("x"), CTX)


# --- messages for exceptions ----------------------------------------------------------------


def test_connect_error_message() -> None:
    error = translate_exception(httpx.ConnectError("[Errno 111] Connection refused"), CTX).error
    assert str(error) == (
        f"cannot connect to {BASE}: [Errno 111] Connection refused. "
        "Is the server running and is SCIM_URL right?"
    )


def _tls_error() -> httpx.ConnectError:
    reason = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    try:
        raise ssl.SSLCertVerificationError(1, reason)
    except ssl.SSLError as cause:
        try:
            raise httpx.ConnectError(reason) from cause
        except httpx.ConnectError as exc:
            return exc


def test_a_certificate_failure_hints_at_ca_bundle_and_is_not_retried(
    make_client: MakeClient,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise _tls_error()

    script = Script(handler)
    with pytest.raises(TransportError) as caught:
        make_client(script).get("/Users")
    assert str(caught.value) == (
        f"TLS with {BASE} failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "self-signed certificate. If the server uses a private CA, pass its certificate with "
        "--ca-bundle"
    )
    assert len(script.requests) == 1


def test_a_tls_failure_is_recognised_by_its_text_alone() -> None:
    failure = translate_exception(httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong"), CTX)
    assert "--ca-bundle" in str(failure.error)
    assert failure.resend is NEVER


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (
            httpx.ConnectTimeout,
            f"cannot connect to {BASE}: no connection within 30 s. "
            "Is the server running and is SCIM_URL right?",
        ),
        (httpx.ReadTimeout, f"GET /Users: {BASE} did not answer within 30 s"),
        (httpx.WriteTimeout, f"GET /Users: could not send the request to {BASE} within 30 s"),
        (
            httpx.PoolTimeout,
            f"GET /Users: no free connection to {BASE} within 30 s (too many requests in parallel)",
        ),
    ],
)
def test_timeout_messages_say_how_long(cls: type[Exception], message: str) -> None:
    assert str(translate_exception(cls("timed out"), CTX).error) == message


def test_the_timeout_in_messages_is_the_clients(make_client: MakeClient) -> None:
    client = make_client(Script(fail(httpx.ReadTimeout)), timeout=2.5, retry=ONCE)
    with pytest.raises(TransportError, match=r"did not answer within 2\.5 s$"):
        client.get("/Users")


def test_a_broken_off_body_is_a_transport_error() -> None:
    exc = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    assert str(translate_exception(exc, CTX).error) == (
        f"GET /Users: {BASE} broke off or garbled its answer: "
        "peer closed connection without sending complete message body"
    )


def test_an_exception_without_text_is_named_by_its_class() -> None:
    failure = translate_exception(httpx.ReadError(""), CTX)
    assert failure.reason == "ReadError"
    assert str(failure.error).endswith("while reading the answer: ReadError")


# --- statuses ------------------------------------------------------------------------------


def test_401_says_to_check_the_token(make_client: MakeClient) -> None:
    script = Script(answer(401, json={"detail": "expired"}))
    with pytest.raises(AuthError) as caught:
        make_client(script).get("/Users")
    assert str(caught.value) == (
        "the server refused the token (401). Check SCIM_TOKEN / the target's token_env; "
        "tokens expire and AWS keeps at most two. AWS also answers 401 when the URL's "
        "tenant ID is wrong: check the URL too"
    )
    assert len(script.requests) == 1


def test_403_is_about_rights(make_client: MakeClient) -> None:
    script = Script(answer(403, json={"status": "403", "detail": "read-only token"}))
    with pytest.raises(AuthError) as caught:
        make_client(script).delete("/Users/abc")
    assert str(caught.value) == (
        "the token lacks the rights for DELETE /Users/abc (403 Forbidden): read-only token. "
        "Check what the token is allowed to do on the SCIM server"
    )


@pytest.mark.parametrize("path", ["/Users", "/ServiceProviderConfig", "/Users/"])
def test_404_on_a_listing_suggests_the_base_url_is_wrong(
    make_client: MakeClient, path: str
) -> None:
    with pytest.raises(ServerError) as caught:
        make_client(Script(answer(404, text="Not Found"))).get(path)
    assert str(caught.value) == (
        f"404 Not Found for GET {path} — if this is the first request, the SCIM_URL path is "
        "probably wrong (it must end at the SCIM base, e.g. .../scim/v2): Not Found"
    )
    assert caught.value.status == 404


def test_404_on_one_resource_is_a_plain_server_error(make_client: MakeClient) -> None:
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404",
            "detail": "Resource abc not found"}  # fmt: skip
    with pytest.raises(ServerError) as caught:
        make_client(Script(answer(404, json=body))).get("/Users/abc")
    assert str(caught.value) == "GET /Users/abc failed: 404 Not Found: Resource abc not found"
    assert (caught.value.status, caught.value.detail) == (404, "Resource abc not found")


def test_a_scim_error_body_gives_scim_type_and_detail(make_client: MakeClient) -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "User already exists",
    }
    script = Script(answer(409, json=body))
    with pytest.raises(ServerError) as caught:
        make_client(script).post("/Users", {"userName": "ada"})
    error = caught.value
    assert (
        str(error) == "POST /Users failed: 409 Conflict (scimType uniqueness): User already exists"
    )
    assert (error.status, error.scim_type, error.detail) == (
        409,
        "uniqueness",
        "User already exists",
    )
    assert len(script.requests) == 1


def test_an_html_error_page_is_shown_as_a_short_clean_excerpt(make_client: MakeClient) -> None:
    page = (
        "<html><head><title>400 Bad Request</title><style>body{color:red}</style></head>"
        "<body><h1>Bad\x1b[31m Request</h1>" + "<p>more &amp; more</p>" * 100 + "</body></html>"
    )
    script = Script(answer(400, text=page, headers={"Content-Type": "text/html"}))
    with pytest.raises(ServerError) as caught:
        make_client(script).get("/Users")
    detail = caught.value.detail
    assert detail is not None
    assert detail.startswith("400 Bad Request Bad [31m Request more & more more & more")
    assert len(detail) == 200 and detail.endswith("…")
    assert str(caught.value) == f"GET /Users failed: 400 Bad Request: {detail}"


def test_an_error_without_a_body_has_no_detail(make_client: MakeClient) -> None:
    with pytest.raises(ServerError) as caught:
        make_client(Script(answer(418)), retry=ONCE).get("/Users/x")
    assert str(caught.value) == "GET /Users/x failed: 418 I'm a teapot"
    assert caught.value.detail is None and caught.value.scim_type is None


def test_an_unknown_status_still_reads_well(make_client: MakeClient) -> None:
    with pytest.raises(ServerError, match=r"^GET /Users/x failed: 599$"):
        make_client(Script(answer(599))).get("/Users/x")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"status": 400, "scimType": "invalidFilter", "detail": "bad"}',
            ("invalidFilter", "bad"),
        ),
        (b'{"message": "Throttled"}', (None, "Throttled")),
        (b'{"Errors": [{"description": "old style", "code": "400"}]}', (None, "old style")),
        (b'{"detail": 42, "scimType": ["x"]}', (None, None)),
        (b'["not", "an", "object"]', (None, '["not", "an", "object"]')),
        (b"plain \x00text\r\n", (None, "plain text")),
        (b"   ", (None, None)),
    ],
)
def test_error_details(body: bytes, expected: tuple[str | None, str | None]) -> None:
    assert error_details(body, None) == expected


def test_a_long_json_detail_is_capped_and_cleaned() -> None:
    _, detail = error_details(b'{"detail": "line1\\nline2 ' + b"y" * 1000 + b'"}', None)
    assert detail is not None
    assert detail.startswith("line1 line2 yyy") and len(detail) == 500


def test_excerpt_of_an_empty_page_is_none() -> None:
    assert excerpt(b"<html><body></body></html>", "text/html") is None


def test_clean_text_removes_control_and_format_characters() -> None:
    assert clean_text("a\tb\x07c\u202ed\u200be", 100) == "a b c d e"
    assert clean_text("x" * 10, 5) == "xxxx…"
    assert clean_text("x" * 5, 5) == "xxxxx"
