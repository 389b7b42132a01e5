"""Issue 19 item 13: every problem `validate` prints has one shape, ``file:line:column:
message``, the first one too: problem matchers and grep rely on it. The count that ends
the list says it is an error."""

from __future__ import annotations

import re
from pathlib import Path

SHAPE = re.compile(r"^[^\s:]+\.yaml:\d+:\d+: \S")


def test_every_problem_line_has_one_shape_and_the_count_says_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "desired"
    directory.mkdir()
    (directory / "users.yaml").write_text(
        "users:\n"
        "  - userName: alice@example.com\n"
        "    titel: Engineer\n"
        "  - userName: bob@example.com\n"
        "    active: 'yes'\n"
    )
    (directory / "groups.yaml").write_text(
        "groups:\n  - displayName: eng\n    members: [nobody@example.com]\n"
    )

    result = cli("validate", "--dir", directory, "--profile", "generic")

    assert result.code == 1
    *problems, last = result.err.splitlines()
    assert len(problems) == 3, result.err
    assert all(SHAPE.match(line) for line in problems), result.err
    assert last == "Error: 3 problems found; nothing was changed."
