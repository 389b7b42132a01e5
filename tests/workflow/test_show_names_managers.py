"""Issue 19 item 8: `show PLANFILE` names managers by userName, as `plan` did, when the
manager's stable key is another (an explicit externalId such as `E0001`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.workflow.helpers import edit_user

pytestmark = pytest.mark.integration


def _manager_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "enterprise.manager" in line]


def test_show_prints_managers_as_plan_did(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    edit_user(org, "ada.lovelace@example.com", externalId="E0001")
    plan_file = tmp_path / "plan.json"
    planned = cli("plan", "--dir", org, "--out", plan_file, env=generic_server.env)
    assert planned.code == 0, planned.err
    shown = cli("show", plan_file)
    assert shown.code == 0, shown.err
    lines = _manager_lines(planned.out)
    assert '+ enterprise.manager: "ada.lovelace@example.com"' in lines
    assert _manager_lines(shown.out) == lines
    assert "E0001" not in "\n".join(_manager_lines(shown.out))
    markdown = cli("show", plan_file, "--format", "markdown")
    assert "manager: &quot;E0001&quot;" not in markdown.out and '"E0001"' not in markdown.out
    saved = json.loads(plan_file.read_text())
    assert saved["user_names"] == {"E0001": "ada.lovelace@example.com"}
    assert any(  # apply still resolves the key: the row itself is unchanged
        a["path"] == "enterprise.manager" and a["after"] == "E0001"
        for c in saved["changes"]
        for a in c["attributes"]
    )
