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

from harn_tui.core.summary import ENTRY_LEN, FIELDS, SUMMARY_VERSION

CACHE_FORMAT = "harn-tui-summary-cache"

#: entry: [size, mtime_ns, listing entry (summary.listing_entry) or None for "not a run record"]
Entry = list[Any]


class SummaryCache:
    """Load and save the summaries of one run root."""

    def __init__(self, cache_dir: Path, root: Path) -> None:
        self.root_key = str(Path(root).resolve())
        digest = hashlib.sha256(self.root_key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        self.path = Path(cache_dir) / f"index-{digest}.json"
        self.entries: dict[str, Entry] = {}
        self.dirty = False

    def load(self) -> None:
        """Read the cache file; anything unexpected means an empty cache."""
        self.entries = {}
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if (
            not isinstance(data, dict)
            or data.get("format") != CACHE_FORMAT
            or data.get("version") != SUMMARY_VERSION
            or data.get("root") != self.root_key
            or data.get("fields") != list(FIELDS)
            or not isinstance(data.get("entries"), dict)
        ):
            self.dirty = True
            return
        for rel, entry in data["entries"].items():
            if (
                isinstance(entry, list)
                and len(entry) == 3
                and isinstance(entry[0], int)
                and isinstance(entry[1], int)
                and (entry[2] is None or (isinstance(entry[2], list) and len(entry[2]) == ENTRY_LEN))
            ):
                self.entries[rel] = entry

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
        payload = {
            "format": CACHE_FORMAT,
            "version": SUMMARY_VERSION,
            "fields": FIELDS,
            "root": self.root_key,
            "entries": self.entries,
        }
        import tempfile

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(orjson.dumps(payload))
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.dirty = False
