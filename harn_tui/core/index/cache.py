"""The persistent summary cache: one file per run root under the user cache dir.

Entries are keyed by (relative path, size, mtime_ns); a stale entry is never
served. A corrupt, foreign or older-format cache file is ignored and rebuilt.
harn-tui writes only here, never into the run root.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from harn_tui.core.index.listing import ENTRY_LEN, FIELDS, SUMMARY_VERSION

CACHE_FORMAT = "harn-tui-summary-cache-3"  # 2: column per listing field; 3: marshal header

#: entry: [size, mtime_ns, listing entry (summary.listing_entry) or None for "not a run record"]
Entry = list[Any]


class SummaryCache:
    """Load and save the summaries of one run root.

    A loaded cache stays in its columns: an entry is assembled only when asked for, so a
    warm listing that finds every file unchanged never builds a per-entry table. Once a
    scan has what it needs, `release` lets the whole file go (at 100,000 runs it is 130 MB
    of documents); entries put after that are kept aside and merged into the file on save.
    """

    def __init__(self, cache_dir: Path, root: Path) -> None:
        self.root_key = str(Path(root).resolve())
        digest = hashlib.sha256(self.root_key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        self.path = Path(cache_dir) / f"index-{digest}.cache"
        self._columns: _Columns | None = None
        self._entries: dict[str, Entry] | None = {}
        #: After `release`: the entries put since, to merge into the file on `save`.
        self._pending: dict[str, Entry] | None = None
        self.dirty = False

    @property
    def entries(self) -> dict[str, Entry]:
        """rel -> entry, assembled from the columns on first use (then edited in place)."""
        if self._entries is None:
            columns = self._columns
            self._entries = {} if columns is None else columns.table()
            self._columns = None
        return self._entries

    def release(self) -> None:
        """Forget what was loaded (written first if it changed); later puts are kept aside."""
        self.save()
        self._columns, self._entries, self._pending = None, {}, {}

    def load(self) -> None:
        """Read the cache file; anything unexpected means an empty cache."""
        self._columns, self._entries, self._pending = None, {}, None
        try:
            data = self.path.read_bytes()
        except OSError:
            return
        try:
            self._columns = _decode(data, self.root_key)
            self._entries = None
        except (ValueError, TypeError, KeyError, IndexError, EOFError):
            self.dirty = True

    def get(self, rel: str, size: int, mtime_ns: int) -> tuple[bool, list[Any] | None]:
        """(hit, summary) for a file at this size and mtime; a stale entry is a miss."""
        if self._entries is None:
            return self._columns.get(rel, size, mtime_ns) if self._columns else (False, None)
        entry = self._entries.get(rel)
        if entry is None or entry[0] != size or entry[1] != mtime_ns:
            return False, None
        return True, entry[2]

    def put(self, rel: str, size: int, mtime_ns: int, summary: list[Any] | None) -> None:
        target = self.entries if self._pending is None else self._pending
        target[rel] = [size, mtime_ns, summary]
        self.dirty = True

    def retain(self, rels: set[str]) -> None:
        """Forget files that no longer exist."""
        if self._entries is None and self._columns is not None and rels.issuperset(self._columns.rels):
            return  # nothing gone: the columns stay as they are
        gone = [rel for rel in self.entries if rel not in rels]
        for rel in gone:
            del self.entries[rel]
        self.dirty = self.dirty or bool(gone)

    def save(self) -> None:
        """Write atomically; a cache that cannot be written is simply not kept."""
        if not self.dirty:
            return
        import tempfile

        pending = self._pending
        if pending is not None:  # released: the file as it is now, with what was put since
            self.load()
            self.entries.update(pending)
        payload = _encode(self.entries, self.root_key)
        written = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.writelines(payload)
                os.replace(tmp, self.path)
                written = True
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        finally:
            if pending is not None:  # released again; what could not be written waits
                self._columns, self._entries = None, {}
                self._pending = {} if written else pending
        self.dirty = False


# On disk: MAGIC, the header's length (8 bytes, little-endian), the header, then the
# documents back to back. The header holds one list per column (path, size, mtime, each
# listing field, the document's offset and length; offset -1 for a file that is not a run
# record), which decodes into far fewer objects than a list per entry; the documents are
# sliced out as bytes, ready to print. The header is `marshal` data: built into the
# interpreter, so a warm listing imports no JSON library (orjson's import alone is ~10% of a
# warm `ls`), and it keeps any path string, surrogates included. Its format belongs to one
# Python version, so MAGIC names it: another interpreter's cache is rebuilt, not misread.
MAGIC = b"HARN-TUI-CACHE py%d.%d m%d\n" % (*sys.version_info[:2], marshal.version)
_LEN = 8
#: Listing fields kept in the header: every `Listed` field but path, mtime and the document.
LIGHT = ENTRY_LEN - 1


def _encode(entries: dict[str, Entry], root_key: str) -> list[bytes]:
    """The cache file as pieces to write one after the other (the documents are not copied:
    at 100,000 runs one joined buffer would be two more copies of every document)."""
    rels, sizes, mtimes, offsets, lengths = [], [], [], [], []
    light: list[list[Any]] = [[] for _ in range(LIGHT)]
    docs: list[bytes] = []
    at = 0
    for rel, (size, mtime_ns, entry) in entries.items():
        rels.append(rel)
        sizes.append(size)
        mtimes.append(mtime_ns)
        values = (None,) * LIGHT if entry is None else entry[:-1]
        for column, value in zip(light, values, strict=True):
            column.append(value)
        if entry is None:
            offsets.append(-1)
            lengths.append(0)
            continue
        doc = entry[-1]
        offsets.append(at)
        lengths.append(len(doc))
        docs.append(doc)
        at += len(doc)
    header = {
        "format": CACHE_FORMAT,
        "version": SUMMARY_VERSION,
        "fields": list(FIELDS),
        "root": root_key,
        "blob": at,
        "columns": [rels, sizes, mtimes, offsets, lengths, light],
    }
    head = marshal.dumps(header)
    return [MAGIC, len(head).to_bytes(_LEN, "little"), head, *docs]


class _Columns:
    """A decoded cache file: its columns, a position per path, and the document blob.

    Documents stay slices of the file's bytes (memoryviews): a warm listing copies none.
    """

    def __init__(self, rels: list[Any], sizes: list[Any], mtimes: list[Any], offsets: list[Any],
                 lengths: list[Any], light: list[list[Any]], blob: memoryview) -> None:
        self.rels, self.sizes, self.mtimes = rels, sizes, mtimes
        self.offsets, self.lengths, self.blob = offsets, lengths, blob
        self.pos = dict(zip(rels, range(len(rels)), strict=True))
        self.light_rows = list(zip(*light, strict=True))
        self.bad = self._malformed()

    def _sound(self, i: int) -> bool:
        size, mtime, off, n = self.sizes[i], self.mtimes[i], self.offsets[i], self.lengths[i]
        if not (type(size) is int and type(mtime) is int and type(off) is int and type(n) is int):
            return False
        return off == -1 or 0 <= off <= off + n <= len(self.blob)

    def _malformed(self) -> set[int]:
        """The rows that cannot be served; checked column by column first (a sound file
        costs a few C-speed passes), row by row only when something is wrong."""
        end = len(self.blob)
        typed = all(all(type(v) is int for v in column)
                    for column in (self.sizes, self.mtimes, self.offsets, self.lengths))
        if typed and all(off == -1 or (off >= 0 and n >= 0 and off + n <= end)
                         for off, n in zip(self.offsets, self.lengths, strict=True)):
            return set()
        return {i for i in range(len(self.rels)) if not self._sound(i)}

    def _entry(self, i: int) -> list[Any] | None:
        off = self.offsets[i]
        if off == -1:
            return None
        return [*self.light_rows[i], self.blob[off : off + self.lengths[i]]]

    def row(self, i: int) -> Entry | None:
        """Row `i` as [size, mtime_ns, listing entry or None for "not a run record"];
        None when the row is malformed."""
        if i in self.bad:
            return None
        return [self.sizes[i], self.mtimes[i], self._entry(i)]

    def get(self, rel: str, size: int, mtime_ns: int) -> tuple[bool, list[Any] | None]:
        i = self.pos.get(rel)
        if i is None or self.sizes[i] != size or self.mtimes[i] != mtime_ns or i in self.bad:
            return False, None
        return True, self._entry(i)

    def table(self) -> dict[str, Entry]:
        """Every well-formed row as rel -> [size, mtime_ns, entry]."""
        rows = ((rel, self.row(i)) for i, rel in enumerate(self.rels) if type(rel) is str)
        return {rel: row for rel, row in rows if row is not None}


def _decode(data: bytes, root_key: str) -> _Columns:
    if not data.startswith(MAGIC):
        raise ValueError("not a harn-tui cache")
    start = len(MAGIC) + _LEN
    end = start + int.from_bytes(data[len(MAGIC) : start], "little")
    if len(data) < end:
        raise ValueError("truncated cache")
    header = marshal.loads(memoryview(data)[start:end])
    blob = memoryview(data)[end:]  # no copy of the whole blob; each doc is sliced once
    if (
        not isinstance(header, dict)
        or header.get("format") != CACHE_FORMAT
        or header.get("version") != SUMMARY_VERSION
        or header.get("root") != root_key
        or header.get("fields") != list(FIELDS)
        or header.get("blob") != len(blob)
    ):
        raise ValueError("foreign or outdated cache")
    rels, sizes, mtimes, offsets, lengths, light = header["columns"]
    columns = [rels, sizes, mtimes, offsets, lengths, *light]
    if len(light) != LIGHT or not all(type(c) is list and len(c) == len(rels) for c in columns):
        raise ValueError("damaged cache")
    return _Columns(rels, sizes, mtimes, offsets, lengths, light, blob)
