"""Helpers of the reliability and security tests: sessions driven through the Python API
with a fast retry policy, sandbox bodies, targets.yaml."""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import httpx

from reconciler.config import Connection, Secret, Target
from reconciler.desired import DesiredState
from reconciler.plan.diff import diff
from reconciler.plan.model import Plan
from reconciler.scim.client import ScimClient
from reconciler.scim.discovery import discover
from reconciler.scim.profiles import get_profile
from reconciler.scim.reader import LiveState
from reconciler.scim.retry import RetryPolicy
from reconciler.session import Session
from tests.conftest import TOKEN, Server

FAST = RetryPolicy(max_attempts=8, base_delay=0.02, max_delay=0.25, max_total=20.0)
"""Backoff for tests: the same loop as the default policy, with waits a hundred times shorter."""

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def origin_of(url: str) -> str:
    """``http://127.0.0.1:PORT`` of a tenant URL."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.host}:{parts.port}"


def open_session(url: str, profile: str, *, timeout: float = 5.0, **client: Any) -> Session:
    """A Session as ``reconciler.session.open_session`` builds it, with a fast retry policy
    (or what ``client`` says). The caller closes ``session.client``."""
    chosen = get_profile(profile)
    options: dict[str, Any] = {"timeout": timeout, "retry": FAST, **client}
    scim = ScimClient(url, TOKEN, **options)
    target = Target(name="test", url=url, profile=profile, timeout=timeout)
    connection = Connection(target=target, url=url, token=Secret(TOKEN), profile=profile)
    try:
        return Session(connection, chosen, scim, discover(scim, chosen))
    except BaseException:
        scim.close()
        raise


def write_targets(directory: Path, url: str, *, timeout: float | None = None) -> None:
    """A targets.yaml with one target, ``t``, whose token is in ``SCIM_TOKEN``."""
    lines = ["targets:", "  t:", f"    url: {url}", "    token_env: SCIM_TOKEN"]
    if timeout is not None:
        lines.append(f"    timeout: {timeout}")
    (directory / "targets.yaml").write_text("\n".join(lines) + "\n")


def scim_user(user_name: str, external_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A user body every sandbox accepts (AWS's required attributes and primary email)."""
    local = user_name.split("@", 1)[0]
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "displayName": f"{local.title()} Tester",
        "name": {"givenName": local.title(), "familyName": "Tester"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
    }
    if external_id is not None:
        body["externalId"] = external_id
    body.update(extra)
    return body


def create(server: Server, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST straight to the sandbox (no proxy), asserting it was created."""
    response = server.http.post(endpoint, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def plan_of(session: Session, desired: DesiredState, live: LiveState) -> Plan:
    """The plan a command would make (the diff, under the target's policy and profile)."""
    return diff(
        desired.org,
        live.org,
        session.policy,
        target=session.target.name,
        digest=desired.digest,
        unstored=session.profile.unstored,
        complete=not live.partial,
    )


# --- tokens a server echoes cut short (issue 13, item 1) ---------------------------------

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


def random_token(length: int, seed: int) -> str:
    """A token of random characters in which no 4 characters occur twice: any fragment of
    4 or more found in a message is the token's, never a repeat found by chance (a
    periodic token makes every short window appear many times over)."""
    chooser = random.Random(seed)
    chars: list[str] = []
    seen: set[str] = set()
    while len(chars) < length:
        char = chooser.choice(TOKEN_ALPHABET)
        piece = "".join(chars[-3:]) + char
        if len(piece) < 4 or piece not in seen:
            chars.append(char)
            if len(piece) == 4:
                seen.add(piece)
    return "".join(chars)


LONG_TOKEN = random_token(810, seed=21)
SHORT_TOKEN = random_token(11, seed=13)
FILLER = "." * 485  # the 500-character cut falls inside a short token


def longest_run(text: str, token: str) -> int:
    """The length of the longest piece of ``token`` found in ``text``."""
    best = 0
    for start in range(len(token)):
        size = best + 1
        while start + size <= len(token) and token[start : start + size] in text:
            best = size
            size += 1
    return best
