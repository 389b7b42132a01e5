"""Retries: what is sent again, how long the client waits, and when it gives up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import formatdate

import httpx
import pytest
from httpfakes import ChunkStream, FakeClock, Script, answer, fail

from reconciler.errors import (
    AmbiguousWriteError,
    InputError,
    ScimError,
    ServerError,
    TransportError,
)
from reconciler.scim.client import ScimClient
from reconciler.scim.retry import (
    Resend,
    RetryPolicy,
    Verdict,
    backoff,
    parse_retry_after,
    verdict,
)

MakeClient = Callable[..., ScimClient]
OK = answer(200, json={"id": "abc"})
CREATED = answer(201, json={"id": "abc"})
BODY = {"userName": "ada"}

RETRYABLE_STATUSES = [429, 500, 502, 503, 504]
RETRYABLE_EXCEPTIONS = [
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
]


def truncated_body(request: httpx.Request) -> httpx.Response:
    broken = httpx.RemoteProtocolError("peer closed connection without sending complete body")
    return httpx.Response(200, stream=ChunkStream([b'{"id": "ab'], then=broken))


# --- idempotent methods --------------------------------------------------------------------


@pytest.mark.parametrize("status", RETRYABLE_STATUSES)
def test_a_get_is_retried_on_a_retryable_status(
    make_client: MakeClient, clock: FakeClock, status: int
) -> None:
    script = Script(answer(status), OK)
    assert make_client(script).get("/Users/abc") == {"id": "abc"}
    assert len(script.requests) == 2
    assert clock.sleeps == [0.5]


@pytest.mark.parametrize("exc", RETRYABLE_EXCEPTIONS, ids=lambda cls: cls.__name__)
def test_a_get_is_retried_on_a_transport_error(
    make_client: MakeClient, clock: FakeClock, exc: type[Exception]
) -> None:
    script = Script(fail(exc), OK)
    assert make_client(script).get("/Users/abc") == {"id": "abc"}
    assert len(script.requests) == 2
    assert clock.sleeps == [0.5]


def test_a_get_is_retried_when_the_body_breaks_off(make_client: MakeClient) -> None:
    script = Script(truncated_body, OK)
    assert make_client(script).get("/Users/abc") == {"id": "abc"}
    assert len(script.requests) == 2


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_put_patch_and_delete_are_retried_after_a_read_timeout(
    make_client: MakeClient, method: str
) -> None:
    script = Script(fail(httpx.ReadTimeout), answer(200, json={"id": "abc"}))
    client = make_client(script)
    if method == "PUT":
        client.put("/Users/abc", BODY)
    elif method == "PATCH":
        client.patch("/Users/abc", {"Operations": []})
    else:
        client.delete("/Users/abc")
    assert [r.method for r in script.requests] == [method, method]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 413, 501])
def test_other_statuses_are_not_retried(make_client: MakeClient, status: int) -> None:
    script = Script(answer(status), OK)
    with pytest.raises(ScimError):
        make_client(script).get("/Users/abc")
    assert len(script.requests) == 1


def test_backoff_grows_exponentially_then_gives_up_saying_how_hard_it_tried(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(answer(503))
    with pytest.raises(ServerError) as caught:
        make_client(script).get("/Users")
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(script.requests) == 6
    assert str(caught.value) == (
        "GET /Users failed: 503 Service Unavailable (gave up after 6 attempts over 15.5 s)"
    )
    assert caught.value.status == 503


def test_giving_up_on_a_transport_error_raises_it_with_the_count(make_client: MakeClient) -> None:
    client = make_client(Script(fail(httpx.ConnectError, "refused")), retry=RetryPolicy(3))
    with pytest.raises(TransportError) as caught:
        client.get("/Users")
    assert str(caught.value).endswith("SCIM_URL right? (gave up after 3 attempts over 1.5 s)")
    assert client.requests_sent == 3


def test_backoff_is_capped_by_max_delay(make_client: MakeClient, clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=3.0)
    with pytest.raises(ServerError):
        make_client(Script(answer(502)), retry=policy).get("/Users")
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0]


def test_jitter_draws_below_the_ceiling(make_client: MakeClient, clock: FakeClock) -> None:
    client = make_client(Script(answer(500), answer(500), OK), jitter=lambda: 0.25)
    client.get("/Users/abc")
    assert clock.sleeps == [0.125, 0.25]


def test_max_total_stops_before_a_wait_that_would_pass_it(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(answer(429, headers={"Retry-After": "4"}))
    policy = RetryPolicy(max_attempts=10, max_total=10.0)
    with pytest.raises(ServerError) as caught:
        make_client(script, retry=policy).get("/Users")
    assert clock.sleeps == [4.0, 4.0]
    assert str(caught.value) == (
        "GET /Users failed: 429 Too Many Requests (gave up after 3 attempts over 8.0 s)"
    )


def test_one_attempt_means_no_retry_and_no_count_in_the_message(make_client: MakeClient) -> None:
    script = Script(answer(503))
    with pytest.raises(ServerError) as caught:
        make_client(script, retry=RetryPolicy(max_attempts=1)).get("/Users")
    assert str(caught.value) == "GET /Users failed: 503 Service Unavailable"
    assert len(script.requests) == 1


# --- Retry-After ----------------------------------------------------------------------------


def test_retry_after_seconds_are_honoured(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(answer(429, headers={"Retry-After": "7"}), OK)
    make_client(script).get("/Users/abc")
    assert clock.sleeps == [7.0]


def test_retry_after_is_capped_at_max_delay(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(answer(503, headers={"Retry-After": "3600"}), OK)
    make_client(script).get("/Users/abc")
    assert clock.sleeps == [30.0]


def test_retry_after_as_an_http_date(make_client: MakeClient, clock: FakeClock) -> None:
    when = formatdate(time.time() + 12, usegmt=True)
    script = Script(answer(503, headers={"Retry-After": when}), OK)
    make_client(script).get("/Users/abc")
    assert len(clock.sleeps) == 1
    assert 9.0 < clock.sleeps[0] <= 12.0


def test_an_unreadable_retry_after_falls_back_to_backoff(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(answer(429, headers={"Retry-After": "soon"}), OK)
    make_client(script).get("/Users/abc")
    assert clock.sleeps == [0.5]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:28:10 -0000", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(value, now) == seconds


# --- POST ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        fail(httpx.ConnectError),
        fail(httpx.ConnectTimeout),
        fail(httpx.PoolTimeout),
        answer(429),
        answer(503, headers={"Retry-After": "1"}),
    ],
    ids=["connect-error", "connect-timeout", "pool-timeout", "429", "503-retry-after"],
)
def test_a_post_is_retried_when_the_server_certainly_did_not_act(
    make_client: MakeClient, first: Callable[[httpx.Request], httpx.Response]
) -> None:
    script = Script(first, CREATED)
    assert make_client(script).post("/Users", BODY) == {"id": "abc"}
    assert [r.method for r in script.requests] == ["POST", "POST"]


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (fail(httpx.ReadTimeout, "timed out"), "ReadTimeout: timed out"),
        (fail(httpx.WriteTimeout, "timed out"), "WriteTimeout: timed out"),
        (fail(httpx.ReadError, "reset"), "ReadError: reset"),
        (fail(httpx.WriteError, "broken pipe"), "WriteError: broken pipe"),
        (fail(httpx.RemoteProtocolError, "eof"), "RemoteProtocolError: eof"),
        (
            truncated_body,
            "RemoteProtocolError: peer closed connection without sending complete body",
        ),
        (answer(500), "500 Internal Server Error"),
        (answer(502), "502 Bad Gateway"),
        (answer(503), "503 Service Unavailable"),
        (answer(504), "504 Gateway Timeout"),
    ],
)
def test_a_post_that_may_have_been_applied_is_never_repeated(
    make_client: MakeClient, first: Callable[[httpx.Request], httpx.Response], reason: str
) -> None:
    script = Script(first, CREATED)
    with pytest.raises(AmbiguousWriteError) as caught:
        make_client(script).post("/Users", BODY)
    assert len(script.requests) == 1
    assert str(caught.value) == (
        f"POST /Users may or may not have been applied ({reason}); it was not sent again. "
        "Look the resource up by its key before trying again"
    )
    assert isinstance(caught.value, TransportError)


def test_a_post_turned_away_then_timing_out_is_ambiguous(make_client: MakeClient) -> None:
    script = Script(answer(429), fail(httpx.ReadTimeout), CREATED)
    with pytest.raises(AmbiguousWriteError):
        make_client(script).post("/Users", BODY)
    assert len(script.requests) == 2


def test_a_post_refused_with_a_client_error_is_a_plain_server_error(
    make_client: MakeClient,
) -> None:
    script = Script(answer(400, json={"detail": "bad"}))
    with pytest.raises(ServerError) as caught:
        make_client(script).post("/Users", BODY)
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert len(script.requests) == 1


def test_a_tls_failure_is_not_retried_even_for_a_get(make_client: MakeClient) -> None:
    script = Script(fail(httpx.ConnectError, "[SSL: CERTIFICATE_VERIFY_FAILED] failed"), OK)
    with pytest.raises(TransportError, match="--ca-bundle"):
        make_client(script).get("/Users")
    assert len(script.requests) == 1


# --- DELETE that already worked ---------------------------------------------------------------


def test_a_delete_resent_after_a_lost_answer_accepts_404(make_client: MakeClient) -> None:
    script = Script(fail(httpx.ReadTimeout), answer(404))
    assert make_client(script).delete("/Users/abc") is None
    assert len(script.requests) == 2


def test_a_delete_resent_after_a_connect_error_still_reports_404(make_client: MakeClient) -> None:
    script = Script(fail(httpx.ConnectError), answer(404))
    with pytest.raises(ServerError) as caught:
        make_client(script).delete("/Users/abc")
    assert caught.value.status == 404


def test_a_first_404_on_delete_is_an_error(make_client: MakeClient) -> None:
    with pytest.raises(ServerError, match="404 Not Found"):
        make_client(Script(answer(404))).delete("/Users/abc")


# --- logs ------------------------------------------------------------------------------------


def test_retries_are_logged_with_reason_and_delay(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reconciler.http")
    script = Script(answer(429, headers={"Retry-After": "2"}), fail(httpx.ReadTimeout, "t/o"), OK)
    make_client(script).get("/Users/abc")
    assert [r.getMessage() for r in caplog.records] == [
        "GET /Users/abc -> 429 (0 ms)",
        "the server is throttling (429 Too Many Requests): slowing down to the rate it allows, "
        "learnt as the run goes; -v shows each retry, --rate N starts slower",
        "retrying GET /Users/abc in 2.00 s (attempt 2 of 6): 429 Too Many Requests, Retry-After 2",
        "GET /Users/abc -> ReadTimeout (0 ms)",
        "retrying GET /Users/abc in 1.00 s (attempt 3 of 6): ReadTimeout: t/o",
        "GET /Users/abc -> 200 (0 ms)",
    ]


# --- the pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "resend", "expected"),
    [
        ("GET", Resend.SAFE, Verdict.RETRY),
        ("GET", Resend.IF_IDEMPOTENT, Verdict.RETRY),
        ("GET", Resend.NEVER, Verdict.FAIL),
        ("PATCH", Resend.IF_IDEMPOTENT, Verdict.RETRY),
        ("POST", Resend.SAFE, Verdict.RETRY),
        ("POST", Resend.IF_IDEMPOTENT, Verdict.AMBIGUOUS),
        ("POST", Resend.NEVER, Verdict.FAIL),
    ],
)
def test_verdict(method: str, resend: Resend, expected: Verdict) -> None:
    assert verdict(method, resend) is expected


def test_backoff_never_overflows() -> None:
    assert backoff(RetryPolicy(), 10_000, None, lambda: 1.0) == 30.0


def test_retry_after_wins_over_backoff_but_not_over_max_delay() -> None:
    policy = RetryPolicy(max_delay=10.0)
    assert backoff(policy, 1, 3.0, lambda: 1.0) == 3.0
    assert backoff(policy, 1, 99.0, lambda: 1.0) == 10.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": float("nan")}, {"max_total": -5}],
)
def test_a_bad_policy_is_an_input_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
