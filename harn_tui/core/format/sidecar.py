"""The `<stem>-llm/llm_transcript.jsonl` sidecar: model turns and daemon events (spec §3.3)."""

from __future__ import annotations

import os
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from harn_tui.core.format import schema as S
from harn_tui.core.format.gcpause import gc_paused
from harn_tui.core.format.schema import to_int, to_str

#: portal/transcript.rs's placeholder summary of a turn the model has not answered yet.
WAITING = "Waiting for model response"


def sidecar_path(run_file: Path) -> Path:
    """`<dir>/<name minus its last extension>-llm/llm_transcript.jsonl`."""
    return run_file.parent / f"{run_file.stem}-llm" / "llm_transcript.jsonl"


@dataclass
class SidecarLines:
    """Parsed sidecar lines plus how many were skipped (and whether the tail was partial)."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    partial_tail: bool = False
    error: str | None = None


def iter_jsonl(data: bytes) -> Iterator[tuple[dict[str, Any] | None, bool]]:
    """Yield (object or None if unparseable, is_last_unterminated) per non-blank line."""
    lines = data.split(b"\n")
    terminated = data.endswith(b"\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        tail = i == last and not terminated
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield None, tail
            continue
        yield (value if isinstance(value, dict) else None), tail


#: Bytes read per step: large sidecars are streamed, never split or held whole.
CHUNK_BYTES = 1 << 20


def read_sidecar(path: Path) -> SidecarLines:
    """Read every line; a half-written last line is dropped, bad lines are counted.

    The file is streamed in chunks (a sidecar can be hundreds of MB) with the cyclic GC
    paused while the line objects are built, so a reader thread never stalls the UI.
    """
    out = SidecarLines()
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:
        return out
    except OSError as exc:
        out.error = f"cannot read sidecar: {exc.strerror or exc}"
        return out
    with gc_paused(), handle:
        try:
            for line, _, last in _stream_lines(handle):
                _take(out, line, last=last)
        except _ReadError as exc:
            out.error = f"cannot read sidecar: {exc.reason}"
    return out


class _ReadError(Exception):
    """Reading the next chunk failed (`reason` says why); the lines so far stand."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc)
        self.reason = exc.strerror or str(exc)


def _stream_lines(handle: BinaryIO) -> Iterator[tuple[bytes, int, bool]]:
    """(line, its file offset, whether it is the unterminated last line) in chunks of
    :data:`CHUNK_BYTES`; a blank unterminated tail is not a line. A failed read raises
    `_ReadError`."""
    tail, pos = b"", 0  # pos: file offset of `tail`'s first byte
    while True:
        try:
            chunk = handle.read(CHUNK_BYTES)
        except OSError as exc:
            raise _ReadError(exc) from exc
        if not chunk:
            break
        lines = (tail + chunk).split(b"\n")
        tail = lines.pop()
        for line in lines:
            yield line, pos, False
            pos += len(line) + 1
    if tail.strip():
        yield tail, pos, True


def _record(out: SidecarLines | SidecarData, line: bytes, *, last: bool) -> dict[str, Any] | None:
    """The JSON object on one line; else None, with what the line was counted on `out` (a
    blank line is nothing, a last line that is not JSON is half-written, others skipped)."""
    if not line.strip():
        return None
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        return value
    if last and value is None:
        out.partial_tail = True
    else:
        out.skipped += 1
    return None


def _take(out: SidecarLines, line: bytes, *, last: bool) -> None:
    value = _record(out, line, last=last)
    if value is not None:
        out.lines.append(value)


def daemon_events(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DaemonEventRecords from `type == "daemon_event"` lines (extra keys dropped)."""
    out = []
    for line in lines:
        if line.get("type") != "daemon_event":
            continue
        record = {key: line.get(key) for key in S.DAEMON_EVENT if key in line}
        out.append(S.fill(record, S.DAEMON_EVENT))
    return out


CAPTURE_KEYS = ("call_id", "iteration", "attempt", "provider", "model", "capture", "path")


def raw_captures(lines: Iterable[dict[str, Any]], sidecar: Path | None = None) -> list[dict[str, Any]]:
    """`provider_raw_capture` lines (later Harn): the raw provider request/response files.

    `path` is relative to the `-llm` folder (`raw-provider/*.json`); `file` is where it is
    on disk (None without a sidecar path, or when the path would leave the folder).
    """
    out = []
    for line in lines:
        if line.get("type") != "provider_raw_capture":
            continue
        record: dict[str, Any] = {key: line.get(key) for key in CAPTURE_KEYS}
        record["file"] = capture_file(sidecar, record["path"])
        out.append(record)
    return out


def capture_file(sidecar: Path | None, rel: Any) -> str | None:
    if sidecar is None or not isinstance(rel, str) or not rel or "\0" in rel:
        return None
    folder = sidecar.parent
    target = Path(rel)
    if target.is_absolute() or ".." in target.parts:
        return None
    return str(folder / target)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [
        item["name"]
        for item in value
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    ]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _message(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": _text(line.get("role")) or "user",
        "content": line.get("content") if line.get("content") is not None else "",
        "tool_calls": line.get("tool_calls"),
        "tool_call_id": line.get("tool_call_id"),
        "name": line.get("name"),
        "iteration": line.get("iteration"),
    }


def model_turns(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per provider call, rebuilt as Harn's portal does.

    Lines replay in order: `system_prompt`, `tool_schemas` and `message` lines build
    context; each `provider_call_request` with a call id opens a turn holding the
    messages added since the previous request; its `provider_call_response` fills
    tokens, response text, thinking and tool calls.
    """
    builder = _TurnBuilder([])
    for line in lines:
        builder.feed(line)
    return builder.turns


class _TurnBuilder:
    """`model_turns` one line at a time; `messages` is a list or a :class:`_MessageStore`."""

    def __init__(self, messages: Any) -> None:
        self.turns: list[dict[str, Any]] = []
        self.by_call: dict[str, int] = {}
        self.system_prompt: str | None = None
        self.schema_names: list[str] = []
        self.messages = messages
        self.previous_total = 0

    def feed(self, line: dict[str, Any]) -> None:
        kind = line.get("type")
        if kind == "system_prompt":
            self.system_prompt = _text(line.get("content"))
        elif kind == "tool_schemas":
            self.schema_names = _names(line.get("schemas"))
        elif kind == "message":
            self.messages.append(_message(line))
        elif kind == "provider_call_request":
            self._request(line)
        elif kind == "provider_call_response":
            self._response(line)
        elif kind == "provider_raw_capture":
            self.capture(line)

    def capture(self, line: dict[str, Any]) -> dict[str, Any]:
        """A `provider_raw_capture` line as a record, kept with its model turn (by call id)."""
        record = {key: line.get(key) for key in CAPTURE_KEYS}
        index = self.by_call.get(to_str(line.get("call_id")))
        if index is not None:
            self.turns[index].setdefault("raw_captures", []).append(record)
        return record

    def _request(self, line: dict[str, Any]) -> None:
        call_id = to_str(line.get("call_id"))
        if not call_id:
            return
        turns, messages = self.turns, self.messages
        total = len(messages)
        kept = min(self.previous_total, total)
        added = messages[kept:total]
        self.previous_total = total
        self.by_call[call_id] = len(turns)
        turns.append(
            {
                "call_id": call_id,
                "call_index": len(turns) + 1,
                "span_id": line.get("span_id") if isinstance(line.get("span_id"), int) else None,
                "iteration": to_int(line.get("iteration")),
                "model": to_str(line.get("model")),
                "provider": _text(line.get("provider")),
                "timestamp": to_str(line.get("timestamp")),
                "kept_messages": kept,
                "added_messages": len(added),
                "total_messages": total,
                "messages_added": added,
                "system_prompt": self.system_prompt,
                "tool_calls": list(self.schema_names),
                "response_tool_calls": [],
                "input_tokens": None,
                "output_tokens": None,
                "cost_usd": None,
                "response_ms": None,
                "response_text": None,
                "thinking": None,
                "thinking_summary": None,
                "answered": False,
                "summary": WAITING,
            }
        )

    def _response(self, line: dict[str, Any]) -> None:
        index = self.by_call.get(to_str(line.get("call_id")))
        if index is None:
            return
        turn = self.turns[index]
        if turn["span_id"] is None and isinstance(line.get("span_id"), int):
            turn["span_id"] = line["span_id"]
        turn["input_tokens"] = _opt_int(line.get("input_tokens"))
        turn["output_tokens"] = _opt_int(line.get("output_tokens"))
        turn["cost_usd"] = (
            line.get("cost_usd") if isinstance(line.get("cost_usd"), int | float) else None
        )
        turn["response_ms"] = _opt_int(line.get("response_ms"))
        turn["response_text"] = _text(line.get("text"))
        turn["thinking"] = _text(line.get("thinking"))
        turn["thinking_summary"] = _text(line.get("thinking_summary"))
        calls = line.get("tool_calls")
        turn["response_tool_calls"] = calls if isinstance(calls, list) else []
        names = _names(calls)
        if names:
            turn["tool_calls"] = names
        if line.get("provider") and not turn["provider"]:
            turn["provider"] = _text(line.get("provider"))
        if line.get("model") and not turn["model"]:
            turn["model"] = to_str(line.get("model"))
        turn["answered"] = True
        turn["summary"] = _summary(turn)


def _opt_int(value: Any) -> int | None:
    return (
        to_int(value)
        if isinstance(value, int | float | str) and not isinstance(value, bool)
        else None
    )


def _summary(turn: dict[str, Any]) -> str:
    """portal/transcript.rs `summarize_transcript_step`: the turn's tool calls are the
    response's when it made any, else the offered schemas; either way the last one is named."""
    head = f"kept {turn['kept_messages']} messages, added {turn['added_messages']}"
    if turn["tool_calls"]:
        return f"{head}, then asked for {turn['tool_calls'][-1]}"
    if turn["response_text"] is not None:
        return f"{head}, then replied in text"
    return head


# -- large sidecars: a line-offset index, message lines parsed on demand ----------------
#
# toolong's approach: one streaming pass finds each line's byte range and parses it once;
# `message` lines (the bulk of a sidecar: every prompt and tool result) keep only their
# offsets, and a turn's `messages_added` is a :class:`SidecarMessages` view that re-reads
# and parses those lines when shown. A 1 GB sidecar costs its turns' metadata plus 16
# bytes per message in memory, never the file.

#: Sidecars at least this big keep message lines on disk (smaller ones are parsed whole).
LAZY_BYTES = 4 * 1024 * 1024


@dataclass
class SidecarData:
    """What the run detail needs from a sidecar, read in one pass."""

    daemon_events: list[dict[str, Any]] = field(default_factory=list)
    model_turns: list[dict[str, Any]] = field(default_factory=list)
    raw_captures: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    partial_tail: bool = False
    error: str | None = None


class _MessageStore:
    """Byte ranges of a sidecar's `message` lines, read back through one open descriptor.

    The descriptor pins the indexed file: a sidecar replaced on disk (rename) keeps
    answering from the version that was indexed; appends do not move earlier lines.
    """

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)
        self.starts = array("q")
        self.ends = array("q")

    def add(self, start: int, end: int) -> None:
        self.starts.append(start)
        self.ends.append(end)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, key: slice) -> SidecarMessages:
        lo, hi, _ = key.indices(len(self.starts))
        return SidecarMessages(self, lo, max(lo, hi))

    def message(self, i: int) -> dict[str, Any]:
        start, end = self.starts[i], self.ends[i]
        try:
            value = orjson.loads(os.pread(self.fd, end - start, start))
        except (OSError, orjson.JSONDecodeError):
            value = None
        if not isinstance(value, dict):  # the file changed under us since it was indexed
            return _message({"content": "(sidecar line no longer readable)"})
        return _message(value)


class SidecarMessages(Sequence[dict[str, Any]]):
    """A turn's added messages, parsed from the sidecar when read (a list-like view)."""

    __slots__ = ("_hi", "_lo", "_store")

    def __init__(self, store: _MessageStore, lo: int, hi: int) -> None:
        self._store, self._lo, self._hi = store, lo, hi

    def __len__(self) -> int:
        return self._hi - self._lo

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self._store.message(self._lo + i) for i in range(*key.indices(len(self)))]
        n = len(self)
        index = key + n if key < 0 else key
        if not 0 <= index < n:
            raise IndexError("message index out of range")
        return self._store.message(self._lo + index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self._lo, self._hi):
            yield self._store.message(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SidecarMessages | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> SidecarMessages:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SidecarMessages:
        return self  # an immutable view of an immutable (indexed) file

    def __repr__(self) -> str:
        return f"SidecarMessages({len(self)} messages)"


def plain_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turns with every lazy `messages_added` read into a list (for JSON output)."""
    return [
        {**t, "messages_added": list(t["messages_added"])}
        if isinstance(t.get("messages_added"), SidecarMessages)
        else t
        for t in turns
    ]


def load_sidecar(path: Path) -> SidecarData:
    """Daemon events and model turns of a sidecar in one streaming pass.

    Same rules as :func:`read_sidecar` (a half-written last line is dropped, bad lines
    counted); from :data:`LAZY_BYTES` on, message lines stay on disk behind an index.
    """
    out = SidecarData()
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
        size = os.stat(path).st_size
        store: Any = _MessageStore(path) if size >= LAZY_BYTES else None
    except FileNotFoundError:
        return out
    except OSError as exc:
        out.error = f"cannot read sidecar: {exc.strerror or exc}"
        return out
    builder = _TurnBuilder(store if store is not None else [])
    with gc_paused(), handle:
        try:
            for line, pos, last in _stream_lines(handle):
                _feed(out, builder, store, line, pos, last=last)
        except _ReadError as exc:
            out.error = f"cannot read sidecar: {exc.reason}"
            return out
    out.model_turns = builder.turns
    return out


def _feed(
    out: SidecarData, builder: _TurnBuilder, store: Any, line: bytes, pos: int, *, last: bool
) -> None:
    value = _record(out, line, last=last)
    if value is None:
        return
    kind = value.get("type")
    if kind == "daemon_event":
        out.daemon_events.extend(daemon_events([value]))
    elif kind == "message" and store is not None:
        store.add(pos, pos + len(line))
    elif kind == "provider_raw_capture":  # one record, in the list and with its turn
        out.raw_captures.append(builder.capture(value))
    else:
        builder.feed(value)
