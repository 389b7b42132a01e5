"""Issue 5, item 5: hostile and broken desired state.

Every case of the corpus (``cases/`` and ``expected.yaml``, plus the few made here
because they cannot be kept as text) goes through `scimctl validate`, `plan` and
`apply --auto-approve`. Each must: exit 1, print the expected
``file:line:column: message``, print no traceback, and send nothing to the server:
SCIM_URL points at a loopback listener that counts every connection it accepts.
"""

from __future__ import annotations

import codecs
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.faults.proxy import CannedServer, Incoming, Reply

HERE = Path(__file__).parent
CASES = HERE / "cases"
EXPECTED: dict[str, str | list[str]] = yaml.safe_load((HERE / "expected.yaml").read_text())
TOKEN = "corpus-canary-token-7f3e9a"
PROBLEM = re.compile(r"^(Error: )?\S.*:\d+:\d+: \S")
FIFTY_MB = 50 * 2**20

Maker = Callable[[Path], None]


def _write(data: bytes) -> Maker:
    return lambda path: path.write_bytes(data)


def _fifty_megabytes(path: Path) -> None:
    entry = b"  - {userName: someone@example.com, title: Engineer, displayName: Some One}\n"
    with path.open("wb") as stream:
        stream.write(b"users:\n")
        block = entry * 10_000
        for _ in range(FIFTY_MB // len(block) + 1):
            stream.write(block)


ALICE = "users:\n  - userName: alice@example.com\n"
GENERATED: dict[str, tuple[Maker, list[str]]] = {
    "invalid-utf8": (
        _write(b"users:\n  - userName: al\xffce@example.com\n"),
        ["case.yaml:2:17: not valid UTF-8 (byte 0xff)"],
    ),
    "latin-1": (
        _write("users:\n  - userName: josé@example.com\n".encode("latin-1")),
        ["case.yaml:2:18: not valid UTF-8 (byte 0xe9)"],
    ),
    "utf16-with-bom": (_write(ALICE.encode("utf-16")), ["case.yaml:1:1: file is UTF-16"]),
    "utf32-with-bom": (_write(ALICE.encode("utf-32")), ["case.yaml:1:1: file is UTF-32"]),
    "utf16-without-bom": (
        _write(ALICE.encode("utf-16-le")),
        ["case.yaml:1:2: unacceptable character #x0000", "UTF-16 or binary"],
    ),
    "nul-byte": (
        _write(b"users:\n  - userName: alice\x00@example.com\n"),
        ["case.yaml:2:20: unacceptable character #x0000"],
    ),
    "utf8-bom-then-tab": (
        _write(codecs.BOM_UTF8 + b"users:\n\t- userName: alice@example.com\n"),
        ["case.yaml:2:1: YAML syntax error", "tabs"],
    ),
    "fifty-megabytes": (
        _fifty_megabytes,
        ["case.yaml:1:1: file is 52,", "over the limit", "split it into smaller files"],
    ),
}


@pytest.fixture(scope="module")
def listener() -> Iterator[CannedServer]:
    """Where SCIM_URL points: it answers 500 to anything, and counts connections."""

    def refuse(incoming: Incoming) -> Reply:
        return Reply(500, {"Content-Type": "text/plain"}, b"no request was expected")

    with CannedServer(refuse) as server:
        yield server


def _expected(name: str) -> list[str]:
    if name in GENERATED:
        return GENERATED[name][1]
    found = EXPECTED[name]
    return [found] if isinstance(found, str) else list(found)


def _materialise(name: str, directory: Path) -> None:
    directory.mkdir()
    if name in GENERATED:
        GENERATED[name][0](directory / "case.yaml")
    elif (CASES / name).is_dir():
        for path in (CASES / name).iterdir():
            shutil.copy(path, directory / path.name)
    else:
        shutil.copy(CASES / f"{name}.yaml", directory / "case.yaml")


def _all_cases() -> list[str]:
    on_disk = {p.name.removesuffix(".yaml") for p in CASES.iterdir()}
    assert on_disk == set(EXPECTED), "every case has its expected message, and the reverse"
    return sorted(on_disk | set(GENERATED))


def test_the_corpus_holds_at_least_forty_cases() -> None:
    assert len(_all_cases()) >= 40


@pytest.mark.parametrize("name", _all_cases())
def test_hostile_input_is_refused_with_its_place_and_no_request(
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    listener: CannedServer,
    name: str,
) -> None:
    directory = tmp_path / "desired"
    _materialise(name, directory)
    first, *others = _expected(name)
    env = {"SCIM_URL": f"{listener.url}/v2", "SCIM_TOKEN": TOKEN}
    before = listener.connections

    for command in (["validate"], ["plan"], ["apply", "--auto-approve"]):
        result = cli(*command, "--dir", directory, env=env)
        where = f"scimctl {command[0]} on {name}:\n{result.out}{result.err}"
        assert result.code == 1, where
        assert "Traceback" not in result.out + result.err, where
        assert result.out == "", where  # no summary, no plan
        lines = result.err.splitlines()
        assert not lines[0].startswith("Error: "), where  # every problem line: one shape
        assert re.fullmatch(r"Error: \d+ problems? found; nothing was changed\.", lines[-1]), where
        assert all(PROBLEM.match(line) for line in lines[:-1]), where
        matching = [line for line in lines if f"{directory.name}/{first}" in line]
        assert matching, f"expected {first!r} in\n{where}"
        for words in others:
            assert words in matching[0], f"expected {words!r} in {matching[0]!r}"
        assert TOKEN not in result.out + result.err

    assert listener.connections == before, "a request was sent for an invalid desired state"


def test_a_utf8_bom_is_accepted(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "desired"
    directory.mkdir()
    (directory / "org.yaml").write_bytes(codecs.BOM_UTF8 + ALICE.encode())
    result = cli("validate", "--dir", directory)
    assert result.code == 0, result.err
    assert "1 user and 0 groups in 1 file are valid" in result.out


def test_every_problem_of_every_file_is_reported_in_one_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Not one problem at a time: a whole corpus of schema cases in one directory gives
    one message per case (the files that are not YAML at all included)."""
    directory = tmp_path / "desired"
    directory.mkdir()
    chosen = [
        "unknown-attribute",
        "password",
        "username-with-right-to-left-override",
        "malformed-unclosed-quote",
        "duplicate-user-key",
        "membership-unknown",
    ]
    for name in chosen:
        shutil.copy(CASES / f"{name}.yaml", directory / f"{name}.yaml")
    result = cli("validate", "--dir", directory)
    assert result.code == 1
    # Cross-file checks run in the same pass: three of the files define alice.
    duplicates = ["password.yaml:2:15: user 'alice@example.com' is defined twice"]
    duplicates.append("unknown-attribute.yaml:2:15: user 'alice@example.com' is defined twice")
    assert f"{len(chosen) + len(duplicates)} problems found; nothing was changed." in result.err
    for name in chosen:
        expected = _expected(name)[0].replace("case.yaml", f"{name}.yaml")
        assert expected in result.err, name
    for expected in duplicates:
        assert expected in result.err
