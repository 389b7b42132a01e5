"""``identity.problem``: what it tells a person who wrote a name servers read differently,
and where a word of look-alike scripts begins and ends.

The messages are what ``validate`` prints, so each kind is checked whole once. The last
tests check the facts of the Unicode database that ``problem`` relies on (every letter,
mark and compatibility character has a name), so a fallback it never reaches is known
to be unreachable (bench/mutation-equivalent.toml cites them).
"""

from __future__ import annotations

import sys
import unicodedata

import pytest

from reconciler.identity import problem


def test_a_name_not_in_nfc_is_told_how_to_write_it() -> None:
    written, composed = "jose\u0301", "jos\u00e9"
    assert problem(written) == (
        f"{written!r} is not in Unicode NFC form (a letter and a combining accent, or a "
        f"character with a canonical equivalent): write it as {composed!r}, which reads the "
        "same; servers differ on whether the two spellings are one name"
    )


def test_a_compatibility_character_is_named_with_its_place() -> None:
    assert problem("ｊoe") == (
        "'ｊoe' holds a compatibility character, U+FF4A (FULLWIDTH LATIN SMALL LETTER J), at "
        "character 1: it reads as 'j', which some servers take it for and others do not; "
        "write 'j'"
    )


def test_mixed_scripts_are_named_with_the_letter_that_mixes() -> None:
    assert problem("pаypal") == (
        "'pаypal' mixes Latin and Cyrillic letters in one word, which look alike: 'а' at "
        "character 2 is U+0430 (CYRILLIC SMALL LETTER A); write the word in one script"
    )


@pytest.mark.parametrize(
    "name",
    [
        "ok.pаypal@example.com",  # a later word mixes: every word is checked
        "x-y pаypal",
        "p日аypal",  # a letter of another script inside the word does not end it
        "x\u0331а",  # a mark (x with a macron below has no precomposed form) continues it
        "ω-x ωa",  # Greek and Latin in the last word
    ],
)
def test_a_word_that_mixes_look_alike_scripts_anywhere_is_refused(name: str) -> None:
    found = problem(name)
    assert found is not None and "letters in one word" in found, found


@pytest.mark.parametrize(
    "name",
    ["иван@example.com", "ivan.иван", "日本a", "a1а", "ω-x", "straße"],
)
def test_one_script_per_word_is_no_problem(name: str) -> None:
    assert problem(name) is None


def _assigned() -> range:
    return range(sys.maxunicode + 1)


def test_a_letter_the_database_does_not_name_ends_no_word_and_breaks_nothing() -> None:
    """Tangut ideographs are letters without a name in Python's database: no script is
    read off them, and the word around them is still one word."""
    tangut = chr(0x17000)
    assert unicodedata.category(tangut) == "Lo" and unicodedata.name(tangut, "") == ""
    assert problem(f"{tangut}a") is None
    assert problem(f"a{tangut}b") is None
    found = problem(f"p{tangut}а")
    assert found is not None and "mixes Latin and Cyrillic" in found


def test_every_compatibility_character_in_nfc_has_a_name() -> None:
    """``problem`` names the compatibility character it finds: every one that can reach
    it (in NFC, and unlike its NFKC form) has a name in the database."""
    unnamed = []
    for code in _assigned():
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        if unicodedata.normalize("NFC", char) != char:
            continue
        if unicodedata.normalize("NFKC", char) != char and not unicodedata.name(char, ""):
            unnamed.append(f"U+{code:04X}")
    assert unnamed == []


def test_every_letter_name_has_single_spaces() -> None:
    """The script is the name's first word: split on one space or on any whitespace, once
    or more, it is the same word."""
    for code in _assigned():
        char = chr(code)
        name = unicodedata.name(char, "")
        if unicodedata.category(char)[0] in "LM" and name:
            assert name.split(" ", 1)[0] == name.split()[0] == name.split(" ")[0]
