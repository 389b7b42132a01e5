"""The token never shows: a canary token goes through every error path, and is looked
for in each message, repr, traceback and log line."""

from __future__ import annotations

import logging
import ssl
import traceback
from collections.abc import Callable

import httpx
import pytest
from httpfakes import TOKEN, ChunkStream, Script, answer, fail

from reconciler.errors import ScimError
from reconciler.scim.client import ScimClient

MakeClient = Callable[..., ScimClient]
Step = Callable[[httpx.Request], httpx.Response]
ECHO = f"Authorization: Bearer {TOKEN}"


def tls_failure(request: httpx.Request) -> httpx.Response:
    try:
        raise ssl.SSLCertVerificationError(1, f"certificate verify failed {TOKEN}")
    except ssl.SSLError as cause:
        raise httpx.ConnectError(f"[SSL] {TOKEN}", request=request) from cause


def echoing_exception(exc_type: type[Exception]) -> Step:
    return fail(exc_type, f"illegal header value b'Bearer {TOKEN}'")


def endless(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=ChunkStream(TOKEN.encode() for _ in range(10_000)))


PATHS: dict[str, tuple[str, Step]] = {
    "connect-error": ("GET", echoing_exception(httpx.ConnectError)),
    "tls": ("GET", tls_failure),
    "read-timeout-gives-up": ("GET", echoing_exception(httpx.ReadTimeout)),
    "local-protocol": ("GET", echoing_exception(httpx.LocalProtocolError)),
    "decoding": ("GET", echoing_exception(httpx.DecodingError)),
    "invalid-url": ("GET", echoing_exception(httpx.InvalidURL)),
    "post-ambiguous": ("POST", echoing_exception(httpx.ReadTimeout)),
    "post-502-ambiguous": ("POST", answer(502, text=ECHO)),
    "401": ("GET", answer(401, json={"detail": ECHO})),
    "403": ("DELETE", answer(403, json={"detail": ECHO})),
    "404-listing": ("GET", answer(404, text=ECHO)),
    "409-scim-body": ("POST", answer(409, json={"scimType": TOKEN, "detail": ECHO})),
    "500-html-gives-up": ("GET", answer(500, text=f"<html><h1>{ECHO}</h1></html>")),
    "429-retry-after": ("GET", answer(429, headers={"Retry-After": TOKEN})),
    "redirect": ("GET", answer(302, headers={"Location": f"https://evil.test/?t={TOKEN}"})),
    "not-json": ("GET", answer(200, text=ECHO, headers={"Content-Type": f"text/{TOKEN}"})),
    "too-large": ("GET", endless),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_the_token_never_appears(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    method, step = PATHS[name]
    caplog.set_level(logging.DEBUG)
    client = make_client(Script(step), max_response_bytes=1000)
    with pytest.raises(ScimError) as caught:
        if method == "POST":
            client.post("/Users", {"userName": "ada"})
        elif method == "DELETE":
            client.delete("/Users/abc")
        else:
            client.get("/Users", {"count": 10})
    error = caught.value
    texts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        repr(vars(error)),
        caplog.text,
        repr(client),
    ]
    assert caplog.records, "the request should have been logged"
    for text in texts:
        assert TOKEN not in text


def test_the_canary_would_be_caught(make_client: MakeClient) -> None:
    """The check above is not vacuous: the canary is what the server really received."""
    script = Script(answer(200, json={}))
    make_client(script).get("/Users")
    assert TOKEN in script.requests[0].headers["Authorization"]


def test_a_query_holding_the_token_is_redacted_in_our_logs(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reconciler.http")
    # (httpx's own "httpx" logger would still print the URL: the CLI keeps it quiet.)
    with pytest.raises(ScimError) as caught:
        make_client(Script(answer(400))).get("/Users", {"filter": TOKEN})
    assert str(caught.value) == "GET /Users?filter=[redacted] failed: 400 Bad Request"
    assert [r.getMessage() for r in caplog.records] == [
        "GET /Users?filter=[redacted] -> 400 (0 ms)"
    ]
