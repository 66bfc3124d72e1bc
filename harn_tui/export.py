"""Export a run as Markdown or JSON: to a file (never into the run directory) or a download."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail


def export_name(detail: RunDetail, kind: str) -> str:
    """`harn-run-<id>.md|json` (the id made safe for a file name)."""
    ident = re.sub(r"[^A-Za-z0-9._-]+", "_", detail.record.id or detail.path.stem)[:80] or "run"
    return f"harn-run-{ident}.{'md' if kind == 'md' else 'json'}"


def export_text(detail: RunDetail, kind: str) -> str:
    """The export's content: the Markdown report, or the normalized record as JSON."""
    from harn_tui.core.analysis.report import render_markdown, run_json

    if kind == "md":
        return render_markdown(detail)
    return orjson.dumps(run_json(detail), option=orjson.OPT_INDENT_2, default=str).decode()
