"""Faults a reader meets: each gives a visible, specific message and the rest keeps working.

Run root deleted and re-created while the app watches it; a run file replaced by a
directory; permission denied on one file and EIO on read (simulated in the read layer,
since tests run as root); a symlink loop; an event log locked by a writer
(BEGIN EXCLUSIVE); EIO on the sidecar.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostiletools import EXAMPLES
from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.eventlog.sqlite import SqliteEventLog
from harn_tui.core.format import jsonload
from harn_tui.core.format.errors import EventLogError, LoadError
from harn_tui.core.format.normalize import load_run
from harn_tui.core.format.sidecar import read_sidecar
from harn_tui.core.index.run_index import RunIndex
from harn_tui.screens.run import RunScreen

SIZE = (120, 36)


def _root(tmp_path: Path, n: int = 3) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    for i, src in enumerate(sorted(EXAMPLES.glob("*.json"))[:n]):
        shutil.copyfile(src, root / f"run-{i}.json")
    return root


def _fail_reads(monkeypatch: pytest.MonkeyPatch, victim: Path, exc: OSError) -> None:
    """Make the read layer (`jsonload.read_bytes`) fail for one path only."""
    real_open = open

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(file).resolve() == victim.resolve():
            raise exc
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(jsonload, "open", fake_open, raising=False)


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        (OSError(errno.EIO, "Input/output error"), "cannot read file: Input/output error"),
        (OSError(errno.ENOSPC, "No space left on device"), "cannot read file: No space left on device"),
    ],
    ids=["eacces", "eio", "enospc"],
)
async def test_one_unreadable_file(exc: OSError, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _root(tmp_path)
    victim = root / "run-1.json"
    _fail_reads(monkeypatch, victim, exc)
    with pytest.raises(LoadError) as info:
        load_run(victim)
    assert info.value.reason == message
    index = RunIndex(root)
    index.scan()
    assert index.runs["run-1.json"].error == message
    assert not index.runs["run-0.json"].broken and not index.runs["run-2.json"].broken
    if exc.errno == errno.ENOSPC:
        return  # same path through the UI as EIO; keep the suite fast
    app = make_app(root)
    async with app.run_test(size=(200, 36)) as pilot:
        await _loaded(pilot)
        text = screen_text(app)
        assert f"run-1.json: {message}" in text
        assert "2 runs" in text and "1 broken" in text
        # the file fails while its detail is open: the header says why
        app.push_screen(RunScreen(victim))
        await wait_for_text(pilot, message, timeout=15)
        app.pop_screen()
        # the others still open
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if not r.broken)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)


async def test_run_file_replaced_by_a_directory(tmp_path: Path) -> None:
    root = _root(tmp_path)
    victim = root / "run-0.json"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        app.open_path(victim)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        victim.unlink()
        victim.mkdir()
        (victim / "inner.txt").write_text("x")
        with pytest.raises(LoadError, match="is a directory, not a file"):
            load_run(victim)
        app.screen.refresh_from_disk()
        text = await wait_for_text(pilot, "is a directory", timeout=15)
        assert "latest version unreadable" in text  # the last good version stays on screen
        changed, _removed = app.index.update([victim])
        assert changed and changed[0].error == "is a directory, not a file"


async def test_symlink_loops(tmp_path: Path) -> None:
    root = _root(tmp_path)
    (root / "a.json").symlink_to(root / "b.json")
    (root / "b.json").symlink_to(root / "a.json")
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to(root)  # a folder loop
    (root / "dangling.json").symlink_to(root / "missing.json")
    index = RunIndex(root)
    index.scan()
    assert index.runs["a.json"].error == "symlink loop"
    assert index.runs["dangling.json"].error == "broken symlink"
    assert sum(not r.broken for r in index.runs.values()) == 3  # the loop did not duplicate runs
    with pytest.raises(LoadError, match="cannot read file: Too many levels of symbolic links"):
        load_run(root / "a.json")
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        text = screen_text(app)
        assert "a.json: symlink loop" in text and "3 runs" in text


@pytest.fixture
def locked_log(tmp_path: Path) -> Iterator[Path]:
    """A rollback-journal events.sqlite held by a writer in BEGIN EXCLUSIVE."""
    state = tmp_path / ".harn"
    state.mkdir()
    path = state / "events.sqlite"
    setup = sqlite3.connect(path)
    setup.executescript(
        "CREATE TABLE events (topic TEXT, event_id INTEGER, kind TEXT, payload BLOB, "
        "headers TEXT, occurred_at_ms INTEGER);"
        "INSERT INTO events VALUES ('hitl.questions', 1, 'k', '{}', '{}', 1);"
    )
    setup.commit()
    setup.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO events VALUES ('t', 2, 'k', '{}', '{}', 2)")
    yield path
    writer.execute("ROLLBACK")
    writer.close()


async def test_event_log_locked_by_a_writer(locked_log: Path, tmp_path: Path) -> None:
    with pytest.raises(EventLogError) as info:
        SqliteEventLog(locked_log, busy_timeout=0.2)
    assert info.value.reason == "event log is locked"
    root = _root(tmp_path)
    app = make_app(root, locked_log)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, timeout=15)  # the log's busy timeout first
        await pilot.pause()
        assert app.event_log_error == "event log is locked"
        assert "3 runs" in screen_text(app)  # the run list does not need the log
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("3")
        await wait_for_text(pilot, "event log could not be read: event log is locked")


def test_sidecar_eio_is_a_note_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _root(tmp_path, 1)
    run = root / "run-0.json"
    sidecar = root / "run-0-llm" / "llm_transcript.jsonl"
    sidecar.parent.mkdir()
    sidecar.write_text('{"type":"message","role":"user","content":"hi"}\n')
    import builtins

    import harn_tui.core.format.sidecar as sidecar_module

    class Failing:
        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self, size: int = -1) -> bytes:
            raise OSError(errno.EIO, "Input/output error")

    def eio(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path) == sidecar:
            return Failing()
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(sidecar_module, "open", eio, raising=False)
    assert read_sidecar(sidecar).error == "cannot read sidecar: Input/output error"
    detail = load_run(run)
    assert detail.sidecar_note == "cannot read sidecar: Input/output error"


async def test_root_deleted_and_recreated_while_watching(tmp_path: Path) -> None:
    root = _root(tmp_path)
    app = make_app(root, watch=True, poll=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        assert "3 runs" in screen_text(app)
        shutil.rmtree(root)
        await wait_for_text(pilot, "is gone", timeout=15)
        assert not app.runs
        root.mkdir()
        shutil.copyfile(sorted(EXAMPLES.glob("*.json"))[0], root / "back.json")
        await wait_for(pilot, lambda: "back.json" in app.runs, timeout=15)
        await wait_for_text(pilot, " 1 run ", timeout=15)
        assert "is gone" not in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
