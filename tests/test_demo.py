"""`make demo`'s script: plain text into pipes and under NO_COLOR, and no files left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

ESC = "\x1b"
STYLE = re.compile(r"\x1b\[[0-9;]*m")
"""A colour or style escape (SGR); a progress bar's cursor control is not one."""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM", "NO_COLOR"))}
    bin_dir = str(Path(sys.executable).parent)
    env.update(PATH=f"{bin_dir}:{env.get('PATH', '')}", XDG_CACHE_HOME=str(tmp_path), **extra)
    env.pop("SCIMCTL_CACHE_DIR", None)
    return env


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_demo_into_a_pipe_is_plain_text_and_leaves_no_cache(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Demo done" in done.stdout
    # AWS-first: the demo runs on the sandbox that behaves as AWS IAM Identity Center.
    assert "are valid (profile aws-identity-center)." in done.stdout
    assert ESC not in done.stdout + done.stderr
    assert not (tmp_path / "scim-reconciler").exists()  # its last-seen record went with it


def test_demo_on_a_terminal_honours_no_color(tmp_path: Path) -> None:
    main, child = os.openpty()
    process = subprocess.Popen(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=_env(tmp_path, NO_COLOR="1", TERM="xterm-256color"),
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    output = _read_all(main).decode(errors="replace")
    os.close(main)
    assert process.wait(timeout=300) == 0, output
    assert "Demo done" in output
    assert "applying" in output  # it was a terminal: the progress bar showed
    assert not STYLE.search(output), STYLE.findall(output)
