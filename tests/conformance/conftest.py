"""The AWS-profile sandbox for the conformance tests: one server, a fresh tenant per test.

Each test here is named in a row of ``docs/providers/*.md``: it shows what the sandbox
does with a statement of the provider's documentation, or what the client does with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.server import make_app, running
from tests.sandbox.conftest import TOKEN, Tenant


@pytest.fixture(scope="session")
def conformance_aws_base() -> Iterator[str]:
    with running(make_app(TOKEN, "aws-identity-center", tenants=True)) as base:
        yield base


@pytest.fixture
def aws(conformance_aws_base: str) -> Iterator[Tenant]:
    """A fresh, empty tenant of the AWS-profile sandbox, with write shortcuts."""
    url = f"{conformance_aws_base}/{uuid.uuid4().hex}/v2"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        yield Tenant(http)
