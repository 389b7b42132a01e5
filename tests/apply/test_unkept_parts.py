"""Issue 19 item 4: a server that drops a sub-attribute of a multi-valued attribute
(django-scim2 keeps no email ``type``). Apply names ``emails.type`` as not kept, with the
mapping line that stops managing it; with that line, the next plan is empty and stays so.

The server is a real scim2-server behind a WSGI layer that takes ``type`` out of every
email it is sent, as such a server would store them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import make_app, running
from tests.conftest import TOKEN

pytestmark = pytest.mark.integration

USERS = """\
users:
  - userName: ada@example.com
    name: {givenName: Ada, familyName: Lovelace}
    emails: [{value: ada@example.com, type: work, primary: true}]
  - userName: alan@example.com
    name: {givenName: Alan, familyName: Turing}
    emails: [{value: alan@example.com, type: work, primary: true}]
"""


def _typeless(value: Any) -> Any:
    """``value`` with no ``type`` in any email it holds."""
    if isinstance(value, dict):
        emails = value.get("emails")
        if isinstance(emails, list):
            value = {**value, "emails": [_without_type(e) for e in emails]}
        return value
    if isinstance(value, list):
        return [_without_type(v) for v in value]
    return value


def _without_type(item: Any) -> Any:
    return {k: v for k, v in item.items() if k != "type"} if isinstance(item, dict) else item


def _forgets_email_types(app: Any) -> Any:
    def forgetful(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if "/Users" not in environ.get("PATH_INFO", "") or method not in ("POST", "PUT", "PATCH"):
            return app(environ, start_response)
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size) or b"{}")
        if method == "PATCH":
            for op in body.get("Operations", []):
                if op.get("path") == "emails" or op.get("path") is None:
                    op["value"] = _typeless(op.get("value"))
        else:
            body = _typeless(body)
        raw = json.dumps(body).encode()
        environ = {**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}
        return app(environ, start_response)

    return forgetful


@pytest.fixture
def no_email_type() -> Iterator[str]:
    with running(_forgets_email_types(make_app(TOKEN, "generic"))) as base:
        yield f"{base}/v2"


def _org(tmp_path: Path, url: str, mapping: str = "") -> Path:
    directory = tmp_path / "desired-state"
    directory.mkdir(exist_ok=True)
    (directory / "users.yaml").write_text(USERS)
    (directory / "targets.yaml").write_text(
        f"targets:\n  lab:\n    url: {url}\n    token_env: LAB_TOKEN\n    profile: generic\n"
        + mapping
    )
    return directory


def test_a_dropped_email_type_is_reported_and_the_advice_makes_the_loop_converge(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, no_email_type: str
) -> None:
    org = _org(tmp_path, no_email_type)
    env = {"LAB_TOKEN": TOKEN}
    report = tmp_path / "report.json"

    applied = cli("apply", "--dir", org, "--auto-approve", "--report", report, env=env)

    assert applied.code == 0, applied.out + applied.err
    line = "`mapping: {emails.type: null}` under `targets: lab:` in targets.yaml"
    assert (
        "The server did not keep emails.type for ada@example.com, alan@example.com: every plan "
        f"will show this update again. To stop managing emails.type on target 'lab', add {line}."
    ) in applied.out
    unkept = [o["unkept"] for o in json.loads(report.read_text())["outcomes"]]
    assert unkept == [[{"path": "emails.type", "default": False}]] * 2
    again = cli("plan", "--dir", org, "--detailed-exitcode", env=env)
    assert again.code == 2  # what the server dropped shows again, as the note said
    _org(tmp_path, no_email_type, "    mapping: {emails.type: null}\n")  # the advice
    settled = cli("plan", "--dir", org, "--detailed-exitcode", env=env)
    assert settled.code == 0, settled.out
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    assert cli("plan", "--dir", org, "--detailed-exitcode", env=env).code == 0


def test_a_sub_attribute_can_only_be_left_unmanaged(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    org = _org(tmp_path, "http://127.0.0.1:9/v2", "    mapping: {emails.type: '{title}'}\n")
    result = cli("validate", "--dir", org)
    assert result.code == 1
    assert "mapping: emails.type can only be null (not managed on the target)" in result.err
