"""Issue 13 item 15 and issue 14 item 21: what `scimctl import` writes, and how.

- It never writes through a symbolic link at an output path (dangling or not, with or
  without --force): it refuses it, naming it; files are written whole and renamed.
- It writes targets.yaml naming the server it read (URL, token variable, profile;
  never the token), so `plan --target` works on what it wrote; an existing one is kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import TOKEN, Server


def _env(server: Server) -> dict[str, str]:
    return {"SCIM_URL": server.url, "SCIM_TOKEN": TOKEN}


@pytest.mark.parametrize("force", [False, True])
def test_a_link_at_an_output_path_is_refused(
    cli, generic_server: Server, tmp_path: Path, force: bool
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "imported"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    (out / "users.yaml").symlink_to(victim)  # dangling
    (out / "groups.yaml").symlink_to(tmp_path / "kept.txt")
    (tmp_path / "kept.txt").write_text("keep me\n")
    args = ["import", "--out", out, *(["--force"] if force else [])]
    result = cli(*args, env=_env(generic_server))
    assert result.code == 1
    assert "users.yaml is a symbolic link: import never writes through a link" in result.err
    assert not victim.exists()
    assert (tmp_path / "kept.txt").read_text() == "keep me\n"
    assert (out / "users.yaml").is_symlink()


def test_import_writes_a_target_that_plan_can_use(
    cli, org: Path, generic_server: Server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**_env(generic_server), "SCIM_PROFILE": "generic"}
    assert cli("apply", "--dir", org, "--auto-approve", env=env).code == 0
    out = tmp_path / "imported"
    result = cli("import", "--out", out, "--managed", env=env)
    assert result.code == 0, result.err
    text = (out / "targets.yaml").read_text()
    assert TOKEN not in text
    assert yaml.safe_load(text)["targets"] == {
        "default": {"url": generic_server.url, "token_env": "SCIM_TOKEN", "profile": "generic"}
    }
    assert "Wrote target 'default'" in result.out
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no scratch left
    # Only the token in the environment: the URL comes from what import wrote.
    plan = cli(
        "plan",
        "--dir",
        out,
        "--target",
        "default",
        "--detailed-exitcode",
        env={"SCIM_TOKEN": TOKEN},
    )
    assert plan.code == 0, plan.out + plan.err


def test_an_existing_targets_file_is_kept(cli, generic_server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "imported"
    out.mkdir()
    mine = f"targets:\n  prod:\n    url: {generic_server.url}\n    token_env: PROD_TOKEN\n"
    (out / "targets.yaml").write_text(mine)
    result = cli("import", "--out", out, "--target", "prod", env={"PROD_TOKEN": TOKEN})
    assert result.code == 0, result.err
    assert (out / "targets.yaml").read_text() == mine
    assert (out / "users.yaml").is_file()
