"""Issue 19 items 9, 10, 11 and 14 (one target name): what the commands say about the
server they talk to, what they count, and that `plan` right after `import --group` is empty.

- `check` and `import` start with plan's `Target NAME: URL (source)` line, printed before
  the first request; a server that cannot be reached names the target's `url` in
  targets.yaml when that is where the URL came from, never SCIM_URL;
- a target given only by SCIM_URL and SCIM_TOKEN is `default` everywhere: plan, apply's
  prompt, drift, check, the saved plan, and the targets.yaml import writes;
- refused rows are counted in the plan's own units (a row of three members is three
  membership changes) in the plan, in apply's refusal, and in apply's summary;
- counts agree with their nouns (`1 group`, `1 of them is`);
- `import --group X` writes X as the target's scope, and the plan of what it wrote is empty.
"""

from __future__ import annotations

import functools
import json
import socket
from pathlib import Path

import pytest
import yaml

from reconciler.scim.client import ScimClient
from reconciler.scim.retry import RetryPolicy
from tests.conftest import TOKEN, Server

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.session

    quick = RetryPolicy(base_delay=0.001, max_delay=0.01)
    monkeypatch.setattr(
        reconciler.session, "ScimClient", functools.partial(ScimClient, retry=quick)
    )


@pytest.mark.parametrize("command", ["check", "import"])
def test_check_and_import_name_the_target_and_its_url_even_when_it_cannot_connect(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, quick_retries: None, command: str
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v2"
    config = tmp_path / "config"
    config.mkdir()
    targets = {"targets": {"prod": {"url": url, "token_env": "PROD_TOKEN"}}}
    (config / "targets.yaml").write_text(yaml.safe_dump(targets))
    extra = ["--out", tmp_path / "out"] if command == "import" else []
    result = cli(command, "--dir", config, "-t", "prod", *extra, env={"PROD_TOKEN": TOKEN})
    assert result.code == 1
    assert result.out.splitlines()[0] == f"Target prod: {url} (url from targets.yaml)"
    assert "is the url of target 'prod' in targets.yaml right?" in result.err
    assert "SCIM_URL" not in result.err


def test_check_starts_with_the_line_plan_starts_with(
    cli, org: Path, generic_server: Server
) -> None:  # type: ignore[no-untyped-def]
    checked = cli("check", "--dir", org, env=generic_server.env)
    planned = cli("plan", "--dir", org, env=generic_server.env)
    assert checked.code == 0, checked.out + checked.err
    assert checked.out.splitlines()[0] == planned.out.splitlines()[0]
    assert checked.out.splitlines()[0] == f"Target sandbox: {generic_server.url} (from SCIM_URL)"


def test_a_target_from_the_environment_alone_is_default_everywhere(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    (org / "targets.yaml").unlink()
    env = generic_server.env
    line = f"Target default: {generic_server.url} (from SCIM_URL)"
    planned = cli("plan", "--dir", org, "--out", tmp_path / "plan.json", env=env)
    assert planned.out.splitlines()[0] == line
    assert json.loads((tmp_path / "plan.json").read_text())["target"] == "default"
    checked = cli("check", "--dir", org, env=env)
    assert checked.out.splitlines()[0] == line
    drift = cli("drift", "--dir", org, "--baseline", "", env=env)
    assert "Drift on target default" in drift.out
    imported = cli("import", "--out", tmp_path / "imported", env=env)
    assert imported.out.splitlines()[0] == line
    written = yaml.safe_load((tmp_path / "imported" / "targets.yaml").read_text())
    assert list(written["targets"]) == ["default"]


def _privileged(org: Path) -> None:
    targets = {
        "targets": {
            "sandbox": {
                "url": "http://127.0.0.1:9/v2",
                "policy": {"privileged_groups": {"aws-admins": {"approvers": ["alice-gh"]}}},
            }
        }
    }
    (org / "targets.yaml").write_text(yaml.safe_dump(targets))


def test_refused_changes_are_counted_in_the_plans_units_everywhere(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    _privileged(org)
    env = generic_server.env
    planned = cli("plan", "--dir", org, "--out", tmp_path / "plan.json", env=env)
    assert planned.code == 3
    # aws-admins is created; its three members need an approval: three membership changes.
    assert planned.out.rstrip().endswith(
        "28 membership changes. (refused: 3 membership changes)"
    ), planned.out
    assert json.loads((tmp_path / "plan.json").read_text())["summary"]["refused"] == 3
    refused = cli("apply", "--dir", org, "--auto-approve", env=env)
    assert "refused by a safety rule: 3 membership changes (see above)" in refused.err
    applied = cli("apply", tmp_path / "plan.json", "--dir", org, env=env)
    assert applied.code == 3
    summary = next(line for line in applied.out.splitlines() if line.startswith("Apply: "))
    assert summary.endswith("28 membership changes; refused: 3 membership changes."), summary
    assert "Refused from the saved plan: 3 membership changes" in applied.err


def test_import_counts_agree_with_their_nouns(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = generic_server.env
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    generic_server.http.post(
        "/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "hand"},
    )
    imported = cli("import", "--out", tmp_path / "out", "--group", "hand", env=env)
    assert imported.code == 0, imported.err
    assert "Wrote 0 users and 1 group to " in imported.out
    assert "1 of them is unmanaged: plan shows it as a conflict until" in imported.err


@pytest.mark.parametrize("profile", ["generic", "aws-identity-center"])
def test_plan_right_after_import_of_one_group_is_empty(  # type: ignore[no-untyped-def]
    cli, org: Path, sandbox_bases: dict[str, str], tmp_path: Path, profile: str
) -> None:
    import uuid

    url = f"{sandbox_bases[profile]}/{uuid.uuid4().hex}/v2"
    env = {"SCIM_URL": url, "SCIM_TOKEN": TOKEN, "SCIM_PROFILE": profile}
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    out = tmp_path / "engineering"
    imported = cli("import", "--out", out, "--group", "Engineering", env=env)
    assert imported.code == 0, imported.err
    written = yaml.safe_load((out / "targets.yaml").read_text())
    assert written["targets"]["default"]["scope"] == {"groups": ["engineering"]}
    # The token in the environment only: the URL, profile and scope come from the file.
    plan = cli("plan", "--dir", out, "--detailed-exitcode", env={"SCIM_TOKEN": TOKEN})
    assert plan.code == 0, plan.out + plan.err
    assert "No changes." in plan.out


def test_imported_files_start_with_the_schema_line_wherever_they_are_written(  # type: ignore[no-untyped-def]
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:
    assert cli("apply", "--dir", org, "--auto-approve", env=generic_server.env).code == 0
    out = tmp_path / "elsewhere"  # outside any clone of this repository
    assert cli("import", "--out", out, env=generic_server.env).code == 0
    for name, schema in (
        ("users.yaml", "desired-state"),
        ("groups.yaml", "desired-state"),
        ("targets.yaml", "targets"),
    ):
        first = (out / name).read_text().splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix), (name, first)
        referenced = out / first.removeprefix(prefix)
        assert referenced.is_file() and referenced.name == f"{schema}.schema.json"
