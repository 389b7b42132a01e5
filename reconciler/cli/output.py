"""Where the CLI writes: standard output for results, standard error for the rest.

Styles only on a terminal, and none at all when NO_COLOR is set: rich alone would
drop the colours but keep bold, and a reader who asks for no colour wants no escapes.

This is the edge where text leaves the program, and every way out passes
``redacted`` (``reconciler.scim.redaction``), which removes the token of the run: the
two consoles, ``echo`` (a result printed as it is), ``write_file`` (plan files,
reports, Markdown) and the log handler of ``-v``. Data is read exactly, so a name
that holds the token reaches this edge, and stops here.

A file the program reads back as input (a saved plan, imported YAML) is never
redacted: a copy with the token hidden would no longer be what was read. ``exact``
refuses such a file instead, when it would hold the token.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

import typer
from rich.console import Console

from reconciler.errors import InputError
from reconciler.escaping import printable
from reconciler.scim.redaction import redacted


class _Redacting:
    """A text stream that passes what is written on with the run's token redacted
    (every attribute but ``write`` is the stream's own: ``isatty``, ``encoding``…)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redacted(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Console(Console):
    """A rich console whose every write is redacted. The stream is looked up at each
    write, as rich does (so a test's captured ``sys.stdout`` is the one written to)."""

    @property
    def file(self) -> IO[str]:
        return _Redacting(super().file)  # type: ignore[return-value]

    @file.setter
    def file(self, new_file: IO[str]) -> None:
        self._file = new_file


def _console(stderr: bool) -> Console:
    system: Literal["auto"] | None = None if os.environ.get("NO_COLOR") else "auto"
    return _Console(
        stderr=stderr, highlight=False, soft_wrap=True, emoji=False, color_system=system
    )


out = _console(stderr=False)
err = _console(stderr=True)


def echo(text: str) -> None:
    """A result on standard output exactly as rendered (JSON, Markdown), redacted."""
    typer.echo(redacted(text))


def write_file(path: Path, text: str) -> None:
    """A file the command was asked for (a plan, a report, Markdown), redacted; one that
    cannot be written is an ``InputError`` naming it (a full disk, a missing directory)."""
    try:
        path.write_text(redacted(text), encoding="utf-8")
    except OSError as error:
        raise InputError(_unwritable(path, error)) from None


def writable(paths: Iterable[Path | None]) -> None:
    """Check, before any work, that each file the command was asked to write can be
    opened for writing: an ``InputError`` naming the first that cannot. A file that was
    not there is created to find out, then removed; nothing else is changed."""
    for path in paths:
        if path is None:
            continue
        existed = path.exists() or path.is_symlink()
        try:
            with path.open("a", encoding="utf-8"):
                pass
        except OSError as error:
            raise InputError(_unwritable(path, error)) from None
        if not existed:
            path.unlink(missing_ok=True)


def _unwritable(path: Path, error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"cannot write {printable(str(path))}: {reason}"


def holds_token(text: str) -> bool:
    """Whether ``text`` holds the run's token (or a piece ``redacted`` would remove)."""
    return redacted(text) != text


def exact(text: str, refusal: str) -> str:
    """``text`` as it is, for a file the program reads back; ``InputError(refusal)`` when
    it holds the run's token, which such a file may neither show nor hide."""
    if holds_token(text):
        raise InputError(refusal)
    return text


def tolerate_narrow_encodings() -> None:
    """On a stdout or stderr that is not UTF-8 (``LANG=C`` on an old system,
    ``PYTHONIOENCODING=ascii``), write what it cannot encode as ``\\uXXXX`` instead of
    failing: a name from a server is shown, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if isinstance(stream, io.TextIOWrapper) and encoding != "utf8":
            stream.reconfigure(errors="backslashreplace")


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redacted(super().format(record))


def setup_logging(verbose: bool) -> None:
    """With -v, one line per request on stderr (method, path, status; never a token)."""
    logger = logging.getLogger("reconciler")
    logger.handlers.clear()
    handler = logging.StreamHandler()
    handler.setFormatter(_RedactingFormatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    for chatty in ("httpx", "httpcore"):
        # They log request lines and, at DEBUG, response headers a hostile server could
        # fill with an echoed token; our own logger says what -v needs.
        logging.getLogger(chatty).setLevel(logging.WARNING)
