"""Keeping the token out of every string a server can put in front of a user.

A hostile or careless server may echo the token anywhere: in a JSON ``detail``, an
HTML page, a Location, a header, a user's name. Every string that came from a server
takes one path before it is shown: ``tidy``, which redacts first and cuts afterwards,
so that a cut can never leave part of the token behind. Redacted are:

* the token whole, and its percent-encoded forms, ``/`` encoded or not (a Location or
  query echoes those);
* any run of its characters that holds one of its aligned 8-character pieces (so every
  run of 15 or more, wherever it stands), and any prefix or suffix of 8 or more (a
  server that cut its own echo short);
* a prefix or suffix of 4 or more characters standing at an edge of the text (its
  start, its end, or where ``cut`` cuts it), where a cut made elsewhere may have left it.

Data (names, ids: ``scrub_data``, as bodies are decoded) is scrubbed of the whole token
and of runs from its first or last ``DATA_FRAGMENT`` characters only: changing data
changes the plan, so it takes more to be sure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
EDGE_FRAGMENT = 4
"""Shortest prefix or suffix of the token redacted at an edge of the text."""
INNER_FRAGMENT = 8
"""Shortest prefix or suffix of the token redacted anywhere in a message."""
DATA_FRAGMENT = 12
"""Shortest prefix or suffix of the token redacted in data (a name, an id): longer than
in messages, because changing data changes the plan, and a token chosen by a person
("example-token") may share a few characters with a name."""
WINDOW = 8
"""Runs of the token are found by its aligned pieces of this length: any run of
``2 * WINDOW - 1`` characters or more holds one whole."""
PRE_CUT = 16
"""``tidy`` looks at no more than this many times its limit (after a whole-token pass):
a 60 MB ``detail`` is not cleaned character by character to show 500 of them."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Secrets:
    """The forms of the token that a server may echo. Never printed (no repr)."""

    forms: tuple[str, ...] = field(default=(), repr=False)
    probes: tuple[str, ...] = field(default=(), repr=False)
    """Its whole forms' first and last ``DATA_FRAGMENT`` characters (or the whole form,
    when shorter): data that holds none of them needs no scrubbing (a fast test, in C)."""

    @classmethod
    def of(cls, token: str) -> Secrets:
        forms = tuple(
            dict.fromkeys(
                f for f in (token, quote(token, safe=""), quote(token), quote_plus(token)) if f
            )
        )
        probes = (
            (f[:DATA_FRAGMENT], f[-DATA_FRAGMENT:]) if len(f) > DATA_FRAGMENT else (f,)
            for f in forms
        )
        return cls(forms, tuple(dict.fromkeys(p for pair in probes for p in pair)))

    def __bool__(self) -> bool:
        return bool(self.forms)


NO_SECRETS = Secrets()


def scrub(text: str, secrets: Secrets) -> str:
    """``text`` with the token, its long fragments and its fragments at either end of
    ``text`` replaced by ``[redacted]``."""
    text = _redact_whole(text, secrets)
    for form in secrets.forms:
        text = _redact_runs(text, form)
        text = _redact_edges(text, form)
    return text


def scrub_data(text: str, secrets: Secrets) -> str:
    """A string of data (a name, an id) with the token redacted, and any run of its
    characters that starts with its first ``DATA_FRAGMENT`` or ends with its last."""
    text = _redact_whole(text, secrets)
    for form in secrets.forms:
        if len(form) > DATA_FRAGMENT:
            spans = _runs_through(text, form, 0, DATA_FRAGMENT)
            spans += _runs_through(text, form, len(form) - DATA_FRAGMENT, DATA_FRAGMENT)
            text = _replace_spans(text, spans)
    return text


def cut(text: str, limit: int, secrets: Secrets) -> str:
    """``text`` cut to at most ``limit`` characters (ending in "…" when cut), with any
    fragment of the token that the cut leaves at its end redacted. Scrub first."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    marker = head.rfind(REDACTED[0], max(len(head) - len(REDACTED), 0))
    if marker != -1 and text.startswith(REDACTED, marker):  # a marker whole, or none
        room = len(head) - len(REDACTED)
        head = head[: min(marker, room)] + REDACTED if room >= 0 else head[:marker]
    for form in secrets.forms:
        head = _redact_tail(head, form, EDGE_FRAGMENT)
    return head + "…"


def printable_line(text: str) -> str:
    """One line: control and format characters become spaces, runs of space one."""
    printable = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in text)
    return _SPACE.sub(" ", printable).strip()


def tidy(text: str, limit: int, secrets: Secrets = NO_SECRETS) -> str:
    """Server text made fit to show: redacted, on one printable line, then cut to
    ``limit`` characters. The one path every such string takes before a message."""
    text = _redact_whole(text, secrets)  # before any cut, even the generous one below
    text = text[: limit * PRE_CUT]
    return cut(scrub(printable_line(text), secrets), limit, secrets)


# --- fragments ------------------------------------------------------------------------


def _redact_whole(text: str, secrets: Secrets) -> str:
    """``text`` with every whole form of the token replaced."""
    for form in secrets.forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def _redact_runs(text: str, form: str) -> str:
    """Every run of ``form``'s characters that holds one of its aligned windows, or is a
    prefix or suffix of ``form`` of ``INNER_FRAGMENT`` or more characters."""
    if len(form) < INNER_FRAGMENT:
        return text
    spans: list[tuple[int, int]] = []
    for offset in range(0, len(form) - WINDOW + 1, WINDOW):
        spans += _runs_through(text, form, offset, WINDOW)
    spans += _runs_through(text, form, 0, INNER_FRAGMENT)
    spans += _runs_through(text, form, len(form) - INNER_FRAGMENT, INNER_FRAGMENT)
    return _replace_spans(text, spans)


def _runs_through(text: str, form: str, offset: int, length: int) -> list[tuple[int, int]]:
    """Spans of ``text`` that match ``form`` around each place where
    ``form[offset:offset + length]`` occurs, grown as far as they keep matching."""
    piece = form[offset : offset + length]
    spans = []
    start = text.find(piece)
    while start != -1:
        left, right = start, start + length
        while (
            left > 0
            and offset - (start - left) > 0
            and (text[left - 1] == form[offset - (start - left) - 1])
        ):
            left -= 1
        end_in_form = offset + length
        while right < len(text) and end_in_form < len(form) and text[right] == form[end_in_form]:
            right += 1
            end_in_form += 1
        spans.append((left, right))
        start = text.find(piece, start + 1)
    return spans


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    merged: list[list[int]] = []
    for left, right in sorted(spans):
        if merged and left <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], right)
        else:
            merged.append([left, right])
    parts, at = [], 0
    for left, right in merged:
        parts += [text[at:left], REDACTED]
        at = right
    parts.append(text[at:])
    return "".join(parts)


def _redact_edges(text: str, form: str) -> str:
    text = _redact_tail(text, form, EDGE_FRAGMENT)
    return _redact_head(text, form, EDGE_FRAGMENT)


def _redact_tail(text: str, form: str, shortest: int) -> str:
    """``text`` with a prefix of ``form`` at its very end redacted."""
    for size in range(min(len(form), len(text)), shortest - 1, -1):
        if text.endswith(form[:size]):
            return text[: len(text) - size] + REDACTED
    return text


def _redact_head(text: str, form: str, shortest: int) -> str:
    """``text`` with a suffix of ``form`` at its very start redacted."""
    for size in range(min(len(form), len(text)), shortest - 1, -1):
        if text.startswith(form[-size:]):
            return REDACTED + text[size:]
    return text
