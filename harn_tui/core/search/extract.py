"""Pieces of text a person reads in a run, each with its field and location.

A run yields pieces from three sources, each with a location string:

* the run record: ``r`` + a JSON pointer into the record as stored
  (``r/stages/2/transcript/messages/3/content``);
* the LLM transcript sidecar: ``s<line>`` + a pointer into that line's object
  (``s12/response/text``; lines count from 1);
* the event log: ``e<event id>`` + a pointer into the record's payload
  (``e4711/event/text``); the topic is the indexed "file".

Every piece gets a field: ``prompt``, ``tool``, ``error``, ``message``, ``hitl``,
``event`` or ``other``, from the keys (and ``role``/``type`` values) on its path.
Identical text in the same field of one file is one piece with several
locations. Pure: no Textual, no Rich.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FIELDS",
    "Location",
    "Piece",
    "describe",
    "event_pieces",
    "parse_location",
    "record_pieces",
    "sidecar_pieces",
]

#: Searchable fields (`in:FIELD`), in help order.
FIELDS = ("prompt", "tool", "error", "message", "hitl", "event", "other")

_KEY_FIELD: dict[str, str] = {}
for _f, _keys in {
    "prompt": ("prompt", "system_prompt", "rendered_context", "task", "system", "instructions",
               "prompt_template", "context"),
    "tool": ("tool_recordings", "tool_calls", "tool_call", "tool_results", "tool_result",
             "tool_use", "tools", "arguments", "args", "tool_input", "tool_output"),
    "error": ("error", "errors", "failure", "stderr", "error_message", "exception", "reason"),
    "hitl": ("hitl_questions", "hitl", "hitl_answers", "question", "questions", "answer",
             "approval", "escalation"),
    "event": ("events", "daemon_events", "trace_spans", "transitions", "checkpoints"),
    "message": ("messages", "transcript", "content", "text", "visible_text", "summary",
                "thinking", "artifacts", "response", "output", "blocks"),
}.items():
    for _k in _keys:
        _KEY_FIELD[_k] = _f

_TOOL_TYPES = frozenset({"tool_call", "tool_result", "tool_use", "tool_call_update", "tool"})
#: Fields a message-level key never overrides (a tool call's "content" is still a tool).
_STICKY = {"prompt": 1, "tool": 2, "hitl": 3, "error": 4}
#: Keys whose values are identifiers, times or enums, not text a person reads.
_SKIP_KEYS = frozenset({"_type", "id", "version", "status", "hash", "sha256", "digest",
                        "checksum", "role", "kind", "type", "format", "encoding", "data_base64",
                        "timestamp", "created", "updated"})
_SKIP_SUFFIXES = ("_id", "_at", "_ms", "_hash", "_ids")
#: The longest text indexed per piece (longer strings are cut; the location still opens it).
MAX_PIECE_CHARS = 200_000


@dataclass(slots=True)
class Piece:
    field: str
    text: str
    locs: list[str]


def _skip(key: str) -> bool:
    return key in _SKIP_KEYS or key.endswith(_SKIP_SUFFIXES)


def _field_for(key: str, current: str) -> str:
    new = _KEY_FIELD.get(key) or _KEY_FIELD.get(key.lower())
    if new is None:
        return current
    if new == "error":
        return new
    if _STICKY.get(current, 0) > _STICKY.get(new, 0):
        return current
    return new


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1") if ("~" in key or "/" in key) else key


_CHILD: dict[tuple[str, str], str | None] = {}


def _child_field(key: str, current: str) -> str | None:
    """The field of `key`'s value under a `current` field; None to skip it (memoized)."""
    found = _CHILD.get((key, current), "")
    if found == "":
        found = None if _skip(key) else _field_for(key, current)
        if len(_CHILD) < 100_000:
            _CHILD[(key, current)] = found
    return found


def walk_strings(value: Any, prefix: str, start_field: str) -> Iterator[tuple[str, str, str]]:
    """(field, pointer, text) for every readable string under `value`."""
    stack: list[tuple[Any, str, str]] = [(value, prefix, start_field)]
    pop, push = stack.pop, stack.append
    child_field = _child_field
    str_, dict_, list_ = str, dict, list
    while stack:
        node, pointer, fld = pop()
        kind = type(node)
        if kind is str_:
            if len(node) >= 2:
                yield fld, pointer, node
        elif kind is dict_:
            if "role" in node or "type" in node:
                role, typ = node.get("role"), node.get("type")
                if (role == "tool" or (type(typ) is str_ and typ in _TOOL_TYPES)) and fld != "error":
                    fld = "tool"
            for key, child in reversed(node.items()):
                ck = type(child)
                if ck is str_ or ck is dict_ or ck is list_:
                    sub = child_field(key, fld)
                    if sub is not None:
                        if "/" in key or "~" in key:
                            key = _escape(key)
                        push((child, f"{pointer}/{key}", sub))
        elif kind is list_:
            for i in range(len(node) - 1, -1, -1):
                child = node[i]
                ck = type(child)
                if ck is str_ or ck is dict_ or ck is list_:
                    push((child, f"{pointer}/{i}", fld))


class _Collector:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Piece] = {}

    def add(self, fld: str, loc: str, text: str) -> None:
        if len(text) > MAX_PIECE_CHARS:
            text = text[:MAX_PIECE_CHARS]
        key = (fld, text)
        piece = self.by_key.get(key)
        if piece is None:
            self.by_key[key] = Piece(fld, text, [loc])
        else:
            piece.locs.append(loc)

    def pieces(self) -> list[Piece]:
        return list(self.by_key.values())


def record_pieces(record: dict[str, Any]) -> list[Piece]:
    """The pieces of a run record (as stored in its file)."""
    out = _Collector()
    for fld, pointer, text in walk_strings(record, "", "other"):
        out.add(fld, "r" + pointer, text)
    return out.pieces()


def sidecar_pieces(lines: Iterable[tuple[int, dict[str, Any]]]) -> list[Piece]:
    """The pieces of the LLM transcript sidecar: (line number, object) pairs."""
    out = _Collector()
    for number, obj in lines:
        for fld, pointer, text in walk_strings(obj, "", "message"):
            out.add(fld, f"s{number}{pointer}", text)
    return out.pieces()


def event_pieces(events: Iterable[tuple[int, Any]]) -> list[Piece]:
    """The pieces of event-log records: (event id, payload) pairs."""
    out = _Collector()
    for event_id, payload in events:
        for fld, pointer, text in walk_strings(payload, "", "event"):
            out.add(fld, f"e{event_id}{pointer}", text)
    return out.pieces()


# -- locations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where a piece sits: its source, a JSON pointer, and what the pointer names."""

    source: str  # record | sidecar | event
    pointer: str
    line: int | None = None  # sidecar line (from 1)
    event_id: int | None = None
    parts: tuple[str, ...] = field(default=())

    def index_after(self, key: str) -> int | None:
        """The list index following `key` on the pointer (`stages` -> 2), innermost first."""
        for i in range(len(self.parts) - 2, -1, -1):
            if self.parts[i] == key and self.parts[i + 1].isdigit():
                return int(self.parts[i + 1])
        return None

    def first_index_after(self, key: str) -> int | None:
        for i in range(len(self.parts) - 1):
            if self.parts[i] == key and self.parts[i + 1].isdigit():
                return int(self.parts[i + 1])
        return None

    @property
    def stage(self) -> int | None:
        return self.first_index_after("stages") if self.source == "record" else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "pointer": self.pointer}
        if self.line is not None:
            out["line"] = self.line
        if self.event_id is not None:
            out["event_id"] = self.event_id
        for key, name in (("stages", "stage"), ("attempts", "attempt"), ("messages", "message"),
                          ("events", "event"), ("tool_recordings", "tool_call"),
                          ("hitl_questions", "hitl_question"), ("child_runs", "child_run"),
                          ("trace_spans", "span"), ("artifacts", "artifact")):
            idx = self.first_index_after(key) if key == "stages" else self.index_after(key)
            if idx is not None:
                out[name] = idx
        return out


_LOC = re.compile(r"([rse])(\d*)(.*)", re.S)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~") if "~" in part else part


def parse_location(loc: str) -> Location:
    m = _LOC.fullmatch(loc)
    if m is None:
        return Location("record", loc)
    kind, number, pointer = m.groups()
    parts = tuple(_unescape(p) for p in pointer.split("/")[1:]) if pointer else ()
    if kind == "s":
        return Location("sidecar", pointer, line=int(number or 0), parts=parts)
    if kind == "e":
        return Location("event", pointer, event_id=int(number or 0), parts=parts)
    return Location("record", pointer, parts=parts)


_NAMES = (("stages", "stage"), ("attempts", "attempt"), ("child_runs", "child run"),
          ("hitl_questions", "HITL question"), ("tool_recordings", "tool call"),
          ("trace_spans", "span"), ("artifacts", "artifact"), ("messages", "message"),
          ("events", "event"), ("blocks", "block"))


def describe(loc: Location, topic: str = "") -> str:
    """A short human location: `stage 2 › message 3 › content` (indexes from 1, like the panes)."""
    names = dict(_NAMES)
    out: list[str] = []
    if loc.source == "sidecar":
        out.append(f"model turn line {loc.line}")
    elif loc.source == "event":
        out.append(f"event #{loc.event_id}" + (f" in {topic}" if topic else ""))
    parts = loc.parts
    i = 0
    last = ""
    while i < len(parts):
        part = parts[i]
        if part in names and i + 1 < len(parts) and parts[i + 1].isdigit():
            out.append(f"{names[part]} {int(parts[i + 1]) + 1}")
            i += 2
            continue
        if not part.isdigit():
            last = part
        i += 1
    if last:
        out.append(last)
    return " › ".join(out) or "record"
