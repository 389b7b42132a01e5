"""The sandbox server itself: the generic profile, tokens, tenants, the API's edges."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import uuid

import httpx
import pytest

from reconciler.sandbox.server import make_app, running


def test_create_then_list_a_user(generic):
    created = generic.create_user("alice")

    listed = generic.http.get("/Users").json()

    assert listed["totalResults"] == 1
    assert [user["id"] for user in listed["Resources"]] == [created["id"]]
    assert listed["Resources"][0]["userName"] == "alice"


def test_the_token_is_required(generic_base, auth):
    url = f"{generic_base}/{uuid.uuid4().hex}/v2/Users"

    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(url, headers=auth).status_code == 200


def test_tenants_are_isolated(generic_base, auth):
    first = httpx.Client(base_url=f"{generic_base}/{uuid.uuid4().hex}/v2", headers=auth)
    second = httpx.Client(base_url=f"{generic_base}/{uuid.uuid4().hex}/v2", headers=auth)
    with first, second:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob"}
        assert first.post("/Users", json=body).status_code == 201

        assert second.get("/Users").json()["totalResults"] == 0
        assert second.post("/Users", json=body).status_code == 201  # no clash across tenants
        assert first.get("/Users").json()["totalResults"] == 1


def test_without_tenants_the_scim_root_is_base_v2():
    with running(make_app(None)) as base:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        response = httpx.get(f"{base}/v2/Users")
    assert response.status_code == 200  # no token configured: anyone may read


def test_running_stops_the_server_on_exit():
    with running(make_app(None)) as base:
        pass
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/v2/Users", timeout=2)


def test_generic_rate_limit_answers_429_with_retry_after():
    with running(make_app(None, rate=0.2)) as base:
        responses = [httpx.get(f"{base}/v2/Users") for _ in range(3)]

    refused = [r for r in responses if r.status_code == 429]
    assert responses[0].status_code == 200
    assert refused, [r.status_code for r in responses]
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert refused[0].json()["status"] == "429"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"profile": "okta"}, "unknown sandbox profile"),
        ({"legacy_paging": True}, "legacy_paging"),
        ({"rate": 0.0}, "rate must be positive"),
    ],
)
def test_make_app_refuses_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_app(None, **arguments)


def test_import_without_scim2_server_says_what_to_install():
    script = textwrap.dedent(
        """
        import sys
        sys.modules["scim2_server"] = None  # as if the extra were not installed
        try:
            import reconciler.sandbox.server
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "pip install 'scim-reconciler[sandbox]'" in result.stdout


def test_serve_forever_is_quiet_and_returns_on_interrupt():
    script = textwrap.dedent(
        """
        from reconciler.sandbox.server import make_app, serve_forever
        serve_forever(make_app(None), port=0, ready=lambda url: print(url, flush=True))
        print("stopped", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert httpx.get(f"{base}/v2/Users").status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert out.strip() == "stopped"
    assert err == ""  # no access-log line for the request
