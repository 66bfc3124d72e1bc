"""`RunTable`: the virtual run list (10,000 rows scroll like 10)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from harn_tui.core.format import clock
from harn_tui.core.format.numbers import fmt_tokens, fmt_usd
from harn_tui.core.format.timestamps import format_duration, format_iso, format_relative
from harn_tui.core.index.summary import RunSummary
from harn_tui.text import line
from harn_tui.widgets.status import badge
from harn_tui.widgets.virtual_list import KeyedList

# (key, title, width, priority): lower priority columns are dropped first when narrow.
COLUMNS: list[tuple[str, str, int, int]] = [
    ("status", "STATUS", 12, 0),
    ("workflow", "WORKFLOW", 18, 0),
    ("id", "RUN ID", 14, 2),
    ("started", "STARTED", 9, 1),
    ("started_abs", "AT (UTC)", 19, 5),
    ("duration", "DURATION", 8, 1),
    ("cost", "COST", 8, 1),
    ("stages", "STG", 4, 3),
    ("children", "CHD", 4, 4),
    ("hitl", "HITL", 4, 3),
    ("tokens", "TOKENS IN/OUT", 13, 4),
    ("failure", "FAILURE / TASK", 0, 0),  # takes the rest (always shown)
]




#: A whole UUIDv7 run id with Harn's `run_` prefix (and a little more) fits in this.
ID_ROOM = 44
#: The flexible last column (failure / task) never gets less than this while a column can go.
MIN_FLEX = 20
#: The flexible last column keeps at least this much before the id column grows.
FLEX_KEEP = 50


def layout(width: int) -> list[tuple[str, str, int]]:
    """The columns that fit `width`, widest-priority first, the last one flexible. With
    room to spare (wide terminals), the id column grows towards a whole id first."""
    for max_priority in (5, 4, 3, 2, 1, 0):
        chosen = [(k, t, w) for k, t, w, p in COLUMNS if p <= max_priority]
        fixed = sum(w + 1 for k, t, w in chosen if w)
        if width - fixed >= MIN_FLEX or max_priority == 0:
            rest = max(width - fixed, 8)
            grow = 0
            if any(k == "id" for k, _t, _w in chosen):
                base = next(w for k, _t, w in chosen if k == "id")
                grow = max(0, min(ID_ROOM - base, rest - FLEX_KEEP))
            return [
                (k, t, w + grow if k == "id" else (w or rest - grow)) for k, t, w in chosen
            ]
    return []


class RunTable(KeyedList[RunSummary]):
    """Rows of run summaries, keyed by path so the cursor survives updates."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now_ms = clock.now_ms()

    def row_key(self, row: RunSummary) -> object:
        return row.path

    def set_rows(self, rows: Sequence[RunSummary]) -> None:
        self.now_ms = clock.now_ms()
        super().set_rows(rows)

    def header(self, width: int) -> Text:
        out = Text(no_wrap=True, end="", style="bold")
        for _key, title, w in layout(width):
            out.append(title[:w].ljust(w) + " ")
        return out

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        run = self.rows[index]
        out = Text(no_wrap=True, end="")
        for key, _title, w in layout(width):
            out.append_text(self._cell(run, key, w))
            out.append(" ")
        out.truncate(width)
        return out

    def _cell(self, run: RunSummary, key: str, w: int) -> Text:
        if run.broken:
            if key == "status":
                return _pad(badge("broken", "broken", w), w)
            if key == "failure":
                return _pad(line(f"{run.path}: {run.error}", "red", w), w)
            if key == "workflow":
                return _pad(line("(unreadable file)", "dim italic", w), w)
            return Text(" " * w, end="")
        if key == "status":
            return _pad(badge(run.status, None, w), w)
        if key == "workflow":
            if not run.workflow_name:
                return _pad(line("(no workflow id)", "dim italic", w), w)
            return _pad(line(run.workflow_name, "bold", w), w)
        if key == "id":
            return _pad(line(run.id or "(no id)", "dim", w), w)
        if key == "started":
            rel = format_relative(run.started_at_ms, self.now_ms) if run.started_at_ms else "?"
            return _pad(line(rel, "", w), w)
        if key == "started_abs":
            value = format_iso(run.started_at_ms) if run.started_at_ms is not None else run.started_at
            return _pad(line(value, "dim", w), w)
        if key == "duration":
            return _rpad(format_duration(run.duration_ms) or "-", w)
        if key == "cost":
            cost = run.cost_usd
            return _rpad(fmt_usd(cost) if cost else "", w)
        if key == "stages":
            return _rpad(str(run.stage_count), w)
        if key == "children":
            return _rpad(str(run.child_run_count or ""), w)
        if key == "hitl":
            style = "bold cyan" if run.hitl_question_count else ""
            return _rpad(str(run.hitl_question_count or ""), w, style)
        if key == "tokens":
            if not (run.input_tokens or run.output_tokens):
                return _rpad("", w)
            return _rpad(f"{fmt_tokens(run.input_tokens)}/{fmt_tokens(run.output_tokens)}", w)
        if key == "failure":
            if run.failure:
                return _pad(line(run.failure, "red", w), w)
            return _pad(line(run.task, "dim", w), w)
        return Text(" " * w, end="")


def _pad(text: Text, w: int) -> Text:
    text.truncate(w, overflow="ellipsis", pad=True)
    return text


def _rpad(value: str, w: int, style: str = "") -> Text:
    return Text(value[-w:].rjust(w), style=style, no_wrap=True, end="")
