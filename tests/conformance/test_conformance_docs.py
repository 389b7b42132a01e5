"""The conformance tables in docs/providers/ name tests that exist, and every row has one.

A row's test column holds ``file.py::test_name`` references (a bare ``::test_name``
belongs to the file named before it), or "As <row>" for a row that shares another's
tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLES = sorted((ROOT / "docs" / "providers").glob("*.md"))
REFERENCE = re.compile(r"`(?:([\w/]+\.py))?::(test_\w+)(?:\[[^\]`]*\])?`")
ROW = re.compile(r"^\| ([A-Z]+\d+) \|")


def _rows(table: Path) -> list[tuple[str, str]]:
    rows = []
    for line in table.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows.append((match.group(1), line.rsplit(" | ", 1)[-1]))
    return rows


def _references(cell: str) -> list[tuple[str, str]]:
    found, current = [], ""
    for match in REFERENCE.finditer(cell):
        current = match.group(1) or current
        found.append((current, match.group(2)))
    return found


@pytest.mark.parametrize("table", TABLES, ids=lambda path: path.name)
def test_every_named_test_exists(table: Path) -> None:
    missing = []
    for row, cell in _rows(table):
        for file, name in _references(cell):
            source = ROOT / "tests" / file
            text = source.read_text() if source.is_file() else ""
            if not re.search(rf"^def {name}\(", text, re.MULTILINE):
                missing.append(f"{row}: tests/{file}::{name}")
    assert not missing


@pytest.mark.parametrize(
    "table", [t for t in TABLES if t.name != "README.md"], ids=lambda path: path.name
)
def test_every_row_has_its_test(table: Path) -> None:
    rows = _rows(table)
    untested = [row for row, cell in rows if not (_references(cell) or cell.startswith("As "))]
    assert rows
    assert not untested
