"""Turns pane: the model calls rebuilt from the `llm_transcript.jsonl` sidecar (spec §3.3)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from harn_tui.core.analysis.timeline import pretty_json
from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.core.format.schema import json_int
from harn_tui.core.format.sidecar import WAITING
from harn_tui.core.format.timestamps import format_duration, format_iso, parse_ms
from harn_tui.messages import Copy, OpenJson, OpenText
from harn_tui.text import BLOCK_LIMIT, block, line, safe
from harn_tui.widgets.panes.pane import Pane
from harn_tui.widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

#: System prompt shown inline up to this many characters (`o` shows all of it).
PROMPT_LIMIT = 1500
#: Any other single value shown inline up to this many characters.
VALUE_LIMIT = 6000
#: Effectively unlimited, for the full-text view.
FULL_LIMIT = 10_000_000

ROLE_STYLES = {
    "system": "bold magenta",
    "user": "bold green",
    "assistant": "bold cyan",
    "tool": "bold yellow",
}


def _tok(value: Any) -> str:
    tokens = json_int(value)
    return fmt_tokens(tokens) if tokens is not None else "?"


def _s(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _heading(out: Text, title: str) -> None:
    out.append("\n")
    out.append(title, style="bold underline")
    out.append("\n")


def _content(out: Text, content: Any, limit: int) -> None:
    """A message content: a string, or a list of content blocks."""
    if isinstance(content, str):
        out.append_text(block(content, limit=limit))
        out.append("\n")
        return
    if not isinstance(content, list):
        out.append_text(block(pretty_json(content), limit=limit))
        out.append("\n")
        return
    for item in content:
        if not isinstance(item, dict):
            out.append_text(
                block(item if isinstance(item, str) else pretty_json(item), limit=limit)
            )
            out.append("\n")
            continue
        kind = item.get("type")
        if kind == "text":
            out.append_text(block(_s(item.get("text")), limit=limit))
        elif kind in ("thinking", "redacted_thinking"):
            text = block(_s(item.get("thinking", item.get("data"))), limit=limit)
            text.stylize("dim italic")
            out.append_text(text)
        elif kind == "tool_use":
            out.append("tool_use ", style="yellow")
            out.append_text(line(_s(item.get("name")), "bold"))
            out.append_text(line(f" {_s(item.get('id'))}", "dim"))
            out.append("\n")
            out.append_text(block(pretty_json(item.get("input")), limit=limit))
        elif kind == "tool_result":
            out.append("tool_result ", style="yellow")
            out.append_text(line(_s(item.get("tool_use_id")), "dim"))
            if item.get("is_error"):
                out.append(" error", style="bold red")
            out.append("\n")
            inner = item.get("content")
            if isinstance(inner, list | str):
                _content(out, inner, limit)
                continue
            out.append_text(block(pretty_json(inner), limit=limit))
        else:
            out.append_text(block(pretty_json(item), limit=limit))
        out.append("\n")


def _tool_calls(out: Text, calls: Any, limit: int) -> None:
    """Requested tool calls: name then arguments."""
    if not isinstance(calls, list):
        if calls:
            out.append_text(block(pretty_json(calls), limit=limit))
            out.append("\n")
        return
    for call in calls:
        if not isinstance(call, dict):
            out.append_text(block(pretty_json(call), limit=limit))
            out.append("\n")
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        name = call.get("name") or function.get("name")
        args = next(
            (call[k] for k in ("arguments", "input", "args", "parameters") if k in call),
            function.get("arguments"),
        )
        out.append("→ ", style="yellow")
        out.append_text(line(_s(name) or "(unnamed)", "bold yellow"))
        if call.get("id"):
            out.append_text(line(f" {_s(call.get('id'))}", "dim"))
        out.append("\n")
        if args is not None:
            out.append_text(
                block(args if isinstance(args, str) else pretty_json(args), limit=limit)
            )
            out.append("\n")


def _captures(out: Text, captures: Any) -> None:
    """Raw provider captures (`provider_raw_capture` sidecar lines); `w` opens the first."""
    if not isinstance(captures, list) or not captures:
        return
    _heading(out, f"Raw provider captures ({len(captures)}) — w opens")
    for capture in captures:
        if not isinstance(capture, dict):
            continue
        out.append_text(line(_s(capture.get("capture")) or "capture", "bold", 20))
        attempt = capture.get("attempt")
        if attempt is not None:
            out.append(f" attempt {_s(attempt)}", style="dim")
        out.append(" ")
        out.append_text(line(_s(capture.get("path")) or "(no path)", "", 120))
        out.append("\n")


def render_turn(turn: dict[str, Any], *, full: bool = False) -> Text:
    """A model turn, readable: context added, tool calls, response and thinking."""
    limit = FULL_LIMIT if full else VALUE_LIMIT
    out = Text()
    out.append(f"Call #{_s(turn.get('call_index'))} ", style="bold")
    out.append_text(line(turn.get("call_id"), "dim"))
    out.append("\n")
    out.append("model ", style="dim")
    out.append_text(line(turn.get("model") or "?", "bold"))
    if turn.get("provider"):
        out.append(" provider ", style="dim")
        out.append_text(line(turn.get("provider")))
    if turn.get("iteration") is not None:
        out.append(f" iteration {_s(turn.get('iteration'))}", style="dim")
    when = parse_ms(turn.get("timestamp"))
    if when is not None:
        out.append(f"  {format_iso(when)}", style="dim")
    out.append("\n")
    out.append("tokens ", style="dim")
    out.append(f"{_tok(turn.get('input_tokens'))} in / {_tok(turn.get('output_tokens'))} out")
    cost = turn.get("cost_usd")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        out.append(f"  ${cost:.4f}")
    if isinstance(turn.get("response_ms"), int):
        out.append("  response ", style="dim")
        out.append(format_duration(turn["response_ms"]))
    if not turn.get("answered"):
        out.append(f"  {WAITING}", style="yellow")
    out.append("\n")
    out.append(
        f"kept {_s(turn.get('kept_messages'))}, added {_s(turn.get('added_messages'))}, "
        f"total {_s(turn.get('total_messages'))} messages",
        style="dim",
    )
    out.append("\n")
    tools = turn.get("tool_calls")
    if isinstance(tools, list) and tools:
        out.append("tools ", style="dim")
        out.append_text(safe(", ".join(_s(t) for t in tools), limit=None if full else 600))
        out.append("\n")

    prompt = turn.get("system_prompt")
    if isinstance(prompt, str) and prompt:
        _heading(out, "System prompt")
        out.append_text(block(prompt, limit=FULL_LIMIT if full else PROMPT_LIMIT))
        out.append("\n")

    added = turn.get("messages_added")
    added = added if isinstance(added, Sequence) and not isinstance(added, str) else []
    _heading(out, f"Messages added ({len(added)})")
    for message in added:
        if not isinstance(message, dict):
            out.append_text(block(pretty_json(message), limit=limit))
            out.append("\n")
            continue
        role = _s(message.get("role")) or "user"
        out.append_text(line(f"[{role}]", ROLE_STYLES.get(role, "bold")))
        if message.get("name"):
            out.append_text(line(f" {_s(message.get('name'))}", "yellow"))
        if message.get("tool_call_id"):
            out.append_text(line(f" {_s(message.get('tool_call_id'))}", "dim"))
        out.append("\n")
        _content(out, message.get("content"), limit)
        if message.get("tool_calls"):
            _tool_calls(out, message.get("tool_calls"), limit)

    calls = turn.get("response_tool_calls")
    if calls:
        _heading(out, "Tool calls requested")
        _tool_calls(out, calls, limit)

    _heading(out, "Response")
    text = turn.get("response_text")
    if isinstance(text, str):
        out.append_text(block(text, limit=FULL_LIMIT if full else BLOCK_LIMIT))
    else:
        out.append("(no text)", style="dim italic")
    out.append("\n")

    _captures(out, turn.get("raw_captures"))

    for key, title in (("thinking", "Thinking"), ("thinking_summary", "Thinking summary")):
        value = turn.get(key)
        if isinstance(value, str) and value:
            _heading(out, title)
            body = block(value, limit=limit)
            body.stylize("dim italic")
            out.append_text(body)
            out.append("\n")
    return out


class TurnList(VirtualList):
    """One row per model turn: `#n model iter +added msgs in/out summary`."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.turns: list[dict[str, Any]] = []

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        turn = self.turns[index]
        text = Text(no_wrap=True, end="")
        text.append(f"#{_s(turn.get('call_index')):<3} ", style="bold")
        text.append_text(line(turn.get("model") or "?", "cyan", 20))
        iteration = turn.get("iteration")
        text.append(f" it{_s(iteration) if iteration is not None else '?'}", style="dim")
        text.append(f" +{_s(turn.get('added_messages'))} msgs", style="")
        tokens = f" {_tok(turn.get('input_tokens'))}/{_tok(turn.get('output_tokens'))} "
        text.append(tokens, style="green" if turn.get("answered") else "yellow")
        rest = max(width - text.cell_len, 1)
        text.append_text(line(turn.get("summary"), "dim", rest))
        return text


class TurnsPane(Pane):
    """Model turns from the sidecar: list on the left, the selected turn on the right."""

    title = "Turns"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "raw", "Raw JSON"),
        Binding("o", "open_text", "Full text"),
        Binding("y", "copy", "Copy response"),
        Binding("w", "open_capture", "Raw capture"),
    ]

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.turns: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(id="turns-empty")
        with Horizontal(id="turns-body"):
            yield TurnList(id="turns-list")
            with VerticalScroll(id="turns-detail-box"):
                yield Static(id="turns-detail")

    @property
    def turn_list(self) -> TurnList:
        return self.query_one("#turns-list", TurnList)

    def show(self, detail: RunDetail) -> None:
        super().show(detail)
        turns = detail.model_turns or []  # dicts built by the loader (a 1 GB sidecar: ~1M)
        listing = self.turn_list
        key = None
        if self.turns and 0 <= listing.cursor < len(self.turns):
            key = self.turns[listing.cursor].get("call_id")
        cursor = listing.cursor
        if key is not None and not (cursor < len(turns) and turns[cursor].get("call_id") == key):
            for i, turn in enumerate(turns):
                if turn.get("call_id") == key:
                    cursor = i
                    break
        self.turns = turns
        listing.turns = turns
        listing.set_count(len(turns), keep=cursor)
        empty = self.query_one("#turns-empty", Static)
        empty.display = not turns
        self.query_one("#turns-body").display = bool(turns)
        if not turns:
            empty.update(self._empty_note(detail))
        self._render_detail()

    @staticmethod
    def _empty_note(detail: RunDetail) -> Text:
        note = Text("No model turns: ", style="bold")
        if detail.raw_captures:
            note.append(
                f"the sidecar has {len(detail.raw_captures)} raw provider capture(s) (w opens the first)"
            )
            note.append("\n")
            _captures(note, detail.raw_captures)
            return note
        if not detail.sidecar_available:
            note.append("this run has no sidecar (")
            note.append_text(line(str(detail.sidecar), "dim"))
            note.append(")")
        elif detail.sidecar_note:
            note.append_text(safe(detail.sidecar_note))
        else:
            note.append("the sidecar has no provider calls (")
            note.append_text(line(str(detail.sidecar), "dim"))
            note.append(")")
        return note

    def current(self) -> dict[str, Any] | None:
        index = self.turn_list.cursor
        return self.turns[index] if 0 <= index < len(self.turns) else None

    @on(VirtualList.Highlighted, "#turns-list")
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self._render_detail()

    def _render_detail(self) -> None:
        turn = self.current()
        target = self.query_one("#turns-detail", Static)
        target.update(render_turn(turn) if turn is not None else Text(""))

    def selection(self) -> tuple[str, Any] | None:
        turn = self.current()
        if turn is None:
            return None
        return f"turn #{_s(turn.get('call_index'))} {_s(turn.get('call_id'))}", turn

    def action_open_capture(self) -> None:
        """Open the selected turn's first raw provider capture (else the sidecar's first)."""
        turn = self.current()
        captures = (turn or {}).get("raw_captures") or (
            self.detail.raw_captures if self.detail else []
        )
        files = [c.get("file") for c in captures if isinstance(c, dict) and c.get("file")]
        if not files:
            self.notify("No raw provider capture for this turn", markup=False)
            return
        self.post_message(OpenJson(None, Path(files[0]).name, path=Path(files[0])))

    def follow(self) -> None:
        if self.turns:
            self.turn_list.cursor = len(self.turns) - 1

    def focus_main(self) -> None:
        self.turn_list.focus()

    def action_raw(self) -> None:
        picked = self.selection()
        if picked is not None:
            self.post_message(OpenJson(picked[1], picked[0]))

    def action_open_text(self) -> None:
        picked = self.selection()
        if picked is not None:
            self.post_message(OpenText(render_turn(picked[1], full=True).plain, picked[0]))

    def action_copy(self) -> None:
        turn = self.current()
        if turn is None:
            return
        text = turn.get("response_text")
        if isinstance(text, str) and text:
            self.post_message(Copy(text))
        else:
            self.notify("this turn has no response text", markup=False)
