"""Counts in words: `1 run`, `2 runs` (one rule for every count the user reads)."""

from __future__ import annotations

IRREGULAR = {"child": "children", "was": "were", "is": "are", "has": "have", "this": "these"}


def noun(count: int, word: str, plural_form: str | None = None) -> str:
    """`word` for one, its plural otherwise (`s`, `es` after s/x/ch/sh, `ies` after a consonant+y)."""
    if count == 1:
        return word
    if plural_form is not None:
        return plural_form
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """`1 run`, `3 runs`, `1,200 tokens`."""
    return f"{count:,} {noun(count, word, plural_form)}"
