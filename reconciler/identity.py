"""Who is who: the one place that decides how identifiers are keyed and compared.

Every comparison of a userName, a group's displayName, a key (``externalId``), a
member, a manager or a name the policy lists goes through ``fold``: validate, the
model's keys, the diff, adopt, ``--only``, twins, the policy and drift. A test fails
if code elsewhere compares identifiers with ``casefold()`` or ``lower()``.

The rule, and why (``docs`` and SECURITY.md say it to users):

- **The desired state writes identifiers in NFC and without compatibility
  characters** (``problem`` says why one cannot be used). ``josé`` written with a
  combining accent, the Kelvin sign ``K`` or a fullwidth ``Ａ`` read like ordinary
  letters, but servers differ on whether they are the same name: one that normalises
  would merge two entries that another keeps apart.
- **Two identifiers are the same when their folds are equal.** ``fold`` puts a name
  in NFC, then lower-cases each character by its one-to-one (simple) mapping, as RFC
  8265's UsernameCaseMapped profile does (Unicode ``toLowerCase``, not full case
  folding): ``ß`` stays ``ß``, so ``straße`` and ``strasse`` are two people, as they
  are to a person reading them; Greek's final ``ς`` is ``σ`` (one letter, two shapes).
  A compatibility character is left as it is (a fullwidth ``Ａ`` does not become
  ``a``), so a live name that holds one matches no desired name. (The Kelvin sign is
  canonically ``K``: NFC makes it one, and the desired state may not write it.)
- **Names that a looser server could take for one** (equal under NFKC and full case
  folding, ``resemble``) are never matched, adopted or merged: the plan keeps them
  apart and says so.

Fast for the usual ASCII name: one ``lower()``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def fold(identifier: str) -> str:
    """The form in which two identifiers are compared (and a key is made of a name)."""
    if identifier.isascii():
        return identifier.lower()
    composed = unicodedata.normalize("NFC", identifier)
    return "".join(map(_fold_char, composed))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if _compatibility(char):
        return char
    lowered = char.lower()
    if lowered == "\u03c2":  # final sigma: one letter with σ, whatever its place in a word
        return "\u03c3"
    return lowered if len(lowered) == 1 else char  # İ → "i̇" is a full mapping: kept


def _compatibility(char: str) -> bool:
    return unicodedata.normalize("NFKC", char) != char


def same(left: str, right: str) -> bool:
    """Whether two identifiers name one resource."""
    return left == right or fold(left) == fold(right)


def key_of_name(name: str) -> str:
    """The stable key a resource gets from its name when the YAML gives no ``externalId``."""
    return fold(name)


def loose(identifier: str) -> str:
    """The form a lenient server might compare in (NFKC, full case folding): only to
    warn that two different identifiers could be taken for one, never to match them."""
    if identifier.isascii():
        return identifier.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", identifier).casefold())


def resemble(left: str, right: str) -> bool:
    """Different identifiers (``same`` is false) that a lenient server could merge."""
    return not same(left, right) and loose(left) == loose(right)


def problem(identifier: str) -> str | None:
    """Why the desired state cannot use ``identifier`` as written, or None."""
    if identifier.isascii():
        return None
    if unicodedata.is_normalized("NFKC", identifier):  # NFC, and no compatibility character
        return _mixed_scripts(identifier) if _LOOKALIKE.search(identifier) else None
    composed = unicodedata.normalize("NFC", identifier)
    if composed != identifier:
        return (
            f"{identifier!r} is not in Unicode NFC form (a letter and a combining accent, "
            f"or a character with a canonical equivalent): write it as {composed!r}, which "
            "reads the same; servers differ on whether the two spellings are one name"
        )
    for position, char in enumerate(identifier, start=1):
        if _compatibility(char):
            name = unicodedata.name(char, "unnamed")
            plain = unicodedata.normalize("NFKC", char)
            return (
                f"{identifier!r} holds a compatibility character, U+{ord(char):04X} ({name}), "
                f"at character {position}: it reads as {plain!r}, which some servers take it "
                f"for and others do not; write {plain!r}"
            )
    return _mixed_scripts(identifier)


_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
"""Scripts whose letters are each other's look-alikes (Latin ``a``, Cyrillic ``а``,
Greek ``ο`` and ``o``): as at UTS #39's moderately restrictive level, none of them may
mix with another within a word, so ``pаypal`` with one Cyrillic letter cannot pass for
``paypal``; ``иван@example.com`` (one script per word, as IDNA asks per label) may."""


_LOOKALIKE = re.compile(
    "[\u0370-\u03ff\u0400-\u052f\u1c80-\u1c8f\u1d00-\u1dbf\u1f00-\u1fff\u2de0-\u2dff\ua640-\ua69f]"
)
"""A letter of Greek or Cyrillic (or of the phonetic blocks that hold look-alikes of
both): only a name holding one can mix look-alike scripts with Latin."""


def _mixed_scripts(identifier: str) -> str | None:
    """Why a word of ``identifier`` mixes look-alike scripts, or None."""
    first: dict[str, int] = {}
    for position, char in enumerate(identifier, start=1):
        category = unicodedata.category(char)
        if not category.startswith(("L", "M")):
            first.clear()  # a word ends at anything that is no letter or mark
            continue
        script = unicodedata.name(char, "").split(" ", 1)[0]
        if script not in _LOOKALIKE_SCRIPTS:
            continue
        first.setdefault(script, position)
        if len(first) > 1:
            one = next(name for name in first if name != script)
            return (
                f"{identifier!r} mixes {one.title()} and {script.title()} letters in one word, "
                f"which look alike: {char!r} at character {position} is U+{ord(char):04X} "
                f"({unicodedata.name(char)}); write the word in one script"
            )
    return None
