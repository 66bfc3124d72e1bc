"""Tests for the event-log readers (harn_tui.core.eventlog.sqlite, .files, .opener; spec §4)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.eventlog import files as file_backend
from harn_tui.core.eventlog import sqlite as sqlite_backend
from harn_tui.core.eventlog.files import FileEventLog
from harn_tui.core.eventlog.opener import open_default_event_log, open_event_log
from harn_tui.core.eventlog.protocol import LogEvent, agent_events_topic, sanitize_topic_component
from harn_tui.core.eventlog.sqlite import SqliteEventLog
from harn_tui.core.format.errors import EventLogError

SCHEMA = """
CREATE TABLE IF NOT EXISTS topic_heads (topic TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    topic TEXT NOT NULL, event_id INTEGER NOT NULL, kind TEXT NOT NULL,
    payload BLOB NOT NULL, headers TEXT NOT NULL, occurred_at_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, event_id));
CREATE TABLE IF NOT EXISTS consumers (
    topic TEXT NOT NULL, consumer_id TEXT NOT NULL, cursor INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL, PRIMARY KEY (topic, consumer_id));
"""


def make_db(path: Path, *, wal: bool = True) -> sqlite3.Connection:
    """A writer connection on a fresh Harn-schema database (autocommit)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA journal_mode={'WAL' if wal else 'DELETE'}")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.executescript(SCHEMA)
    return conn


def put(
    conn: sqlite3.Connection,
    topic: str,
    event_id: int,
    kind: str = "k",
    payload: Any = None,
    headers: Any = None,
    occurred_at_ms: int = 1000,
    *,
    raw_payload: Any = None,
    raw_headers: Any = None,
) -> None:
    """Insert one row; payload is JSON-encoded to a BLOB unless raw_payload is given."""
    body = raw_payload if raw_payload is not None else json.dumps(payload).encode()
    head = raw_headers if raw_headers is not None else json.dumps(headers or {})
    conn.execute(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
        (topic, event_id, kind, body, head, occurred_at_ms),
    )
    conn.execute(
        "INSERT INTO topic_heads VALUES (?, ?) "
        "ON CONFLICT(topic) DO UPDATE SET last_id = excluded.last_id",
        (topic, event_id),
    )


def file_line(event_id: int, kind: str = "k", payload: Any = None, **extra: Any) -> bytes:
    event = {"kind": kind, "payload": payload, "headers": {}, "occurred_at_ms": 5, **extra}
    return json.dumps({"id": event_id, "event": event}).encode() + b"\n"


def make_file_log(root: Path, topics: dict[str, list[bytes]]) -> Path:
    (root / "topics").mkdir(parents=True, exist_ok=True)
    for topic, lines in topics.items():
        (root / "topics" / f"{topic}.jsonl").write_bytes(b"".join(lines))
    return root


def ids(events: list[LogEvent]) -> list[int]:
    return [e.event_id for e in events]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- topics


def test_sanitize_topic_component() -> None:
    assert sanitize_topic_component("abc-XYZ_0.9") == "abc-XYZ_0.9"
    assert sanitize_topic_component("a/b c:d") == "a_b_c_d"
    assert sanitize_topic_component("é") == "_"  # 2 UTF-8 bytes -> one "_"
    assert sanitize_topic_component("日本🙂") == "___"
    assert sanitize_topic_component("٣") == "_"  # non-ASCII digit is not alphanumeric here


def test_agent_events_topic() -> None:
    assert agent_events_topic("s/1") == "observability.agent_events.s_1"


# ----------------------------------------------------------------------------- sqlite


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "events.sqlite"
    conn = make_db(path)
    yield path, conn
    conn.close()


def test_sqlite_topics_read_paging(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    for i in range(1, 6):
        put(conn, "b.topic", i, "kind.b", {"n": i}, {"h": "v"}, 1000 + i)
    put(conn, "a.topic", 1, "kind.a", [1, 2])
    log = SqliteEventLog(path)
    assert log.backend == "sqlite"
    assert log.location == path
    assert log.topics() == ["a.topic", "b.topic"]
    assert ids(log.read("b.topic", after=0, limit=2)) == [1, 2]
    assert ids(log.read("b.topic", after=2, limit=10)) == [3, 4, 5]
    assert log.read("b.topic", after=5) == []
    first = log.read("b.topic")[0]
    assert first == LogEvent("b.topic", 1, "kind.b", {"n": 1}, {"h": "v"}, 1001)
    assert ids(list(log.iter_topic("b.topic", page=2))) == [1, 2, 3, 4, 5]
    assert ids(list(log.iter_topic("b.topic", after=3, page=2))) == [4, 5]
    assert log.last_event_id("b.topic") == 5
    assert log.last_event_id("nope") == 0
    assert log.read("nope") == []
    assert log.watch_paths() == [path, Path(f"{path}-wal")]
    log.close()


def test_sqlite_ids_start_after_compaction(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    for i in range(1, 8):
        put(conn, "t", i, payload=i)
    conn.execute("DELETE FROM events WHERE topic = 't' AND event_id <= 4")
    log = SqliteEventLog(path)
    assert ids(log.read("t")) == [5, 6, 7]
    assert ids(list(log.iter_topic("t", page=1))) == [5, 6, 7]
    assert log.last_event_id("t") == 7


def test_sqlite_payload_text_blob_and_int(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    put(conn, "t", 1, raw_payload=b'{"a": 1}')  # BLOB
    put(conn, "t", 2, raw_payload='{"a": 1}')  # TEXT
    put(conn, "t", 3, raw_payload=42)  # INTEGER
    types = [r[0] for r in conn.execute("SELECT typeof(payload) FROM events ORDER BY event_id")]
    assert types == ["blob", "text", "integer"]
    rows = SqliteEventLog(path).read("t")
    assert [r.payload for r in rows] == [{"a": 1}, {"a": 1}, 42]
    assert all(r.raw_error is None for r in rows)


def test_sqlite_non_json_payload_and_headers(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    put(conn, "t", 1, raw_payload=b"not json {")
    put(conn, "t", 2, payload={"ok": True}, raw_headers="[1, 2]")
    put(conn, "t", 3, payload={"ok": True}, raw_headers="{broken")
    put(conn, "t", 4, payload={"ok": True}, raw_headers='{"n": 3, "s": "x"}')
    put(conn, "t", 5, raw_payload=b"\xff\xfe")
    rows = SqliteEventLog(path).read("t")
    assert rows[0].payload == "not json {"
    assert rows[0].raw_error and "payload" in rows[0].raw_error
    assert rows[1].headers == {} and "headers" in (rows[1].raw_error or "")
    assert rows[1].payload == {"ok": True}
    assert rows[2].headers == {} and rows[2].raw_error
    assert rows[3].headers == {"n": "3", "s": "x"} and rows[3].raw_error is None
    assert isinstance(rows[4].payload, str) and rows[4].raw_error


def test_sqlite_wrong_column_types_for_kind_and_time(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    conn.execute(
        "INSERT INTO events VALUES ('t', 1, 7, X'7B7D', '{}', '1234')"
    )  # kind int, time text
    row = SqliteEventLog(path).read("t")[0]
    assert (row.kind, row.payload, row.occurred_at_ms) == ("7", {}, 1234)


def test_sqlite_missing_tables(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    log = SqliteEventLog(path)
    assert log.topics() == []
    assert log.read("t") == []
    assert log.last_event_id("t") == 0
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    assert SqliteEventLog(empty).topics() == []


def test_sqlite_not_a_database_or_missing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not an sqlite database at all, just text " * 40)
    with pytest.raises(EventLogError):
        SqliteEventLog(junk).topics()
    with pytest.raises(EventLogError, match="not found"):
        SqliteEventLog(tmp_path / "missing.sqlite")


def test_sqlite_wal_rows_visible_while_writer_active(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    put(conn, "t", 1, payload="one")
    log = SqliteEventLog(path)
    assert ids(log.read("t")) == [1]
    # committed row lives only in the WAL (autocheckpoint is off)
    put(conn, "t", 2, payload="two")
    assert Path(f"{path}-wal").stat().st_size > 0
    assert ids(log.read("t")) == [1, 2]
    # an open write transaction neither blocks the reader nor shows its rows
    conn.execute("BEGIN IMMEDIATE")
    put(conn, "t", 3, payload="three")
    assert ids(log.read("t")) == [1, 2]
    conn.execute("COMMIT")
    assert ids(log.read("t", after=2)) == [3]
    assert log.last_event_id("t") == 3
    log.close()


def test_sqlite_locked(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    conn = make_db(path, wal=False)
    put(conn, "t", 1)
    reader = SqliteEventLog(path, busy_timeout=0.1)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(EventLogError, match="event log is locked"):
            reader.read("t")
        with pytest.raises(EventLogError, match="event log is locked"):
            SqliteEventLog(path, busy_timeout=0.1)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert ids(reader.read("t")) == [1]


def test_sqlite_copy_fallback(
    db: tuple[Path, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, conn = db
    put(conn, "t", 1)
    put(conn, "t", 2)  # in the WAL only
    real = sqlite_backend._connect
    calls: list[str] = []

    def flaky(uri: str, timeout: float) -> sqlite3.Connection:
        calls.append(uri)
        if len(calls) == 1:
            raise sqlite3.OperationalError("unable to open database file")
        return real(uri, timeout)

    monkeypatch.setattr(sqlite_backend, "_connect", flaky)
    before = (digest(path), digest(Path(f"{path}-wal")))
    log = SqliteEventLog(path)
    assert log.copied
    assert str(path.parent) not in calls[-1]  # reading the copy
    assert ids(log.read("t")) == [1, 2]
    put(conn, "t", 3)  # source changed -> copy refreshed
    assert ids(log.read("t")) == [1, 2, 3]
    copy_dir = log._copy_dir
    assert copy_dir is not None and copy_dir.exists()
    log.close()
    assert not copy_dir.exists()
    assert digest(path) == before[0]


def test_sqlite_is_read_only(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    for i in range(1, 50):
        put(conn, "t", i, payload={"i": i})
    wal = Path(f"{path}-wal")
    before = (digest(path), digest(wal))
    log = SqliteEventLog(path)
    assert len(list(log.iter_topic("t", page=7))) == 49
    log.topics()
    log.last_event_id("t")
    log.close()
    assert (digest(path), digest(wal)) == before
    with pytest.raises(sqlite3.OperationalError):
        # the reader's connection is opened read-only
        conn2 = sqlite_backend._connect(f"file:{path}?mode=ro", 1.0)
        conn2.execute("INSERT INTO events VALUES ('x', 1, 'k', X'00', '{}', 0)")


def test_sqlite_odd_path_characters(tmp_path: Path) -> None:
    odd = tmp_path / "we ird#dir?x=1%20&"
    odd.mkdir()
    path = odd / "events.sqlite"
    conn = make_db(path)
    put(conn, "t", 1)
    assert ids(SqliteEventLog(path).read("t")) == [1]
    conn.close()


def test_sqlite_usable_from_other_threads(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    put(conn, "t", 1)
    log = SqliteEventLog(path)
    out: list[list[LogEvent]] = []
    workers = [threading.Thread(target=lambda: out.append(log.read("t"))) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [ids(x) for x in out] == [[1]] * 4


# ----------------------------------------------------------------------------- file backend


def test_file_basic_and_whitespace(tmp_path: Path) -> None:
    root = make_file_log(
        tmp_path / "events",
        {"a.t": [file_line(3, payload={"x": 1}), b"   \n", b"\n", file_line(4)]},
    )
    log = FileEventLog(root)
    assert log.backend == "file"
    assert log.topics() == ["a.t"]
    got = log.read("a.t")
    assert ids(got) == [3, 4]  # ids may start > 1 after compaction
    assert got[0] == LogEvent("a.t", 3, "k", {"x": 1}, {}, 5)
    assert log.skipped_lines("a.t") == 0
    assert log.last_event_id("a.t") == 4
    assert log.read("missing") == []
    assert log.watch_paths() == [root / "topics"]


def test_file_topics_ignore_tmp_and_dotfiles(tmp_path: Path) -> None:
    root = make_file_log(tmp_path / "ev", {"a": [file_line(1)]})
    topics = root / "topics"
    (topics / "a.jsonl.tmp").write_bytes(file_line(1))
    (topics / ".a.jsonl.0196abcd.tmp").write_bytes(file_line(1))
    (topics / ".hidden.jsonl").write_bytes(file_line(1))
    (topics / "notes.txt").write_text("x")
    assert FileEventLog(root).topics() == ["a"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert FileEventLog(empty).topics() == []


def test_file_half_written_last_line(tmp_path: Path) -> None:
    line2 = file_line(2)
    root = make_file_log(tmp_path / "ev", {"t": [file_line(1), line2[:10]]})
    log = FileEventLog(root)
    assert ids(log.read("t")) == [1]
    assert log.skipped_lines("t") == 0
    with (root / "topics" / "t.jsonl").open("ab") as fh:
        fh.write(line2[10:])
    assert ids(log.read("t", after=1)) == [2]
    # an unterminated last line is ignored even if it would parse
    with (root / "topics" / "t.jsonl").open("ab") as fh:
        fh.write(file_line(3).rstrip(b"\n"))
    assert ids(log.read("t")) == [1, 2]
    assert log.last_event_id("t") == 2


def test_file_bad_complete_lines_skipped_and_counted(tmp_path: Path) -> None:
    root = make_file_log(
        tmp_path / "ev",
        {"t": [file_line(1), b"{nope}\n", b'"just a string"\n', b'{"id": "x"}\n', file_line(2)]},
    )
    log = FileEventLog(root)
    assert ids(log.read("t")) == [1, 2]
    assert log.skipped_lines("t") == 3


def test_file_headers_not_object(tmp_path: Path) -> None:
    root = make_file_log(tmp_path / "ev", {"t": [file_line(1, headers=["x"])]})
    row = FileEventLog(root).read("t")[0]
    assert row.headers == {} and row.raw_error


def test_file_paging(tmp_path: Path) -> None:
    root = make_file_log(tmp_path / "ev", {"t": [file_line(i) for i in range(1, 11)]})
    log = FileEventLog(root)
    assert ids(log.read("t", limit=3)) == [1, 2, 3]
    assert ids(log.read("t", after=1, limit=2)) == [2, 3]  # within indexed region
    assert ids(log.read("t", after=2, limit=4)) == [3, 4, 5, 6]  # indexed + new
    assert ids(list(log.iter_topic("t", page=3))) == list(range(1, 11))
    assert ids(log.read("t", after=8)) == [9, 10]
    assert log.read("t", limit=0) == []


def test_file_incremental_parses_only_appended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_file_log(tmp_path / "ev", {"t": [file_line(i) for i in range(1, 6)]})
    parsed: list[bytes] = []
    real = file_backend._parse_line

    def counting(topic: str, line: bytes) -> LogEvent | None:
        parsed.append(line)
        return real(topic, line)

    monkeypatch.setattr(file_backend, "_parse_line", counting)
    log = FileEventLog(root)
    assert ids(log.read("t")) == [1, 2, 3, 4, 5]
    assert len(parsed) == 5
    with (root / "topics" / "t.jsonl").open("ab") as fh:
        fh.write(file_line(6) + file_line(7))
    assert ids(log.read("t", after=5)) == [6, 7]
    assert len(parsed) == 7
    assert log.read("t", after=7) == []
    assert len(parsed) == 7


def test_file_compacted_rewrite_via_rename(tmp_path: Path) -> None:
    root = make_file_log(tmp_path / "ev", {"t": [file_line(i) for i in range(1, 6)]})
    log = FileEventLog(root)
    assert ids(log.read("t")) == [1, 2, 3, 4, 5]
    topic = root / "topics" / "t.jsonl"
    tmp = root / "topics" / ".t.jsonl.0196.tmp"
    tmp.write_bytes(file_line(4) + file_line(5) + file_line(6) + file_line(7) + file_line(8))
    os.replace(tmp, topic)  # new inode, may even be larger than before
    assert ids(log.read("t", after=5)) == [6, 7, 8]
    assert ids(log.read("t")) == [4, 5, 6, 7, 8]


def test_file_rewritten_in_place(tmp_path: Path) -> None:
    root = make_file_log(tmp_path / "ev", {"t": [file_line(i) for i in range(1, 6)]})
    log = FileEventLog(root)
    assert ids(log.read("t")) == [1, 2, 3, 4, 5]
    topic = root / "topics" / "t.jsonl"
    ino = topic.stat().st_ino
    with topic.open("r+b") as fh:  # shrink, same inode
        fh.truncate(0)
        fh.write(file_line(5) + file_line(6))
    assert topic.stat().st_ino == ino
    assert ids(log.read("t", after=5)) == [6]
    assert ids(log.read("t")) == [5, 6]
    # same inode, same size, different content: caught by the tail check
    with topic.open("r+b") as fh:
        fh.write(file_line(7, kind="x") + file_line(8, kind="y"))
    assert topic.stat().st_ino == ino
    assert ids(log.read("t", after=6)) == [7, 8]  # stale index would say "nothing new"
    assert ids(log.read("t")) == [7, 8]
    assert [e.kind for e in log.read("t")] == ["x", "y"]


def test_file_unordered_ids_fallback(tmp_path: Path) -> None:
    root = make_file_log(tmp_path / "ev", {"t": [file_line(2), file_line(1), file_line(3)]})
    log = FileEventLog(root)
    assert ids(log.read("t")) == [1, 2, 3]
    assert ids(log.read("t", after=1, limit=1)) == [2]


def test_file_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(EventLogError):
        FileEventLog(tmp_path / "nope")


# ----------------------------------------------------------------------------- opening


def test_open_event_log(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    make_db(path).close()
    assert isinstance(open_event_log("SQLite", path), SqliteEventLog)
    (tmp_path / "events" / "topics").mkdir(parents=True)
    assert isinstance(open_event_log("file", tmp_path / "events"), FileEventLog)
    with pytest.raises(EventLogError):
        open_event_log("memory", tmp_path)


def test_open_default_event_log(tmp_path: Path) -> None:
    assert open_default_event_log(None, {}, tmp_path) is None
    state = tmp_path / ".harn"
    state.mkdir()
    conn = make_db(state / "events.sqlite")
    put(conn, "t", 1)
    log = open_default_event_log(None, {}, tmp_path)
    assert isinstance(log, SqliteEventLog) and ids(log.read("t")) == [1]
    # --events wins, relative to cwd, and accepts a state root
    other = tmp_path / "other"
    (other / "events" / "topics").mkdir(parents=True)
    got = open_default_event_log(Path("other"), {}, tmp_path)
    assert isinstance(got, FileEventLog) and got.location == other / "events"
    with pytest.raises(EventLogError):
        open_default_event_log(tmp_path / "missing", {}, tmp_path)
    with pytest.raises(EventLogError):
        open_default_event_log(tmp_path / "other" / "events" / "topics", {}, tmp_path)
    conn.close()
    env = {"HARN_EVENT_LOG_BACKEND": "file", "HARN_EVENT_LOG_DIR": "other/events"}
    assert isinstance(open_default_event_log(None, env, tmp_path), FileEventLog)
