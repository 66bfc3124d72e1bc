"""The real `harn-tui` binary in a real terminal (tmux): start, navigate, quit cleanly."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harn_tui.core.demo.corpus import write_corpus

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is required (CI installs it)")

BIN = str(Path(sys.executable).with_name("harn-tui"))


class Terminal:
    """A detached tmux session running one command."""

    def __init__(self, command: str, env: dict[str, str], size: tuple[int, int] = (120, 36)) -> None:
        self.name = f"harn-tui-test-{uuid.uuid4().hex[:8]}"
        self.socket = f"harn-tui-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"env {exports} {command}; echo HARN_TUI_EXITED=$?; sleep 60"
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]), shell)

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not on screen after {timeout}s:\n{text}")

    def title(self) -> str:
        return self.tmux("display-message", "-p", "-t", self.name, "#{pane_title}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    return {**keep, "TERM": "xterm-256color", "HARN_TUI_CACHE_DIR": str(tmp_path / "cache"), "LANG": "C.UTF-8"}


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Iterator[Path]:
    corpus = write_corpus(tmp_path / "project" / ".harn-runs", seed=5, state_dir=tmp_path / "project" / ".harn")
    yield corpus.root


def test_starts_navigates_and_quits_cleanly(corpus_dir: Path, env: dict[str, str]) -> None:
    term = Terminal(f"{BIN} {shlex.quote(str(corpus_dir))} --events {shlex.quote(str(corpus_dir.parent / '.harn'))}", env)
    try:
        text = term.wait_for("runs  ·")
        assert "STATUS" in text and "WORKFLOW" in text
        term.keys("j", "Enter")
        text = term.wait_for("Stages")
        assert "2 Child" in text  # "2 Child runs", or "2 Child" below 90 columns
        term.keys("2")
        term.wait_for("worker")
        term.keys("question_mark" if False else "?")
        term.wait_for("harn-tui keys")
        term.keys("Escape", "Escape")
        term.wait_for("runs  ·")
        term.keys("q")
        text = term.wait_for("HARN_TUI_EXITED=0")
        assert "Traceback" not in text
    finally:
        term.close()


def test_missing_root_shows_the_empty_state(tmp_path: Path, env: dict[str, str]) -> None:
    term = Terminal(f"{BIN} {shlex.quote(str(tmp_path / 'missing'))}", env, size=(80, 24))
    try:
        text = term.wait_for("--demo")
        assert "No Harn runs" in text
        term.keys("q")
        term.wait_for("HARN_TUI_EXITED=0")
    finally:
        term.close()


def test_live_status_change_shows_on_screen(tmp_path: Path, env: dict[str, str]) -> None:
    import orjson

    from harn_tui.core.demo.common import atomic_write_json

    root = tmp_path / "runs"
    root.mkdir()
    record = {
        "_type": "run_record", "id": "live-run-1", "workflow_id": "deploy", "workflow_name": "deploy",
        "task": "ship it", "status": "running", "started_at": "2026-11-20T09:00:00Z",
        "stages": [{"id": "s1", "node_id": "plan", "kind": "stage", "status": "completed", "outcome": "success"}],
    }
    (root / "live.json").write_bytes(orjson.dumps(record))
    term = Terminal(f"{BIN} {shlex.quote(str(root))}", env)
    try:
        text = term.wait_for("running")
        assert "completed" not in text
        record["status"] = "completed"
        record["stages"].append({"id": "s2", "node_id": "verify", "kind": "verify",
                                 "status": "completed", "outcome": "verified"})
        atomic_write_json(root / "live.json", record)
        term.wait_for("✓ completed", timeout=10)
        term.keys("Enter")
        text = term.wait_for("verify")
        assert "plan" in text
        term.keys("q")
        term.wait_for("HARN_TUI_EXITED=0")
    finally:
        term.close()


def test_quitting_while_the_text_index_builds_exits_at_once(tmp_path: Path, env: dict[str, str]) -> None:
    """`q` while the full-text index of a large root is still being built: the build stops
    after its current batch instead of the exit waiting for all of it."""
    import random

    import orjson

    root = tmp_path / "runs"
    root.mkdir()
    words = [f"w{n:05d}" for n in range(20000)]
    rng = random.Random(7)
    for i in range(90):  # 90 files of ~1.7 MB of varied text: indexing them takes ~15 s
        stages = [{"id": f"s{j}", "node_id": f"n{j}", "status": "completed",
                   "metadata": {"prompt": " ".join(rng.choices(words, k=25000))}} for j in range(10)]
        record = {"_type": "run_record", "id": f"big-{i}", "workflow_id": "wf", "status": "completed",
                  "started_at": f"2026-11-20T{i // 60:02d}:{i % 60:02d}:00Z", "stages": stages}
        (root / f"big{i:02d}.json").write_bytes(orjson.dumps(record))
    term = Terminal(f"{BIN} {shlex.quote(str(root))}", env)
    try:
        term.wait_for("runs  ·", timeout=30)
        term.keys("C-f")
        term.wait_for("indexing text", timeout=30)
        term.keys("Escape")
        term.wait_for("runs  ·")
        term.keys("q")
        started = time.monotonic()
        term.wait_for("HARN_TUI_EXITED=0", timeout=60)
        assert time.monotonic() - started < 6, "the exit waited for the text index"
    finally:
        term.close()
