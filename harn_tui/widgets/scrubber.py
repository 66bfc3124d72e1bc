"""Time-scrubbing replay: a one-line cursor over a run's merged timeline.

`TimeScrubber` shows where the cursor sits in the run, e.g.

    ◀ 09:00:05.120 ━━━━━━●────────  stage verify started  (12/40) ▶

and posts `TimeScrubber.Moved(ms | None)` when it moves (None = "live", the
whole run). The screen owning it binds `SCRUB_BINDINGS` (`[` / `]` one moment,
`{` / `}` ten, `0` back to now) and, on `Moved`, shows every pane
`as_of(detail, ms)` — `AsOfMixin` and `apply_as_of` do exactly that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import Widget

from harn_tui.core.analysis.asof import Moment, as_of, index_at, merged_timeline
from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_clock
from harn_tui.text import line

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

__all__ = [
    "BIG_STEP",
    "SCRUB_BINDINGS",
    "AsOfMixin",
    "TimeScrubber",
    "apply_as_of",
    "palette_commands",
]

#: Moments skipped by `{` / `}`.
BIG_STEP = 10

#: Screen-level bindings (the scrubber itself never takes focus).
SCRUB_BINDINGS = [
    Binding("left_square_bracket", "scrub(-1)", "Earlier", tooltip="Time scrub: one moment back"),
    Binding("right_square_bracket", "scrub(1)", "Later", tooltip="Time scrub: one moment on"),
    Binding("left_curly_bracket", f"scrub(-{BIG_STEP})", f"Time: {BIG_STEP} moments back",
            show=False),
    Binding("right_curly_bracket", f"scrub({BIG_STEP})", f"Time: {BIG_STEP} moments on",
            show=False),
    Binding("0", "scrub_end", "Time: back to now", show=False),
]

#: Kinds whose labels do not already say what they are.
PREFIXED = frozenset({"transcript", "agent"})

KIND_STYLE = {
    "run": "bold",
    "stage": "bold cyan",
    "child": "blue",
    "hitl": "bold yellow",
    "transcript": "",
    "compaction": "magenta",
    "turn": "green",
    "tool": "cyan",
    "agent": "",
    "span": "dim",
}


class TimeScrubber(Widget, can_focus=False):
    """A cursor over `merged_timeline(detail)`; `index` None means "now" (the whole run)."""

    DEFAULT_CSS = """
    TimeScrubber { height: 1; width: 1fr; background: $boost; padding: 0 1; }
    TimeScrubber.-scrubbing { background: $warning 25%; }
    """

    class Moved(Message):
        """The cursor moved: `ms` is the moment's Unix ms (None = back to now)."""

        def __init__(self, scrubber: TimeScrubber, ms: int | None, moment: Moment | None,
                     index: int | None) -> None:
            super().__init__()
            self.scrubber = scrubber
            self.ms = ms
            self.moment = moment
            self.index = index

        @property
        def control(self) -> TimeScrubber:
            return self.scrubber

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._source: RunDetail | None = None
        self._moments: list[Moment] | None = []
        self.index: int | None = None

    @property
    def moments(self) -> list[Moment]:
        """The merged timeline, built on first use (a long run's takes a moment)."""
        if self._moments is None:
            self._moments = merged_timeline(self._source) if self._source is not None else []
        return self._moments

    # -- state ---------------------------------------------------------------------

    @property
    def moment(self) -> Moment | None:
        """The moment under the cursor (None when at "now")."""
        return self.moments[self.index] if self.index is not None else None

    @property
    def ms(self) -> int | None:
        """The cursor's time (None when at "now")."""
        moment = self.moment
        return moment.ms if moment is not None else None

    def set_detail(self, detail: RunDetail | None) -> None:
        """A freshly loaded detail. At "now" its timeline is built lazily (on the first
        step); while scrubbing it is rebuilt at once and the cursor keeps its time."""
        self._source = detail
        if self.index is None:
            self._moments = None
            self._changed()
            return
        self.set_moments(merged_timeline(detail) if detail is not None else [])

    def set_moments(self, moments: list[Moment]) -> None:
        """Replace the moments; a cursor away from "now" stays at (or just before) its time."""
        old = self.ms
        self._moments = list(moments)
        if old is not None and self.moments:
            found = index_at(self.moments, old)
            self.index = found if found is not None else 0
        else:
            self.index = None
        self._changed()

    def step(self, n: int) -> None:
        """Move `n` moments (negative: back). Past the last moment is "now"."""
        if not self.moments or n == 0:
            return
        count = len(self.moments)
        if self.index is None:
            if n > 0:
                return
            new: int | None = max(count + n, 0)
        else:
            target = self.index + n
            new = None if target >= count else max(target, 0)
        self.move_to(new)

    def to_end(self) -> None:
        """Back to "now": the whole run."""
        self.move_to(None)

    def move_to(self, index: int | None) -> None:
        """Put the cursor on moment `index` (None: now); posts Moved when it changed."""
        if index is not None:
            if not self.moments:
                return
            index = min(max(index, 0), len(self.moments) - 1)
        if index == self.index:
            return
        self.index = index
        self._changed()
        self.post_message(self.Moved(self, self.ms, self.moment, self.index))

    def _changed(self) -> None:
        self.set_class(self.index is not None, "-scrubbing")
        self.refresh()

    # -- rendering -------------------------------------------------------------------

    def bar(self, width: int) -> Text:
        """`━━━━●────`: the run's time span with the cursor placed by time."""
        out = Text(no_wrap=True, end="")
        if width < 3 or not self.moments:
            return out
        first, last = self.moments[0].ms, self.moments[-1].ms
        if self.index is None:
            pos = width - 1
        else:
            span = max(last - first, 1)
            pos = round((width - 1) * (self.moments[self.index].ms - first) / span)
        out.append("━" * pos, style="bold")
        out.append("●", style="bold yellow" if self.index is not None else "bold green")
        out.append("─" * (width - 1 - pos), style="dim")
        return out

    def render(self) -> Text:
        width = max(self.size.width, 20)
        text = Text(no_wrap=True, end="")
        text.append("◀ ", style="bold")
        if self.index is None and self._moments is None:  # not built yet: don't block
            text.append("now", style="bold green")
            text.append("  whole run · [ to step back in time", style="dim")
            text.append(" " * max(width - text.cell_len - 4, 1))
            text.append("▶", style="bold")
            return text
        count = len(self.moments)
        if not count:
            text.append("no dated moments in this run; nothing to scrub", style="dim italic")
            text.append(" ▶", style="bold")
            return text
        moment = self.moment
        text.append(format_clock(moment.ms) if moment else "now         ",
                    style="bold yellow" if moment else "bold green")
        text.append(" ")
        if moment is None:
            tail = Text(f"  whole run · [ to step back through {plural(count, 'moment')}", style="dim")
            counter = f"  ({count}/{count}) "
        else:
            tail = Text("  ", end="")
            if moment.kind in PREFIXED:
                tail.append(moment.kind + " ", style="dim")
            tail.append_text(line(moment.label, KIND_STYLE.get(moment.kind, "")))
            counter = f"  ({self.index + 1 if self.index is not None else count}/{count}) "
        bar_width = min(30, max(width // 5, 6))
        text.append_text(self.bar(bar_width))
        room = width - text.cell_len - len(counter) - 2
        if room > 0:
            tail.truncate(room, overflow="ellipsis")
            text.append_text(tail)
            text.append(" " * max(room - tail.cell_len, 0))
        text.append(counter, style="dim")
        text.append("▶", style="bold")
        return text


def apply_as_of(screen: Any, ms: int | None) -> RunDetail | None:
    """Show every pane of `screen` (a RunScreen) the run as of `ms` (None: the whole run).

    Re-renders the header from the same view when the screen has `_render_header`,
    and, while scrubbing, moves each pane's cursor to its newest item.
    """
    from harn_tui.widgets.panes.pane import Pane

    detail = getattr(screen, "detail", None)
    if detail is None:
        return None
    view = detail if ms is None else as_of(detail, ms)
    for pane in screen.query(Pane):
        try:
            pane.show(view)
            if ms is not None:
                pane.follow()
        except Exception as exc:  # one pane failing must not hide the others
            screen.notify(f"{pane.title}: {exc}", severity="error", markup=False)
    render_header = getattr(screen, "_render_header", None)
    if callable(render_header):
        render_header(view)
    return view


class AsOfMixin:
    """Time scrubbing for a run screen: add it before `Screen` in the bases, add
    `*SCRUB_BINDINGS` to BINDINGS, mount a `TimeScrubber`, and call
    `self.asof_sync(detail)` at the end of the screen's `_show(detail)`."""

    def scrubber(self) -> TimeScrubber | None:
        try:
            return self.query_one(TimeScrubber)  # type: ignore[attr-defined,no-any-return]
        except NoMatches:
            return None

    def action_scrub(self, step: int) -> None:
        scrubber = self.scrubber()
        if scrubber is not None:
            scrubber.step(int(step))

    def action_scrub_end(self) -> None:
        scrubber = self.scrubber()
        if scrubber is not None:
            scrubber.to_end()

    def on_time_scrubber_moved(self, message: TimeScrubber.Moved) -> None:
        message.stop()
        if message.ms is not None and getattr(self, "following", False):
            self.following = False  # a replay is not a live tail
        apply_as_of(self, message.ms)

    def asof_sync(self, detail: RunDetail) -> None:
        """A (re)loaded detail: rebuild the timeline; while scrubbing, re-apply the cursor."""
        scrubber = self.scrubber()
        if scrubber is None:
            return
        scrubber.set_detail(detail)
        if scrubber.ms is not None:
            apply_as_of(self, scrubber.ms)


def palette_commands(app: Any) -> list[tuple[str, Any, str]]:
    """(name, callback, help) palette entries for the screen on top, when it can scrub."""
    from functools import partial

    screen = app.screen
    if not callable(getattr(screen, "action_scrub", None)):
        return []
    return [
        ("Time: one moment back", partial(screen.action_scrub, -1),
         "Scrub the run's timeline back ([)"),
        ("Time: one moment on", partial(screen.action_scrub, 1),
         "Scrub the run's timeline forward (])"),
        (f"Time: {BIG_STEP} moments back", partial(screen.action_scrub, -BIG_STEP),
         "Scrub back faster ({)"),
        (f"Time: {BIG_STEP} moments on", partial(screen.action_scrub, BIG_STEP),
         "Scrub forward faster (})"),
        ("Time: back to now", screen.action_scrub_end, "Show the whole run again (0)"),
    ]
