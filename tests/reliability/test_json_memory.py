"""Issue 13, item 13: the memory of parsing an answer is bounded, not only its size.

The 64 MiB cap bounds the bytes; parsing them can cost far more (60 MiB of
``[[],[],…]`` is 20 million lists: 1.66 GB). ``scimctl plan`` runs in a child process
against a server whose listing page is 30 or 60 MiB of empty arrays: it must fail with
a clear message, and the child's peak RSS (``ru_maxrss``) must stay far below what
parsing would take (835 and 1618 MiB before the fix). The figures are printed (``-s``
shows them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.proxy import CannedServer, Incoming, Reply
from tests.reliability.test_hostile_servers import CONFIG, LIST, SCIM, TOKEN, answer

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
BOUND_MIB = 400
"""Peak RSS allowed to the child: the interpreter and its imports (about 80 MB), the
body twice over while it is read and joined, and room to spare."""
RUN_AND_MEASURE = """\
import resource, sys
sys.argv = ["scimctl", *sys.argv[1:]]
try:
    from reconciler.cli.app import main
    main()
finally:
    sys.stderr.write(f"\\nmaxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
"""


def empty_arrays(size: int) -> bytes:
    """A ListResponse of about ``size`` bytes whose Resources are ``[[],[],…]``."""
    head = json.dumps({"schemas": [LIST], "totalResults": 1, "startIndex": 1}).encode()
    count = size // 3
    return head[:-1] + b', "Resources": [' + b"[]," * count + b"[]]}"


def run_plan(directory: Path, url: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``scimctl plan`` in a child; its result and its peak RSS in MiB."""
    env = {**os.environ, "SCIM_URL": url, "SCIM_TOKEN": TOKEN}
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_MEASURE, "plan", "--dir", str(directory)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    peak = [line for line in done.stderr.splitlines() if line.startswith("maxrss_kib=")]
    assert peak, done.stderr
    return done, int(peak[-1].split("=", 1)[1]) // 1024


@pytest.mark.parametrize("size_mib", [30, 60])
def test_a_body_that_would_parse_into_gigabytes_is_refused_unparsed(
    tmp_path: Path, size_mib: int
) -> None:
    body = empty_arrays(size_mib * MIB)

    def server(incoming: Incoming) -> Reply:
        if incoming.path.endswith("/ServiceProviderConfig"):
            return answer(CONFIG)
        return Reply(200, dict(SCIM), body)

    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text("users:\n  - userName: alice@example.com\n")
    with CannedServer(server) as canned:
        done, peak_mib = run_plan(directory, f"{canned.url}/v2")
    print(f"\n{size_mib} MiB of [[],[],…]: exit {done.returncode}, child peak RSS {peak_mib} MiB")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "JSON values; refusing to parse it" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert peak_mib < BOUND_MIB, f"peak RSS {peak_mib} MiB"
