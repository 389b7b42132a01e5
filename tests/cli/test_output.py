"""The output edge (issue 17): what leaves the program is redacted, a bug's traceback too."""

from __future__ import annotations

import sys

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
