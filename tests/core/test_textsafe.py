"""One cutting rule for every shortened label: the text, or its start and an ellipsis."""

from __future__ import annotations

import os

from harn_tui.core.format.textsafe import cut, one_line, visible


def test_cut_keeps_text_that_fits_and_ends_cut_text_with_an_ellipsis() -> None:
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefg", 6) == "abcde…"
    assert len(cut("x" * 100, 10)) == 10
    assert cut("abc", 0) == "…"


def test_one_line_escapes_before_it_cuts() -> None:
    assert one_line("a\nbcdef", 4) == "a\\n…"
    assert one_line("a\nb") == "a\\nb"


def test_compare_cuts_unrecorded_arguments_by_the_one_rule() -> None:
    from harn_tui.core.analysis.compare import ToolCall, ToolDiff

    long_args = "x" * 100
    call = ToolCall("session", "grep", long_args, "ok", "r", "c1", 0, 1, 1, raw={})
    row = ToolDiff(0, "session", "grep", long_args, 1, call, None, (), "only_a")
    assert row.shown_args == cut(long_args, 60)


def test_bytes_of_a_file_name_that_are_not_utf8_are_shown_as_escapes() -> None:
    from harn_tui.core.format.textsafe import utf8_clean

    name = os.fsdecode(b"odd-\xff\x9b.json")  # \x9b: an 8-bit CSI if written raw
    assert visible(name) == one_line(name) == "odd-\\xff\\x9b.json"
    assert visible("lone \ud800 high") == "lone \\ud800 high"
    assert utf8_clean(name) == "odd-\ufffd\ufffd.json"
    assert utf8_clean("plain") == "plain" and utf8_clean("é ok") == "é ok"
