"""Comparing two runs: stages, tool calls, usage, model turns, and the first divergence.

`compare(a, b)` is pure: it reads two loaded :class:`RunDetail`s and returns a
:class:`Comparison`. By convention `a` is the run being looked at and `b` its
baseline; usage deltas are `a - b`.

* Stages align by `(node_id, occurrence)`: the second `verify` of A pairs with
  the second `verify` of B. Status, outcome, branch, error and visible text are
  compared (token counts and durations are shown, not counted as differences).
* Tool calls come from `tool_recordings` (args identified by `args_hash`) and
  from agent-session `tool_call` / `tool_call_update` events (args as the
  compact, key-sorted JSON of `raw_input`). They align by `(source, tool, args,
  occurrence)`; a pair with a different result or status is a difference. A
  source only one run has is ignored while both share another, so a run written
  by an older Harn without recordings does not flag every call.
* Model turns come from the sidecar (`model_turns`) when both runs have one,
  else from the assistant messages of the stage transcripts (then the run
  transcript); they align by position.
* The first divergence is the differing row that happened earliest, measured
  from each run's start (the earlier of the two sides): a changed stage counts
  from when it finished (its outcome was known then), a stage only one run has
  from when it started, a changed tool call from its result, a turn from its
  response. Rows without any time sort after timed ones, stages before tools
  before turns.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from harn_tui.core.format import derive
from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.schema import to_float, to_int, to_str
from harn_tui.core.format.textsafe import cut, one_line
from harn_tui.core.format.timestamps import parse_ms

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail
    from harn_tui.core.index.summary import RunSummary

__all__ = [
    "CHANGED",
    "ONLY_A",
    "ONLY_B",
    "SAME",
    "Comparison",
    "Delta",
    "Divergence",
    "StageDiff",
    "StageSide",
    "ToolCall",
    "ToolDiff",
    "Turn",
    "TurnDiff",
    "UsageDelta",
    "align",
    "baseline_candidates",
    "compare",
    "default_baseline",
    "interleave",
    "tool_calls_of",
    "turns_of",
]

SAME, CHANGED, ONLY_A, ONLY_B = "same", "changed", "only_a", "only_b"
KINDS = ("stage", "tool", "turn")
#: Longest text kept per compared value (longer ones compare on a prefix plus length).
_TEXT_LIMIT = 200_000


# -- baseline -----------------------------------------------------------------


def _workflow_key(run: RunSummary) -> str:
    return run.workflow_id or run.workflow_name


def baseline_candidates(runs: Iterable[RunSummary], current: RunSummary) -> list[RunSummary]:
    """Other readable runs of the same workflow, newest first (unparsed starts last)."""
    key = _workflow_key(current)
    if not key:
        return []
    found = [
        r for r in runs
        if not r.broken and r.path != current.path and _workflow_key(r) == key
    ]
    found.sort(key=lambda r: (r.started_at_ms is None, -(r.started_at_ms or 0), r.path))
    return found


def default_baseline(runs: Iterable[RunSummary], current: RunSummary) -> RunSummary | None:
    """The previous run of the same workflow by parsed start time, if any."""
    if current.started_at_ms is None:
        return None
    earlier = [
        r for r in baseline_candidates(runs, current)
        if r.started_at_ms is not None and r.started_at_ms < current.started_at_ms
    ]
    return earlier[0] if earlier else None


# -- alignment ----------------------------------------------------------------


def align(a_keys: Sequence[Hashable], b_keys: Sequence[Hashable]) -> list[tuple[int | None, int | None]]:
    """Pair equal keys of two lists of unique keys, keeping A's order.

    Keys only B has are placed where B has them (after the preceding shared
    key); the result lists every index of both lists exactly once.
    """
    a_pos = {k: i for i, k in enumerate(a_keys)}
    b_pos = {k: j for j, k in enumerate(b_keys)}
    used = [False] * len(b_keys)
    out: list[tuple[int | None, int | None]] = []
    j = 0
    for i, key in enumerate(a_keys):
        m = b_pos.get(key)
        if m is None:
            out.append((i, None))
            continue
        while j < m:
            if not used[j] and b_keys[j] not in a_pos:
                out.append((None, j))
                used[j] = True
            j += 1
        out.append((i, m))
        used[m] = True
        j = max(j, m + 1)
    out.extend((None, k) for k in range(len(b_keys)) if not used[k])
    return out


def interleave(
    pairs: list[tuple[int | None, int | None]],
    a_time: Sequence[int | None],
    b_time: Sequence[int | None],
) -> list[tuple[int | None, int | None]]:
    """Order each run of unpaired rows (between two paired ones) by time, stably."""
    out: list[tuple[int | None, int | None]] = []
    gap: list[tuple[int | None, int | None]] = []

    def when(pair: tuple[int | None, int | None]) -> tuple[bool, int]:
        i, j = pair
        t = a_time[i] if i is not None else b_time[j]  # type: ignore[index]
        return (t is None, t or 0)

    for pair in pairs:
        if pair[0] is not None and pair[1] is not None:
            out.extend(sorted(gap, key=when))
            gap = []
            out.append(pair)
        else:
            gap.append(pair)
    out.extend(sorted(gap, key=when))
    return out


def _occurrences(keys: Iterable[Hashable]) -> list[tuple[Hashable, int]]:
    seen: dict[Hashable, int] = {}
    out = []
    for key in keys:
        n = seen.get(key, 0) + 1
        seen[key] = n
        out.append((key, n))
    return out


def _state(a: Any, b: Any, changes: Sequence[str]) -> str:
    if a is None:
        return ONLY_B
    if b is None:
        return ONLY_A
    return CHANGED if changes else SAME


def _earlier(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _compared(a: Any, b: Any, fields: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The fields in which two aligned sides differ, and the row's state."""
    changes: tuple[str, ...] = ()
    if a is not None and b is not None:
        changes = tuple(k for k in fields if getattr(a, k) != getattr(b, k))
    return changes, _state(a, b, changes)


class DiffRow:
    """What every aligned row of a comparison shares (stage, tool call or turn): A's side,
    B's side, which fields differ, the row's state, when it happened and how it reads."""

    __slots__ = ()
    #: The side's attribute giving when it started, and when a change shows (its end).
    _START = "offset_ms"
    _END = "offset_ms"

    index: int
    a: Any
    b: Any
    changes: tuple[str, ...]
    state: str

    @property
    def differs(self) -> bool:
        return self.state != SAME

    @property
    def offset_ms(self) -> int | None:
        """When the row happened; for a changed row, when the change shows (the ends)."""
        sides = [s for s in (self.a, self.b) if s is not None]
        if self.state == CHANGED:
            return _earlier(*(_first_known(getattr(s, self._END), getattr(s, self._START))
                              for s in sides))
        return _earlier(*(getattr(s, self._START) for s in sides))

    def name(self) -> str:
        raise NotImplementedError

    def changed_text(self) -> str:
        """What differs, for a row in both runs that differs."""
        raise NotImplementedError

    def describe(self) -> str:
        name = self.name()
        if self.state == ONLY_A:
            return f"{name} only in A"
        if self.state == ONLY_B:
            return f"{name} only in B"
        if self.state == SAME:
            return f"{name} same"
        return f"{name}: {self.changed_text()}"


def _first_known(value: int | None, fallback: int | None) -> int | None:
    return value if value is not None else fallback


# -- value helpers ------------------------------------------------------------


def compact(value: Any) -> str:
    """Key-sorted compact JSON (strings as they are); what args and results compare on."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        try:
            return repr(value)
        except RecursionError:
            return "(nested too deep)"


def _cut(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else f"{text[:_TEXT_LIMIT]}…({len(text)})"


def content_text(content: Any) -> str:
    """A message's content as text: strings as they are, blocks by their text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif isinstance(block, dict) and isinstance(block.get("content"), str):
                parts.append(block["content"])
            else:
                parts.append(compact(block))
        return "\n".join(parts)
    return compact(content)


def _call_shape(call: Any) -> dict[str, Any]:
    """A requested tool call without its (per-run) id: name and arguments."""
    call = obj(call)
    fn = obj(call.get("function"))
    name = call.get("name") if call.get("name") is not None else fn.get("name")
    args: Any = None
    for key in ("arguments", "input", "args"):
        if call.get(key) is not None:
            args = call[key]
            break
    if args is None:
        args = fn.get("arguments")
    return {"name": to_str(name), "arguments": args}


def calls_text(calls: Any) -> str:
    """Requested tool calls as compact JSON of (name, arguments), ids dropped."""
    if not isinstance(calls, list) or not calls:
        return ""
    return compact([_call_shape(c) for c in calls])


def _base_ms(detail: RunDetail) -> int | None:
    start = parse_ms(detail.normalized.get("started_at"))
    if start is not None:
        return start
    starts = [parse_ms(s.get("started_at")) for s in dicts(detail.normalized.get("stages"))]
    known = [s for s in starts if s is not None]
    return min(known) if known else None


def _offset(ms: int | None, base: int | None) -> int | None:
    if ms is None or base is None:
        return None
    return ms - base


# -- stages -------------------------------------------------------------------


@dataclass(slots=True)
class StageSide:
    """One run's stage, reduced to what the comparison shows and compares."""

    index: int
    node_id: str
    occurrence: int
    status: str
    outcome: str
    branch: str
    error: str
    visible_text: str
    input_tokens: int
    output_tokens: int
    duration_ms: int | None
    started_offset_ms: int | None
    finished_offset_ms: int | None
    raw: dict[str, Any] = field(repr=False)


_STAGE_FIELDS = ("status", "outcome", "branch", "error", "visible_text")


@dataclass(slots=True)
class StageDiff(DiffRow):
    """One aligned stage row: A's side, B's side, which fields differ."""

    index: int
    node_id: str
    occurrence: int
    a: StageSide | None
    b: StageSide | None
    changes: tuple[str, ...]
    state: str

    _START = "started_offset_ms"
    _END = "finished_offset_ms"

    def name(self) -> str:
        name = self.node_id or "(no node id)"
        return f"stage {name} #{self.occurrence}" if self.occurrence > 1 else f"stage {name}"

    def changed_text(self) -> str:
        parts = []
        for key in self.changes:
            if key == "visible_text":
                parts.append("visible text differs")
            else:
                parts.append(f"{key} A {getattr(self.a, key) or '-'} / B {getattr(self.b, key) or '-'}")
        return "; ".join(parts)


def _stage_error(stage: dict[str, Any]) -> str:
    error = obj(stage.get("metadata")).get("error")
    if error is not None:
        return compact(error)
    for attempt in reversed(dicts(stage.get("attempts"))):
        if attempt.get("error") is not None:
            return compact(attempt["error"])
    return ""


def stages_of(detail: RunDetail) -> list[StageSide]:
    base = _base_ms(detail)
    out = []
    keys = _occurrences(to_str(s.get("node_id")) for s in dicts(detail.normalized.get("stages")))
    for index, (stage, (node, n)) in enumerate(
        zip(dicts(detail.normalized.get("stages")), keys, strict=True)
    ):
        usage = obj(stage.get("usage"))
        out.append(
            StageSide(
                index=index,
                node_id=str(node),
                occurrence=n,
                status=to_str(stage.get("status")),
                outcome=to_str(stage.get("outcome")),
                branch=to_str(stage.get("branch")),
                error=_cut(_stage_error(stage)),
                visible_text=_cut(to_str(stage.get("visible_text"))),
                input_tokens=to_int(usage.get("input_tokens")),
                output_tokens=to_int(usage.get("output_tokens")),
                duration_ms=derive.stage_duration_ms(stage),
                started_offset_ms=_offset(parse_ms(stage.get("started_at")), base),
                finished_offset_ms=_offset(parse_ms(stage.get("finished_at")), base),
                raw=stage,
            )
        )
    return out


def _stage_diffs(a: RunDetail, b: RunDetail) -> list[StageDiff]:
    sa, sb = stages_of(a), stages_of(b)
    rows = []
    pairs = align([(s.node_id, s.occurrence) for s in sa], [(s.node_id, s.occurrence) for s in sb])
    pairs = interleave(pairs, [s.started_offset_ms for s in sa], [s.started_offset_ms for s in sb])
    for index, (i, j) in enumerate(pairs):
        left = sa[i] if i is not None else None
        right = sb[j] if j is not None else None
        side = left or right
        assert side is not None
        rows.append(StageDiff(index, side.node_id, side.occurrence, left, right,
                              *_compared(left, right, _STAGE_FIELDS)))
    return rows


# -- tool calls ---------------------------------------------------------------


@dataclass(slots=True)
class ToolCall:
    """One tool call of a run, from a recording or from agent-session events."""

    source: str  # "recording" | "session"
    tool: str
    args: str
    status: str
    result: str
    call_id: str
    offset_ms: int | None
    result_offset_ms: int | None
    duration_ms: int | None
    raw: dict[str, Any] = field(repr=False)
    #: The arguments, abbreviated for display (`path=src/app.py, line=3`); "" when unknown.
    shown_args: str = ""


@dataclass(slots=True)
class ToolDiff(DiffRow):
    """One aligned tool-call row (same source, tool and args, nth occurrence)."""

    index: int
    source: str
    tool: str
    args: str
    occurrence: int
    a: ToolCall | None
    b: ToolCall | None
    changes: tuple[str, ...]
    state: str

    _END = "result_offset_ms"

    @property
    def shown_args(self) -> str:
        """The arguments as people read them (never the recording's hash)."""
        for side in (self.a, self.b):
            if side is not None and side.shown_args:
                return side.shown_args
        return "args not recorded" if self.source == "recording" else cut(self.args, 60)

    def name(self) -> str:
        name = f"tool {self.tool or '(unnamed)'}({self.shown_args})"
        return f"{name} #{self.occurrence}" if self.occurrence > 1 else name

    def changed_text(self) -> str:
        assert self.a is not None and self.b is not None
        parts = []
        if "status" in self.changes:
            parts.append(f"status A {self.a.status or '-'} / B {self.b.status or '-'}")
        if "result" in self.changes:
            parts.append("result differs")
        return "; ".join(parts)


ARG_VALUE_WIDTH = 28
ARGS_WIDTH = 60


def abbreviate_args(value: Any, width: int = ARGS_WIDTH) -> str:
    """Tool arguments in one short line: `path=src/app.py, content=fn main…` (JSON text such
    as OpenAI's `arguments` string is read first)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                value = json.loads(stripped)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            shown = item if isinstance(item, str) else compact(item)
            parts.append(f"{key}={cut(one_line(shown), ARG_VALUE_WIDTH)}")
        return cut(", ".join(parts), width)
    if value is None:
        return ""
    return cut(one_line(value if isinstance(value, str) else compact(value)), width)


_CALL_BLOCKS = ("tool_call", "tool_use", "function_call")


def _call_args(call: dict[str, Any]) -> Any:
    function = call.get("function")
    source = function if isinstance(function, dict) else call
    for key in ("arguments", "input", "args", "raw_input"):
        if key in source:
            return source[key]
    return None


def call_arguments(detail: RunDetail) -> dict[str, Any]:
    """Tool call id -> its arguments, wherever the run kept them: transcript blocks and
    provider `tool_calls` (run and stage transcripts), sidecar model turns, agent-session
    `tool_call` events (tool recordings keep only a hash of them)."""
    found: dict[str, Any] = {}

    def take(call: Any) -> None:
        if isinstance(call, dict):
            call_id = to_str(call.get("id") or call.get("tool_use_id") or call.get("call_id"))
            if call_id and call_id not in found:
                args = _call_args(call)
                if args is not None:
                    found[call_id] = args

    run = detail.normalized
    transcripts = [s.get("transcript") for s in dicts(run.get("stages"))] + [run.get("transcript")]
    for transcript in transcripts:
        if not isinstance(transcript, dict):
            continue
        for entry in dicts(transcript.get("messages")) + dicts(transcript.get("events")):
            for key in ("content", "blocks"):
                for block in dicts(entry.get(key)):
                    if block.get("type") in _CALL_BLOCKS:
                        take(block)
            for call in dicts(entry.get("tool_calls")):
                take(call)
    for turn in detail.model_turns:
        for call in dicts(turn.get("response_tool_calls") if isinstance(turn, dict) else None):
            take(call)
    for events in detail.agent_sessions.values():
        for event in events:
            ev = getattr(event, "event", None)
            if isinstance(ev, dict) and ev.get("type") == "tool_call":
                call_id = to_str(ev.get("tool_call_id"))
                if call_id and call_id not in found and ev.get("raw_input") is not None:
                    found[call_id] = ev.get("raw_input")
    return found


def _recordings(detail: RunDetail, base: int | None) -> list[ToolCall]:
    out = []
    recs = dicts(detail.normalized.get("tool_recordings"))
    arguments = call_arguments(detail) if recs else {}
    for rec in recs:
        at = parse_ms(rec.get("timestamp"))
        duration = to_int(rec.get("duration_ms"))
        offset = _offset(at, base)
        out.append(
            ToolCall(
                source="recording",
                tool=to_str(rec.get("tool_name")),
                args=to_str(rec.get("args_hash")),
                status="rejected" if rec.get("is_rejected") is True else "ok",
                result=_cut(compact(rec.get("result"))),
                call_id=to_str(rec.get("tool_use_id")),
                offset_ms=offset,
                result_offset_ms=offset + duration if offset is not None else None,
                duration_ms=duration,
                raw=rec,
                shown_args=abbreviate_args(arguments.get(to_str(rec.get("tool_use_id")))),
            )
        )
    return out


def _session_calls(detail: RunDetail, base: int | None) -> list[ToolCall]:
    """Tool calls from agent-session events: each `tool_call` plus its last update."""
    found: list[tuple[tuple[int, int, int], ToolCall]] = []
    for s_order, events in enumerate(detail.agent_sessions.values()):
        calls: dict[str, tuple[int, Any, dict[str, Any]]] = {}
        updates: dict[str, tuple[Any, dict[str, Any]]] = {}
        for e_order, event in enumerate(events):
            ev = getattr(event, "event", None)
            if not isinstance(ev, dict):
                continue
            kind = ev.get("type")
            call_id = to_str(ev.get("tool_call_id"))
            if not call_id:
                continue
            if kind == "tool_call" and call_id not in calls:
                calls[call_id] = (e_order, event, ev)
            elif kind == "tool_call_update":
                updates[call_id] = (event, ev)
                if call_id not in calls:
                    calls[call_id] = (e_order, event, ev)
        for call_id, (e_order, event, ev) in calls.items():
            update_event, update = updates.get(call_id, (None, {}))
            raw_input = ev.get("raw_input")
            if raw_input is None:
                raw_input = update.get("raw_input")
            error = update.get("error")
            result = compact(update.get("raw_output"))
            if error is not None:
                result = f"error: {compact(error)}" + (f"\n{result}" if result else "")
            at = getattr(event, "occurred_at_ms", None)
            done = getattr(update_event, "occurred_at_ms", None) if update_event else None
            duration = update.get("duration_ms")
            call = ToolCall(
                source="session",
                tool=to_str(ev.get("tool_name") or update.get("tool_name")),
                args=_cut(compact(raw_input)),
                status=to_str(update.get("status") or ev.get("status")),
                result=_cut(result),
                call_id=call_id,
                offset_ms=_offset(at, base),
                result_offset_ms=_offset(done, base),
                duration_ms=to_int(duration) if duration is not None else None,
                raw={"tool_call": ev, "update": update or None},
                shown_args=abbreviate_args(raw_input),
            )
            found.append(((at if at is not None else 1 << 62, s_order, e_order), call))
    found.sort(key=lambda item: item[0])
    return [call for _, call in found]


def tool_calls_of(detail: RunDetail) -> list[ToolCall]:
    """Every tool call of a run: recordings first, then session calls by time."""
    base = _base_ms(detail)
    return _recordings(detail, base) + _session_calls(detail, base)


def _tool_diffs(a: RunDetail, b: RunDetail) -> tuple[list[ToolDiff], tuple[str, ...]]:
    ta, tb = tool_calls_of(a), tool_calls_of(b)
    sources_a = {c.source for c in ta}
    sources_b = {c.source for c in tb}
    shared = sources_a & sources_b
    used = shared or (sources_a | sources_b)
    ta = [c for c in ta if c.source in used]
    tb = [c for c in tb if c.source in used]
    ka = _occurrences((c.source, c.tool, c.args) for c in ta)
    kb = _occurrences((c.source, c.tool, c.args) for c in tb)
    rows = []
    pairs = interleave(align(ka, kb), [c.offset_ms for c in ta], [c.offset_ms for c in tb])
    for index, (i, j) in enumerate(pairs):
        left = ta[i] if i is not None else None
        right = tb[j] if j is not None else None
        side = left or right
        n = ka[i][1] if i is not None else kb[j][1]  # type: ignore[index]
        assert side is not None
        rows.append(ToolDiff(index, side.source, side.tool, side.args, n, left, right,
                             *_compared(left, right, ("status", "result"))))
    return rows, tuple(sorted(used))


# -- turns --------------------------------------------------------------------


@dataclass(slots=True)
class Turn:
    """One model turn: what was added to the context, and what the model answered."""

    index: int
    where: str
    model: str
    input: str
    response: str
    tool_calls: str
    input_tokens: int | None
    output_tokens: int | None
    offset_ms: int | None
    raw: dict[str, Any] = field(repr=False)


_TURN_FIELDS = ("model", "input", "response", "tool_calls")


@dataclass(slots=True)
class TurnDiff(DiffRow):
    """One aligned turn row (turn N of A against turn N of B)."""

    index: int
    a: Turn | None
    b: Turn | None
    changes: tuple[str, ...]
    state: str

    def name(self) -> str:
        return f"turn {self.index + 1}"

    def changed_text(self) -> str:
        labels = {"model": "model", "input": "input messages", "response": "response text",
                  "tool_calls": "tool calls"}
        return ", ".join(labels[k] for k in self.changes) + " differ"


def _messages_text(messages: Iterable[Any]) -> str:
    parts = []
    for message in messages:
        message = obj(message)
        role = to_str(message.get("role")) or "?"
        body = content_text(message.get("content"))
        calls = calls_text(message.get("tool_calls"))
        parts.append(f"{role}: {body}" + (f"\n  → {calls}" if calls else ""))
    return "\n".join(parts)


def _sidecar_turns(detail: RunDetail) -> list[Turn]:
    base = _base_ms(detail)
    out = []
    for index, turn in enumerate(detail.model_turns):
        at = parse_ms(turn.get("timestamp"))
        answered_at = at + to_int(turn.get("response_ms")) if at is not None else None
        out.append(
            Turn(
                index=index,
                where=f"call {to_str(turn.get('call_id'))}",
                model=to_str(turn.get("model")),
                input=_cut(_messages_text(turn.get("messages_added") or [])),
                response=_cut(to_str(turn.get("response_text"))),
                tool_calls=calls_text(turn.get("response_tool_calls")),
                input_tokens=turn.get("input_tokens"),
                output_tokens=turn.get("output_tokens"),
                offset_ms=_offset(answered_at, base),
                raw=turn,
            )
        )
    return out


def _transcript_turns(detail: RunDetail) -> list[Turn]:
    """Assistant messages of the stage transcripts, then of the run transcript."""
    base = _base_ms(detail)
    sources: list[tuple[str, dict[str, Any], int | None]] = []
    for stage in dicts(detail.normalized.get("stages")):
        if isinstance(stage.get("transcript"), dict):
            at = parse_ms(stage.get("finished_at")) or parse_ms(stage.get("started_at"))
            sources.append((to_str(stage.get("node_id")), stage["transcript"], at))
    if isinstance(detail.normalized.get("transcript"), dict):
        sources.append(("run", detail.normalized["transcript"],
                        parse_ms(detail.normalized.get("finished_at"))))
    out: list[Turn] = []
    for where, transcript, at in sources:
        pending: list[Any] = []
        for message in dicts(transcript.get("messages")):
            if message.get("role") != "assistant":
                pending.append(message)
                continue
            out.append(
                Turn(
                    index=len(out),
                    where=where,
                    model="",
                    input=_cut(_messages_text(pending)),
                    response=_cut(content_text(message.get("content"))),
                    tool_calls=calls_text(message.get("tool_calls")),
                    input_tokens=None,
                    output_tokens=None,
                    offset_ms=_offset(at, base),
                    raw=message,
                )
            )
            pending = []
    return out


def turns_of(detail: RunDetail, source: str) -> list[Turn]:
    return _sidecar_turns(detail) if source == "sidecar" else _transcript_turns(detail)


def _turn_diffs(a: RunDetail, b: RunDetail) -> tuple[list[TurnDiff], str]:
    source = "sidecar" if a.model_turns and b.model_turns else "transcript"
    ta, tb = turns_of(a, source), turns_of(b, source)
    if not ta and not tb:
        return [], "none"
    rows = []
    for index in range(max(len(ta), len(tb))):
        left = ta[index] if index < len(ta) else None
        right = tb[index] if index < len(tb) else None
        rows.append(TurnDiff(index, left, right, *_compared(left, right, _TURN_FIELDS)))
    return rows, source


# -- usage --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delta:
    """One metric in both runs; `delta` is A minus B."""

    a: float | int | None
    b: float | int | None

    @property
    def delta(self) -> float | int | None:
        if self.a is None or self.b is None:
            return None
        return self.a - self.b

    @property
    def ratio(self) -> float | None:
        """A / B - 1 (e.g. 0.25 for +25 %), None when B is zero or unknown."""
        if self.a is None or not self.b:
            return None
        return self.a / self.b - 1


@dataclass(frozen=True, slots=True)
class UsageDelta:
    input_tokens: Delta
    output_tokens: Delta
    call_count: Delta
    total_cost: Delta
    duration_ms: Delta

    def rows(self) -> list[tuple[str, str, Delta]]:
        """(key, label, delta) for display, in a fixed order."""
        return [
            ("input_tokens", "tokens in", self.input_tokens),
            ("output_tokens", "tokens out", self.output_tokens),
            ("call_count", "LLM calls", self.call_count),
            ("total_cost", "cost (USD)", self.total_cost),
            ("duration_ms", "duration", self.duration_ms),
        ]


def _usage_delta(a: RunDetail, b: RunDetail) -> UsageDelta:
    ua, ub = derive.usage_of(a.normalized), derive.usage_of(b.normalized)
    return UsageDelta(
        input_tokens=Delta(ua["input_tokens"], ub["input_tokens"]),
        output_tokens=Delta(ua["output_tokens"], ub["output_tokens"]),
        call_count=Delta(ua["call_count"], ub["call_count"]),
        total_cost=Delta(to_float(ua["total_cost"]), to_float(ub["total_cost"])),
        duration_ms=Delta(derive.run_duration_ms(a.normalized), derive.run_duration_ms(b.normalized)),
    )


# -- the comparison -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Divergence:
    """Where two runs first differ: `kind` ("stage" | "tool" | "turn") and row `index`."""

    kind: str
    index: int
    description: str
    offset_ms: int | None = None


@dataclass
class Comparison:
    """Everything the compare screen shows; rows include unchanged ones (`state == SAME`)."""

    stage_diffs: list[StageDiff]
    tool_diffs: list[ToolDiff]
    usage_delta: UsageDelta
    turn_diffs: list[TurnDiff]
    first_divergence: Divergence | None
    tool_sources: tuple[str, ...] = ()
    turn_source: str = "none"

    def rows(self, kind: str) -> Sequence[DiffRow]:
        return {"stage": self.stage_diffs, "tool": self.tool_diffs, "turn": self.turn_diffs}[kind]

    def changed(self, kind: str) -> int:
        """How many rows of a section differ."""
        return sum(1 for row in self.rows(kind) if row.differs)


def _first_divergence(comparison: Comparison) -> Divergence | None:
    best: tuple[tuple[bool, int, int, int], Divergence] | None = None
    for rank, kind in enumerate(KINDS):
        for row in comparison.rows(kind):
            if not row.differs:
                continue
            offset = row.offset_ms
            key = (offset is None, offset or 0, rank, row.index)
            if best is None or key < best[0]:
                best = (key, Divergence(kind, row.index, row.describe(), offset))
    return best[1] if best else None


def compare(a: RunDetail, b: RunDetail) -> Comparison:
    """Compare run `a` (current) against run `b` (baseline)."""
    tools, sources = _tool_diffs(a, b)
    turns, turn_source = _turn_diffs(a, b)
    comparison = Comparison(
        stage_diffs=_stage_diffs(a, b),
        tool_diffs=tools,
        usage_delta=_usage_delta(a, b),
        turn_diffs=turns,
        first_divergence=None,
        tool_sources=sources,
        turn_source=turn_source,
    )
    comparison.first_divergence = _first_divergence(comparison)
    return comparison
