"""`D`: trigger dead letters from the event log, grouped by error class (read-only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from harn_tui.core.analysis.dlq import DlqEntry, group_by_error_class, load_dlq
from harn_tui.core.format.numbers import fmt_count
from harn_tui.core.format.timestamps import format_iso
from harn_tui.messages import OpenJson
from harn_tui.text import line, safe
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.virtual_list import KeyedList, VirtualList

#: A list row: a group header (class, count, newest) or an entry.
Row = tuple[str, Any]


class DlqList(KeyedList[Row]):
    def row_key(self, row: Row) -> object:
        kind, value = row
        return f"group:{value.error_class}" if kind == "group" else f"entry:{value.id}"

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        kind, value = self.rows[index]
        if kind == "group":
            out = Text("── ", style="bold red", no_wrap=True, end="")
            out.append_text(line(value.error_class, "bold", 30))
            out.append(f" {fmt_count(value.count)}", style="bold")
            out.append("  newest ", style="dim")
            out.append_text(line(value.newest_failed_at or "-", "dim", 32))
            out.append(" ")
            out.append("─" * max(width - out.cell_len, 0), style="red")
            return out
        e: DlqEntry = value
        narrow = width < 110  # drop the provider/kind column, shorter time and binding
        out = Text("  ", no_wrap=True, end="")
        out.append(format_iso(e.failed_at_ms)[5 if narrow else 0:] + " ", style="dim")
        out.append_text(line(e.binding_key, "bold", 18 if narrow else 24))
        out.pad_right(max((35 if narrow else 46) - out.cell_len, 0))
        if not narrow:
            out.append_text(line(f"{e.provider}/{e.event_kind}", "cyan", 20))
            out.pad_right(max(67 - out.cell_len, 0))
        out.append(f"{e.retry_count}× ", style="yellow")
        state_at = out.cell_len
        out.append_text(line(e.state, "dim", 8))
        out.pad_right(max(state_at + 9 - out.cell_len, 0))
        out.append_text(line(e.last_error, "red", max(width - out.cell_len, 1)))
        out.truncate(width)
        return out


def entry_text(e: DlqEntry) -> Text:
    """An entry's headers, attempts and predicate trace, for the detail box."""
    out = Text()
    out.append_text(line(e.id, "bold"))
    out.append("\n")
    out.append_text(line(f"event {e.event_id} · trigger {e.trigger_id} · {e.error_class} · {e.state}", "dim"))
    out.append("\n")
    out.append("error ", style="bold")
    out.append_text(safe(e.last_error, "red", limit=2000))
    out.append("\nheaders\n", style="bold")
    for key, value in sorted(e.headers.items()):
        out.append("  ")
        out.append_text(line(key, "cyan", 60))
        out.append(": ", style="cyan")
        out.append_text(line(value, "", 200))
        out.append("\n")
    if not e.headers:
        out.append("  none\n", style="dim")
    out.append(f"attempts ({len(e.attempt_history)})\n", style="bold")
    for a in e.attempt_history:
        out.append(f"  #{a.attempt} ")
        out.append_text(line(f"{a.at} {a.status} ", "", 80))
        out.append_text(line(a.error or "", "red", 200))
        out.append("\n")
    out.append(f"predicate trace ({len(e.predicate_trace)})\n", style="bold")
    for step in e.predicate_trace:
        out.append("  ")
        out.append_text(line(step.get("occurred_at", ""), "dim", 30))
        out.append(" ")
        out.append_text(line(step.get("kind"), "", 60))
        out.append("\n")
    out.append("payload ", style="bold")
    import json

    out.append_text(safe(json.dumps(e.payload, ensure_ascii=False, default=str)[:2000], "dim", limit=2000))
    return out


class DlqScreen(Screen[None]):
    """Dead letters grouped by error class; `s` pending only / all states; enter opens JSON."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("s", "toggle_state", "Pending/all"),
        Binding("r", "raw", "Raw JSON"),
        Binding("u", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[DlqEntry] = []
        self.state_filter = "pending"
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="dlq-header")
        yield DlqList(id="dlq-list")
        with VerticalScroll(id="dlq-detail-box"):
            yield Static(id="dlq-detail")
        yield KeyFooter()

    @property
    def list(self) -> DlqList:
        return self.query_one(DlqList)

    def on_mount(self) -> None:
        self.list.focus()
        self.reload()
        self.app.event_log_changed.subscribe(self, lambda _: self.reload(), immediate=True)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="dlq")
    def reload(self) -> None:
        """Read the DLQ (a thread: the log may be large); called again when the log changes."""
        app: Any = self.app
        log = app.event_log
        entries: list[DlqEntry] = []
        error = None
        if log is None:
            error = app.event_log_error or "no event log found (pass --events)"
        else:
            try:
                entries = load_dlq(log)
            except Exception as exc:  # a corrupt log must not take the screen down
                error = str(exc)
        self.app.call_from_thread(self._show, entries, error)

    def _show(self, entries: list[DlqEntry], error: str | None) -> None:
        self.entries, self.error = entries, error
        shown = [e for e in entries if self.state_filter == "all" or e.state == self.state_filter]
        rows: list[Row] = []
        by_class: dict[str, list[DlqEntry]] = {}
        for e in shown:
            by_class.setdefault(e.error_class, []).append(e)
        for group in group_by_error_class(shown):
            rows.append(("group", group))
            rows += [("entry", e) for e in by_class[group.error_class]]
        first = not self.list.rows
        self.list.set_rows(rows)
        if first and len(rows) > 1:
            self.list.cursor = 1  # the newest entry of the first class, not its header
        header = Text(no_wrap=True)
        header.append("Trigger dead letters ", style="bold")
        header.append(f"{fmt_count(len(shown))} {self.state_filter}", style="bold red" if shown else "dim")
        header.append(f" of {fmt_count(len(entries))} · {len(by_class)} error classes", style="dim")
        if error:
            header.append("  ")
            header.append_text(line(error, "yellow", 80))
        elif not entries:
            header.append("  the event log holds no trigger.dlq entries", style="dim")
        self.query_one("#dlq-header", Static).update(header)
        self._render_detail()

    @on(VirtualList.Highlighted, "#dlq-list")
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self._render_detail()

    def _render_detail(self) -> None:
        row = self.list.current
        box = self.query_one("#dlq-detail", Static)
        if row is None:
            box.update("")
        elif row[0] == "group":
            g = row[1]
            box.update(line(f"{g.error_class}: {g.count} entries, newest {g.newest_failed_at}", "bold"))
        else:
            box.update(entry_text(row[1]))

    @on(VirtualList.Selected, "#dlq-list")
    def _selected(self, event: VirtualList.Selected) -> None:
        self.action_raw()

    def action_raw(self) -> None:
        row = self.list.current
        if row is not None and row[0] == "entry":
            self.post_message(OpenJson(asdict(row[1]), f"dead letter {row[1].id}"))

    def action_toggle_state(self) -> None:
        self.state_filter = "all" if self.state_filter == "pending" else "pending"
        self._show(self.entries, self.error)

    def action_back(self) -> None:
        self.app.pop_screen()
