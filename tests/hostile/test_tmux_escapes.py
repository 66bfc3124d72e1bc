"""The real binary in tmux, on a corpus poisoned with escape and markup payloads.

Proves on a real terminal emulator: the pane title is unchanged (OSC 0/2, C1 OSC), no
clipboard write happened (OSC 52, with tmux's set-clipboard on), no hyperlink was
emitted (OSC 8), the screen was not cleared or moved (the header is still on the first
line and the footer on the last), and the payload text is shown visibly escaped.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest
from hostiletools import DEEP, Terminal, poison_corpus, read_only_proof, tmux_available

from harn_tui.core.demo.corpus import write_corpus

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is required (CI installs it)")

BIN = str(Path(sys.executable).with_name("harn-tui"))
SHOWN = "\\x1b]0;PWNED"  # the escape drawn as text (the column may cut what follows)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    return {**keep, "TERM": "xterm-256color", "HARN_TUI_CACHE_DIR": str(tmp_path / "cache"),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def _setup(term: Terminal) -> None:
    term.tmux("set-option", "-s", "set-clipboard", "on")  # OSC 52 would land in a buffer
    term.tmux("set-option", "-g", "allow-rename", "on")
    term.tmux("set-option", "-g", "allow-passthrough", "off")


def _assert_intact(term: Terminal, text: str, first: str, where: str) -> None:
    assert term.title() == term.initial_title, f"pane title changed on {where}: {term.title()!r}"
    assert "PWNED" not in term.title() and "C1" not in term.title()
    assert term.buffers().strip() == "", f"OSC 52 wrote the clipboard on {where}: {term.buffers()!r}"
    assert "\x1b]8;" not in term.raw_screen(), f"a hyperlink was emitted on {where}"
    # header on the first line, footer on the last (allow a repaint in progress to finish)
    deadline = time.monotonic() + 5
    while True:
        lines = text.splitlines()
        if lines and first in lines[0] and "palette" in lines[-1]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the screen was cleared or moved on {where}:\n{text}")
        time.sleep(0.2)
        text = term.screen()


def test_poisoned_records_cannot_drive_the_terminal(tmp_path: Path, env: dict[str, str]) -> None:
    base = tmp_path / "project"
    corpus = write_corpus(base / ".harn-runs", seed=5, state_dir=base / ".harn", include_broken=False)
    poison_corpus(corpus.root, corpus.state_dir)  # timestamps too: the raw fallback paths
    command = f"{BIN} {shlex.quote(str(corpus.root))} --events {shlex.quote(str(corpus.state_dir))}"
    with read_only_proof(corpus.root, corpus.state_dir):
        term = Terminal(command, env, size=(160, 40), setup=_setup)
        try:
            text = term.wait_for("runs  ·")
            text = term.wait_for(SHOWN)
            assert "[@click=app.quit]Q[/]" in text
            _assert_intact(term, text, "runs  ·", "the run list")
            for i in range(4 if DEEP else 1):  # the first runs' details, several panes each
                term.keys("g", *(["j"] * i), "Enter")
                text = term.wait_for("Stages")
                _assert_intact(term, text, "[@click=", f"run {i}")
                for key in ("2", "3", "5", "j", "j", "6", "1"):
                    term.keys(key)
                text = term.screen()
                assert SHOWN in text or "[@click=app.quit]" in text
                _assert_intact(term, text, "[@click=", f"run {i} panes")
                term.keys("Enter")  # a stage's internals
                text = term.wait_for("Stage")
                _assert_intact(term, text, "", f"run {i} stage")
                term.keys("Escape", "Escape")
                term.wait_for("runs  ·")
            term.keys("q")
            text = term.wait_for("HARN_TUI_EXITED=0")
            assert "Traceback" not in text
        finally:
            term.close()
