"""Export a run as Markdown or JSON to a file (never into the run directory)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from harn_tui.core.normalize import RunDetail


def export_run(detail: RunDetail, kind: str, folder: Path) -> Path:
    """Write `harn-run-<id>.md|json` into `folder` and return its path."""
    from harn_tui.core.report import render_markdown

    ident = re.sub(r"[^A-Za-z0-9._-]+", "_", detail.record.id or detail.path.stem)[:80] or "run"
    target = Path(folder) / f"harn-run-{ident}.{'md' if kind == 'md' else 'json'}"
    if kind == "md":
        target.write_text(render_markdown(detail), encoding="utf-8")
    else:
        target.write_bytes(orjson.dumps(detail.to_json(), option=orjson.OPT_INDENT_2, default=str))
    return target
