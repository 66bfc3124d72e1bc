"""The query bar (`status=failed tokens>50k since=2h`) and the saved-queries modal.

`QueryBar` is an input with completion (ghost text from `complete()`, accepted
with Tab or →, other candidates listed below), the parse error inline in red,
and a `QueryBar.Changed(query | None)` message on every edit. Evaluating the
query is the caller's job (`query.predicate(now_ms)` over the index).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from harn_tui.core.analysis.query import (
    Query,
    QueryError,
    apply_completion,
    complete,
    parse_query,
    vocabulary,
)
from harn_tui.core.config.saved_queries import SavedQueries
from harn_tui.core.format.textsafe import visible
from harn_tui.core.index.summary import RunSummary
from harn_tui.text import line, safe
from harn_tui.widgets.focus import focus_now
from harn_tui.widgets.textual_compat import input_suggestion

#: Seconds a completion vocabulary is reused before it is rebuilt from the runs.
VOCAB_TTL = 5.0
HINTS_SHOWN = 6




class QuerySuggester(Suggester):
    """Ghost-text completion of the term at the end of the input."""

    def __init__(self, vocab: Callable[[], Mapping[str, Sequence[str]]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._vocab = vocab

    async def get_suggestion(self, value: str) -> str | None:
        candidates = complete(value, len(value), self._vocab())
        if not candidates:
            return None
        new, _cursor = apply_completion(value, len(value), candidates[0])
        new = visible(new, multiline=False)  # the ghost text is drawn as is
        return new if new != value and new.startswith(value) else None


class QueryInput(Input):
    """The input inside a QueryBar: Tab accepts the completion (else moves focus)."""

    BINDINGS = [Binding("tab", "accept_completion", "Complete", show=False)]

    def action_accept_completion(self) -> None:
        suggestion = input_suggestion(self)
        if suggestion and self.cursor_at_end and suggestion != self.value:
            self.value = suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


class QueryBar(Vertical):
    """A query input with completion and an inline error line."""

    DEFAULT_CSS = """
    QueryBar {
        height: auto;
    }
    QueryBar > QueryInput, QueryBar > QueryInput:focus {
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    QueryBar > QueryInput:focus {
        background: $surface-lighten-1;
    }
    QueryBar > #query-note {
        height: 1;
        padding: 0 1;
        display: none;
    }
    QueryBar > #query-note.-shown {
        display: block;
    }
    QueryBar > #query-note.-error {
        height: auto;
    }
    """

    class Changed(Message):
        """The query text changed: `query` is None when it does not parse (see `error`)."""

        def __init__(self, bar: QueryBar, text: str, query: Query | None, error: str | None) -> None:
            super().__init__()
            self.bar = bar
            self.text = text
            self.query = query
            self.error = error

        @property
        def control(self) -> QueryBar:
            return self.bar

    class Submitted(Message):
        """Enter pressed on a valid query."""

        def __init__(self, bar: QueryBar, text: str, query: Query) -> None:
            super().__init__()
            self.bar = bar
            self.text = text
            self.query = query

        @property
        def control(self) -> QueryBar:
            return self.bar

    def __init__(
        self,
        value: str = "",
        *,
        runs: Callable[[], Iterable[RunSummary]] | None = None,
        placeholder: str = "query: status=failed workflow=deploy tokens>50k since=2h  (tab completes)",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._initial = visible(value, multiline=False)
        self._placeholder = placeholder
        self._runs = runs
        self._vocab: Mapping[str, Sequence[str]] | None = None
        self._vocab_at = 0.0
        self.parsed: Query | None = None
        self.error: str | None = None
        #: What the line under the input shows (the error, else completion hints).
        self.note = Text()

    def compose(self) -> ComposeResult:
        yield QueryInput(
            self._initial,
            placeholder=self._placeholder,
            suggester=QuerySuggester(self.vocabulary),
            id="query-input",
        )
        yield Static(id="query-note")

    def on_mount(self) -> None:
        self._evaluate(self._initial, post=False)

    # -- public -----------------------------------------------------------------

    @property
    def input(self) -> QueryInput:
        return self.query_one(QueryInput)

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, text: str) -> None:
        self.input.value = text
        self.input.cursor_position = len(text)

    def focus_input(self) -> None:
        focus_now(self.input)

    def vocabulary(self) -> Mapping[str, Sequence[str]]:
        stamp = time.monotonic()
        if self._vocab is None or stamp - self._vocab_at > VOCAB_TTL:
            self._vocab = vocabulary(self._all_runs())
            self._vocab_at = stamp
        return self._vocab

    def completions(self) -> list[str]:
        """Candidates for the term at the cursor."""
        field = self.input
        return complete(field.value, field.cursor_position, self.vocabulary())

    # -- internals --------------------------------------------------------------

    def _all_runs(self) -> Iterable[RunSummary]:
        return self._runs() if self._runs is not None else []

    def _evaluate(self, text: str, *, post: bool = True) -> None:
        try:
            self.parsed, self.error = parse_query(text), None
        except QueryError as exc:
            self.parsed, self.error = None, exc.reason
        self._show_note()
        if post:
            self.post_message(self.Changed(self, text, self.parsed, self.error))

    def _show_note(self) -> None:
        note = self.query_one("#query-note", Static)
        if self.error:
            # wrapped, never cut: the hint that fixes the query may come last
            self.note = safe(f"✗ {self.error}", "bold red")
            note.update(self.note)
            note.add_class("-shown", "-error")
            return
        hints = self.completions() if self.input.has_focus and self.value else []
        if len(hints) > 1:
            text = Text("tab: ", style="dim", no_wrap=True, end="")
            for i, hint in enumerate(hints[:HINTS_SHOWN]):
                if i:
                    text.append("  ")
                text.append_text(line(hint, "bold" if i == 0 else "", 40))
            if len(hints) > HINTS_SHOWN:
                text.append(f"  +{len(hints) - HINTS_SHOWN}", style="dim")
            self.note = text
            note.update(text)
            note.remove_class("-error")
            note.add_class("-shown")
            return
        self.note = Text()
        note.update("")
        note.remove_class("-shown", "-error")

    @on(Input.Changed, "#query-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        shown = visible(event.value, multiline=False)
        if shown != event.value:
            # Control characters (pasted, or from a saved query) never reach the
            # terminal: they become visible escapes, and the edit comes back round.
            self.value = shown
            return
        self._evaluate(event.value)

    @on(Input.Submitted, "#query-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.parsed is not None:
            self.post_message(self.Submitted(self, event.value, self.parsed))

    def on_descendant_blur(self) -> None:
        self._show_note()

    def on_descendant_focus(self) -> None:
        self._show_note()


class SavedQueriesScreen(ModalScreen[str | None]):
    """Saved queries: Enter applies one (dismisses with its text), `d` deletes,
    `a` saves the current query, Esc closes (dismisses with None)."""

    DEFAULT_CSS = """
    SavedQueriesScreen {
        align: center middle;
    }
    SavedQueriesScreen > #saved-body {
        width: 90%;
        max-width: 110;
        height: auto;
        max-height: 80%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    SavedQueriesScreen #saved-title {
        text-style: bold;
    }
    SavedQueriesScreen #saved-list {
        height: auto;
        max-height: 20;
        border: none;
    }
    SavedQueriesScreen #saved-note {
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("enter", "apply", "Apply", show=False),
        Binding("a", "add", "Save current"),
        Binding("d", "delete", "Delete"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, current: str = "", store: SavedQueries | None = None) -> None:
        super().__init__()
        self.current_query = current.strip()
        self.store = store if store is not None else SavedQueries()
        self.status_note: Text | None = None

    def compose(self) -> ComposeResult:
        self.store.load()
        if self.store.problem:
            self.status_note = line(self.store.problem, "bold red")
        with Vertical(id="saved-body"):
            yield Static(Text("Saved queries", style="bold"), id="saved-title")
            yield OptionList(*self._options(), id="saved-list")
            yield Static(self._note(), id="saved-note")

    AUTO_FOCUS = "#saved-list"

    def on_mount(self) -> None:
        # Nested children may still be mounting here: touch them after the first refresh.
        self.call_after_refresh(self._first_highlight)

    def _first_highlight(self) -> None:
        options = self.saved_list
        if self.store.items and options.highlighted is None:
            options.highlighted = 0
        options.focus()

    @property
    def saved_list(self) -> OptionList:
        return self.query_one("#saved-list", OptionList)

    def _options(self) -> list[Option]:
        out = []
        for i, item in enumerate(self.store.items):
            prompt = line(item.name, "bold", 60)
            if item.name != item.query:
                prompt.append("  ")
                prompt.append_text(line(item.query, "dim", 60))
            out.append(Option(prompt, id=f"q{i}"))
        return out

    def _note(self) -> Text:
        note = Text(no_wrap=False)
        if self.status_note is not None:
            note.append_text(self.status_note)
            note.append("\n")
        if not self.store.items:
            note.append("No saved queries. ", style="italic")
        note.append("enter apply · a save current", style="dim")
        if self.current_query:
            note.append(" (", style="dim")
            note.append_text(line(self.current_query, "dim", 40))
            note.append(")", style="dim")
        note.append(" · d delete · esc close", style="dim")
        return note

    def _rebuild(self, highlight: int | None = None) -> None:
        options = self.saved_list
        options.clear_options()
        options.add_options(self._options())
        if self.store.items:
            options.highlighted = min(highlight or 0, len(self.store.items) - 1)
        self.query_one("#saved-note", Static).update(self._note())

    def _selected_index(self) -> int | None:
        index = self.saved_list.highlighted
        if index is None or not 0 <= index < len(self.store.items):
            return None
        return index

    @on(OptionList.OptionSelected, "#saved-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        index = self._selected_index()
        if index is not None:
            self.dismiss(self.store.items[index].query)

    def action_add(self) -> None:
        if not self.current_query:
            self.status_note = Text("Nothing to save: the query is empty.", style="yellow")
        else:
            try:
                self.store.add(self.current_query)
                self.status_note = Text("Saved.", style="green")
            except QueryError as exc:
                self.status_note = line(exc.reason, "bold red")
            except OSError as exc:
                self.status_note = line(f"cannot save: {exc.strerror or exc}", "bold red")
        names = self.store.names()
        self._rebuild(names.index(self.current_query) if self.current_query in names else None)

    def action_delete(self) -> None:
        index = self._selected_index()
        if index is None:
            return
        try:
            self.store.remove(self.store.items[index].name)
            self.status_note = None
        except OSError as exc:
            self.status_note = line(f"cannot save: {exc.strerror or exc}", "bold red")
        self._rebuild(index)

    def action_close(self) -> None:
        self.dismiss(None)
