"""Word-boundary wrapping: rows fit, words stay whole when they can, nothing is lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harn_tui.core.format.wrap import cells, wrap_words


def _width(row: str) -> int:
    return sum(cells(ch) for ch in row.rstrip(" "))


def test_breaks_between_words() -> None:
    rows = wrap_words("the model no longer sees these archived messages", 20)
    assert rows == ["the model no longer ", "sees these archived ", "messages"]


def test_a_long_path_breaks_after_a_slash_and_a_long_word_at_the_width() -> None:
    assert wrap_words("/work/demo/.harn-runs/deploy/run.json", 16)[0] == "/work/demo/"
    assert wrap_words("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_wide_characters_count_two_cells() -> None:
    rows = wrap_words("日本語のテキスト", 5)
    assert all(_width(r) <= 5 for r in rows) and "".join(rows) == "日本語のテキスト"


@given(st.text(alphabet=st.sampled_from(list("ab cd/é日 ")), max_size=200), st.integers(1, 40))
def test_rows_fit_and_join_back(text: str, width: int) -> None:
    rows = wrap_words(text, width)
    assert "".join(rows) == text
    for row in rows:
        assert _width(row) <= max(width, 2)
        assert row != "" or text == ""


@given(st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=8), min_size=1, max_size=30), st.integers(8, 60))
def test_words_shorter_than_the_width_are_never_split(words: list[str], width: int) -> None:
    rows = wrap_words(" ".join(words), width)
    pieces = [piece for row in rows for piece in row.split(" ") if piece]
    assert pieces == words
