"""Saved queries: named query-language texts kept in `<config dir>/queries.json`.

The query language itself lives in `core.analysis.query`; this module only stores texts
(validated with `parse_query` before they are saved).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harn_tui.core.analysis.query import parse_query
from harn_tui.core.config.paths import config_dir

__all__ = ["SavedQueries", "SavedQuery", "config_dir"]


@dataclass(frozen=True)
class SavedQuery:
    name: str
    query: str


class SavedQueries:
    """Named queries kept as JSON in `<config dir>/queries.json`.

    A missing file is an empty list; a corrupt one is ignored (never raised) and
    described in `problem`; it is moved aside to `queries.json.corrupt` before
    the next save so nothing the user wrote is lost.
    """

    VERSION = 1

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / "queries.json"
        self.items: list[SavedQuery] = []
        self.problem: str | None = None
        self._corrupt = False

    def load(self) -> list[SavedQuery]:
        self.items, self.problem, self._corrupt = [], None, False
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.problem = f"cannot read {self.path.name}: {exc.strerror or type(exc).__name__}"
            return []
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return self._bad("not valid JSON")
        entries = doc.get("queries") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            return self._bad("expected an object with a 'queries' list")
        skipped = 0
        seen: set[str] = set()
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            query = entry.get("query") if isinstance(entry, dict) else None
            if not isinstance(query, str) or not isinstance(name, str) or name in seen:
                skipped += 1
                continue
            seen.add(name)
            self.items.append(SavedQuery(name, query))
        if skipped:
            self.problem = f"{self.path.name}: skipped {skipped} malformed entr{'y' if skipped == 1 else 'ies'}"
        return list(self.items)

    def _bad(self, why: str) -> list[SavedQuery]:
        self._corrupt = True
        self.problem = f"{self.path.name} ignored: {why}"
        return []

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._corrupt and self.path.exists():
            os.replace(self.path, self.path.with_name(self.path.name + ".corrupt"))
            self._corrupt = False
        doc = {
            "version": self.VERSION,
            "queries": [{"name": q.name, "query": q.query} for q in self.items],
        }
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def add(self, query: str, name: str | None = None) -> SavedQuery:
        """Save `query` (validated) under `name` (default: the query itself); replaces a same-named one."""
        parse_query(query)
        text = query.strip()
        item = SavedQuery((name or text).strip() or text, text)
        self.items = [q for q in self.items if q.name != item.name] + [item]
        self.save()
        return item

    def remove(self, name: str) -> bool:
        before = len(self.items)
        self.items = [q for q in self.items if q.name != name]
        if len(self.items) == before:
            return False
        self.save()
        return True

    def names(self) -> list[str]:
        return [q.name for q in self.items]
