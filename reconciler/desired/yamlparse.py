"""Bytes to a YAML node graph: size, encoding and syntax, each failure a ``Problem``.

The C LibYAML parser composes the graph when PyYAML was built with it, the
pure-Python parser otherwise. Composing builds no Python values and expands no
alias: an alias is the same node object met twice.
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.composer import Composer
from yaml.nodes import Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from reconciler.errors import Problem, ValidationFailed

DEFAULT_MAX_BYTES = 10 * 2**20
"""The most one desired-state file may hold; the largest org spreads over many files."""

LIBYAML = yaml.__with_libyaml__
"""Whether the C parser is used (tests switch it off to run the fallback)."""

_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_TOKEN = re.compile(r"[^\s,\[\]{}]+")
_TAB_HINT = "; YAML does not allow tabs for indentation: indent with spaces"
_COLON_HINT = "; put a value that holds ': ' in quotes, or check the indentation"


class _Resolver(Resolver):
    """PyYAML's ``Resolver`` without its per-node bookkeeping for path resolvers.

    Same implicit resolvers, same answers: plain scalars are matched against the
    regular expressions registered for their first character; anything else is a
    string. Path resolvers (never registered here) cost two calls on every node.
    """

    _implicit = Resolver.yaml_implicit_resolvers

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        if kind is not ScalarNode:
            return self.DEFAULT_MAPPING_TAG
        if implicit[0]:
            for tag, regexp in self._implicit.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        return self.DEFAULT_SCALAR_TAG


class _PyLoader(Reader, Scanner, Parser, Composer, _Resolver):
    def __init__(self, stream: bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


if LIBYAML:
    from yaml._yaml import CParser

    class _CLoader(CParser, _Resolver):
        def __init__(self, stream: bytes) -> None:
            CParser.__init__(self, stream)
            _Resolver.__init__(self)


class ParserMark(Protocol):
    """A place as PyYAML and LibYAML give it: both 0-based."""

    line: int
    column: int


def line_column(mark: ParserMark | None) -> tuple[int, int]:
    """The 1-based line and column of a parser's mark; the file's start for none."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _at(mark: ParserMark) -> str:
    line, column = line_column(mark)
    return f"line {line}, column {column}"


def new_loader(source: bytes) -> _CLoader | _PyLoader:
    """A parser and composer over ``source``: LibYAML's if available."""
    return _CLoader(source) if LIBYAML else _PyLoader(source)


def read_source(path: Path, display: str, max_bytes: int) -> bytes:
    """The bytes of ``path``, refused by size before any byte is read when too big."""
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise ValidationFailed([_too_big(display, size, max_bytes)])
            source = stream.read(max_bytes + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        message = f"cannot read the file ({reason}); check the path and its permissions"
        raise ValidationFailed([Problem(display, 1, 1, message)]) from None
    check_size(source, display, max_bytes)
    return source


def check_size(source: bytes, display: str, max_bytes: int) -> None:
    if len(source) > max_bytes:
        raise ValidationFailed([_too_big(display, len(source), max_bytes)])


def _too_big(display: str, size: int, max_bytes: int) -> Problem:
    message = (
        f"file is {_amount(size)}, over the limit of {_amount(max_bytes)} for one "
        "desired-state file; split it into smaller files"
    )
    return Problem(display, 1, 1, message)


def _amount(size: int) -> str:
    return f"{size:,} bytes ({size / 2**20:.1f} MiB)"


def check_encoding(source: bytes, display: str) -> None:
    """Refuse anything but UTF-8 (a UTF-8 BOM is fine), at the first bad byte."""
    for bom, encoding in _FOREIGN_BOMS:
        if source.startswith(bom):
            message = f"file is {encoding}; save it as UTF-8"
            raise ValidationFailed([Problem(display, 1, 1, message)])
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = text_position(_text(source[: error.start]), None)
        message = f"not valid UTF-8 (byte 0x{source[error.start]:02x}); save the file as UTF-8"
        raise ValidationFailed([Problem(display, line, column, message)]) from None


def _text(source: bytes) -> str:
    return source.decode("utf-8").removeprefix("\ufeff")


def text_position(text: str, index: int | None) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (default: just past the end)."""
    end = len(text) if index is None else index
    line, start = 1, 0
    for match in _BREAK.finditer(text, 0, end):
        line, start = line + 1, match.end()
    return line, end - start + 1


def compose(source: bytes, display: str) -> Node | None:
    """The node graph of the one document in ``source`` (``None`` when it is empty)."""
    try:
        return new_loader(source).get_single_node()
    except yaml.MarkedYAMLError as error:
        raise ValidationFailed([syntax_problem(error, _text(source), display)]) from None
    except yaml.reader.ReaderError as error:
        raise ValidationFailed([_reader_problem(error, _text(source), display)]) from None


def syntax_problem(error: yaml.MarkedYAMLError, text: str, display: str) -> Problem:
    """The parser's own words at its own mark, with the place of its context and a hint."""
    mark = error.problem_mark or error.context_mark
    line, column = line_column(mark)
    source_line = _line(text, line)
    found = source_line[column - 1 : column]
    problem = error.problem or "not valid YAML"
    if problem == "found character that cannot start any token" and found:
        problem = f"found character {found!r} that cannot start any token"  # as PyYAML says it
    token = _TOKEN.match(source_line, column - 1)
    message = _composer_message(error, token[0] if token else found)
    if message is None:
        message = f"YAML syntax error: {problem}{_context(error, mark)}"
    if "\t" in found + source_line[: len(source_line) - len(source_line.lstrip())]:
        message += _TAB_HINT
    elif problem.startswith("mapping values are not allowed"):
        message += _COLON_HINT
    return Problem(display, line, column, message)


def _composer_message(error: yaml.MarkedYAMLError, token: str) -> str | None:
    first = error.context_mark
    if error.problem == "but found another document":
        return (
            "expected a single document in the stream, but found another document; a "
            "desired-state file holds one document: remove this '---' or split the file"
        )
    if error.problem == "second occurrence" and first is not None:
        hint = "give each anchor its own name"
        return f"found duplicate anchor '{token}' (first at {_at(first)}); {hint}"
    if (error.problem or "").startswith("found undefined alias"):
        return f"found undefined alias '{token}'; define the anchor ('&name') above the alias"
    return None


def _context(error: yaml.MarkedYAMLError, mark: yaml.Mark | None) -> str:
    where = error.context_mark
    if not error.context:
        return ""
    if where is None or mark is None or (where.line, where.column) == (mark.line, mark.column):
        return f" ({error.context})"
    return f" ({error.context} at {_at(where)})"


def _line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _reader_problem(error: yaml.reader.ReaderError, text: str, display: str) -> Problem:
    code = error.character if isinstance(error.character, int) else ord(error.character)
    # The reader stops at the first unacceptable character, so its first occurrence is it.
    index = text.find(chr(code))
    line, column = text_position(text, index) if index >= 0 else (1, 1)
    message = f"unacceptable character #x{code:04x}: {error.reason}; remove it"
    if code == 0:
        message += " (a NUL byte suggests the file is UTF-16 or binary: save it as UTF-8 text)"
    return Problem(display, line, column, message)
