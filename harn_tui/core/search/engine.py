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


def open_index(root: Path, cache_dir: Path | None) -> SearchIndex:
    """The index of `root` (a temporary one when there is no cache dir)."""
    if cache_dir is None:
        import tempfile

        temp = Path(tempfile.mkdtemp(prefix="harn-tui-search-"))
        index = SearchIndex(temp, root)
        index.owned_dir = temp  # removed on close
        return index
    return SearchIndex(cache_dir, root)


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
    return {row.path for row in rows if pred(RunSummary.from_doc(row.doc))}


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


def _child(db: str, pattern: str, fields: str | None, allowed: list[str] | None,
           limit: int | None, out: Any) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    query = parse_search(pattern, regex=True, fields=fields or None)
    try:
        for hit in run_search(conn, query, allowed=set(allowed) if allowed is not None else None,
                              limit=limit):
            out.send(hit)
    finally:
        out.send(None)
        out.close()


def _bounded(index: SearchIndex, query: SearchQuery, allowed: Iterable[str] | None,
             limit: int | None, seconds: float) -> SearchResult:
    import multiprocessing
    import threading

    # fork is quickest, but only safe without other threads (the app has several): else spawn.
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
    ctx = multiprocessing.get_context(method)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child,
        args=(str(index.path), query.text, ",".join(query.fields) or None,
              sorted(allowed) if allowed is not None else None, limit, send),
        daemon=True,
    )
    try:
        proc.start()
    except (OSError, ValueError, RuntimeError):  # no child process here: check between texts
        send.close()
        recv.close()
        return _in_process(index, query, allowed, limit, seconds)
    send.close()
    result = SearchResult()
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not recv.poll(left):
                result.timed_out = (f"regular expression stopped after {seconds:g}s"
                                    f" (too slow: {len(result.hits)} hit(s) so far)")
                break
            try:
                item = recv.recv()
            except EOFError:
                break
            if item is None:
                break
            result.hits.append(item)
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(1)
        recv.close()
    return result


