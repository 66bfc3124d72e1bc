"""The generated corpus is byte-for-byte stable: refactoring the generator must not change it.

The digest covers every file the generators write (event-log rows instead of SQLite pages).
If the generator's output is changed on purpose, recompute the digest and say why in the commit.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import write_bench_root, write_corpus, write_demo

EXPECTED = "788bbb26be8f7aa0fe1f7d3a3c3d6aab8faebdcc3a95d50146d260458f116986"


def _digest(base: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.name.endswith(("-wal", "-shm")):
            continue
        h.update(path.relative_to(base).as_posix().encode() + b"\0")
        if path.suffix == ".sqlite":
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                for row in con.execute("SELECT * FROM events ORDER BY topic, event_id"):
                    h.update(repr(row).encode())
            finally:
                con.close()
        else:
            h.update(path.read_bytes())
    return h.hexdigest()


def test_generated_output_is_unchanged(tmp_path: Path) -> None:
    write_corpus(tmp_path / "a" / "runs", seed=7)
    write_corpus(tmp_path / "b" / "runs", seed=3, backend="file", n_extra=3)
    write_demo(tmp_path / "c" / "demo", seed=1, base_ms=BASE_MS)
    write_bench_root(tmp_path / "d", 8, seed=5, processes=1)
    assert _digest(tmp_path) == EXPECTED
