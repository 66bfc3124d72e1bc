"""Read-only proof: `ls`, `show` and an app session never write under the run root or log.

Each check snapshots the run root and the event log (SQLite db + `-wal` byte-identical,
`-shm` by presence only) before and after, AND records every write-mode `open`/`os.open`
under them (tests run as root, where `chmod -w` does not block writes). A `chmod -w` run
root and event-log directory still work.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostiletools import WriteGuard, read_only_proof, snapshot
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui import cli
from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.screens.run import RunScreen


@pytest.fixture
def live_corpus(tmp_path: Path) -> Iterator[Corpus]:
    """A corpus whose SQLite log has a live writer (so `-wal` and `-shm` exist)."""
    corpus = write_corpus(tmp_path / ".harn-runs", seed=4, state_dir=tmp_path / ".harn")
    writer = EventLogWriter(corpus.state_dir)
    writer.append("observability.agent_events.live", "turn_start", {"event": {}}, {}, 1)
    assert Path(f"{corpus.event_log_path}-wal").exists()
    yield corpus
    writer.close()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_ls_and_show_write_nothing(live_corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    c = live_corpus
    run = next(r for r in c.runs if not r.sparse)
    with read_only_proof(c.root, c.state_dir) as guard:
        _cli(capsys, "ls", str(c.root), "--events", str(c.state_dir))
        _cli(capsys, "ls", str(c.root), "--json", "--events", str(c.state_dir))
        _cli(capsys, "show", run.run_id, "--root", str(c.root), "--events", str(c.state_dir))
        _cli(capsys, "show", str(run.path), "--json", "--events", str(c.state_dir))
    assert guard.reads > 0, "the guard saw no reads at all: it is not hooked in"


async def test_an_app_session_writes_nothing(live_corpus: Corpus) -> None:
    c = live_corpus
    with read_only_proof(c.root, c.state_dir) as guard:
        app = make_app(c.root, c.state_dir, watch=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
            for key in ("5", "j", "6", "r"):
                await pilot.press(key)
            await pilot.pause(0.3)
    assert guard.reads > 0


def test_the_guard_catches_a_write(tmp_path: Path) -> None:
    """The guard itself works: a write-mode open under the root is recorded."""
    guard = WriteGuard(tmp_path)
    with guard.active():
        (tmp_path / "x").write_text("x")
        fd = os.open(tmp_path / "y", os.O_CREAT | os.O_WRONLY)
        os.close(fd)
    assert len(guard.writes) == 2


def _chmod_tree(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        if writable:
            path.chmod(mode | stat.S_IWUSR)
        else:
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def readonly_corpus(tmp_path: Path) -> Iterator[Corpus]:
    corpus = write_corpus(tmp_path / ".harn-runs", seed=6, state_dir=tmp_path / ".harn")
    _chmod_tree(corpus.root, writable=False)
    _chmod_tree(corpus.state_dir, writable=False)
    yield corpus
    _chmod_tree(corpus.root, writable=True)
    _chmod_tree(corpus.state_dir, writable=True)


async def test_chmod_readonly_root_and_event_log_work(
    readonly_corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    c = readonly_corpus
    assert not os.stat(c.root).st_mode & stat.S_IWUSR
    before = snapshot(c.root, c.state_dir)
    out = _cli(capsys, "ls", str(c.root), "--events", str(c.state_dir))
    assert "broken" in out or len(out.splitlines()) > 5
    run = next(r for r in c.runs if not r.sparse)
    _cli(capsys, "show", str(run.path), "--events", str(c.state_dir))
    with WriteGuard(c.root, c.state_dir).active() as guard:
        app = make_app(c.root, c.state_dir)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            assert app.event_log is not None and app.event_log_error is None
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
            assert "Stages" in screen_text(app)
    assert guard.writes == []
    assert snapshot(c.root, c.state_dir) == before


def test_grep_writes_nothing(live_corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    """The search index lives in the cache dir: building, querying and polling the log
    never write under the run root or the event log."""
    c = live_corpus
    with read_only_proof(c.root, c.state_dir) as guard:
        _cli(capsys, "grep", "the", str(c.root), "--events", str(c.state_dir), "--limit", "5")
        _cli(capsys, "grep", "*ail*", str(c.root), "--events", str(c.state_dir), "--json")
        _cli(capsys, "grep", "e.r", str(c.root), "--regex", "--limit", "3")
    assert guard.reads > 0
