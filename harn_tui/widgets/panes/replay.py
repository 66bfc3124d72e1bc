"""Replay pane: an agent session's AgentEvents as a navigable, playable timeline."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Select, Static

from harn_tui.core.analysis.timeline import TimelineRow, build_timeline, pretty_json
from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_clock, format_duration, format_offset
from harn_tui.messages import Copy, OpenJson
from harn_tui.text import block, label, line, safe
from harn_tui.widgets.panes.pane import Pane
from harn_tui.widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

#: Playback speeds (`+` / `-` step through them).
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
#: At 1x the real gap between events is waited, but never longer than this.
MAX_GAP_S = 2.0
#: Gap used when an event has no timestamp.
DEFAULT_GAP_S = 0.25
#: Longest JSON value shown in the detail view (the full event is one key away).
JSON_LIMIT = 4000

LANE_STYLES = {
    "message": "",
    "thought": "dim italic",
    "tool": "cyan",
    "plan": "blue",
    "turn": "blue",
    "feedback": "yellow",
    "skill": "green",
    "worker": "blue",
    "hitl": "bold yellow",
    "compaction": "dim",
    "warning": "yellow",
    "search": "cyan",
    "handoff": "green",
    "fs": "dim",
    "progress": "",
    "session": "bold",
    "judge": "magenta",
    "checkpoint": "blue",
    "cache": "dim",
    "other": "",
}


def row_style(row: TimelineRow) -> str:
    """The colour of a row: errors red, tool calls cyan, HITL bold yellow, lane otherwise."""
    item = row.item
    if item.is_error or item.status == "failed":
        return "bold red"
    if item.is_hitl:
        return "bold yellow"
    if item.is_tool_call:
        return "cyan"
    return LANE_STYLES.get(item.lane, "")


def speed_label(speed: float) -> str:
    return f"{speed:g}x"


class TimelineList(VirtualList):
    """The timeline rows: `HH:MM:SS.mmm +offset icon title`, coloured by lane."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.rows: list[TimelineRow] = []

    def set_rows(self, rows: list[TimelineRow], cursor: int) -> None:
        """Replace the rows and put the cursor at `cursor`."""
        self.rows = rows
        self.set_count(len(rows), keep=cursor)

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        row = self.rows[index]
        style = row_style(row)
        text = Text(no_wrap=True, end="")
        text.append(format_clock(row.occurred_at_ms), style="dim")
        text.append(f" {format_offset(row.offset_ms):>8} ", style="dim")
        text.append(row.item.icon + " ", style=style)
        rest = max(width - text.cell_len, 1)
        text.append_text(line(row.item.title, style, rest))
        if len(row.indexes) > 1 and text.cell_len < width:
            text.append(f" ×{len(row.indexes)}", style="dim")
        return text


class ReplayPane(Pane):
    """Agent-session replay: session picker, timeline, event detail and playback."""

    title = "Replay"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_tool(1)", "Next tool"),
        Binding("N", "next_tool(-1)", "Prev tool", show=False),
        Binding("e", "next_error", "Next error"),
        Binding("h", "next_hitl", "Next HITL"),
        Binding("space", "play", "Play/pause"),
        Binding("plus,equals_sign", "speed(1)", "Faster", show=False),
        Binding("minus", "speed(-1)", "Slower", show=False),
        Binding("r", "raw", "Raw JSON"),
        Binding("y", "copy", "Copy JSON"),
    ]

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.session: str | None = None
        self.events: list[Any] = []
        self.rows: list[TimelineRow] = []
        self.playing = False
        self.speed_index = SPEEDS.index(1.0)
        self._timer: Timer | None = None
        self._session_sig: tuple[tuple[str, int], ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(id="replay-top"):
            yield Select[str]([], prompt="session", id="replay-session", compact=True)
            yield Static(id="replay-status")
        yield Static(id="replay-empty")
        with Horizontal(id="replay-body"):
            yield TimelineList(id="replay-list")
            with VerticalScroll(id="replay-detail-box"):
                yield Static(id="replay-detail")

    @property
    def timeline(self) -> TimelineList:
        return self.query_one("#replay-list", TimelineList)

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    # -- data -----------------------------------------------------------------

    def show(self, detail: RunDetail) -> None:
        super().show(detail)
        sessions = detail.agent_sessions if isinstance(detail.agent_sessions, dict) else {}
        empty = self.query_one("#replay-empty", Static)
        has = bool(sessions)
        self.query_one("#replay-top").display = has
        self.query_one("#replay-body").display = has
        empty.display = not has
        if not has:
            self._stop()
            self.session, self.events, self.rows = None, [], []
            self._session_sig = ()
            self.timeline.set_rows([], 0)
            note = Text("No agent sessions linked to this run", style="bold")
            if detail.event_log_error:
                note.append("\n")
                note.append_text(safe(detail.event_log_error, "dim"))
            empty.update(note)
            return
        keep = self.session in sessions
        session = self.session if keep else next(iter(sessions))
        select: Select[str] = self.query_one("#replay-session", Select)
        signature = tuple((sid, len(events)) for sid, events in sessions.items())
        if signature != self._session_sig:
            self._session_sig = signature
            select.set_options(
                (label((sid, "bold"), (f" ({plural(count, 'event')})", "dim")), sid)
                for sid, count in signature
            )
        if select.value != session:
            select.value = session
        self._load(session, keep=keep)

    def _load(self, session: str, *, keep: bool) -> None:
        """Build the timeline of `session`; keep the cursor on the same row if `keep`."""
        assert self.detail is not None
        events = self.detail.agent_sessions.get(session) or []
        cursor = 0
        if keep and self.rows:
            old = self.timeline.cursor
            key = self.rows[old].key if old < len(self.rows) else None
            cursor = old
        else:
            key = None
        self.session = session
        self.events = list(events)
        built = (self.detail.session_rows or {}).get(session)
        self.rows = built if built is not None and self._rows_fit(built) else build_timeline(self.events)
        if key is not None:
            for i, row in enumerate(self.rows):
                if row.key == key:
                    cursor = i
                    break
        self.timeline.set_rows(self.rows, cursor)
        self._render_detail()
        self._render_status()

    def _rows_fit(self, rows: list[TimelineRow]) -> bool:
        """Rows built by the loader cover exactly these events."""
        covered = max(rows[-1].indexes) + 1 if rows and rows[-1].indexes else 0
        return covered == len(self.events)

    @on(Select.Changed, "#replay-session")
    def _session_changed(self, event: Select.Changed) -> None:
        value = event.select.value
        if value == Select.BLANK and self.session is not None:
            event.select.value = self.session  # the blank entry is not a session
            return
        if self.detail is None or not isinstance(value, str) or value == self.session:
            return
        if value in self.detail.agent_sessions:
            self._stop()
            self._load(value, keep=False)

    @on(VirtualList.Highlighted, "#replay-list")
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self._render_detail()
        self._render_status()

    # -- rendering ------------------------------------------------------------

    def current_row(self) -> TimelineRow | None:
        index = self.timeline.cursor
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _render_status(self) -> None:
        text = Text(no_wrap=True, end="")
        if self.playing:
            text.append("▶ playing ", style="bold green")
        else:
            text.append("⏸ paused ", style="bold")
        text.append(speed_label(self.speed))
        if self.rows:
            text.append(f"  row {self.timeline.cursor + 1}/{len(self.rows)}", style="dim")
            text.append(f"  {plural(len(self.events), 'event')}", style="dim")
        text.append("  space play · +/- speed · n/N tool · e error · h HITL", style="dim")
        self.query_one("#replay-status", Static).update(text)

    def _render_detail(self) -> None:
        row = self.current_row()
        target = self.query_one("#replay-detail", Static)
        target.update(self.detail_text(row) if row is not None else Text("No events", style="dim"))

    def detail_text(self, row: TimelineRow) -> Text:
        """The readable detail of one row (all record text made safe)."""
        item = row.item
        style = row_style(row)
        out = Text()
        out.append(item.icon + " ", style=style)
        out.append_text(line(item.title, style or "bold"))
        out.append("\n")
        out.append("type ", style="dim")
        out.append_text(line(item.type or "(none)", "bold"))
        out.append(f"  lane {item.lane}", style="dim")
        out.append("\n")
        first, last = (self.events[row.indexes[i]].event_id for i in (0, -1))  # not all: 1M chunks
        count = len(row.indexes)
        out.append("event ", style="dim")
        out.append_text(line(str(first) if count == 1 else f"{first}…{last} ({count} chunks)"))
        out.append("  at ", style="dim")
        out.append(f"{format_clock(row.occurred_at_ms)} {format_offset(row.offset_ms)}")
        out.append("\n")
        if item.status:
            out.append("status ", style="dim")
            out.append_text(line(item.status, "bold red" if item.is_error else "bold"))
            out.append("  ")
        if item.duration_ms is not None:
            out.append("duration ", style="dim")
            out.append(format_duration(item.duration_ms))
        if item.status or item.duration_ms is not None:
            out.append("\n")
        if row.pair is not None and 0 <= row.pair < len(self.rows):
            other = self.rows[row.pair]
            word = "result" if item.is_tool_call else "call"
            out.append(f"{word} at row {row.pair + 1}: ", style="dim")
            out.append_text(line(other.item.title, row_style(other)))
            out.append("\n")
        raw = self.events[row.indexes[0]].event
        out.append("\n")
        if len(row.indexes) > 1 or item.type in ("agent_message_chunk", "agent_thought_chunk"):
            session = raw.get("session_id") if isinstance(raw, dict) else None
            if session is not None:
                out.append("session_id ", style="dim")
                out.append_text(line(session))
                out.append("\n")
            body = block(item.body)
            if item.lane == "thought":
                body.stylize("dim italic")
            out.append_text(body)
            return out
        if not item.known or not isinstance(raw, dict):
            out.append("raw event JSON", style="bold")
            out.append(" (unknown type)\n" if isinstance(raw, dict) else " (malformed event)\n", style="dim")
            out.append_text(block(pretty_json(raw), limit=JSON_LIMIT * 4))
            return out
        out.append_text(self._fields(raw))
        return out

    @staticmethod
    def _fields(raw: dict[str, Any]) -> Text:
        """Scalar fields as `key value` lines, then structured ones as pretty JSON."""
        out = Text()
        nested: list[tuple[str, Any]] = []
        error = raw.get("error")
        if error:
            out.append("error ", style="bold red")
            out.append_text(safe(error if isinstance(error, str) else pretty_json(error), "red"))
            out.append("\n")
        for key, value in raw.items():
            if key in ("type", "error"):
                continue
            if isinstance(value, dict | list):
                nested.append((key, value))
                continue
            out.append_text(line(key, "dim"))
            out.append(" ")
            if isinstance(value, str):
                out.append_text(safe(value))
            else:
                out.append(json.dumps(value), style="italic" if value is None else "")
            out.append("\n")
        for key, value in nested:
            out.append_text(line(key, "bold"))
            out.append("\n")
            out.append_text(block(pretty_json(value), limit=JSON_LIMIT))
            out.append("\n")
        return out

    # -- navigation -----------------------------------------------------------

    def _find(self, predicate: Any, step: int = 1) -> None:
        """Move to the next row (wrapping) matching `predicate`."""
        count = len(self.rows)
        if not count:
            return
        start = self.timeline.cursor
        for n in range(1, count + 1):
            index = (start + step * n) % count
            if predicate(self.rows[index]):
                self.timeline.cursor = index
                return
        self.notify("no matching event in this session", markup=False)

    def action_next_tool(self, step: int) -> None:
        self._find(lambda row: row.item.is_tool_call, step)

    def action_next_error(self) -> None:
        self._find(lambda row: row.item.is_error)

    def action_next_hitl(self) -> None:
        self._find(lambda row: row.item.is_hitl)

    def goto_failure(self, point) -> None:  # type: ignore[no-untyped-def]
        """Select the failure's session, then its timeline row."""
        if self.detail is None or point.session not in self.detail.agent_sessions:
            return
        if point.session != self.session:
            self._stop()
            self._load(point.session, keep=False)
            select: Select[str] = self.query_one("#replay-session", Select)
            if select.value != point.session:
                select.value = point.session
        if point.row_index is not None and point.row_index < len(self.rows):
            self.timeline.cursor = point.row_index

    def follow(self) -> None:
        if self.rows:
            self.timeline.cursor = len(self.rows) - 1

    def focus_main(self) -> None:
        if self.rows:
            self.timeline.focus()
        else:
            super().focus_main()

    # -- playback -------------------------------------------------------------

    def action_play(self) -> None:
        if self.playing:
            self._stop()
        elif self.rows:
            if self.timeline.cursor >= len(self.rows) - 1:
                self.timeline.cursor = 0
            self.playing = True
            self._schedule()
        self._render_status()

    def action_speed(self, step: int) -> None:
        self.speed_index = min(max(self.speed_index + step, 0), len(SPEEDS) - 1)
        if self.playing:
            self._schedule()
        self._render_status()

    def next_delay(self) -> float:
        """Seconds to wait before advancing from the current row at the current speed."""
        index = self.timeline.cursor
        if index + 1 >= len(self.rows):
            return 0.0
        here, after = self.rows[index].occurred_at_ms, self.rows[index + 1].occurred_at_ms
        if here is None or after is None:
            gap = DEFAULT_GAP_S
        else:
            gap = min(max(after - here, 0) / 1000, MAX_GAP_S)
        return max(gap / self.speed, 0.01)

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.next_delay(), self._advance)

    def _advance(self) -> None:
        self._timer = None
        if not self.playing:
            return
        if self.timeline.cursor >= len(self.rows) - 1:
            self._stop()
            self._render_status()
            return
        self.timeline.cursor += 1
        if self.timeline.cursor >= len(self.rows) - 1:
            self._stop()
            self._render_status()
            return
        self._schedule()

    def _stop(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # -- raw / copy -----------------------------------------------------------

    def selection(self) -> tuple[str, Any] | None:
        row = self.current_row()
        if row is None:
            return None
        raws = [self.events[i].event for i in row.indexes]
        title = f"{self.session} event {row.key}"
        return (title, raws[0]) if len(raws) == 1 else (f"{title} (+{len(raws) - 1} chunks)", raws)

    def action_raw(self) -> None:
        picked = self.selection()
        if picked is not None:
            self.post_message(OpenJson(picked[1], picked[0]))

    def action_copy(self) -> None:
        picked = self.selection()
        if picked is not None:
            self.post_message(Copy(pretty_json(picked[1])))


__all__ = ["ReplayPane", "TimelineList", "row_style"]
