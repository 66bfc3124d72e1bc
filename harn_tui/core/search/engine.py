"""Full-text search over every run: the index kept current, then a verified query.

`search()` is what `harn-tui grep` and the app call: it syncs the index with the
run root (only changed files are re-read), indexes new event-log rows, applies a
`--where` filter with the query language and returns the hits newest run first.
A regular expression runs in a child process with a time budget, so a
catastrophic pattern is stopped (and says so) instead of hanging.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harn_tui.core.format import clock
from harn_tui.core.search.query import (
    DEFAULT_REGEX_SECONDS,
    Hit,
    SearchQuery,
    parse_search,
    run_search,
)
from harn_tui.core.search.store import SearchIndex

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog

__all__ = ["SearchResult", "open_index", "paths_matching", "search", "where_paths"]


@dataclass
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    timed_out: str | None = None


def open_index(root: Path, cache_dir: Path | None, *, background: bool = False) -> SearchIndex:
    """The index of `root` (a temporary one when there is no cache dir); `background`:
    built at a lower priority, beside a UI."""
    if cache_dir is None:
        import tempfile

        temp = Path(tempfile.mkdtemp(prefix="harn-tui-search-"))
        index = SearchIndex(temp, root, background=background)
        index.owned_dir = temp  # removed on close
        return index
    return SearchIndex(cache_dir, root, background=background)


def where_paths(root: Path, where: str, cache_dir: Path | None,
                index: SearchIndex | None = None) -> set[str]:
    """Run paths matching a query-language filter (summaries from the summary cache)."""
    from harn_tui.core.analysis.query import parse_query
    from harn_tui.core.index.run_index import RunIndex
    from harn_tui.core.index.summary import RunSummary

    query = parse_query(where)
    if index is not None and query.text_sets:
        conn = index.conn
        query.bind_text(lambda needle: paths_matching(conn, needle))
    rows = RunIndex(root, cache_dir=cache_dir).scan_listing()
    pred = query.predicate(clock.now_ms())
    return {row.path for row in rows if pred(RunSummary.of_row(row))}


def paths_matching(conn: sqlite3.Connection, needle: str) -> set[str]:
    """Paths of the runs whose text holds `needle` (a case-insensitive substring)."""
    query = parse_search(f"text~{_quote(needle)}")
    return {hit.path for hit in run_search(conn, query)}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search(
    root: Path,
    pattern: str,
    *,
    cache_dir: Path | None,
    log: EventLog | None = None,
    fields: str | None = None,
    where: str | None = None,
    regex: bool = False,
    limit: int | None = None,
    regex_seconds: float = DEFAULT_REGEX_SECONDS,
    index: SearchIndex | None = None,
) -> SearchResult:
    query = parse_search(pattern, regex=regex, fields=fields)
    own = index is None
    index = index or open_index(root, cache_dir)
    try:
        index.sync()
        if log is not None:
            index.poll_events(log)
        allowed = None
        filters = " ".join(x for x in (query.where, where or "") if x)
        if filters:
            allowed = where_paths(root, filters, cache_dir, index)
        if regex:
            return _bounded(index, query, allowed, limit, regex_seconds)
        return SearchResult(list(run_search(index.conn, query, allowed=allowed, limit=limit)))
    finally:
        if own:
            index.close()


# -- regular expressions, bounded in time -------------------------------------------


def _in_process(index: SearchIndex, query: SearchQuery, allowed: Iterable[str] | None,
                limit: int | None, seconds: float) -> SearchResult:
    """The fallback without a child process: the budget is checked between texts."""
    from harn_tui.core.search.query import RegexTimeout

    result = SearchResult()
    conn = index.reader()
    try:
        for hit in run_search(conn, query, allowed=set(allowed) if allowed is not None else None,
                              limit=limit, deadline=time.monotonic() + seconds):
            result.hits.append(hit)
    except RegexTimeout:
        result.timed_out = (f"regular expression stopped after {seconds:g}s"
                            f" (too slow: {len(result.hits)} hit(s) so far)")
    finally:
        conn.close()
    return result


#: How long the child may take to start (import the search module, open the index) before
#: the regex's own budget starts: the budget bounds the search, not the start-up.
STARTUP_SECONDS = 15.0
_READY = "ready"
_CHILD = "from harn_tui.core.search.engine import _child_main; _child_main()"


def _child_main() -> None:
    """The child process: the request on stdin, READY then one pickled hit each on stdout."""
    import pickle
    import sys

    db, pattern, fields, allowed, limit = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    query = parse_search(pattern, regex=True, fields=fields or None)
    pickle.dump(_READY, out)
    out.flush()
    for hit in run_search(conn, query, allowed=set(allowed) if allowed is not None else None,
                          limit=limit):
        pickle.dump(hit, out)
        out.flush()
    pickle.dump(None, out)
    out.flush()


def _child_env() -> dict[str, str]:
    import os

    import harn_tui

    env = dict(os.environ)
    src = str(Path(harn_tui.__file__).resolve().parent.parent)  # also from a source checkout
    env["PYTHONPATH"] = os.pathsep.join(x for x in (src, env.get("PYTHONPATH", "")) if x)
    return env


def _bounded(index: SearchIndex, query: SearchQuery, allowed: Iterable[str] | None,
             limit: int | None, seconds: float) -> SearchResult:
    """Run a regex query in a child process, killed once it has searched for `seconds`.

    A plain subprocess rather than multiprocessing: spawn's resource tracker needs a real
    `sys.stderr` (Textual replaces it) and fork is unsafe beside the app's threads.
    """
    import pickle
    import queue
    import subprocess
    import sys
    import threading

    request = (str(index.path), query.text, ",".join(query.fields) or None,
               sorted(allowed) if allowed is not None else None, limit)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=_child_env(), close_fds=True)
    except OSError:  # no child process here: check between texts
        return _in_process(index, query, allowed, limit, seconds)
    items: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        try:
            while True:
                items.put(pickle.load(proc.stdout))
        except Exception:  # EOF (the child ended or was killed) or a broken stream
            items.put(None)

    assert proc.stdin is not None
    try:
        pickle.dump(request, proc.stdin)
        proc.stdin.close()
    except OSError:
        pass
    reader = threading.Thread(target=read, name="search-regex-reader", daemon=True)
    reader.start()
    result = SearchResult()
    deadline = time.monotonic() + seconds + STARTUP_SECONDS
    started = False
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                item = items.get(timeout=left) if left > 0 else items.get_nowait()
            except queue.Empty:
                result.timed_out = (f"regular expression stopped after {seconds:g}s"
                                    f" (too slow: {len(result.hits)} hit(s) so far)")
                break
            if item is None:
                if not started:  # the child failed before it could search
                    result.timed_out = "regular expression not run: its child process failed"
                break
            if item == _READY and not started:  # the budget starts with the search
                started = True
                deadline = time.monotonic() + seconds
                continue
            result.hits.append(item)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()
    return result
