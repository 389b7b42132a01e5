"""Where the CLI writes: standard output for results, standard error for the rest.

Styles only on a terminal, and none at all when NO_COLOR is set: rich alone would
drop the colours but keep bold, and a reader who asks for no colour wants no escapes.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from typing import Literal

from rich.console import Console


def _console(stderr: bool) -> Console:
    system: Literal["auto"] | None = None if os.environ.get("NO_COLOR") else "auto"
    return Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False, color_system=system)


out = _console(stderr=False)
err = _console(stderr=True)


def tolerate_narrow_encodings() -> None:
    """On a stdout or stderr that is not UTF-8 (``LANG=C`` on an old system,
    ``PYTHONIOENCODING=ascii``), write what it cannot encode as ``\\uXXXX`` instead of
    failing: a name from a server is shown, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if isinstance(stream, io.TextIOWrapper) and encoding != "utf8":
            stream.reconfigure(errors="backslashreplace")


def setup_logging(verbose: bool) -> None:
    """With -v, one line per request on stderr (method, path, status; never a token)."""
    logger = logging.getLogger("reconciler")
    logger.handlers.clear()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    for chatty in ("httpx", "httpcore"):
        # They log request lines and, at DEBUG, response headers a hostile server could
        # fill with an echoed token; our own logger says what -v needs.
        logging.getLogger(chatty).setLevel(logging.WARNING)
