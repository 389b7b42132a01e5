"""A server that does not keep an attribute the plan manages: no perpetual diffs.

Against a real scim2-server that accepts and drops some user attributes: apply says
what the server did not keep, a default the YAML does not write (``displayName``,
filled in from the names) is not planned again, and an attribute the YAML writes
names the ``mapping`` line that stops managing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import make_app, running
from tests.apply.forgetful import forgetting
from tests.conftest import TOKEN

pytestmark = pytest.mark.integration

USERS = """\
users:
  - userName: ada@example.com
    name: {givenName: Ada, familyName: Lovelace}
    emails: [{value: ada@example.com, primary: true}]
    title: Countess
  - userName: alan@example.com
    name: {givenName: Alan, familyName: Turing}
    emails: [{value: alan@example.com, primary: true}]
"""


def _serve(paths: frozenset[str]) -> Iterator[str]:
    with running(forgetting(make_app(TOKEN, "generic"), paths)) as base:
        yield f"{base}/v2"


@pytest.fixture
def no_display_name() -> Iterator[str]:
    yield from _serve(frozenset({"displayName"}))


@pytest.fixture
def no_title() -> Iterator[str]:
    yield from _serve(frozenset({"title"}))


def _org(tmp_path: Path, url: str, mapping: str = "") -> Path:
    directory = tmp_path / "desired-state"
    directory.mkdir(exist_ok=True)
    (directory / "users.yaml").write_text(USERS)
    (directory / "targets.yaml").write_text(
        f"targets:\n  lab:\n    url: {url}\n    token_env: LAB_TOKEN\n    profile: generic\n"
        + mapping
    )
    return directory


def test_a_default_the_server_drops_is_reported_once_then_never_planned(
    cli, tmp_path: Path, no_display_name: str
) -> None:
    org = _org(tmp_path, no_display_name)
    env = {"LAB_TOKEN": TOKEN}
    report = tmp_path / "report.json"

    applied = cli("apply", "--dir", org, "--auto-approve", "--report", report, env=env)

    assert applied.code == 0, applied.out + applied.err
    assert "The server did not keep displayName for ada@example.com, alan@example.com" in (
        applied.out
    )
    assert "plans no longer ask for it" in applied.out
    assert '"path": "displayName"' in report.read_text()
    again = cli("plan", "--dir", org, "--detailed-exitcode", env=env)
    assert again.code == 0, again.out
    assert "No changes" in again.out


def test_an_attribute_the_yaml_writes_names_the_mapping_that_stops_managing_it(
    cli, tmp_path: Path, no_title: str
) -> None:
    org = _org(tmp_path, no_title)
    env = {"LAB_TOKEN": TOKEN}
    fix = "`mapping: {title: null}` under `targets: lab:` in targets.yaml"

    applied = cli("apply", "--dir", org, "--auto-approve", env=env)

    assert applied.code == 0, applied.out + applied.err
    assert "The server did not keep title for ada@example.com: every plan will show" in (
        applied.out
    )
    assert fix in applied.out
    planned = cli("plan", "--dir", org, "--detailed-exitcode", env=env)
    assert planned.code == 2
    assert "~ title" in planned.out or "title:" in planned.out
    assert fix in planned.out

    _org(tmp_path, no_title, mapping="    mapping:\n      title: null\n")
    fixed = cli("plan", "--dir", org, "--detailed-exitcode", env=env)
    assert fixed.code == 0, fixed.out
    assert "No changes" in fixed.out


def test_a_server_that_keeps_everything_gets_no_note(cli, tmp_path: Path) -> None:
    with running(make_app(TOKEN, "generic")) as base:
        org = _org(tmp_path, f"{base}/v2")
        applied = cli("apply", "--dir", org, "--auto-approve", env={"LAB_TOKEN": TOKEN})
        planned = cli("plan", "--dir", org, env={"LAB_TOKEN": TOKEN})

    assert applied.code == 0, applied.out + applied.err
    assert "did not keep" not in applied.out
    assert "does not store" not in planned.out
    assert "No changes" in planned.out
