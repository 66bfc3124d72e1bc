"""`StageScreen`: one stage's internals, section by section.

Header (node, kind, status, outcome, branch, duration, usage), then collapsible
sections: attempts, artifacts, verification, visible text, private reasoning,
prompts, transcript messages, worker and metadata. Each section body is
focusable and keeps its full text, so `o` / `p` open exactly what is focused.
Everything from the record goes through `harn_tui.text` (never markup).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from harn_tui.core.format import derive
from harn_tui.core.format.normalize import RunDetail
from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.core.format.plural import plural
from harn_tui.core.format.records import Artifact, Attempt, Stage
from harn_tui.core.format.timestamps import format_duration
from harn_tui.screens.json_view import compact_json, pretty_json
from harn_tui.served import TerminalOnlyKeys
from harn_tui.text import label, line, safe
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.status import badge

#: Characters of a section shown inline (the full text is one key away).
SECTION_LIMIT = 3000
#: Characters of one transcript message part shown inline.
PART_LIMIT = 600
#: Transcript messages rendered inline.
MAX_MESSAGES = 200
#: Metadata keys that get their own section.
OWN_SECTIONS = ("prompt", "system_prompt", "rendered_context", "worker")
ROLE_STYLES = {
    "system": "bold magenta",
    "developer": "bold magenta",
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold yellow",
    "tool_result": "bold yellow",
}
HINT = "o: open in full"
_NO_VALUE = object()


class SectionBody(Static, can_focus=True):
    """A focusable section body: shows a (cut) `Text`, keeps the full text and JSON value."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Open", show=False)]
    DEFAULT_CSS = """
    SectionBody { height: auto; padding: 0 1; }
    SectionBody:focus { background: $boost; }
    """

    def __init__(
        self, shown: Text, full: str, title: str, value: Any = _NO_VALUE, *, classes: str | None = None
    ) -> None:
        super().__init__(shown, classes=classes)
        self.full = full
        self.section_title = title
        self.value = value

    @property
    def has_value(self) -> bool:
        return self.value is not _NO_VALUE

    def action_open(self) -> None:
        """Enter: the JSON viewer for JSON sections, the text viewer otherwise."""
        host: Any = self.app
        if self.has_value:
            host.open_json(self.value, self.section_title)
        else:
            host.open_text(self.full, self.section_title)


class ArtifactItem(SectionBody):
    """One artifact; Enter or `r` opens its JSON."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,r", "open", "Artifact JSON", show=False)
    ]


def cut(text: str, style: str = "", limit: int = SECTION_LIMIT) -> Text:
    """`safe` with a limit, plus the "open in full" hint when cut."""
    out = safe(text, style, limit=limit)
    if len(text) > limit:
        out.append(f"\n{HINT}", style="dim italic")
    return out


def text_body(text: str, title: str, style: str = "") -> SectionBody:
    """A section body for a long text."""
    return SectionBody(cut(text, style), text, title)


def json_body(value: Any, title: str) -> SectionBody:
    """A section body for a JSON value (pretty-printed, cut)."""
    full = pretty_json(value)
    return SectionBody(cut(full), full, title, value)


# -- attempts -------------------------------------------------------------------


def attempts_body(attempts: list[Attempt], title: str) -> SectionBody:
    """All attempts: number, status, outcome, branch, error (red), verification."""
    shown = Text()
    full: list[str] = []
    for i, attempt in enumerate(attempts):
        if i:
            shown.append("\n")
        shown.append(f"#{attempt.attempt or i + 1}  ", style="bold")
        shown.append_text(badge(attempt.status or "?"))
        shown.append("  ")
        shown.append_text(line(attempt.outcome or "-", "", 30))
        if attempt.branch:
            shown.append(" → ", style="dim")
            shown.append_text(line(attempt.branch, "italic", 30))
        full.append(
            f"#{attempt.attempt or i + 1} {attempt.status} outcome={attempt.outcome}"
            f" branch={attempt.branch}"
        )
        if attempt.error:
            shown.append("\n  error: ", style="red")
            shown.append_text(safe(attempt.error, "red", limit=1000))
            full.append(f"  error: {attempt.error}")
        if attempt.verification is not None:
            shown.append("\n  verification: ", style="dim")
            shown.append_text(line(compact_json(attempt.verification), "", 200))
            full.append(f"  verification: {pretty_json(attempt.verification)}")
    return SectionBody(shown, "\n".join(full), title)


# -- artifacts ------------------------------------------------------------------


def artifact_item(artifact: Artifact, stage_name: str) -> ArtifactItem:
    """Kind, title, id, estimated tokens and a text (or data) preview."""
    shown = label((artifact.kind or "artifact", "bold magenta"))
    if artifact.title:
        shown.append("  ")
        shown.append_text(line(artifact.title, "bold", 60))
    shown.append("  ")
    shown.append_text(line(artifact.id, "dim", 60))
    if artifact.estimated_tokens is not None:
        shown.append(f"  ~{fmt_tokens(artifact.estimated_tokens)} tokens", style="dim")
    if artifact.text:
        shown.append("\n")
        shown.append_text(safe(artifact.text, limit=300))
        full = artifact.text
    elif artifact.data is not None:
        shown.append("\n")
        shown.append_text(line(compact_json(artifact.data), "dim", 300))
        full = pretty_json(artifact.data)
    else:
        full = ""
    shown.append("\nenter: artifact JSON", style="dim italic")
    title = f"{stage_name} artifact {artifact.title or artifact.id}"
    return ArtifactItem(shown, full, title, artifact.raw, classes="artifact")


# -- transcript -----------------------------------------------------------------


def _block_parts(block: Any) -> list[tuple[str, str]]:
    """(style, text) parts of one content block."""
    if isinstance(block, str):
        return [("", block)]
    if not isinstance(block, dict):
        return [("dim", compact_json(block))]
    kind = block.get("type")
    kind = kind if isinstance(kind, str) else "?"
    if kind in ("text", "output_text", "input_text"):
        return [("", _as_text(block.get("text")))]
    if kind in ("reasoning", "thinking"):
        body = block.get("text", block.get("thinking", block.get("summary")))
        return [("italic dim", f"(reasoning) {_as_text(body)}")]
    if kind in ("tool_call", "tool_use", "function_call"):
        return [("cyan", _call_text(block))]
    if kind == "tool_result":
        name = _as_text(block.get("name") or block.get("tool_name") or "")
        body = next(
            (block[k] for k in ("content", "text", "output", "result") if k in block), ""
        )
        return [("yellow", f"← {name}: {_as_text(body)}" if name else f"← {_as_text(body)}")]
    if kind in ("image", "input_image"):
        return [("dim", f"[{kind}]")]
    if kind in ("file", "document", "attachment"):
        name = next((block[k] for k in ("name", "title", "path", "asset_id") if block.get(k)), "")
        return [("dim", f"[{kind}: {_as_text(name)}]")]
    rest = {k: v for k, v in block.items() if k not in ("type", "visibility")}
    return [("dim", f"[{kind}] {compact_json(rest)}")]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else compact_json(value)


def _call_text(call: dict[str, Any]) -> str:
    """`→ name(args)` for a tool call block or a provider `tool_calls` entry."""
    function = call.get("function")
    source = function if isinstance(function, dict) else call
    name = _as_text(source.get("name") or call.get("name") or "?")
    args = next((source[k] for k in ("arguments", "args", "input") if k in source), None)
    if args is None:
        args = {k: v for k, v in call.items() if k not in ("type", "name", "visibility", "id")}
        args = args or ""
    return f"→ {name}({_as_text(args)})"


def message_parts(message: Any) -> tuple[str, str, list[tuple[str, str]]]:
    """(role, extra, parts) of a transcript message; parts are (style, text)."""
    if not isinstance(message, dict):
        return "?", "", [("dim", _as_text(message))]
    role = _as_text(message.get("role")) or "?"
    extras = [
        f"{key}={_as_text(message[key])}"
        for key in ("name", "tool_call_id")
        if message.get(key) not in (None, "")
    ]
    parts: list[tuple[str, str]] = []
    reasoning = message.get("reasoning")
    if reasoning:
        parts.append(("italic dim", f"(reasoning) {_as_text(reasoning)}"))
    content = message.get("content")
    if isinstance(content, list):
        for block in content:
            parts.extend(_block_parts(block))
    elif content is not None:
        parts.append(("", _as_text(content)))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        parts.extend(("cyan", _call_text(c)) for c in calls if isinstance(c, dict))
    return role, " ".join(extras), parts


def transcript_body(raw: dict[str, Any], messages: list[Any], title: str) -> SectionBody:
    """Role-coloured messages (first `MAX_MESSAGES` inline), with a summary line."""
    shown = Text()
    full: list[str] = []
    events, assets = raw.get("events"), raw.get("assets")
    info = plural(len(messages), "message")
    if isinstance(events, list):
        info += f" · {plural(len(events), 'event')}"
    if isinstance(assets, list) and assets:
        info += f" · {len(assets)} assets"
    state = raw.get("state")
    if isinstance(state, str):
        info += f" · {state}"
    shown.append_text(line(info, "dim"))
    full.append(info)
    summary = raw.get("summary")
    if isinstance(summary, str) and summary:
        shown.append("\nsummary: ", style="bold")
        shown.append_text(safe(summary, limit=PART_LIMIT))
        full.append(f"summary: {summary}")
    for i, message in enumerate(messages):
        role, extra, parts = message_parts(message)
        full.append(f"\n[{i + 1}] {role} {extra}".rstrip())
        full.extend(text for _, text in parts)
        if i >= MAX_MESSAGES:
            continue
        shown.append(f"\n\n{i + 1:>3} ", style="dim")
        shown.append_text(line(role, ROLE_STYLES.get(role, "bold"), 24))
        if extra:
            shown.append("  ")
            shown.append_text(line(extra, "dim", 80))
        for style, text in parts:
            shown.append("\n")
            shown.append_text(safe(text, style, limit=PART_LIMIT))
    if len(messages) > MAX_MESSAGES:
        shown.append(
            f"\n\n… {len(messages) - MAX_MESSAGES:,} more messages not shown ({HINT})",
            style="yellow italic",
        )
    elif any(len(t) > PART_LIMIT for t in full):
        shown.append(f"\n\n{HINT}", style="dim italic")
    return SectionBody(shown, "\n".join(full), title)


# -- the screen -----------------------------------------------------------------


class StageScreen(TerminalOnlyKeys, Screen[None]):
    """A stage's internals; `[` / `]` step through the run's stages in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "raw", "Raw JSON"),
        Binding("o", "open_section", "Open section"),
        Binding("p", "pager", "Pager"),
        Binding("y", "copy_id", "Copy id"),
        Binding("left_square_bracket", "step(-1)", "Prev stage"),
        Binding("right_square_bracket", "step(1)", "Next stage"),
        Binding("j", "focus_step(1)", "Next section", show=False),
        Binding("k", "focus_step(-1)", "Prev section", show=False),
    ]

    def __init__(self, detail: RunDetail, index: int) -> None:
        super().__init__()
        self.detail = detail
        self.index = index

    def compose(self) -> ComposeResult:
        yield Static(id="stage-header")
        yield VerticalScroll(id="stage-body")
        yield KeyFooter()

    async def on_mount(self) -> None:
        await self.render_stage()

    @property
    def stages(self) -> list[Stage]:
        return self.detail.record.stages

    @property
    def stage(self) -> Stage | None:
        stages = self.stages
        if not stages:
            return None
        self.index = min(max(self.index, 0), len(stages) - 1)
        return stages[self.index]

    @property
    def stage_name(self) -> str:
        stage = self.stage
        return f"stage {stage.node_id or stage.id or self.index + 1}" if stage else "stage"

    async def render_stage(self) -> None:
        """(Re-)build the header and every section for the current stage."""
        body = self.query_one("#stage-body", VerticalScroll)
        await body.remove_children()
        stage = self.stage
        header = self.query_one("#stage-header", Static)
        if stage is None:
            header.update(Text("This run has no stages.", style="dim"))
            return
        header.update(self.header_text(stage))
        widgets, empty = self.sections(stage)
        if empty:
            widgets.append(Static(Text("Not recorded: " + ", ".join(empty)), classes="stage-empty"))
        await body.mount_all(widgets)
        body.scroll_home(animate=False)
        first = next(iter(body.query(SectionBody)), None)
        if first is not None and first.focusable:
            first.focus()
        else:
            body.focus()

    def header_text(self, stage: Stage) -> Text:
        """Node, kind, status/outcome/branch, duration and usage."""
        out = Text()
        out.append(f"Stage {self.index + 1}/{len(self.stages)}  ", style="dim")
        out.append_text(line(stage.node_id or "?", "bold", 50))
        if stage.kind:
            out.append("  ")
            out.append_text(line(stage.kind, "italic", 24))
        out.append("  ")
        out.append_text(badge(stage.status or "?"))
        out.append("  ")
        out.append_text(line(stage.outcome or "-", "", 30))
        if stage.branch:
            out.append(" → ", style="dim")
            out.append_text(line(stage.branch, "italic", 30))
        duration = format_duration(derive.stage_duration_ms(stage.raw))
        if duration:
            out.append(f"  {duration}", style="cyan")
        out.append("\n")
        out.append_text(line(stage.id, "dim", 100))
        usage = stage.usage
        if usage is not None:
            parts = [
                f"tokens {fmt_tokens(usage.input_tokens)} in / {fmt_tokens(usage.output_tokens)} out",
                f"{usage.call_count} call{'s' if usage.call_count != 1 else ''}",
            ]
            if usage.total_cost:
                parts.append(f"${usage.total_cost:.4f}")
            if usage.total_duration_ms:
                parts.append(f"model time {format_duration(usage.total_duration_ms)}")
            out.append("\n")
            out.append_text(line(" · ".join(parts), "", 200))
            if usage.models:
                out.append(" · ", style="dim")
                out.append_text(line(", ".join(usage.models), "magenta", 80))
        error = stage.metadata.get("error")
        if error is not None:
            out.append("\nerror: ", style="bold red")
            out.append_text(line(_as_text(error), "red", 300))
        return out

    def sections(self, stage: Stage) -> tuple[list[Widget], list[str]]:
        """The Collapsible sections with content, and the names of the empty ones."""
        name = self.stage_name
        meta = stage.metadata
        widgets: list[Widget] = []
        empty: list[str] = []

        def add(title: str, bodies: list[SectionBody], collapsed: bool = False) -> None:
            widgets.append(Collapsible(*bodies, title=title, collapsed=collapsed))

        attempts = stage.attempts
        if attempts:
            add(f"Attempts ({len(attempts)})", [attempts_body(attempts, f"{name} attempts")])
        else:
            empty.append("attempts")
        artifacts = stage.artifacts
        if artifacts:
            add(f"Artifacts ({len(artifacts)})", [artifact_item(a, name) for a in artifacts])
        else:
            empty.append("artifacts")
        if stage.verification is not None:
            add("Verification", [json_body(stage.verification, f"{name} verification")])
        else:
            empty.append("verification")
        texts = (
            ("Visible text", "visible text", stage.visible_text, False),
            ("Private reasoning", "private reasoning", stage.private_reasoning, True),
            ("Prompt", "prompt", meta.get("prompt"), False),
            ("System prompt", "system prompt", meta.get("system_prompt"), True),
            ("Rendered context", "rendered context", meta.get("rendered_context"), True),
        )
        for title, short, value, collapsed in texts:
            if value is None or value == "":
                empty.append(short)
            elif isinstance(value, str):
                add(title, [text_body(value, f"{name} {short}")], collapsed)
            else:
                add(title, [json_body(value, f"{name} {short}")], collapsed)
        transcript = stage.transcript
        if transcript is not None:
            messages = transcript.messages
            add(
                f"Transcript ({plural(len(messages), 'message')})",
                [transcript_body(transcript.raw, messages, f"{name} transcript")],
            )
        else:
            empty.append("transcript")
        worker = meta.get("worker")
        if worker is not None:
            add("Worker", [json_body(worker, f"{name} worker")], True)
        else:
            empty.append("worker")
        rest = {k: v for k, v in meta.items() if k not in OWN_SECTIONS}
        extra = stage.unknown_keys()
        if stage.consumed_artifact_ids or stage.produced_artifact_ids:
            rest = {
                **rest,
                "consumed_artifact_ids": stage.consumed_artifact_ids,
                "produced_artifact_ids": stage.produced_artifact_ids,
            }
        if rest:
            add("Metadata", [json_body(rest, f"{name} metadata")], True)
        else:
            empty.append("metadata")
        if extra:
            add("Other keys", [json_body(extra, f"{name} other keys")], True)
        return widgets, empty

    # -- actions ----------------------------------------------------------------

    def focused_section(self) -> SectionBody | None:
        """The focused section body (a focused collapsible title counts as its body)."""
        widget: Any = self.focused
        while widget is not None and not isinstance(widget, Screen):
            if isinstance(widget, SectionBody):
                return widget
            if isinstance(widget, Collapsible):
                return next(iter(widget.query(SectionBody)), None)
            widget = widget.parent
        return None

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_raw(self) -> None:
        stage = self.stage
        if stage is not None:
            host: Any = self.app
            host.open_json(stage.raw, self.stage_name)

    def action_open_section(self) -> None:
        section = self.focused_section()
        if section is None:
            self.notify("focus a section first (tab / j / k)", severity="warning", markup=False)
            return
        host: Any = self.app
        host.open_text(section.full, section.section_title)

    def action_pager(self) -> None:
        section = self.focused_section()
        if section is None:
            self.notify("focus a section first (tab / j / k)", severity="warning", markup=False)
            return
        host: Any = self.app
        host.open_in_pager(section.full)

    def action_copy_id(self) -> None:
        stage = self.stage
        if stage is not None:
            host: Any = self.app
            host.copy_value(stage.id or stage.node_id)

    async def action_step(self, delta: int) -> None:
        target = self.index + delta
        if not 0 <= target < len(self.stages):
            self.notify("no more stages", markup=False)
            return
        self.index = target
        await self.render_stage()

    def action_focus_step(self, delta: int) -> None:
        if delta > 0:
            self.focus_next()
        else:
            self.focus_previous()
