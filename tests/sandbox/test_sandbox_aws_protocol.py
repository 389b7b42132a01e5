"""AWS profile: endpoints, ETags, ServiceProviderConfig, errors, throttling."""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox.server import make_app, running

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/Bulk"),
        ("GET", "/Me"),
        ("POST", "/.search"),
        ("POST", "/Users/.search"),
        ("GET", "/"),
    ],
)
def test_endpoints_aws_does_not_have_answer_404(aws, method, path):
    response = aws.http.request(method, path, json={})

    assert response.status_code == 404
    assert response.json()["schemas"] == [ERROR_URN]


def test_no_etags_anywhere(aws):
    created = aws.post_user("alice")
    user_id = created.json()["id"]
    read = aws.http.get(f"/Users/{user_id}")
    listed = aws.http.get("/Users")
    group = aws.post_group("admins", [user_id])

    for response in (created, read, group):
        assert "ETag" not in response.headers
        assert "version" not in response.json()["meta"]
    assert "version" not in listed.json()["Resources"][0]["meta"]


def test_if_match_is_ignored(aws):
    alice = aws.create_user("alice")
    stale = {"If-Match": 'W/"not-the-version"'}

    response = aws.http.patch(
        f"/Users/{alice['id']}",
        headers=stale,
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Al"}],
        },
    )

    assert response.status_code == 204


def test_service_provider_config_is_aws(aws):
    config = aws.http.get("/ServiceProviderConfig").json()

    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["bulk"]["maxOperations"] == 0
    assert config["filter"] == {"supported": True, "maxResults": 100}
    assert config["changePassword"]["supported"] is False
    assert config["sort"]["supported"] is False
    assert config["etag"]["supported"] is False
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]


def test_every_endpoint_needs_the_token(aws_base):
    response = httpx.get(f"{aws_base}/anyone/v2/ServiceProviderConfig")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_errors_have_the_scim_shape(aws):
    response = aws.http.get("/Users", params={"filter": 'userName gt "a"'})

    body = response.json()
    assert body["schemas"] == [ERROR_URN]
    assert body["status"] == "400"
    assert body["scimType"] == "invalidFilter"
    assert body["detail"]


def test_throttling_answers_429_without_retry_after():
    app = make_app(None, "aws-identity-center", rate=0.2)
    with running(app) as base:
        responses = [httpx.get(f"{base}/v2/ServiceProviderConfig") for _ in range(3)]

    refused = [r for r in responses if r.status_code == 429]
    assert responses[0].status_code == 200
    assert refused, [r.status_code for r in responses]
    assert "Retry-After" not in refused[0].headers
    assert refused[0].json()["schemas"] == [ERROR_URN]
    assert "ThrottlingException" in refused[0].json()["detail"]
