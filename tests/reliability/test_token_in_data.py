"""Issue 17: redaction belongs to what is printed, never to what is read.

The token used to be scrubbed out of server data as bodies were decoded: with the
token ``example`` every ``@example.com`` read as ``@[redacted].com``, and each plan
renamed every user; with ``test``, ``test.user@…`` was planned for creation and the
existing one for deactivation. Data is now read exactly, against real sandbox servers
whose token is the one named, and the token is removed where text leaves the program:
the terminal, ``-v``, Markdown, reports. A file the program reads back (a saved plan,
imported YAML) is refused rather than written with the token hidden.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.server import make_app, running
from tests.reliability.support import longest_run, scim_user

pytestmark = pytest.mark.integration

LONG = "k7QwZ2rX9mVb4NtY8pLs3HdG"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TEST_USER = """\
users:
  - userName: test.user@example.com
    name: {givenName: Test, familyName: User}
    emails: [{value: test.user@example.com, type: work, primary: true}]
"""
ADA = """\
users:
  - userName: ada@example.com
    displayName: Ada Lovelace
    name: {{givenName: Ada, familyName: Lovelace}}
    emails: [{{value: ada@example.com, type: work, primary: true}}]
    title: Keeper of {token}
    enterprise: {{department: Engineering}}
"""


@contextmanager
def sandbox(token: str, profile: str = "generic") -> Iterator[tuple[dict[str, str], httpx.Client]]:
    """A fresh tenant of a sandbox that accepts ``token``: the environment of a run, and
    a raw client of the tenant."""
    with running(make_app(token, profile, tenants=True)) as base:
        url = f"{base}/{uuid.uuid4().hex}/v2"
        env = {"SCIM_URL": url, "SCIM_TOKEN": token, "SCIM_PROFILE": profile}
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            yield env, http


def as_word(token: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(token)}(?!\w)")


def named(http: httpx.Client, user_name: str) -> int:
    """How many users the server holds under ``user_name``."""
    found = http.get("/Users", params={"filter": f'userName eq "{user_name}"'}).json()
    return len(found["Resources"])


@pytest.mark.parametrize(
    ("token", "profile"),
    [("example", "generic"), ("example", "aws-identity-center"), ("test", "generic")],
)
def test_a_token_that_is_a_word_of_the_names_changes_nothing_that_is_read(
    cli,  # type: ignore[no-untyped-def]
    org: Path,
    token: str,
    profile: str,
) -> None:
    (org / "users" / "extra.yaml").write_text(TEST_USER)
    with sandbox(token, profile) as (env, http):
        applied = cli("apply", "--dir", org, "--auto-approve", env=env)
        assert applied.code == 0, applied.out + applied.err
        again = cli("plan", "--dir", org, "--detailed-exitcode", env=env)
        assert again.code == 0, again.out + again.err  # was 2: every user renamed, or
        assert "No changes" in again.out  # test.user created and deactivated
        assert named(http, "test.user@example.com") == 1
    shown = applied.out + applied.err + again.out + again.err
    assert not as_word(token).search(shown), shown
    assert "[redacted]" in applied.out  # shown, never read, so


def test_the_token_in_the_data_reaches_no_output_and_the_data_is_read_exactly(
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Ada's title holds the token (as the YAML does: they agree, no change), her
    displayName too (it changes): the plan shows the change with the token redacted
    in every channel, and after the apply the next plan is empty."""
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "users.yaml").write_text(ADA.format(token=LONG))
    out = tmp_path / "out"
    out.mkdir()
    with sandbox(LONG) as (env, http):
        ada = scim_user("ada@example.com", "scimctl:ada@example.com")
        ada.update(displayName=f"Ada {LONG}", title=f"Keeper of {LONG}")
        ada[ENTERPRISE] = {"department": "Research"}
        assert http.post("/Users", json=ada).status_code == 201
        runs: dict[str, Any] = {
            "plan": cli("plan", "--dir", directory, "-v", "--markdown", out / "p.md", env=env),
            "json": cli("plan", "--dir", directory, "--format", "json", env=env),
            "markdown": cli("plan", "--dir", directory, "--format", "markdown", env=env),
            "apply": cli(
                *("apply", "--dir", directory, "--auto-approve", "-v"),
                *("--report", out / "r.json", "--markdown", out / "r.md"),
                env=env,
            ),
        }
        again = cli("plan", "--dir", directory, "--detailed-exitcode", env=env)
        stored = http.get("/Users").json()["Resources"][0]
    assert [r.code for r in runs.values()] == [0, 0, 0, 0], runs
    assert "title" not in runs["plan"].out  # read exactly: as the YAML says
    assert again.code == 0, again.out + again.err
    assert stored["title"] == f"Keeper of {LONG}"
    assert stored["displayName"] == "Ada Lovelace"
    texts = {
        f"{name} {stream}": getattr(run, stream)
        for name, run in runs.items()
        for stream in ("out", "err")
    }
    texts.update({path.name: path.read_text() for path in out.iterdir()})
    for where, text in texts.items():
        assert longest_run(text, LONG) < 6, f"{where}: {text}"
    assert '"Ada [redacted]" → "Ada Lovelace"' in runs["plan"].out
    assert "Ada [redacted]" in texts["json out"] + texts["p.md"] + texts["r.md"]


def test_a_plan_whose_data_holds_the_token_is_not_saved(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A plan file is compared with the plan apply makes again: one with the token
    hidden would not match it, one with the token shown would leak it. Neither is
    written; the plan is still shown, redacted."""
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "users.yaml").write_text(ADA.format(token="Engineer"))
    with sandbox(LONG) as (env, http):
        ada = scim_user("ada@example.com", "scimctl:ada@example.com", title=f"Keeper of {LONG}")
        assert http.post("/Users", json=ada).status_code == 201
        result = cli("plan", "--dir", directory, "--out", tmp_path / "plan.json", env=env)
    assert result.code == 1, result.out + result.err
    assert "plan.json: the plan was not saved: what the server returned holds the token" in (
        result.err
    )
    assert "(in user:ada@example.com)" in result.err
    assert '"Keeper of [redacted]" → "Keeper of Engineer"' in result.out
    assert not (tmp_path / "plan.json").exists()
    assert LONG not in result.out + result.err


def test_import_writes_nothing_when_the_data_holds_the_token(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Imported YAML goes to git and is read back as the desired state: it may neither
    hold the token nor hide it (a hidden one would be planned onto the server)."""
    with sandbox(LONG) as (env, http):
        bob = scim_user("bob@example.com", title=f"Keeper of {LONG}")
        assert http.post("/Users", json=bob).status_code == 201
        result = cli("import", "--out", tmp_path / "imported", env=env)
    assert result.code == 1, result.out + result.err
    assert "nothing was written: what the server returned holds the token" in result.err
    assert not (tmp_path / "imported" / "users.yaml").exists()
    assert LONG not in result.out + result.err


def test_a_one_character_token_leaves_the_request_lines_readable(cli, org: Path) -> None:  # type: ignore[no-untyped-def]
    """``-v`` once printed ``GET /Groups?coun[redac[redacted]ed]=…``: the ``t`` of
    ``count``, then the ``t`` of the marker, redacted."""
    with sandbox("t") as (env, _):
        result = cli("plan", "--dir", org, "-v", env=env)
    assert result.code == 0, result.out + result.err
    assert re.search(r"^GET /Groups\?count=\d+\S* -> 200 ", result.err, re.M), result.err
    assert "[redac" not in result.err
