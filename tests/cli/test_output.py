"""The output edge (issue 17): what leaves the program is redacted, a bug's traceback too."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from reconciler.cli import app as scimctl
from reconciler.scim.redaction import keep_out_of_output

TOKEN = "edge-canary-4Hq9-Zt2w-token"


def test_a_bugs_traceback_is_written_through_the_redacting_edge(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug is not ours to word, but its message may quote server data holding the token:
    the interpreter prints it through the same edge as everything else."""

    def bug(standalone_mode: bool) -> None:
        keep_out_of_output(TOKEN)
        raise KeyError(f"user {TOKEN}@example.com")

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(scimctl, "app", bug)
    with pytest.raises(KeyError) as caught:
        scimctl.main()
    sys.excepthook(caught.type, caught.value, caught.tb)
    printed = capsys.readouterr().err
    assert "KeyError: 'user [redacted]@example.com'" in printed
    assert TOKEN not in printed


ROOT = Path(__file__).resolve().parents[2] / "reconciler"
EXEMPT = {
    "cli/output.py": "the edge itself",
    "plan/saved.py": "write_plan, which plan --out no longer calls (it saves through the edge)",
    "sandbox": "the sandbox server, which holds no token of a run",
    "github": "the pipeline's steps, run as their own processes without the SCIM token",
}


def _bypasses(path: Path) -> list[str]:
    """Ways to write that bypass ``reconciler.cli.output``: builtin ``print``,
    ``typer.echo``, ``sys.stdout``/``sys.stderr``, ``write_text``/``write_bytes``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id if node.func.id == "print" else ""
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            through = {("typer", "echo"), ("sys", "stdout"), ("sys", "stderr")}
            around = (owner, node.attr) in through or node.attr in ("write_text", "write_bytes")
            name = f"{owner}.{node.attr}" if around else ""
        else:
            continue
        if name:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_nothing_is_written_around_the_redacting_edge() -> None:
    """Issue 17: the token is removed where text leaves the program, so every way out
    goes through ``reconciler.cli.output`` (``out``, ``err``, ``echo``, ``write_file``,
    the log handler); a file read back as input (a plan, imported YAML) passes ``exact``."""
    bypasses = [
        found
        for path in sorted(ROOT.rglob("*.py"))
        if not any(str(path.relative_to(ROOT)).startswith(exempt) for exempt in EXEMPT)
        for found in _bypasses(path)
    ]
    assert bypasses == []
