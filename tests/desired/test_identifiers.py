"""Issue 14 item 8: identifiers that read differently from what would be stored."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from reconciler.desired.identifiers import _FORMAT_RANGES, unreadable


def test_the_written_out_format_characters_are_unicodes() -> None:
    written = {code for low, high in _FORMAT_RANGES for code in range(low, high + 1)}
    actual = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert written == actual, f"Unicode {unicodedata.unidata_version}: update _FORMAT_RANGES"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("alice@example.com ", "ends with whitespace"),
        ("\u3000alice", "starts with whitespace"),
        ("ali\u200dce", "U+200D (ZERO WIDTH JOINER), at character 4: it reads as 'alice'"),
        ("alice\ufe0f", "U+FE0F"),
        ("al\u180bice", "U+180B (MONGOLIAN FREE VARIATION SELECTOR ONE)"),
        ("\u3164alice", "U+3164 (HANGUL FILLER)"),
        ("alice\U000e0041", "U+E0041 (TAG LATIN CAPITAL LETTER A)"),
    ],
)
def test_unreadable_names_what_hides(text: str, words: str) -> None:
    reason = unreadable(text)
    assert reason is not None and words in reason


@pytest.mark.parametrize(
    "text", ["alice@example.com", "Platform Team", "Zoë Ångström", "日本語", "a\nb", "a\u202eb"]
)
def test_readable_or_the_schemas_to_refuse(text: str) -> None:
    assert unreadable(text) is None
