"""The transcript story (Harn portal `transcript.rs` `build_story`): visible text in reading order.

Sections come from the run transcript, then each stage's transcript (or, without one,
the stage's `visible_text`). Transcripts with `events` give one section per event with
text; older transcripts that are plain message lists give one per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.schema import to_str

PREVIEW_CHARS = 180


@dataclass(frozen=True, slots=True)
class StorySection:
    title: str
    scope: str  # run | stage
    role: str
    source: str
    preview: str
    text: str
    stage_index: int | None = None


def preview_text(text: str) -> str:
    """The first non-blank line, trimmed, cut at 180 characters with "..."."""
    normalized = text.replace("\r\n", "\n")
    first = next((ln for ln in normalized.splitlines() if ln.strip()), "").strip()
    return first[:PREVIEW_CHARS] + "..." if len(first) > PREVIEW_CHARS else first


def event_text(value: Any) -> str:
    """`text`, else `content` (string or the texts of its items), else the texts of `blocks`."""
    value = obj(value)
    if isinstance(value.get("text"), str):
        return value["text"]
    content = value.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(i["text"] for i in dicts(content) if isinstance(i.get("text"), str))
    blocks = value.get("blocks")
    if isinstance(blocks, list):
        return "\n".join(i["text"] for i in dicts(blocks) if isinstance(i.get("text"), str))
    return ""


def _sections(transcript: Any, title: str, scope: str, stage: int | None) -> list[StorySection]:
    out: list[StorySection] = []
    events = transcript.get("events") if isinstance(transcript, dict) else None
    if isinstance(events, list):
        for event in dicts(events):
            text = event_text(event)
            if not text.strip():
                continue
            role = event.get("role") if isinstance(event.get("role"), str) else "assistant"
            source = event.get("kind") if isinstance(event.get("kind"), str) else "message"
            out.append(StorySection(title, scope, role, source, preview_text(text), text, stage))
        return out
    if isinstance(transcript, list):
        for entry in dicts(transcript):
            text = event_text(entry)
            if not text.strip():
                continue
            role = entry.get("role") if isinstance(entry.get("role"), str) else "assistant"
            out.append(StorySection(title, scope, role, "message", preview_text(text), text, stage))
    return out


def build_story(run: dict[str, Any]) -> list[StorySection]:
    """Every story section of a run, run transcript first."""
    story: list[StorySection] = []
    if run.get("transcript") is not None:
        story += _sections(run.get("transcript"), "Run transcript", "run", None)
    for index, stage in enumerate(dicts(run.get("stages"))):
        title = f"Stage {to_str(stage.get('node_id'))}"
        if stage.get("transcript") is not None:
            story += _sections(stage.get("transcript"), title, "stage", index)
        elif isinstance(stage.get("visible_text"), str):
            text = stage["visible_text"]
            story.append(StorySection(title, "stage", "assistant", "visible_text", preview_text(text), text, index))
    return story
