"""Keeping the token out of every string the program shows or writes.

A hostile or careless server may echo the token anywhere: in a JSON ``detail``, an
HTML page, a Location, a header, a user's name. Data is read exactly as the server
sent it (a name that happens to hold the token is still that name: changing it would
change who is who); the token is removed where text leaves the program. Two paths:

* a message made from server text (an error's detail, a Location, an excerpt) takes
  ``tidy``, which redacts first and cuts afterwards, so that a cut can never leave part
  of the token behind;
* everything the program writes (the terminal, ``-v`` and log lines, plan files,
  reports, Markdown) takes ``redacted`` at its edge (``reconciler.cli.output``), with
  every token this run was given (``keep_out_of_output``); ``clipped`` is the cut of a
  renderer, redacted first too.

Redacted are:

* the token whole, and its percent-encoded forms, ``/`` encoded or not (a Location or
  query echoes those), and its JSON-escaped form (a token holding ``"`` or ``\\``);
* any run of its characters that holds one of its aligned 8-character pieces (so every
  run of 15 or more, wherever it stands), and any prefix or suffix of 8 or more (a
  server that cut its own echo short);
* a prefix or suffix of 4 or more characters standing at an edge of the text (its
  start, its end, or where ``cut`` cuts it), where a cut made elsewhere may have left it.

A token shorter than ``SHORT_TOKEN`` characters (a sandbox's ``t`` or ``example``) is
too short to tell from ordinary text: it is redacted only where it stands whole as a
word (``Bearer t``, ``alice@example.com``), never inside a longer word (``count``
keeps its ``t``), and no fragment of it is. The marker ``[redacted]`` is never redacted
again, whatever the token holds.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
EDGE_FRAGMENT = 4
"""Shortest prefix or suffix of the token redacted at an edge of the text."""
INNER_FRAGMENT = 8
"""Shortest prefix or suffix of the token redacted anywhere in a message."""
SHORT_TOKEN = 8
"""A token shorter than this is redacted only as a whole word, and none of its
fragments: a fragment of it is a few letters any name may hold."""
WINDOW = 8
"""Runs of the token are found by its aligned pieces of this length: any run of
``2 * WINDOW - 1`` characters or more holds one whole."""
PRE_CUT = 16
"""``tidy`` looks at no more than this many times its limit (after a whole-token pass):
a 60 MB ``detail`` is not cleaned character by character to show 500 of them."""

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Secrets:
    """The forms of one or more tokens that text may hold. Never printed (no repr)."""

    forms: tuple[str, ...] = field(default=(), repr=False)
    """Forms of tokens of ``SHORT_TOKEN`` characters or more: redacted whole anywhere,
    and their fragments."""
    words: tuple[str, ...] = field(default=(), repr=False)
    """Forms of shorter tokens: redacted only where they stand whole as a word."""

    @classmethod
    def of(cls, token: str) -> Secrets:
        spelled = (
            token,
            quote(token, safe=""),
            quote(token),
            quote_plus(token),
            json.dumps(token, ensure_ascii=False)[1:-1],
        )
        forms = tuple(dict.fromkeys(f for f in spelled if f))
        if len(token) < SHORT_TOKEN:
            return cls(words=forms)
        return cls(forms=forms)

    def __add__(self, other: Secrets) -> Secrets:
        """The forms of both (for text that must hold neither)."""
        return Secrets(
            tuple(dict.fromkeys(self.forms + other.forms)),
            tuple(dict.fromkeys(self.words + other.words)),
        )

    def __bool__(self) -> bool:
        return bool(self.forms or self.words)


NO_SECRETS = Secrets()


def scrub(text: str, secrets: Secrets) -> str:
    """``text`` with the token, its long fragments and its fragments at either end of
    ``text`` replaced by ``[redacted]``."""
    text = _redact_whole(text, secrets)
    for form in secrets.forms:
        text = _outside_markers(text, form, _redact_runs)
        text = _redact_edges(text, form)
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
    fits = max(limit - 1, 0)
    if len(head) > fits:  # the marker that took a fragment's place: whole within limit, or none
        before = head[: -len(REDACTED)]
        head = before[: fits - len(REDACTED)] + REDACTED if fits >= len(REDACTED) else before
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


# --- what leaves the program ----------------------------------------------------------

_kept = NO_SECRETS
_kept_lock = threading.Lock()


def keep_out_of_output(token: str) -> None:
    """From now on, ``token`` is redacted from everything the program writes: whoever
    holds a token to send it (the SCIM client) says so here, once."""
    global _kept
    with _kept_lock:
        _kept = _kept + Secrets.of(token)


def forget_output_tokens() -> None:
    """Start a new run: no token is kept out any more (``main`` calls it first)."""
    global _kept
    with _kept_lock:
        _kept = NO_SECRETS


def redacted(text: str) -> str:
    """``text`` fit to leave the program: every token given to ``keep_out_of_output``,
    its forms and fragments, redacted (``scrub``). The edge every output passes."""
    kept = _kept
    return scrub(text, kept) if kept else text


def clipped(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters by a renderer, redacted first, so
    that the cut leaves no piece of a token behind."""
    kept = _kept
    return cut(scrub(text, kept), limit, kept)


# --- fragments ------------------------------------------------------------------------


def _redact_whole(text: str, secrets: Secrets) -> str:
    """``text`` with every whole form of the token replaced, in one pass that skips the
    markers already there (a token such as ``t`` must not redact the marker's ``t``)."""
    if not any(form in text for form in secrets.forms + secrets.words):
        return text
    return _whole(secrets).sub(REDACTED, text)


@functools.lru_cache(maxsize=8)
def _whole(secrets: Secrets) -> re.Pattern[str]:
    """The forms (short tokens' as whole words) and the marker, which is matched only to
    be kept as it is; longest first, so that a form holding the marker wins over it and
    the marker over a form it holds (``[``)."""
    spelled = [(f, False) for f in secrets.forms] + [(f, True) for f in secrets.words]
    spelled.append((REDACTED, False))
    spelled.sort(key=lambda pair: -len(pair[0]))
    return re.compile("|".join(_spelling(form, word) for form, word in spelled))


def _spelling(form: str, word: bool) -> str:
    """A form as a pattern; as a word, not inside a longer run of letters and digits."""
    pattern = re.escape(form)
    if word and _WORD.match(form[0]):
        pattern = r"(?<!\w)" + pattern
    if word and _WORD.match(form[-1]):
        pattern += r"(?!\w)"
    return pattern


def _outside_markers(text: str, form: str, redact: Callable[[str, str], str]) -> str:
    """``redact`` applied to each piece of ``text`` between the markers already there."""
    if REDACTED not in text:
        return redact(text, form)
    return REDACTED.join(redact(piece, form) for piece in text.split(REDACTED))


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
    """``text`` with a prefix of ``form`` at its very end redacted (not a marker's end):
    the longest, found from where the first ``shortest`` characters of ``form`` stand."""
    if text.endswith(REDACTED):
        return text
    piece = form[:shortest]
    at = text.find(piece, max(len(text) - len(form), 0))
    while at != -1:
        if form.startswith(text[at:]):
            return text[:at] + REDACTED
        at = text.find(piece, at + 1)
    return text


def _redact_head(text: str, form: str, shortest: int) -> str:
    """``text`` with a suffix of ``form`` at its very start redacted (not a marker's):
    the longest, found from where the last ``shortest`` characters of ``form`` stand."""
    if text.startswith(REDACTED):
        return text
    piece = form[-shortest:]
    at = text.rfind(piece, 0, len(form))
    while at != -1:
        if form.endswith(text[: at + shortest]):
            return REDACTED + text[at + shortest :]
        at = text.rfind(piece, 0, at + shortest - 1)
    return text
