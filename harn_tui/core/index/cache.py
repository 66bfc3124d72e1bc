"""The persistent summary cache: one file per run root under the user cache dir.

Entries are keyed by (relative path, size, mtime_ns); a stale entry is never
served. A corrupt, foreign or older-format cache file is ignored and rebuilt.
harn-tui writes only here, never into the run root.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.index.listing import ENTRY_LEN, FIELDS, SUMMARY_VERSION

CACHE_FORMAT = "harn-tui-summary-cache"

#: entry: [size, mtime_ns, listing entry (summary.listing_entry) or None for "not a run record"]
Entry = list[Any]


class SummaryCache:
    """Load and save the summaries of one run root."""

    def __init__(self, cache_dir: Path, root: Path) -> None:
        self.root_key = str(Path(root).resolve())
        digest = hashlib.sha256(self.root_key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        self.path = Path(cache_dir) / f"index-{digest}.cache"
        self.entries: dict[str, Entry] = {}
        self.dirty = False

    def load(self) -> None:
        """Read the cache file; anything unexpected means an empty cache."""
        self.entries = {}
        try:
            data = self.path.read_bytes()
        except OSError:
            return
        try:
            self.entries = _decode(data, self.root_key)
        except (ValueError, TypeError, KeyError, IndexError, orjson.JSONDecodeError):
            self.entries = {}
            self.dirty = True

    def get(self, rel: str, size: int, mtime_ns: int) -> tuple[bool, list[Any] | None]:
        """(hit, summary) for a file at this size and mtime; a stale entry is a miss."""
        entry = self.entries.get(rel)
        if entry is None or entry[0] != size or entry[1] != mtime_ns:
            return False, None
        return True, entry[2]

    def put(self, rel: str, size: int, mtime_ns: int, summary: list[Any] | None) -> None:
        self.entries[rel] = [size, mtime_ns, summary]
        self.dirty = True

    def retain(self, rels: set[str]) -> None:
        """Forget files that no longer exist."""
        gone = [rel for rel in self.entries if rel not in rels]
        for rel in gone:
            del self.entries[rel]
        self.dirty = self.dirty or bool(gone)

    def save(self) -> None:
        """Write atomically; a cache that cannot be written is simply not kept."""
        if not self.dirty:
            return
        import tempfile

        payload = _encode(self.entries, self.root_key)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.writelines(payload)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.dirty = False


# On disk: MAGIC, one JSON header line (entries with each summary document replaced by its
# offset and length), then the documents back to back. Loading parses only the small header;
# the documents are sliced out as bytes, ready to print or parse.
MAGIC = b"HARN-TUI-CACHE\n"


def _encode(entries: dict[str, Entry], root_key: str) -> list[bytes]:
    """The cache file as pieces to write one after the other (the documents are not copied:
    at 100,000 runs one joined buffer would be two more copies of every document)."""
    rels, sizes, mtimes, lights, offsets, lengths = [], [], [], [], [], []
    docs: list[bytes] = []
    at = 0
    for rel, (size, mtime_ns, entry) in entries.items():
        rels.append(rel)
        sizes.append(size)
        mtimes.append(mtime_ns)
        if entry is None:
            lights.append(None)
            offsets.append(0)
            lengths.append(0)
            continue
        doc = entry[-1]
        lights.append(entry[:-1])
        offsets.append(at)
        lengths.append(len(doc))
        docs.append(doc)
        at += len(doc)
    header = {
        "format": CACHE_FORMAT,
        "version": SUMMARY_VERSION,
        "fields": FIELDS,
        "root": root_key,
        "blob": at,
        "columns": [rels, sizes, mtimes, lights, offsets, lengths],
    }
    return [MAGIC, orjson.dumps(header), b"\n", *docs]


def _decode(data: bytes, root_key: str) -> dict[str, Entry]:
    if not data.startswith(MAGIC):
        raise ValueError("not a harn-tui cache")
    end = data.index(b"\n", len(MAGIC))
    header = orjson.loads(memoryview(data)[len(MAGIC) : end])
    blob = memoryview(data)[end + 1 :]  # no copy of the whole blob; each doc is sliced once
    if (
        not isinstance(header, dict)
        or header.get("format") != CACHE_FORMAT
        or header.get("version") != SUMMARY_VERSION
        or header.get("root") != root_key
        or header.get("fields") != list(FIELDS)
        or header.get("blob") != len(blob)
    ):
        raise ValueError("foreign or outdated cache")
    rels, sizes, mtimes, lights, offsets, lengths = header["columns"]
    if not len(rels) == len(sizes) == len(mtimes) == len(lights) == len(offsets) == len(lengths):
        raise ValueError("damaged cache")
    size_of = len(blob)
    want = ENTRY_LEN - 1
    return {
        rel: [size, mtime, None if light is None else [*light, bytes(blob[off : off + n])]]
        for rel, size, mtime, light, off, n in zip(rels, sizes, mtimes, lights, offsets, lengths, strict=True)
        if type(size) is int
        and type(mtime) is int
        and (light is None or (type(light) is list and len(light) == want and 0 <= off <= off + n <= size_of))
    }
