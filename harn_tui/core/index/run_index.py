"""`RunIndex`: every run file under a root as a small summary, built fast and kept fresh.

Cold builds parse files in a process pool over all cores; warm builds stat files
and serve unchanged ones from the persistent cache. `update(paths)` re-reads only
the files named, so a watcher never triggers a rescan.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harn_tui.core.format.errors import LoadError
from harn_tui.core.format.gcpause import gc_paused
from harn_tui.core.index.cache import SummaryCache
from harn_tui.core.index.discovery import (
    FoundFile,
    is_candidate_name,
    is_ignored_name,
    stat_file,
    walk,
)
from harn_tui.core.index.listing import Listed

if TYPE_CHECKING:
    from harn_tui.core.index.summary import RunSummary

#: Below this many files to parse, a process pool costs more than it saves.
POOL_THRESHOLD = 48
CHUNK = 64

SORTS = ("newest", "oldest", "duration")


def _summary() -> Any:
    """The summary module, imported only when a file has to be parsed (a warm listing
    never needs it)."""
    from harn_tui.core.index import summary

    return summary


def load_summary(found: FoundFile) -> RunSummary | None:
    """Summarize one file; None when it is JSON but not a run record. Never raises."""
    if found.error:
        return _summary().broken(found.rel, found.error, found.size, found.mtime_ns)
    # The reader (and orjson) only when a file is parsed: a warm listing never needs them.
    from harn_tui.core.format.jsonload import decode_json, read_bytes, type_name

    try:
        data = decode_json(read_bytes(found.path))
    except LoadError as exc:
        return _summary().broken(found.rel, exc.reason, found.size, found.mtime_ns)
    if not isinstance(data, dict):
        reason = f"top-level JSON is {_article(type_name(data))}, not an object"
        return _summary().broken(found.rel, reason, found.size, found.mtime_ns)
    if data.get("_type") != "run_record":
        return None
    try:
        return _summary().summarize(data, found.rel, found.size, found.mtime_ns)
    except Exception as exc:  # a safety net: one odd record never hides the others
        reason = f"cannot summarize: {type(exc).__name__}"
        return _summary().broken(found.rel, reason, found.size, found.mtime_ns)


def _article(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _load_chunk(items: list[tuple[str, str, int, int]]) -> list[tuple[str, list[Any] | None]]:
    """Worker: (rel, listing entry) per file (the entry carries the summary's JSON)."""
    out = []
    with gc_paused():
        for path, rel, size, mtime_ns in items:
            result = load_summary(FoundFile(path, rel, size, mtime_ns))
            out.append((rel, None if result is None else _summary().listing_entry(result)))
    return out


class IndexStats:
    """What the last operation cost (for benchmarks and tests)."""

    def __init__(self) -> None:
        self.files_seen = 0
        self.parsed = 0
        self.cache_hits = 0
        self.reloads = 0


class RunIndex:
    """Summaries of every run file under `root`, keyed by path relative to it."""

    def __init__(self, root: Path, *, cache_dir: Path | None = None, workers: int | None = None,
                 background: bool = False):
        self.root = Path(root)
        self.background = background  # parse at a lower priority (a person is using the UI)
        self.cache = SummaryCache(cache_dir, self.root) if cache_dir is not None else None
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.runs: dict[str, RunSummary] = {}
        self.stats = IndexStats()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop a scan running in another thread soon (the explorer is closing): files not
        parsed yet are left out, what was parsed is kept (and cached)."""
        self._cancelled.set()

    # -- building ---------------------------------------------------------------

    def scan(self, on_batch: Callable[[list[RunSummary]], None] | None = None) -> list[RunSummary]:
        """Walk the root and (re)build every summary; return them in walk order."""
        with gc_paused():
            runs: dict[str, RunSummary] = {}
            hits: list[RunSummary] = []
            for item, entry, fresh in self._walk_entries(on_batch, want_summaries=True):
                if fresh is not None:
                    runs[item.rel] = fresh
                elif entry is not None:
                    summary = _summary().RunSummary.from_doc(entry[-1], item.rel)
                    runs[item.rel] = summary
                    hits.append(summary)
                    if on_batch and len(hits) >= 4 * CHUNK:
                        on_batch(hits)
                        hits = []
            if on_batch and hits:
                on_batch(hits)
            self.runs = runs
            return list(runs.values())

    def scan_listing(self) -> list[Listed]:
        """Like `scan`, but light rows straight from the cache (what `ls` prints)."""
        with gc_paused():
            return [
                Listed(item.rel, item.mtime_ns, *entry)
                for item, entry, _fresh in self._walk_entries(None, want_summaries=False)
                if entry is not None
            ]

    def listing_of_file(self, path: Path) -> list[Listed]:
        """The `ls` row of one run file (ROOT may be a single file); [] when it is JSON
        but not a run record."""
        item = stat_file(Path(path), Path(path).name)
        result = load_summary(item)
        if result is None:
            return []
        return [Listed(item.rel, item.mtime_ns, *_summary().listing_entry(result))]

    def _walk_entries(
        self, on_batch: Callable[[list[RunSummary]], None] | None, *, want_summaries: bool
    ) -> list[tuple[FoundFile, list[Any] | None, RunSummary | None]]:
        """(file, cached-or-new listing entry, new summary if parsed now) for every file."""
        self.stats = IndexStats()
        cache = self.cache
        if cache is not None:
            cache.load()
        found = list(walk(self.root))
        self.stats.files_seen = len(found)
        out: list[tuple[FoundFile, list[Any] | None, RunSummary | None]] = []
        todo: list[FoundFile] = []
        for item in found:
            if item.error is None and cache is not None:
                hit, cached = cache.get(item.rel, item.size, item.mtime_ns)
                if hit:
                    self.stats.cache_hits += 1
                    out.append((item, cached, None))
                    continue
            todo.append(item)
        by_rel = {item.rel: item for item in todo}
        for rel, entry, result in self._parse(todo, on_batch, want_summaries):
            item = by_rel[rel]
            if cache is not None and item.error is None:
                cache.put(rel, item.size, item.mtime_ns, entry)
            out.append((item, entry, result))
        if cache is not None:
            cache.retain({item.rel for item in found})
            cache.release()  # saved; the loaded file is not held for the rest of the session
        return out

    def _parse(
        self,
        todo: list[FoundFile],
        on_batch: Callable[[list[RunSummary]], None] | None,
        want_summaries: bool,
    ) -> Iterable[tuple[str, list[Any] | None, RunSummary | None]]:
        """(rel, listing entry, summary) per file; summaries only when asked for."""
        self.stats.parsed += len(todo)
        errors = [item for item in todo if item.error]
        good = [item for item in todo if not item.error]
        if len(good) < POOL_THRESHOLD or self.workers < 2:
            results = ((item.rel, load_summary(item)) for item in (*errors, *good))
            batch: list[RunSummary] = []
            for rel, result in results:
                if self._cancelled.is_set():
                    break
                entry = None if result is None else _summary().listing_entry(result)
                if result is not None:
                    batch.append(result)
                    if on_batch and len(batch) >= CHUNK:
                        on_batch(batch)
                        batch = []
                yield rel, entry, result
            if on_batch and batch:
                on_batch(batch)
            return
        for item in errors:
            result = load_summary(item)
            yield item.rel, None if result is None else _summary().listing_entry(result), result
        from harn_tui.core.index.pool import parse_pool

        chunks = [
            [(str(i.path), i.rel, i.size, i.mtime_ns) for i in good[n : n + CHUNK]]
            for n in range(0, len(good), CHUNK)
        ]
        with parse_pool(self.workers, background=self.background) as pool:
            for chunk_result in pool.map(_load_chunk, chunks):
                if self._cancelled.is_set():
                    pool.shutdown(wait=False, cancel_futures=True)  # only running chunks finish
                    break
                batch = []
                for rel, entry in chunk_result:
                    result = None
                    if entry is not None and want_summaries:
                        result = _summary().RunSummary.from_doc(entry[-1], rel)
                        batch.append(result)
                    yield rel, entry, result
                if on_batch and batch:
                    on_batch(batch)

    def _remember(self, item: FoundFile, result: RunSummary | None) -> None:
        if self.cache is not None and item.error is None:
            entry = None if result is None else _summary().listing_entry(result)
            self.cache.put(item.rel, item.size, item.mtime_ns, entry)

    def update(self, paths: Iterable[Path]) -> tuple[list[RunSummary], list[str]]:
        """Re-read just these paths. Returns (changed or new summaries, removed rel paths)."""
        changed: list[RunSummary] = []
        removed: list[str] = []
        for path in paths:
            rel = self.relative(path)
            if rel is None or not is_candidate_name(Path(rel).name):
                continue
            if any(is_ignored_name(part) for part in Path(rel).parts[:-1]):
                continue  # inside a folder the walk skips (dot or .tmp)
            item = stat_file(Path(path), rel)
            if item.error and not Path(path).exists() and not Path(path).is_symlink():
                if self.runs.pop(rel, None) is not None:
                    removed.append(rel)
                continue
            self.stats.reloads += 1
            result = load_summary(item)
            self._remember(item, result)
            if result is None:
                if self.runs.pop(rel, None) is not None:
                    removed.append(rel)
                continue
            self.runs[rel] = result
            changed.append(result)
        return changed, removed

    def relative(self, path: Path) -> str | None:
        """`path` relative to the root (posix separators), or None if outside it."""
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root)).as_posix()
        except ValueError:
            return None

    def save_cache(self) -> None:
        if self.cache is not None:
            self.cache.save()

    # -- querying ---------------------------------------------------------------

    def find_prefix(self, text: str) -> list[RunSummary]:
        """The run whose id or path is `text`, else the runs whose id starts with it (`match_runs`)."""
        return match_runs(self.runs.values(), text)


def match_runs(runs: Iterable[RunSummary], text: str) -> list[RunSummary]:
    """Runs named by `text`: an exact id or path wins, else every run whose id starts with
    it. Broken files are never matched. Several ids in the result mean `text` is ambiguous."""
    good = [s for s in runs if not s.broken]
    exact = [s for s in good if s.id == text or s.path == text]
    if exact or not text:
        return exact
    return [s for s in good if s.id.startswith(text)]


def ambiguity(text: str, matches: list[RunSummary], shown: int = 5) -> str | None:
    """One line naming the runs an id prefix matches, or None when it names one run."""
    ids = sorted({s.id for s in matches})
    if len(ids) < 2:
        return None
    listed = ", ".join(ids[:shown]) + (f", … ({len(ids) - shown} more)" if len(ids) > shown else "")
    return f"run id prefix {text!r} matches {len(ids)} runs: {listed}"


def sort_runs(runs: list[RunSummary], sort: str = "newest") -> list[RunSummary]:
    """Order rows: newest/oldest by parsed start (unparsed last), or by duration."""
    unparsed = [r for r in runs if r.started_at_ms is None]
    parsed = [r for r in runs if r.started_at_ms is not None]
    if sort == "oldest":
        parsed.sort(key=lambda r: (r.started_at_ms, r.mtime_ns, r.path))
        unparsed.sort(key=lambda r: (r.mtime_ns, r.path))
        return parsed + unparsed
    if sort == "duration":
        return sorted(
            runs,
            key=lambda r: (
                r.duration_ms is None,
                -(r.duration_ms or 0),
                -(r.started_at_ms if r.started_at_ms is not None else -1),
                -r.mtime_ns,
                r.path,
            ),
        )
    parsed.sort(key=lambda r: (-r.started_at_ms, -r.mtime_ns, r.path))  # type: ignore[operator]
    unparsed.sort(key=lambda r: (-r.mtime_ns, r.path))
    return parsed + unparsed


def select(
    runs: Iterable[RunSummary],
    *,
    sort: str = "newest",
    limit: int | None = None,
) -> list[RunSummary]:
    """Sort then limit (filtering is the query language's: `analysis.query.filter_controls`)."""
    ordered = sort_runs(list(runs), sort)
    return ordered if limit is None else ordered[: max(limit, 0)]
