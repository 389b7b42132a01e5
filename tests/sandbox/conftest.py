"""Sandbox servers for the tests: one per profile for the session, a fresh tenant per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.server import make_app, running

TOKEN = "sandbox-test-token"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_body(name: str, /, **overrides: Any) -> dict[str, Any]:
    """A user AWS accepts (every required attribute, one primary email), with overrides;
    an override of None removes the attribute."""
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": name,
        "displayName": name.title(),
        "name": {"givenName": name.title(), "familyName": "Tester"},
        "emails": [{"value": f"{name}@example.org", "type": "work", "primary": True}],
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


class Tenant:
    """An httpx client on a fresh tenant, with shortcuts for the usual writes."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def post_user(self, name: str, /, **overrides: Any) -> httpx.Response:
        return self.http.post("/Users", json=user_body(name, **overrides))

    def create_user(self, name: str, /, **overrides: Any) -> dict[str, Any]:
        response = self.post_user(name, **overrides)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def create_users(self, count: int, prefix: str = "user") -> list[dict[str, Any]]:
        return [self.create_user(f"{prefix}{i:03d}") for i in range(count)]

    def post_group(
        self, name: str, member_ids: list[str] | tuple[str, ...] = (), **extra: Any
    ) -> httpx.Response:
        body = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": _members(member_ids)}
        return self.http.post("/Groups", json={**body, **extra})

    def create_group(
        self, name: str, member_ids: list[str] | tuple[str, ...] = (), **extra: Any
    ) -> dict[str, Any]:
        response = self.post_group(name, member_ids, **extra)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def patch(self, path: str, *operations: dict[str, Any]) -> httpx.Response:
        return self.http.patch(
            path, json={"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
        )

    def member_ids(self, group_id: str) -> set[str]:
        """Read membership the AWS way: users filtered by groups.value."""
        response = self.http.get("/Users", params={"filter": f'groups.value eq "{group_id}"'})
        assert response.status_code == 200, response.text
        return {user["id"] for user in response.json()["Resources"]}


def _members(ids: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    return [{"value": member_id} for member_id in ids]


def _tenant(base: str) -> Iterator[Tenant]:
    url = f"{base}/{uuid.uuid4().hex}/v2"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        yield Tenant(http)


@pytest.fixture(scope="session")
def auth() -> dict[str, str]:
    """The Authorization header the session's servers expect."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def generic_base() -> Iterator[str]:
    with running(make_app(TOKEN, tenants=True)) as base:
        yield base


@pytest.fixture(scope="session")
def aws_base() -> Iterator[str]:
    with running(make_app(TOKEN, "aws-identity-center", tenants=True)) as base:
        yield base


@pytest.fixture(scope="session")
def aws_legacy_base() -> Iterator[str]:
    app = make_app(TOKEN, "aws-identity-center", tenants=True, legacy_paging=True)
    with running(app) as base:
        yield base


@pytest.fixture
def generic(generic_base: str) -> Iterator[Tenant]:
    yield from _tenant(generic_base)


@pytest.fixture
def aws(aws_base: str) -> Iterator[Tenant]:
    yield from _tenant(aws_base)


@pytest.fixture
def aws_legacy(aws_legacy_base: str) -> Iterator[Tenant]:
    yield from _tenant(aws_legacy_base)
