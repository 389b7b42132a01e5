"""Help as a user copies from it: examples whole at any width, honest options."""

from __future__ import annotations

import inspect

import pytest

from reconciler.cli import app as app_module

COMMANDS = (
    "validate",
    "plan",
    "apply",
    "show",
    "drift",
    "access-review",
    "import",
    "check",
    "sandbox",
)


def _help(cli, monkeypatch: pytest.MonkeyPatch, command: str, columns: int) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(columns))
    shown = cli(command, "--help")
    assert shown.code == 0, shown.err
    return str(shown.out)


def _examples(command: str) -> list[str]:
    info = next(c for c in app_module.app.registered_commands if c.name == command)
    doc = inspect.cleandoc(info.callback.__doc__ or "")  # type: ignore[union-attr]
    lines = doc.split("Examples:", 1)[1].splitlines()
    return [line.strip() for line in lines if line.strip()]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("columns", [60, 200])
def test_every_example_is_printed_whole(cli, monkeypatch, command: str, columns: int) -> None:  # type: ignore[no-untyped-def]
    shown = [line.strip() for line in _help(cli, monkeypatch, command, columns).splitlines()]
    examples = _examples(command)
    assert examples
    for example in examples:
        assert example in shown, f"{command}: {example!r} is wrapped"


def test_options_have_plain_metavars(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    text = _help(cli, monkeypatch, "plan", 120)
    assert "--only ADDRESS" in text
    assert "list[str]" not in text


def test_validate_does_not_offer_request_logging(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    text = _help(cli, monkeypatch, "validate", 200)
    assert "Log every request" not in text
    assert "validate sends no request" in text
