"""Issue 17: one rule decides whether two identifiers are one (``reconciler.identity``)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.identity import fold, key_of_name, problem, resemble, same
from reconciler.model import group_key, user_key

NAMES = st.text(min_size=1, max_size=20)


@given(NAMES)
def test_fold_is_idempotent(name: str) -> None:
    assert fold(fold(name)) == fold(name)


@given(NAMES, NAMES)
def test_same_is_equality_of_folds(left: str, right: str) -> None:
    assert same(left, right) == (fold(left) == fold(right))


@given(NAMES)
def test_canonically_equivalent_spellings_are_one(name: str) -> None:
    for form in ("NFC", "NFD"):
        assert same(unicodedata.normalize(form, name), name)


@given(st.text(alphabet=st.characters(max_codepoint=127), min_size=1))
def test_an_ascii_name_folds_as_lower_case(name: str) -> None:
    assert fold(name) == name.lower()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Alice@Example.com", "alice@example.com"),
        ("JOSÉ@x", "josé@x"),
        ("jose\u0301@x", "josé@x"),
        ("ÅNGSTRÖM", "ångström"),
        ("\u212aate@x", "kate@x"),  # the Kelvin sign is canonically K (and refused in YAML)
        ("ΟΔΟΣ@x", "οδος@x"),  # the final sigma is a sigma
    ],
)
def test_one_identity(left: str, right: str) -> None:
    assert same(left, right)
    assert user_key(left) == user_key(right) == key_of_name(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("straße@x", "strasse@x"),  # full case folding would merge them; two people
        ("\u210cans@x", "hans@x"),  # a black-letter H is no H
        ("\uff41lice@x", "alice@x"),  # a fullwidth a is no a
        ("ﬁnance", "finance"),  # a ligature
    ],
)
def test_two_identities_a_lenient_server_could_merge(left: str, right: str) -> None:
    assert not same(left, right)
    assert group_key(left) != group_key(right)
    assert resemble(left, right)


def test_different_names_do_not_resemble() -> None:
    assert not resemble("alice@x", "bob@x")
    assert not resemble("alice@x", "ALICE@x")  # the same name: not a look-alike


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("jose\u0301@x", "is not in Unicode NFC form"),
        ("\u212aate@x", "is not in Unicode NFC form"),
        ("\u210cans@x", "U+210C (BLACK-LETTER CAPITAL H), at character 1: it reads as 'H'"),
        (
            "p\u0430ypal@x",
            "mixes Latin and Cyrillic letters in one word, which look alike: 'а' at character 2",
        ),
        ("\u03bfps@x", "mixes Greek and Latin letters in one word"),
        ("\uff41lice@x", "U+FF41 (FULLWIDTH LATIN SMALL LETTER A)"),
    ],
)
def test_a_form_servers_read_differently_is_a_problem(text: str, words: str) -> None:
    reason = problem(text)
    assert reason is not None and words in reason


@pytest.mark.parametrize(
    "text",
    [
        "alice@example.com",
        "josé@x",
        "straße@x",
        "日本語",
        "Zoë Å",
        "иван@x",
        "Ωμέγα",
        "tanaka田中@x",
    ],
)
def test_ordinary_names_are_no_problem(text: str) -> None:
    assert problem(text) is None
