"""Fixtures shared by the integration tests: real SCIM servers, a fresh tenant per test."""

from __future__ import annotations

import logging
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.server import make_app, running
from reconciler.scim.redaction import forget_output_tokens

TOKEN = "integration-test-token"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "desired-state"
PROFILES = ("generic", "aws-identity-center")


@dataclass
class Server:
    """One isolated tenant of a real sandbox server, and a raw client to inspect it."""

    url: str
    profile: str
    http: httpx.Client

    @property
    def env(self) -> dict[str, str]:
        return {"SCIM_URL": self.url, "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": self.profile}

    def users(self) -> list[dict[str, Any]]:
        return self._all("/Users")

    def groups(self) -> list[dict[str, Any]]:
        return self._all("/Groups")

    def user(self, user_name: str) -> dict[str, Any]:
        found = self.http.get("/Users", params={"filter": f'userName eq "{user_name}"'}).json()
        (user,) = found["Resources"]
        return dict(user)

    def member_names(self, display_name: str) -> set[str]:
        """Member userNames of a group, read the way this server supports."""
        (group,) = [g for g in self.groups() if g["displayName"] == display_name]
        if self.profile == "aws-identity-center":
            found = self._all("/Users", {"filter": f'groups.value eq "{group["id"]}"'})
            return {u["userName"] for u in found}
        names = {u["id"]: u["userName"] for u in self.users()}
        return {names[m["value"]] for m in group.get("members", [])}

    def _all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"count": 100, **(params or {})}
        if self.profile == "aws-identity-center":
            query["cursor"] = ""  # AWS pages by cursor only when asked to
        while True:
            body = self.http.get(path, params=query).json()
            items += body.get("Resources", [])
            if body.get("nextCursor"):
                query["cursor"] = body["nextCursor"]
            elif self.profile == "generic" and len(items) < body.get("totalResults", 0):
                query["startIndex"] = len(items) + 1
            else:
                return items


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test keeps its own last-seen records, never in the real home."""
    monkeypatch.setenv("SCIMCTL_CACHE_DIR", str(tmp_path / "scimctl-cache"))


@pytest.fixture(scope="session")
def sandbox_bases() -> Iterator[dict[str, str]]:
    with (
        running(make_app(TOKEN, "generic", tenants=True)) as generic,
        running(make_app(TOKEN, "aws-identity-center", tenants=True)) as aws,
    ):
        yield {"generic": generic, "aws-identity-center": aws}


def _server(bases: dict[str, str], profile: str) -> Iterator[Server]:
    url = f"{bases[profile]}/{uuid.uuid4().hex}/v2"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        yield Server(url, profile, http)


@pytest.fixture(params=PROFILES)
def server(request: pytest.FixtureRequest, sandbox_bases: dict[str, str]) -> Iterator[Server]:
    """A fresh tenant on the generic and on the AWS sandbox (the test runs once for each)."""
    yield from _server(sandbox_bases, request.param)


@pytest.fixture
def generic_server(sandbox_bases: dict[str, str]) -> Iterator[Server]:
    yield from _server(sandbox_bases, "generic")


@pytest.fixture
def org(tmp_path: Path) -> Path:
    """A copy of the example org that a test may edit."""
    target = tmp_path / "desired-state"
    shutil.copytree(EXAMPLE, target)
    return target


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``scimctl`` in-process as a user would: ``cli("plan", "--dir", d, env={...})``."""
    from reconciler.cli.app import main

    logger = logging.getLogger("reconciler")
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    monkeypatch.setattr(logger, "level", logger.level)

    def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        for name in ("SCIM_URL", "SCIM_TOKEN", "SCIM_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["scimctl", *map(str, args)])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _no_token_kept_between_tests() -> Iterator[None]:
    """A client keeps its token out of all output for the rest of the process (as in a
    run); one test's token (a sandbox's ``example``) must not redact the next one's."""
    yield
    forget_output_tokens()
