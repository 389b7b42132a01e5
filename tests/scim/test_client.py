"""ScimClient: what it sends, what it returns, and the answers it refuses."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import httpx
import pytest
from httpfakes import BASE, TOKEN, ChunkStream, FakeClock, Script, answer

from reconciler.errors import InputError, ProtocolError
from reconciler.scim.client import DEFAULT_USER_AGENT, ScimClient, resource_path

MakeClient = Callable[..., ScimClient]
USER = {"id": "abc", "userName": "ada"}


def test_every_request_carries_the_token_and_scim_headers(make_client: MakeClient) -> None:
    script = Script(answer(200, json=USER))
    assert make_client(script).get("/Users/abc") == USER
    headers = script.requests[0].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/scim+json, application/json"
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("scim-reconciler/")


def test_post_sends_the_body_as_scim_json(make_client: MakeClient) -> None:
    script = Script(answer(201, json=USER))
    body = {"userName": "ada", "name": {"givenName": "Ada", "familyName": "Lovelace"}}
    assert make_client(script).post("/Users", body) == USER
    request = script.requests[0]
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/scim+json"
    assert json.loads(request.content) == body


def test_a_get_sends_no_body_and_no_content_type(make_client: MakeClient) -> None:
    script = Script(answer(200, json=USER))
    make_client(script).get("/Users/abc")
    assert script.requests[0].content == b""
    assert "Content-Type" not in script.requests[0].headers


@pytest.mark.parametrize("base", [BASE, BASE + "/"])
@pytest.mark.parametrize("path", ["/Users/abc", "Users/abc"])
def test_the_base_url_path_prefix_is_kept(make_client: MakeClient, base: str, path: str) -> None:
    script = Script(answer(200, json=USER))
    make_client(script, base_url=base).get(path)
    url = script.requests[0].url
    assert (url.host, url.path) == ("scim.example.test", "/tenant1/scim/v2/Users/abc")


def test_a_base_url_without_a_path_works(make_client: MakeClient) -> None:
    script = Script(answer(200, json=USER))
    make_client(script, base_url="http://127.0.0.1:8080").get("/Users")
    assert str(script.requests[0].url) == "http://127.0.0.1:8080/Users"


def test_params_are_url_encoded(make_client: MakeClient) -> None:
    script = Script(answer(200, json={"Resources": []}))
    make_client(script).get("/Users", {"filter": 'userName eq "a&b c"', "count": 100})
    url = script.requests[0].url
    assert url.params["filter"] == 'userName eq "a&b c"'
    assert url.params["count"] == "100"


@pytest.mark.parametrize("path", ["/../../admin", "/Users/../../../x", "/Users?x=1", "/Users#x"])
def test_a_path_cannot_leave_the_base_url(make_client: MakeClient, path: str) -> None:
    script = Script(answer(200, json=USER))
    with pytest.raises(ProtocolError, match="must stay under SCIM_URL"):
        make_client(script).get(path)
    assert script.requests == []


def test_resource_path_encodes_the_id(make_client: MakeClient) -> None:
    assert resource_path("Users", "a/b#c?d") == "/Users/a%2Fb%23c%3Fd"
    script = Script(answer(200, json=USER))
    make_client(script).get(resource_path("/Users", "../x"))
    assert script.requests[0].url.raw_path == b"/tenant1/scim/v2/Users/..%2Fx"


def test_if_match_is_sent_only_when_given(make_client: MakeClient) -> None:
    script = Script(answer(200, json=USER))
    client = make_client(script)
    client.put("/Users/abc", USER, if_match='W/"3"')
    client.patch("/Users/abc", {"Operations": []}, if_match='W/"4"')
    client.delete("/Users/abc", if_match='W/"5"')
    client.put("/Users/abc", USER)
    sent = [r.headers.get("If-Match") for r in script.requests]
    assert sent == ['W/"3"', 'W/"4"', 'W/"5"', None]


def test_patch_answered_204_returns_none(make_client: MakeClient) -> None:
    assert make_client(Script(answer(204))).patch("/Groups/g", {"Operations": []}) is None


def test_patch_answered_200_without_a_body_returns_none(make_client: MakeClient) -> None:
    assert make_client(Script(answer(200))).patch("/Groups/g", {"Operations": []}) is None


def test_patch_answered_200_with_a_body_returns_it(make_client: MakeClient) -> None:
    group = {"id": "g", "displayName": "admins"}
    assert make_client(Script(answer(200, json=group))).patch("/Groups/g", {}) == group


def test_delete_returns_none_whatever_the_body(make_client: MakeClient) -> None:
    script = Script(answer(204), answer(200, text="<html>ok</html>"))
    client = make_client(script)
    assert client.delete("/Users/abc") is None
    assert client.delete("/Users/abc") is None
    assert [r.method for r in script.requests] == ["DELETE", "DELETE"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(make_client: MakeClient, status: int) -> None:
    script = Script(answer(status, headers={"Location": "https://elsewhere.test/scim/v2/Users"}))
    with pytest.raises(ProtocolError) as caught:
        make_client(script).get("/Users")
    assert str(caught.value) == (
        f"GET /Users was redirected ({status}) to https://elsewhere.test/scim/v2/Users; "
        "set SCIM_URL to the final address"
    )
    assert [r.url.host for r in script.requests] == ["scim.example.test"]


def test_a_redirect_without_location_is_refused(make_client: MakeClient) -> None:
    with pytest.raises(ProtocolError, match=r"redirected \(302\) without a Location"):
        make_client(Script(answer(302))).get("/Users")


def test_a_body_declared_larger_than_the_cap_is_not_read(make_client: MakeClient) -> None:
    stream = ChunkStream([b"x" * 100])
    headers = {"Content-Length": "5000"}
    script = Script(lambda request: httpx.Response(200, stream=stream, headers=headers))
    with pytest.raises(ProtocolError) as caught:
        make_client(script, max_response_bytes=1000).get("/Users")
    assert str(caught.value) == (
        "GET /Users answered 200 with a body larger than 1000 bytes; "
        "refusing to read it (max_response_bytes)"
    )
    assert stream.yielded == 0
    assert stream.closed


def test_an_endless_body_is_read_only_up_to_the_cap(make_client: MakeClient) -> None:
    stream = ChunkStream(b"x" * 100 for _ in range(100_000))
    script = Script(lambda request: httpx.Response(200, stream=stream))
    with pytest.raises(ProtocolError, match="larger than 1000 bytes"):
        make_client(script, max_response_bytes=1000).get("/Users")
    assert stream.yielded == 11
    assert stream.closed
    assert len(script.requests) == 1  # not retried


def test_a_body_at_the_cap_is_accepted(make_client: MakeClient) -> None:
    body = json.dumps({"detail": "x" * 100}).encode()
    client = make_client(Script(answer(200, content=body)), max_response_bytes=len(body))
    assert client.get("/Users/x") == {"detail": "x" * 100}


@pytest.mark.parametrize(
    ("response", "why"),
    [
        (
            answer(
                200, text="<html>login</html>", headers={"Content-Type": "text/html; charset=x"}
            ),
            "the body is not JSON (text/html)",
        ),
        (answer(200, content=b"{broken"), "the body is not JSON (no Content-Type)"),
        (answer(200, json=[1, 2]), "the body is JSON an array, not an object"),
        (answer(200, json="hello"), "the body is JSON a string, not an object"),
        (answer(200, content=b"null"), "the body is JSON null, not an object"),
        (answer(200, content=b""), "the body is empty"),
    ],
)
def test_a_success_that_is_not_a_scim_object_is_refused(
    make_client: MakeClient, response: Callable[[httpx.Request], httpx.Response], why: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        make_client(Script(response)).get("/Users")
    assert str(caught.value) == (
        f"GET /Users answered 200 but {why} — is SCIM_URL pointing at a SCIM server?"
    )


def test_absurdly_nested_json_is_refused_not_crashed_on(make_client: MakeClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ProtocolError, match="not JSON"):
        make_client(Script(answer(200, content=deep))).get("/Users")


def test_one_info_line_per_request(
    make_client: MakeClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 0.123
        return httpx.Response(200, json={"Resources": []})

    caplog.set_level(logging.INFO, logger="reconciler.http")
    make_client(Script(slow)).get("/Users", {"count": 2})
    records = [r for r in caplog.records if r.name == "reconciler.http"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("INFO", "GET /Users?count=2 -> 200 (123 ms)")
    ]


def test_requests_sent_counts_across_threads(make_client: MakeClient) -> None:
    client = make_client(Script(answer(200, json=USER)))

    def work() -> None:
        for _ in range(25):
            client.get("/Users/abc")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.requests_sent == 200


def test_the_rate_limit_spaces_requests(make_client: MakeClient, clock: FakeClock) -> None:
    client = make_client(Script(answer(200, json=USER)), rate=4)
    for _ in range(3):
        client.get("/Users/abc")
    assert clock.sleeps == [0.25, 0.25]


def test_no_rate_limit_means_no_waiting(make_client: MakeClient, clock: FakeClock) -> None:
    client = make_client(Script(answer(200, json=USER)))
    for _ in range(3):
        client.get("/Users/abc")
    assert clock.sleeps == []


def test_the_repr_hides_the_token(make_client: MakeClient) -> None:
    client = make_client(Script(answer(200)))
    assert repr(client) == f"ScimClient({BASE!r}, token=[redacted])"


def test_the_client_is_a_context_manager() -> None:
    with ScimClient(BASE, TOKEN, transport=httpx.MockTransport(answer(200))) as client:
        assert client.base_url == BASE
    with pytest.raises(RuntimeError):
        client.get("/Users")  # httpx refuses a closed client


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("scim.example.test/scim/v2", "SCIM_URL must start with https:// and name a host"),
        ("ftp://scim.example.test", "SCIM_URL must start with https:// and name a host"),
        ("https://user:pw@scim.example.test", "must not hold a user name or password"),
        ("https://scim.example.test/v2?x=1", "must not have a query or fragment"),
        ("http://[::1", "SCIM_URL is not a valid URL"),
    ],
)
def test_a_bad_base_url_is_an_input_error(url: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        ScimClient(url, TOKEN)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize("token", ["", "   ", "abc def", "abc\r\nX-Evil: 1", "tökén"])
def test_a_bad_token_is_an_input_error_that_does_not_echo_it(token: str) -> None:
    with pytest.raises(InputError, match="SCIM_TOKEN") as caught:
        ScimClient(BASE, token)
    assert token.strip() == "" or token not in str(caught.value)


def test_surrounding_whitespace_of_the_token_is_dropped() -> None:
    script = Script(answer(200, json=USER))
    with ScimClient(BASE, f" {TOKEN}\n", transport=httpx.MockTransport(script)) as client:
        client.get("/Users/abc")
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_missing_ca_bundle_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot use the CA bundle"):
        ScimClient(BASE, TOKEN, verify="/nonexistent/ca.pem")


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_a_bad_rate_is_an_input_error(rate: float) -> None:
    with pytest.raises(InputError, match="rate must be a positive number"):
        ScimClient(BASE, TOKEN, rate=rate)


def test_plain_http_to_a_remote_host_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="reconciler.http")
    ScimClient("http://127.0.0.1:8080/v2", TOKEN).close()
    ScimClient("http://localhost/v2", TOKEN).close()
    assert caplog.records == []
    ScimClient("http://scim.example.test/v2", TOKEN).close()
    assert [r.getMessage() for r in caplog.records] == [
        "SCIM_URL uses plain http to scim.example.test: the token travels unencrypted"
    ]


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """HTTP_PROXY names a proxy (nothing listens there: no request is sent)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    return monkeypatch


def test_plain_http_through_a_proxy_is_warned_about_even_to_loopback(
    proxy_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The proxy sees the Authorization header of a plain-http request: the token goes to
    it in clear text, wherever the SCIM server is (issue 19, item 16)."""
    caplog.set_level(logging.WARNING, logger="reconciler.http")
    ScimClient("http://127.0.0.1:8080/v2", TOKEN).close()
    assert [r.getMessage() for r in caplog.records] == [
        "SCIM_URL uses plain http to 127.0.0.1 through the proxy that HTTP_PROXY or ALL_PROXY "
        "names: the token travels unencrypted to the proxy and on from it. Use https://, or "
        "put 127.0.0.1 in NO_PROXY"
    ]
    caplog.clear()
    ScimClient("http://scim.example.test/v2", TOKEN).close()
    assert len(caplog.records) == 1 and "through the proxy" in caplog.records[0].getMessage()


def test_no_proxy_warning_where_the_proxy_cannot_read_the_token(
    proxy_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="reconciler.http")
    ScimClient("https://scim.example.test/v2", TOKEN).close()  # a CONNECT tunnel: TLS inside
    proxy_env.setenv("NO_PROXY", "127.0.0.1")
    ScimClient("http://127.0.0.1:8080/v2", TOKEN).close()  # not through the proxy
    assert caplog.records == []
