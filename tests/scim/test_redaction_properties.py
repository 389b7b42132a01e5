"""The redaction rules as properties: random tokens, every fragment, every cut position.

Each token is random and non-periodic (no 4 characters occur twice in it), and the text
around it is drawn from characters no token holds, so a piece of the token found in the
output is the token's, never a coincidence. The rules (``reconciler.scim.redaction``):

- a token of ``SHORT_TOKEN`` characters or more is redacted whole anywhere; so is any run
  of its characters holding one of its aligned ``WINDOW``-character pieces (every run of
  15 or more), and any prefix or suffix of ``INNER_FRAGMENT`` or more;
- a prefix of ``EDGE_FRAGMENT`` or more at the end of the text, or a suffix at its start,
  is redacted (where a cut, ours or the server's, may have left it);
- ``cut`` leaves no prefix of ``EDGE_FRAGMENT`` or more at the cut, whatever the position;
- anything else is shown as it is: a rule that hid more would hide names (the oracle
  below says exactly which fragments go, so a looser *or* stricter rule fails).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.scim.redaction import (
    EDGE_FRAGMENT,
    INNER_FRAGMENT,
    REDACTED,
    SHORT_TOKEN,
    WINDOW,
    Secrets,
    cut,
    scrub,
    tidy,
)
from tests.reliability.support import TOKEN_ALPHABET, longest_run, random_token

FILLER_ALPHABET = " .,:;!?/()<>{}|~=+*é\t\n"
"""No character of a token, nor of the marker ``[redacted]``."""

tokens = st.builds(random_token, st.integers(SHORT_TOKEN, 72), st.integers(0, 2**32))
fillers = st.text(FILLER_ALPHABET, max_size=30)
words = st.text(" .,:;!?/()<>", min_size=1, max_size=5)
"""Non-empty filler that is no part of a word (around a short token)."""


def _shown_pieces(text: str) -> str:
    """``text`` with each marker made a character no token holds (so that the marker's
    letters never count as a piece of the token)."""
    return text.replace(REDACTED, "\0")


def must_hide(n: int, start: int, end: int, *, at_start: bool, at_end: bool) -> bool:
    """Whether ``token[start:end]`` (of a token of ``n`` characters) must be redacted,
    standing in a text at its start, its end, or neither."""
    size = end - start
    prefix, suffix = start == 0, end == n
    aligned = any(
        start <= k and k + WINDOW <= end for k in range(0, n - WINDOW + 1, WINDOW)
    )  # a run holding one of the aligned pieces
    if aligned or (prefix and size >= INNER_FRAGMENT) or (suffix and size >= INNER_FRAGMENT):
        return True
    return (at_end and prefix and size >= EDGE_FRAGMENT) or (
        at_start and suffix and size >= EDGE_FRAGMENT
    )


@settings(max_examples=60, deadline=None)
@given(token=tokens, before=fillers, after=fillers)
def test_scrub_hides_exactly_the_fragments_the_rules_name(
    token: str, before: str, after: str
) -> None:
    """Every fragment of the token (every start, every end), in the middle of a text or
    at either end of it: redacted whole when a rule names it, shown untouched if not."""
    secrets, n = Secrets.of(token), len(token)
    for start in range(n):
        for end in range(start + 1, n + 1):
            piece = token[start:end]
            shown = scrub(f"{before}{piece}{after}", secrets)
            hide = must_hide(n, start, end, at_start=not before, at_end=not after)
            if hide:
                assert shown == f"{before}{REDACTED}{after}", (start, end, shown)
            else:
                assert shown == f"{before}{piece}{after}", (start, end, shown)


@settings(max_examples=60, deadline=None)
@given(token=tokens, before=fillers, after=fillers)
def test_every_run_of_fifteen_or_more_is_hidden_anywhere(
    token: str, before: str, after: str
) -> None:
    secrets = Secrets.of(token)
    longest = 2 * WINDOW - 1
    for start in range(len(token) - longest + 1):
        for end in range(start + longest, len(token) + 1):
            shown = scrub(f"{before}.{token[start:end]}.{after}", secrets)
            assert longest_run(_shown_pieces(shown), token) <= 1, (start, end, shown)


@settings(max_examples=40, deadline=None)
@given(token=tokens, before=fillers, after=fillers, pieces=st.integers(0, 3))
def test_no_cut_of_a_message_leaves_four_characters_of_the_token(
    token: str, before: str, after: str, pieces: int
) -> None:
    """``tidy`` at every limit, on a text holding the token whole and, at its end, what a
    server's own cut left of it (a prefix): fewer than 4 of its characters ever show."""
    secrets = Secrets.of(token)
    tail = token[: pieces * 3 + 1] if pieces else ""
    text = f"{before}{token}{after}{tail}"
    for limit in range(1, len(text) + 3):
        shown = tidy(text, limit, secrets)
        assert len(shown) <= limit, (limit, shown)
        assert longest_run(_shown_pieces(shown), token) < EDGE_FRAGMENT, (limit, shown)


@settings(max_examples=60, deadline=None)
@given(token=tokens, before=fillers, after=fillers, size=st.integers(1, INNER_FRAGMENT - 1))
def test_cut_redacts_the_prefix_it_leaves_at_every_position(
    token: str, before: str, after: str, size: int
) -> None:
    """A short prefix of the token inside a text is shown (it is a few characters any
    name may hold), but a cut that falls inside it never leaves 4 or more of it."""
    secrets = Secrets.of(token)
    text = scrub(f"{before}.{token[:size]}.{after}", secrets)
    assert token[:size] in text  # too short to redact where it stands
    for limit in range(1, len(text) + 2):
        shown = cut(text, limit, secrets)
        assert len(shown) <= limit, (limit, shown)
        if shown == text:
            continue
        head = shown.removesuffix("…")
        assert shown.endswith("…"), shown
        for m in range(EDGE_FRAGMENT, size + 1):
            assert not head.endswith(token[:m]), (limit, shown)
        assert text.startswith(head.removesuffix(REDACTED)), (limit, shown)  # nothing else


@settings(max_examples=60, deadline=None)
@given(token=tokens, before=fillers, after=fillers)
def test_redacting_twice_changes_nothing(token: str, before: str, after: str) -> None:
    """The marker is never redacted again, and what is left holds no rule's fragment."""
    secrets = Secrets.of(token)
    for size in range(1, len(token) + 1):
        for text in (f"{before}{token[:size]}{after}", f"{before}{token[-size:]}{after}"):
            once = scrub(text, secrets)
            assert scrub(once, secrets) == once, (size, once)
            assert tidy(once, 1000, secrets) == tidy(text, 1000, secrets)


short_tokens = st.text(TOKEN_ALPHABET.replace("-", ""), min_size=1, max_size=SHORT_TOKEN - 1)


@settings(max_examples=100, deadline=None)
@given(token=short_tokens, before=words, after=words)
def test_a_short_token_is_hidden_as_a_word_and_nowhere_else(
    token: str, before: str, after: str
) -> None:
    secrets = Secrets.of(token)
    assert scrub(f"{before}{token}{after}", secrets) == f"{before}{REDACTED}{after}"
    assert scrub(token, secrets) == REDACTED
    for inside in (f"a{token}", f"{token}9", f"_{token}_"):
        text = f"{before}{inside}{after}"
        assert scrub(text, secrets) == text
    for size in range(1, len(token)):  # no fragment of it, at an edge or not
        for text in (token[:size], token[-size:], f"{before}{token[:size]}"):
            if re.fullmatch(rf"\W*{re.escape(token)}\W*", text) is None:
                assert scrub(text, secrets) == text
