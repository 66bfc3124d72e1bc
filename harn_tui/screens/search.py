"""`ctrl+f`: search the text of every run, results as you type, grouped by run.

Queries run in a worker on their own connection to the index (which another
worker builds and keeps current). Like a quick-open box, focus stays in the
input: `up`/`down` move the highlighted hit and `enter` opens it (the first hit
unless moved; pressed before the results arrive it opens the first one when
they do) on the pane and row that holds it, with the match highlighted. `tab`
moves to the results list, where `n`/`N` step through the hits across runs.
A regular expression (`ctrl+r`) runs on `enter`, in a child process stopped
after `REGEX_SECONDS`; the next `enter` opens its highlighted hit.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.search.query import Hit, RegexTimeout
from harn_tui.text import line

#: Hits fetched per query (the screen shows the newest runs first).
MAX_HITS = 500
#: Time budget of a regular expression typed in the app (it runs in a child process).
REGEX_SECONDS = 3.0
WHERE_WIDTH = 34  # the location column at 100 columns; a third of the width, 30..46


def snippet_text(hit: Hit, width: int = 200, before: int = 40) -> Text:
    """The hit's snippet, escaped, with every match in it highlighted."""
    out = Text(no_wrap=True, end="")
    for part, match in hit.marked_segments(width, before):
        out.append_text(line(part, "bold reverse" if match else "", width))
    return out


class SearchInput(Input):
    """The search box: `enter` opens the highlighted hit (and says so in the footer)."""

    BINDINGS = [Binding("enter", "submit", "Open hit")]


class SearchScreen(Screen[None]):
    """Full-text search over every run."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open", "Open hit"),
        Binding("up", "move(-1)", "Prev result", show=False),
        Binding("down", "move(1)", "Next result", show=False),
        Binding("pageup", "move(-10)", "Results page up", show=False),
        Binding("pagedown", "move(10)", "Results page down", show=False),
        Binding("n", "step(1)", "Next hit"),
        Binding("N", "step(-1)", "Prev hit"),
        Binding("tab", "focus_results", "Results/input"),
        Binding("ctrl+r", "toggle_regex", "Regex"),
        Binding("slash", "focus_input", "Edit search", show=False),
    ]

    class Results(Message):
        def __init__(self, text: str, regex: bool, hits: list[Hit], error: str | None,
                     elapsed: float) -> None:
            super().__init__()
            self.text, self.regex, self.hits, self.error, self.elapsed = (
                text, regex, hits, error, elapsed)

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text
        self.where_width = WHERE_WIDTH
        self.regex = False
        self.hits: list[Hit] = []
        self.rows: list[int | str] = []  # per table row: hit index, or the run path of a header
        self.note = ""
        #: (text, regex) of the results in the table; None before the first arrive
        self.shown: tuple[str, bool] | None = None
        #: (text, regex) of an `enter` pressed before its results arrived
        self.pending_open: tuple[str, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="search-title")
        yield SearchInput(
            value=self.initial,
            placeholder='search every run: words "exact phrase" deploy* *substr* in:tool status=failed',
            id="search-input",
        )
        table: DataTable[Any] = DataTable(id="search-results", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static(id="search-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.table
        self.where_width = max(30, min(46, self.app.size.width // 3))
        table.add_column("where", width=self.where_width, key="where")
        table.add_column("text", key="text")
        self.query_one(Input).focus()
        self._title()
        self.app.search_changed.subscribe(self, lambda _: self.index_changed(), immediate=True)  # type: ignore[attr-defined]
        if self.initial:
            self.run_query(self.initial, self.regex)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#search-results", DataTable)

    def _title(self) -> None:
        app: Any = self.app
        note = getattr(app, "search_note", "")
        text = Text(no_wrap=True)
        text.append("⌕ Search every run", style="bold")
        if self.regex:
            text.append("  [regex]", style="bold yellow")
        if note:
            text.append(f"  · {note}", style="dim italic")
        self.query_one("#search-title", Static).update(text)

    # -- querying -----------------------------------------------------------------

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        if not self.regex:  # a regex runs (in a child process, bounded) on enter only
            self.run_query(event.value, self.regex)

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    def _current(self) -> tuple[str, bool]:
        return self.query_one(Input).value, self.regex

    def _status(self, text: str, style: str = "dim") -> None:
        self.query_one("#search-status", Static).update(line(text, style))

    def index_changed(self) -> None:
        """The index grew or changed: refresh the title and re-run the current query."""
        self._title()
        value = self.query_one(Input).value
        if value.strip():
            self.run_query(value, self.regex)

    def action_toggle_regex(self) -> None:
        self.regex = not self.regex
        self._title()
        self.run_query(self.query_one(Input).value, self.regex)

    @work(thread=True, exclusive=True, group="search-query")
    def run_query(self, text: str, regex: bool) -> None:
        app: Any = self.app
        start = time.perf_counter()
        if not text.strip():
            self.post_message(self.Results(text, regex, [], None, 0.0))
            return
        try:
            hits = app.search_hits(text, regex=regex, limit=MAX_HITS, regex_seconds=REGEX_SECONDS)
            error = None
        except RegexTimeout as exc:  # stopped by its budget: show the hits found so far
            hits, error = list(getattr(exc, "hits", [])), exc.reason
        except HarnTuiError as exc:
            hits, error = [], exc.reason
        except Exception as exc:  # a broken index must not take the screen down
            hits, error = [], f"{type(exc).__name__}: {exc}"
        self.post_message(self.Results(text, regex, hits, error, time.perf_counter() - start))

    def on_search_screen_results(self, message: Results) -> None:
        if (message.text, message.regex) != self._current():
            return  # a newer query is on its way
        self.hits = message.hits
        self.shown = (message.text, message.regex)
        self._fill()
        if message.error:
            self._status(message.error, "red")
        elif message.text.strip():
            runs = len({h.path for h in self.hits})
            more = "+" if len(self.hits) >= MAX_HITS else ""
            keys = ("⏎ open · ↑↓ move · tab list · n/N hits · ^r regex"
                    if self.app.size.width >= 100 else "↑↓ move · tab list, n/N hits")
            self._status(f"{len(self.hits)}{more} hits in {runs} runs"
                         f" · {message.elapsed * 1000:.0f} ms  ·  {keys}")
        else:
            self._status('words, "exact phrases", prefixes deploy*, substrings *ploy*, '
                         "in:prompt|tool|error|message|hitl|event, query terms status=failed")
        if self.pending_open is not None and self.pending_open == self.shown:
            self.pending_open = None  # enter was pressed before these results arrived
            if self.hits:
                self._move_to_hit(0)
                self.action_open()
            elif not message.error:
                self._status(f"no hit to open for {message.text.strip()!r}", "yellow")

    def _fill(self) -> None:
        table = self.table
        # keep the cursor on the same hit (the list re-sorts when the index changes)
        current = self.current_hit()
        old = getattr(self, "_shown", [])
        key = (old[current].path, old[current].loc) if current is not None and current < len(old) else None
        self._shown = list(self.hits)
        table.clear()
        self.rows = []
        app: Any = self.app
        current = None
        # context before the match: a quarter of the text column, so the match is in view
        before = max(8, min(40, (self.size.width - self.where_width - 4) // 4))
        wide = self.app.size.width >= 100
        for i, hit in enumerate(self.hits):
            if hit.path != current:
                current = hit.path
                run = app.runs.get(hit.path) if hasattr(app, "runs") else None
                head = Text(no_wrap=True, end="")
                head.append_text(line(hit.run_id or "(no run)", "bold", 40))
                name = getattr(run, "workflow_name", "") if run is not None else ""
                tail = Text(no_wrap=True, end="")
                if name:
                    tail.append_text(line(name, "bold cyan", 30))
                    tail.append("  ")
                tail.append_text(line(hit.path, "dim", 80))
                table.add_row(head, tail, key=f"g{i}")
                self.rows.append(hit.path)
            where = Text(no_wrap=True, end="")
            where.append("  ")
            desc = line(hit.describe(), "", self.where_width - (11 if wide else 3))
            where.append_text(desc)
            if wide:  # the field, aligned in its own column (narrow: the location matters more)
                where.append(" " * max(0, self.where_width - 11 - desc.cell_len))
                where.append_text(line(f" {hit.field}", "dim italic", 8))
            table.add_row(where, snippet_text(hit, 200, before), key=f"h{i}")
            self.rows.append(i)
        same = next((i for i, h in enumerate(self.hits) if (h.path, h.loc) == key), None)
        if same is not None:
            table.move_cursor(row=self.rows.index(same), animate=False)
        elif self.hits:
            table.move_cursor(row=1, animate=False)

    # -- moving and opening -------------------------------------------------------------

    def current_hit(self) -> int | None:
        row = self.table.cursor_row
        if not self.rows or row >= len(self.rows):
            return None
        value = self.rows[row]
        if isinstance(value, int):
            return value
        following = row + 1
        return self.rows[following] if following < len(self.rows) else None  # type: ignore[return-value]

    def _move_to_hit(self, index: int) -> None:
        if 0 <= index < len(self.hits) and index in self.rows:
            self.table.move_cursor(row=self.rows.index(index), animate=False)

    def action_step(self, step: int) -> None:
        if self.query_one(Input).has_focus:
            return
        if not self.hits:
            return
        current = self.current_hit()
        index = 0 if current is None else (current + step) % len(self.hits)
        self._move_to_hit(index)

    def action_move(self, step: int) -> None:
        """Move the highlighted hit (from the input: the list keeps its own keys)."""
        if not self.hits:
            return
        current = self.current_hit()
        index = 0 if current is None else max(0, min(len(self.hits) - 1, current + step))
        self._move_to_hit(index)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # typing n or N goes into the search box
        return not (action == "step" and self.query_one(Input).has_focus)

    def action_open(self) -> None:
        """Open the highlighted hit of the query in the input (once its results are in)."""
        current = self._current()
        text, regex = current
        if not text.strip():
            self._status("type something to search for", "yellow")
            return
        if self.shown != current:
            if regex:  # a regex runs on enter; the next enter opens its hit
                self._status("running the regular expression…")
                self.run_query(text, regex)
            else:  # its query is already running (it started as the text changed)
                self.pending_open = current
                self._status("searching… (the first hit opens when it arrives)")
            return
        index = self.current_hit()
        if index is None:
            self._status(f"no hit to open for {text.strip()!r}", "yellow")
            return
        app: Any = self.app
        app.open_hit(self.hits, index)

    @on(DataTable.RowSelected, "#search-results")
    def _row_selected(self) -> None:
        self.action_open()

    def action_focus_input(self) -> None:
        self.query_one(Input).focus()

    def action_focus_results(self) -> None:
        if self.query_one(Input).has_focus and self.hits:
            self.table.focus()
        else:
            self.query_one(Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
