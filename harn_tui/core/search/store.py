"""The full-text index of every run: SQLite FTS5 in the user cache dir.

One database per run root (``search-<digest>.sqlite`` beside the summary cache).
Each run file is keyed by (relative path, size, mtime_ns) plus its sidecar's
size and mtime, like the summary cache, so a stale entry is never served: every
`sync` stats the files and re-indexes only those that changed. Event-log topics
are indexed after the last event id seen. A corrupt, foreign or older-format
database is deleted and rebuilt. The run root and event log are only read.

Engine: FTS5 with the ``unicode61`` tokenizer (words, phrases, prefixes) and
``detail=full`` over the text, plus a ``trigram`` index with ``detail=none`` over
the same stored text (external content: the text is kept once) for substrings;
every candidate is verified on its text.

Rows: ``docs`` rowid = file id << 20 | piece number, so one file's pieces are a
rowid range (dropped in one statement when the file changes).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from harn_tui.core.format.textsafe import utf8_clean
from harn_tui.core.index.discovery import walk
from harn_tui.core.search.extract import Piece, event_pieces, record_pieces, sidecar_pieces

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog

__all__ = ["SearchIndex", "SyncStats", "locations", "search_db_path"]

FORMAT = "harn-tui-search"
VERSION = "4"
SHIFT = 20
MAX_PIECES = (1 << SHIFT) - 1
#: pieces per compressed location chunk
LOC_CHUNK = 32
#: files per write transaction (and per pool task), at most
BATCH = 50
#: bytes of run files per batch, at most (one giant file is a batch of its own): a batch is
#: what stopping waits for and what waits in memory to be written
BATCH_BYTES = 8 << 20
#: fewer changed files than this are read in this process
POOL_THRESHOLD = 200
#: extraction batches queued ahead of the writer
IN_FLIGHT = 4
#: files rows for event-log topics have rel = TOPIC_PREFIX + topic
TOPIC_PREFIX = "\x00events:"

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    rel TEXT UNIQUE NOT NULL,
    size INTEGER, mtime_ns INTEGER, side TEXT,
    run_id TEXT, started_ms INTEGER, sessions TEXT, pieces INTEGER, error TEXT
);
CREATE VIRTUAL TABLE docs USING fts5(
    text, field UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0', detail = full
);
CREATE VIRTUAL TABLE tri USING fts5(
    c0, content = 'docs_content', content_rowid = 'id', tokenize = 'trigram', detail = none
);
CREATE TABLE locs(fid INTEGER, start INTEGER, data BLOB, PRIMARY KEY(fid, start));
"""


#: How a stored path says it holds a file name's raw bytes (no relative path starts with "/").
_RAW = "/x:"


def db_rel(rel: str) -> str:
    """`rel` as SQLite text can hold it: a name whose bytes are not UTF-8 (surrogates,
    from the file system) is kept as `/x:` + the hex of its bytes."""
    if rel.isascii():
        return rel
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return _RAW + rel.encode("utf-8", "surrogateescape").hex()
    return rel


def fs_rel(stored: str) -> str:
    """The path `db_rel` stored."""
    if stored.startswith(_RAW):
        return bytes.fromhex(stored[len(_RAW) :]).decode("utf-8", "surrogateescape")
    return stored


def search_db_path(cache_dir: Path, root: Path) -> Path:
    key = str(Path(root).resolve())
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return Path(cache_dir) / f"search-{digest}.sqlite"


@dataclass
class SyncStats:
    indexed: int = 0
    removed: int = 0
    unchanged: int = 0
    broken: int = 0
    events: int = 0


def sidecar_of(run_file: str) -> str:
    """The LLM transcript sidecar of a run file (as `core.sidecar.sidecar_path`, on strings)."""
    if run_file.endswith(".json"):
        return run_file[:-5] + "-llm/llm_transcript.jsonl"
    folder, name = os.path.split(run_file)
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return os.path.join(folder, f"{stem}-llm", "llm_transcript.jsonl")


def _side_key(run_file: str) -> str:
    try:
        st = os.stat(sidecar_of(run_file))
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def _sidecar_lines(run_file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON object line of the run's sidecar, read as a stream:
    a line's parse is garbage once its strings are taken, so a gigabyte sidecar is never
    held whole (nor left for the cyclic GC to walk, which would stall every other thread)."""
    try:
        handle = open(sidecar_of(os.fspath(run_file)), "rb")  # noqa: SIM115 - closed below
    except OSError:
        return
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(value, dict):
                yield number, value


def extract_file(path: Path) -> tuple[dict[str, Any], list[Piece]]:
    """(file facts, pieces) for one run file; facts['error'] says why it has none."""
    from harn_tui.core.format.derive import linked_session_ids
    from harn_tui.core.format.errors import LoadError
    from harn_tui.core.format.normalize import read_run_file
    from harn_tui.core.format.timestamps import parse_ms

    try:
        raw = read_run_file(path)
    except LoadError as exc:
        return {"error": exc.reason}, []
    except RecursionError:
        return {"error": "nested too deeply"}, []
    try:
        pieces = record_pieces(raw) + sidecar_pieces(_sidecar_lines(path))
        sessions = linked_session_ids(raw)
    except RecursionError:
        return {"error": "nested too deeply"}, []
    run_id = raw.get("id")
    facts = {
        "run_id": run_id if isinstance(run_id, str) else "",
        "started_ms": parse_ms(raw.get("started_at")),
        "sessions": "\n".join(s for s in sessions if isinstance(s, str)),
        "error": None,
    }
    return facts, pieces


def _extract_many(paths: list[str]) -> list[tuple[dict[str, Any], list[Piece]]]:
    """A pool worker's share: extract several run files."""
    return [extract_file(Path(p)) for p in paths]


def _batches(todo: list[tuple[str, str, int, int, str]]) -> list[list[tuple[str, str, int, int, str]]]:
    """`todo` in walk order, cut at BATCH files or BATCH_BYTES of run file."""
    batches: list[list[tuple[str, str, int, int, str]]] = []
    batch: list[tuple[str, str, int, int, str]] = []
    size = 0
    for item in todo:
        if batch and (len(batch) >= BATCH or size + item[2] > BATCH_BYTES):
            batches.append(batch)
            batch, size = [], 0
        batch.append(item)
        size += item[2]
    if batch:
        batches.append(batch)
    return batches


class SearchIndex:
    """Open (creating or rebuilding) the index of one run root."""

    def __init__(self, cache_dir: Path, root: Path, *, path: Path | None = None,
                 workers: int = 2, background: bool = False) -> None:
        self.workers = workers
        self.background = background  # extract at a lower priority (a person is using the UI)
        self.root = Path(root)
        self.root_key = str(self.root.resolve())
        self.path = path or search_db_path(cache_dir, root)
        self.owned_dir: Path | None = None  # a temporary cache dir to remove on close
        self._cancelled = threading.Event()
        self.conn = self._open()

    def cancel(self) -> None:
        """Stop a `sync` running in another thread after its current batch (the explorer is
        closing); what was written stays, the next `sync` goes on from there."""
        self._cancelled.set()

    # -- opening ----------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._connect()
            if self._valid(conn):
                return conn
            conn.close()
        except sqlite3.DatabaseError:
            pass
        self._delete_files()
        conn = self._connect()
        with conn:
            conn.executescript(_SCHEMA)
            conn.executemany(
                "INSERT INTO meta VALUES(?, ?)",
                [("format", FORMAT), ("version", VERSION), ("root", self.root_key)],
            )
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False,
                               isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _valid(self, conn: sqlite3.Connection) -> bool:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            conn.execute("SELECT rowid FROM docs LIMIT 1").fetchall()
            conn.execute("SELECT id, rel, size, mtime_ns, side, run_id, started_ms, sessions,"
                         " pieces, error FROM files LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            return False
        return meta == {"format": FORMAT, "version": VERSION, "root": self.root_key}

    def _delete_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(self.path) + suffix).unlink()

    def reader(self) -> sqlite3.Connection:
        """A second connection for queries while this one writes (WAL)."""
        conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        return conn

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        if self.owned_dir is not None:
            import shutil

            shutil.rmtree(self.owned_dir, ignore_errors=True)
            self.owned_dir = None

    # -- files ------------------------------------------------------------------

    def known(self) -> dict[str, tuple[int, int, int, str]]:
        """rel -> (id, size, mtime_ns, sidecar key) for run files."""
        rows = self.conn.execute(
            "SELECT rel, id, size, mtime_ns, side FROM files WHERE rel NOT LIKE ?",
            (TOPIC_PREFIX + "%",),
        )
        return {fs_rel(rel): (fid, size, mtime, side or "") for rel, fid, size, mtime, side in rows}

    def sync(self, on_progress: Callable[[int, int], None] | None = None,
             pause: Callable[[], None] | None = None) -> SyncStats:
        """Bring every run file up to date: index new and changed files, drop gone ones.
        `pause` is called before each file is written (the app waits there while it is
        being used: the writes hold the GIL for long stretches)."""
        stats = SyncStats()
        known = self.known()
        seen: set[str] = set()
        todo: list[tuple[str, str, int, int, str]] = []
        folders: set[str] = set()
        for found in list(walk(self.root, folders)):  # the whole walk first: `folders` complete
            if found.error is not None:
                continue
            rel = found.rel
            seen.add(rel)
            # a sidecar lives in `<stem>-llm/`: where the walk met no such folder, none to stat
            side = _side_key(os.fspath(found.path)) if os.path.dirname(sidecar_of(rel)) in folders else ""
            entry = known.get(rel)
            if entry is not None and entry[1:] == (found.size, found.mtime_ns, side):
                stats.unchanged += 1
                continue
            todo.append((rel, os.fspath(found.path), found.size, found.mtime_ns, side))
        gone = [rel for rel in known if rel not in seen]
        if gone:
            with self._write():
                for rel in gone:
                    self._drop(known[rel][0])
            stats.removed = len(gone)
        done = 0
        # closed early (cancelled), the pool drops the batches it has not started
        with contextlib.closing(self._extracted(todo)) as batches:
            for batch, extracted in batches:
                with self._write():
                    for (rel, path, size, mtime, side), (facts, pieces) in zip(
                            batch, extracted, strict=True):
                        if pause is not None:
                            pause()
                        stats.broken += not self._store(rel, Path(path), size, mtime, side,
                                                        known.get(rel, (None,))[0], facts, pieces)
                done += len(batch)
                stats.indexed += len(batch)
                if on_progress is not None:
                    on_progress(done, len(todo))
                if self._cancelled.is_set():  # before waiting for the next batch
                    break
        if todo or gone:
            with contextlib.suppress(sqlite3.Error):  # a reader may hold the WAL: next time
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return stats

    def _extracted(self, todo: list[tuple[str, str, int, int, str]]) -> Generator[
            tuple[list[tuple[str, str, int, int, str]], list[tuple[dict[str, Any], list[Piece]]]],
            None, None]:
        """(batch, extraction per file) in order; many files are read and walked in a process
        pool over the cores while this process writes the index."""
        batches = _batches(todo)
        workers = min(self.workers, os.cpu_count() or 1)
        if len(todo) < POOL_THRESHOLD or workers < 2:
            for batch in batches:
                yield batch, [extract_file(Path(item[1])) for item in batch]
            return
        from collections import deque

        from harn_tui.core.index.pool import parse_pool

        # One reader per core beside this writer, and only a few batches in flight, so the
        # results waiting to be written stay small (memory is bounded whatever the corpus).
        with parse_pool(max(1, workers - 1), background=self.background) as pool:
            pending: deque[Any] = deque()
            try:
                for batch in batches:
                    pending.append((batch, pool.submit(_extract_many, [b[1] for b in batch])))
                    if len(pending) >= IN_FLIGHT:
                        done, future = pending.popleft()
                        if (result := self._result(future)) is None:
                            return
                        yield done, result
                while pending:
                    done, future = pending.popleft()
                    if (result := self._result(future)) is None:
                        return
                    yield done, result
            finally:  # closed early: batches not started are dropped, not waited for
                pool.shutdown(wait=False, cancel_futures=True)

    def _result(self, future: Any) -> Any:
        """A worker's result, or None once `cancel` is called (never waits past it)."""
        while not self._cancelled.is_set():
            try:
                return future.result(timeout=0.1)
            except FutureTimeout:
                continue
        return None

    def update_paths(self, paths: Iterable[Path]) -> list[str]:
        """Re-index the given run files (a watcher's changes); the rels touched."""
        known = self.known()
        touched: list[str] = []
        root = self.root.resolve()
        with self._write():
            for path in paths:
                path = Path(path)
                if path.name == "llm_transcript.jsonl" and path.parent.name.endswith("-llm"):
                    path = path.parent.parent / (path.parent.name[:-4] + ".json")
                try:
                    rel = path.resolve().relative_to(root).as_posix()
                except ValueError:
                    continue
                if not rel.endswith(".json"):
                    continue
                try:
                    st = os.stat(path)
                except OSError:
                    if rel in known:
                        self._drop(known[rel][0])
                        touched.append(rel)
                    continue
                side = _side_key(os.fspath(path))
                entry = known.get(rel)
                if entry is not None and entry[1:] == (st.st_size, st.st_mtime_ns, side):
                    continue
                self._index_file(rel, Path(path), st.st_size, st.st_mtime_ns, side,
                                 entry[0] if entry else None)
                touched.append(rel)
        return touched

    @contextlib.contextmanager
    def _write(self) -> Any:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _drop(self, fid: int) -> None:
        lo = fid << SHIFT
        self._delete_docs(lo)
        self.conn.execute("DELETE FROM files WHERE id = ?", (fid,))
        self.conn.execute("DELETE FROM locs WHERE fid = ?", (fid,))

    def _index_file(self, rel: str, path: Path, size: int, mtime: int, side: str,
                    fid: int | None) -> bool:
        facts, pieces = extract_file(path)
        return self._store(rel, path, size, mtime, side, fid, facts, pieces)

    def _store(self, rel: str, path: Path, size: int, mtime: int, side: str, fid: int | None,
               facts: dict[str, Any], pieces: list[Piece]) -> bool:
        # The file may have been rewritten while it was read: key it by what was read
        # only when the stat still agrees, else by a key that never matches (retried next sync).
        try:
            st = os.stat(path)
            if (st.st_size, st.st_mtime_ns) != (size, mtime) or _side_key(os.fspath(path)) != side:
                size, mtime = -1, -1
        except OSError:
            size, mtime = -1, -1
        if fid is not None:
            lo = fid << SHIFT
            self._delete_docs(lo)
            self.conn.execute("DELETE FROM locs WHERE fid = ?", (fid,))
        cur = self.conn.execute(
            "INSERT INTO files(id, rel, size, mtime_ns, side, run_id, started_ms, sessions, pieces,"
            " error) VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(rel) DO UPDATE SET size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, side=excluded.side, run_id=excluded.run_id,"
            " started_ms=excluded.started_ms, sessions=excluded.sessions, pieces=excluded.pieces,"
            " error=excluded.error RETURNING id",
            (fid, db_rel(rel), size, mtime, side, facts.get("run_id") or "",
             facts.get("started_ms"), facts.get("sessions") or "", len(pieces),
             None if facts.get("error") is None else utf8_clean(facts["error"])),
        )
        fid = cur.fetchone()[0]
        self._insert(fid, 0, pieces)
        return facts.get("error") is None

    def _delete_docs(self, lo: int) -> None:
        """Drop one file's pieces from both indexes (the trigram index reads the old text)."""
        span = (lo, lo + MAX_PIECES)
        self.conn.execute("INSERT INTO tri(tri, rowid, c0) SELECT 'delete', rowid, text FROM docs"
                          " WHERE rowid BETWEEN ? AND ?", span)
        self.conn.execute("DELETE FROM docs WHERE rowid BETWEEN ? AND ?", span)

    def _insert(self, fid: int, start: int, pieces: list[Piece]) -> int:
        base = (fid << SHIFT) + start
        room = MAX_PIECES - start
        pieces = pieces[:room]
        rows = [(base + i, p.text, p.field) for i, p in enumerate(pieces)]
        self.conn.executemany("INSERT INTO docs(rowid, text, field) VALUES(?,?,?)", rows)
        self.conn.executemany("INSERT INTO tri(rowid, c0) VALUES(?,?)", [r[:2] for r in rows])
        # locations in compressed chunks, so a hit decompresses only its neighbours'
        self.conn.executemany(
            "INSERT OR REPLACE INTO locs VALUES(?,?,?)",
            [(fid, start + i, zlib.compress(orjson.dumps([p.locs for p in pieces[i:i + LOC_CHUNK]]), 6))
             for i in range(0, len(pieces), LOC_CHUNK)],
        )
        return start + len(rows)

    def locations(self, rowid: int) -> list[str]:
        """The locations of one piece."""
        return locations(self.conn, rowid)

    # -- the event log ----------------------------------------------------------

    def poll_events(self, log: EventLog) -> int:
        """Index agent-event records appended since the last poll; how many were read."""
        from harn_tui.core.eventlog.protocol import AGENT_EVENTS_PREFIX

        count = 0
        rows = self.conn.execute(
            "SELECT rel, id, size, pieces, sessions FROM files WHERE rel LIKE ?",
            (TOPIC_PREFIX + "%",),
        ).fetchall()
        state = {rel[len(TOPIC_PREFIX):]: (fid, last, n, sess) for rel, fid, last, n, sess in rows}
        for topic in log.topics():
            if not topic.startswith(AGENT_EVENTS_PREFIX):
                continue
            fid, last, n, sess = state.get(topic, (None, 0, 0, ""))
            records = list(log.iter_topic(topic, after=last or 0))
            if not records:
                continue
            sessions = set(filter(None, (sess or "").split("\n")))
            pairs = []
            for rec in records:
                sid = rec.headers.get("session_id") if isinstance(rec.headers, dict) else None
                if isinstance(sid, str) and sid:
                    sessions.add(sid)
                run_id = _audit_run(rec.payload)
                if run_id:
                    sessions.add("run:" + run_id)
                pairs.append((rec.event_id, rec.payload))
            pieces = event_pieces(pairs)
            with self._write():
                cur = self.conn.execute(
                    "INSERT INTO files(id, rel, size, mtime_ns, side, run_id, sessions, pieces)"
                    " VALUES(?,?,?,0,'','',?,?) ON CONFLICT(rel) DO UPDATE SET size=excluded.size,"
                    " sessions=excluded.sessions, pieces=excluded.pieces RETURNING id",
                    (fid, TOPIC_PREFIX + topic, records[-1].event_id, "\n".join(sorted(sessions)),
                     n + len(pieces)),
                )
                fid = cur.fetchone()[0]
                self._insert(fid, n, pieces)
            count += len(records)
        return count

    # -- facts ------------------------------------------------------------------

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.path.getsize(str(self.path) + suffix)
        return total


def _audit_run(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    event = payload.get("event")
    audit = event.get("audit") if isinstance(event, dict) else None
    run_id = audit.get("run_id") if isinstance(audit, dict) else None
    return run_id if isinstance(run_id, str) and run_id else None


def locations(conn: sqlite3.Connection, rowid: int, cache: dict[Any, Any] | None = None) -> list[str]:
    """The locations of the piece `rowid` (its file's compressed location list)."""
    fid, n = rowid >> SHIFT, rowid & MAX_PIECES
    row = conn.execute(
        "SELECT start, data FROM locs WHERE fid = ? AND start <= ? ORDER BY start DESC LIMIT 1",
        (fid, n),
    ).fetchone()
    if row is None:
        return []
    start, data = row
    key = (fid, start)
    table = cache.get(key) if cache is not None else None
    if table is None:
        try:
            table = orjson.loads(zlib.decompress(data))
        except (zlib.error, orjson.JSONDecodeError):
            table = []
        if cache is not None:
            cache[key] = table
    i = n - start
    return list(table[i]) if 0 <= i < len(table) else []
