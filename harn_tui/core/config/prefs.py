"""User preferences (theme, run-list sort) kept in `<config dir>/preferences.json`.

The config dir is the platform user config folder (``HARN_TUI_CONFIG_DIR`` overrides), the
same one that holds saved queries (`saved_queries.py`). A missing or corrupt file means defaults (never raised);
preferences are never written inside the run root.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harn_tui.core.config.paths import config_dir

#: Known preferences and the type each must have (anything else in the file is ignored).
KNOWN: dict[str, type] = {"theme": str, "sort": str}


class Preferences:
    """Read once at start, written (atomically) whenever one changes."""

    def __init__(self, path: Path | None = None, *, forbidden: Path | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / "preferences.json"
        #: A folder preferences must never be written into (the run root).
        self.forbidden = forbidden
        self.values: dict[str, Any] = {}
        self.problem: str | None = None

    def load(self) -> Preferences:
        self.values, self.problem = {}, None
        try:
            doc = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return self
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.problem = f"{self.path.name} ignored: {getattr(exc, 'strerror', None) or type(exc).__name__}"
            return self
        if isinstance(doc, dict):
            self.values = {k: v for k, v in doc.items() if k in KNOWN and isinstance(v, KNOWN[k])}
        return self

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def _writable(self) -> bool:
        if self.forbidden is None:
            return True
        target = self.path.parent.resolve()
        root = Path(self.forbidden).resolve()
        return target != root and root not in target.parents

    def set(self, key: str, value: Any) -> bool:
        """Remember `key` (True if it was written)."""
        if key not in KNOWN or not isinstance(value, KNOWN[key]) or self.values.get(key) == value:
            return False
        self.values[key] = value
        if not self._writable():
            self.problem = "preferences not saved: the config dir is inside the run root"
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.values, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.problem = f"cannot save preferences: {exc.strerror or exc}"
            return False
        return True
