"""Compaction lens (issue 6.2): a run's context size over time, and what compaction removed.

`context_series` orders a run's context-size evidence along the stage timeline:

* ``stage``  – a stage's usage as prompt tokens per call (``input_tokens / call_count``),
  the context-size proxy between compactions (used when the sidecar has no calls
  for that stage);
* ``call``   – one provider call from the sidecar (``input_tokens`` of the turn):
  the exact prompt size, attributed to the stage running at that time;
* ``compaction`` – a transcript ``compaction`` event (``estimated_tokens_before`` →
  ``estimated_tokens_after``), or an agent session's ``transcript_compacted`` event
  that no transcript event already reports.

`snapshot_diff` compares a manual compaction's snapshot (the asset's ``data`` is the
pre-compaction transcript) with the transcript after it (the next compaction's snapshot
in the same transcript, else the transcript as saved), message by message (role + text).

Pure: no Textual or Rich imports.
"""

from __future__ import annotations

import bisect
import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.plural import plural
from harn_tui.core.format.schema import to_int, to_str
from harn_tui.core.format.timestamps import parse_ms

__all__ = [
    "MATCHER_LIMIT",
    "Column",
    "CompactionDiff",
    "DiffRow",
    "Msg",
    "Point",
    "align",
    "compactions",
    "content_text",
    "context_series",
    "fit_columns",
    "message_text",
    "messages_of",
    "plot_columns",
    "snapshot_diff",
]

#: Kinds of series points.
STAGE, CALL, COMPACTION = "stage", "call", "compaction"


@dataclass(frozen=True, slots=True)
class Point:
    """One sample of the run's context size, in timeline order."""

    seq: int
    kind: str
    tokens: int
    stage_index: int | None
    stage_id: str | None
    node_id: str | None
    time_ms: int | None
    label: str
    before: int | None = None
    after: int | None = None
    archived: int = 0
    mode: str = ""
    strategy: str = ""
    #: "usage" | "model_turn" | "transcript" | "agent_event"
    source: str = ""
    session_id: str | None = None
    #: Set when the compaction happened in a child worker's session (another context).
    worker: str | None = None
    #: The compaction record (transcript) or the AgentEvent; None for stage/call points.
    event: dict[str, Any] | None = field(default=None, compare=False)
    snapshot_available: bool = False
    key: str = ""


@dataclass(frozen=True, slots=True)
class Msg:
    """A message reduced to what the model reads: role and text."""

    role: str
    text: str
    index: int

    @property
    def key(self) -> str:
        return f"{self.role}\x00{self.text}"


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One aligned diff row: ``-`` archived, ``+`` added, `` `` kept."""

    op: str
    msg: Msg


@dataclass
class CompactionDiff:
    """What the model saw before a compaction against what it sees after."""

    available: bool
    reason: str | None = None
    archived: list[Msg] = field(default_factory=list)
    kept: list[Msg] = field(default_factory=list)
    added: list[Msg] = field(default_factory=list)
    rows: list[DiffRow] = field(default_factory=list)
    before_label: str = ""
    after_label: str = ""
    summary: str | None = None
    title: str = ""

    def render(self) -> str:
        """The whole diff as plain text (for a text view; never markup)."""
        out = [self.title] if self.title else []
        if not self.available:
            out.append(f"diff unavailable: {self.reason}")
            return "\n".join(out) + "\n"
        out.append(f"before: {self.before_label}")
        out.append(f"after:  {self.after_label}")
        out.append(
            f"{len(self.archived)} archived (-), {len(self.added)} added (+), "
            f"{len(self.kept)} kept"
        )
        if self.summary:
            out.append("")
            out.append("transcript summary:")
            out.extend("  " + part for part in self.summary.split("\n"))
        out.append("")
        for row in self.rows:
            lines = (row.msg.text or "(empty)").split("\n")
            out.append(f"{row.op} [{row.msg.role}] {lines[0]}")
            out.extend(f"{row.op}   {rest}" for rest in lines[1:])
        return "\n".join(out) + "\n"


# -- message text ---------------------------------------------------------------


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _block_text(block: Any) -> str:
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return _json(block)
    kind = to_str(block.get("type"))
    if kind in ("text", "output_text", "input_text"):
        return to_str(block.get("text"))
    if kind in ("reasoning", "thinking"):
        return "[reasoning] " + to_str(block.get("text") or block.get("reasoning") or block.get("thinking"))
    if kind in ("tool_call", "tool_use"):
        args = block.get("arguments", block.get("input", block.get("args")))
        return f"[tool_call {to_str(block.get('name'))}] {_json(args) if args is not None else ''}".rstrip()
    if kind == "tool_result":
        body = block.get("content", block.get("text", block.get("output")))
        return f"[tool_result {to_str(block.get('name'))}] {content_text(body)}".rstrip()
    if kind in ("image", "input_image"):
        return "[image]"
    if kind in ("file", "document", "attachment"):
        name = next(
            (to_str(block.get(k)) for k in ("name", "title", "path", "asset_id") if block.get(k)),
            "",
        )
        return f"[{kind} {name}]".replace(" ]", "]")
    if isinstance(block.get("text"), str):
        return block["text"]
    return _json(block)


def content_text(content: Any) -> str:
    """A message `content` (string or list of blocks) as plain text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(t for t in (_block_text(b) for b in content) if t)
    return _block_text(content)


def message_text(message: Any) -> str:
    """A message's text: its content, then its tool calls (ids left out: they do not matter)."""
    if not isinstance(message, dict):
        return content_text(message)
    parts = [content_text(message.get("content"))]
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            call = obj(call)
            fn = obj(call.get("function"))
            name = to_str(call.get("name") or fn.get("name"))
            args = call.get("arguments", fn.get("arguments"))
            parts.append(f"[tool_call {name}] {_json(args) if args is not None else ''}".rstrip())
    text = "\n".join(p for p in parts if p).strip()
    name = to_str(message.get("name"))
    if name and to_str(message.get("role")) in ("tool", "tool_result"):
        text = f"({name}) {text}"
    return text


def messages_of(value: Any) -> list[Msg] | None:
    """Messages of a transcript object (or a bare message list); None if it holds none."""
    if isinstance(value, dict):
        value = value.get("messages")
    if not isinstance(value, list):
        return None
    out = []
    for i, message in enumerate(value):
        role = to_str(obj(message).get("role")) or "?"
        out.append(Msg(role, message_text(message), i))
    return out


# -- transcripts of a run -------------------------------------------------------


def _run(detail: Any) -> dict[str, Any]:
    return obj(getattr(detail, "normalized", detail))


def _transcripts(run: dict[str, Any]) -> list[tuple[int | None, dict[str, Any], dict[str, Any]]]:
    """(stage index, stage, transcript) for every embedded transcript; run's last."""
    out = []
    for i, stage in enumerate(dicts(run.get("stages"))):
        if isinstance(stage.get("transcript"), dict):
            out.append((i, stage, stage["transcript"]))
    if isinstance(run.get("transcript"), dict):
        out.append((None, {}, run["transcript"]))
    return out


def _event_time(event_id: str) -> int | None:
    for candidate in (event_id, event_id.removeprefix("compaction-")):
        ms = parse_ms(candidate)
        if ms is not None:
            return ms
    return None


# -- the series -------------------------------------------------------------------


@dataclass
class _Draft:
    pos: float
    time_ms: int | None
    order: int
    point: Point


def _stage_index_at(starts: Sequence[int | None], ms: int | None) -> int | None:
    """The stage running at `ms`: the last one that started at or before it."""
    if ms is None:
        return None
    found = None
    for i, start in enumerate(starts):
        if start is not None and start <= ms:
            found = i
    return found


def _usage_per_call(stage: dict[str, Any]) -> tuple[int, int] | None:
    usage = stage.get("usage")
    if not isinstance(usage, dict):
        return None
    tokens, calls = max(to_int(usage.get("input_tokens")), 0), max(to_int(usage.get("call_count")), 0)
    if tokens <= 0:
        return None
    return tokens // max(calls, 1), calls


def _worker_sessions(run: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Child worker session id -> (worker name, parent stage id)."""
    out = {}
    for child in dicts(run.get("child_runs")):
        sid = to_str(child.get("session_id"))
        if sid:
            out[sid] = (to_str(child.get("worker_name")) or "worker",
                        to_str(child.get("parent_stage_id")) or None)
    return out


def _session_compactions(detail: Any) -> Iterable[tuple[str, int | None, dict[str, Any]]]:
    sessions = getattr(detail, "agent_sessions", None) or {}
    for sid, events in sessions.items():
        for item in events:
            event = getattr(item, "event", None)
            if isinstance(event, dict) and event.get("type") == "transcript_compacted":
                yield sid, getattr(item, "occurred_at_ms", None), event


def _all_points(detail: Any) -> list[Point]:
    run = _run(detail)
    stages = dicts(run.get("stages"))
    starts = [parse_ms(s.get("started_at")) for s in stages]
    stage_pos = {to_str(s.get("id")): i for i, s in enumerate(stages) if s.get("id")}
    transcript_owner = {
        to_str(t.get("id")): i for i, _s, t in _transcripts(run) if to_str(t.get("id"))
    }
    drafts: list[_Draft] = []

    def add(pos: float, ms: int | None, point: Point) -> None:
        drafts.append(_Draft(pos, ms, len(drafts), point))

    def stage_fields(i: int | None) -> dict[str, Any]:
        if i is None:
            return {"stage_index": None, "stage_id": None, "node_id": None}
        stage = stages[i]
        return {
            "stage_index": i,
            "stage_id": to_str(stage.get("id")) or None,
            "node_id": to_str(stage.get("node_id")) or None,
        }

    # provider calls from the sidecar, attributed to the stage running at the time
    calls_by_stage: dict[int | None, int] = {}
    for turn in getattr(detail, "model_turns", None) or []:
        tokens = turn.get("input_tokens") if isinstance(turn, dict) else None
        if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
            continue
        ms = parse_ms(turn.get("timestamp"))
        i = _stage_index_at(starts, ms)
        calls_by_stage[i] = calls_by_stage.get(i, 0) + 1
        fields = stage_fields(i)
        add(
            (i if i is not None else -1) + 0.25,
            ms,
            Point(0, CALL, tokens, time_ms=ms, source="model_turn",
                  label=f"call {to_int(turn.get('call_index'))} {to_str(turn.get('model'))}".strip(),
                  key=f"call:{to_str(turn.get('call_id'))}:{len(drafts)}", **fields),
        )
    # stage usage between compactions (when the sidecar says nothing about the stage)
    for i, stage in enumerate(stages):
        per_call = _usage_per_call(stage)
        if per_call is None or calls_by_stage.get(i):
            continue
        tokens, calls = per_call
        node = to_str(stage.get("node_id")) or f"stage {i + 1}"
        add(i, starts[i], Point(0, STAGE, tokens, time_ms=starts[i], source="usage",
                                label=f"{node} ≈{tokens:,}/call × {calls}",
                                key=f"stage:{i}", **stage_fields(i)))
    # transcript compaction events
    seen: list[tuple[int | None, int, int, int]] = []
    for n, record in enumerate(getattr(detail, "compaction_events", None) or []):
        if not isinstance(record, dict):
            continue
        i = stage_pos.get(to_str(record.get("stage_id")))
        ms = _event_time(to_str(record.get("id")))
        if i is None and record.get("stage_id") is None:
            # the run transcript: place by time among the stages, else at the end
            at = _stage_index_at(starts, ms)
            pos = (at + 0.5) if at is not None else (len(stages) + 0.5 if ms is None else -0.5)
            fields = stage_fields(None)
        else:
            pos = (i if i is not None else len(stages)) + 0.5
            fields = stage_fields(i)
            if ms is None and i is not None:
                ms = starts[i]
        before = max(to_int(record.get("estimated_tokens_before")), 0)
        after = max(to_int(record.get("estimated_tokens_after")), 0)
        archived = max(to_int(record.get("archived_messages")), 0)
        seen.append((fields["stage_index"], before, after, archived))
        add(pos, ms, Point(
            0, COMPACTION, after, time_ms=ms, before=before, after=after, archived=archived,
            mode=to_str(record.get("mode")), strategy=to_str(record.get("strategy")),
            source="transcript", label=fields["node_id"] or "run", event=record,
            snapshot_available=bool(record.get("available")),
            session_id=to_str(record.get("transcript_id")) or None,
            key=f"transcript:{n}:{to_str(record.get('id'))}", **fields,
        ))
    # agent-session compactions not already reported by a transcript event
    workers = _worker_sessions(run)
    for n, (sid, ms, event) in enumerate(_session_compactions(detail)):
        before = max(to_int(event.get("estimated_tokens_before")), 0)
        after = max(to_int(event.get("estimated_tokens_after")), 0)
        archived = max(to_int(event.get("archived_messages")), 0)
        worker = workers.get(sid)
        if worker is not None:
            i = stage_pos.get(worker[1] or "")
        else:
            i = transcript_owner.get(sid)
            if i is None:
                i = _stage_index_at(starts, ms)
        if worker is None and any(s[1:] == (before, after, archived) for s in seen):
            continue  # the same compaction, already read from a transcript
        fields = stage_fields(i)
        label = f"worker {worker[0]}" if worker else f"{fields['node_id'] or 'run'} (session)"
        add((i if i is not None else len(stages)) + 0.75, ms, Point(
            0, COMPACTION, after, time_ms=ms, before=before, after=after, archived=archived,
            mode=to_str(event.get("mode")), strategy=to_str(event.get("strategy")),
            source="agent_event", label=label, session_id=sid,
            worker=worker[0] if worker else None, event=event,
            key=f"session:{sid}:{n}", **fields,
        ))
    drafts.sort(key=lambda d: (d.pos, d.time_ms if d.time_ms is not None else 0, d.order))
    return [replace(d.point, seq=k) for k, d in enumerate(drafts)]


def context_series(detail: Any, *, include_workers: bool = False) -> list[Point]:
    """The run's context-size samples along its stage timeline.

    Compactions in child workers' sessions are another agent's context: left out
    unless `include_workers`.
    """
    points = _all_points(detail)
    if not include_workers:
        points = [p for p in points if p.worker is None]
        points = [replace(p, seq=k) for k, p in enumerate(points)]
    return points


def compactions(detail: Any) -> list[Point]:
    """Every compaction of the run (transcripts, its sessions, its workers' sessions), in order."""
    return [p for p in _all_points(detail) if p.kind == COMPACTION]


# -- plotting (geometry only; the widget draws) -----------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One plot column: `kind` is stage | call | before | after."""

    value: int
    kind: str
    stage_index: int | None
    seq: int


def plot_columns(points: Sequence[Point]) -> list[Column]:
    """One column per sample; a compaction is two: tokens before, then after."""
    out = []
    for p in points:
        if p.kind == COMPACTION:
            out.append(Column(p.before or 0, "before", p.stage_index, p.seq))
            out.append(Column(p.after or 0, "after", p.stage_index, p.seq))
        else:
            out.append(Column(p.tokens, p.kind, p.stage_index, p.seq))
    return out


def fit_columns(columns: Sequence[Column], width: int) -> list[Column]:
    """At most `width` columns: neighbours merged (max value; a compaction wins the kind)."""
    width = max(width, 1)
    if len(columns) <= width:
        return list(columns)
    rank = {"before": 3, "after": 2, "call": 1, "stage": 0}
    out = []
    for b in range(width):
        lo, hi = b * len(columns) // width, (b + 1) * len(columns) // width
        bucket = columns[lo:max(hi, lo + 1)]
        top = max(bucket, key=lambda c: (rank.get(c.kind, 0), c.value))
        out.append(replace(top, value=max(c.value for c in bucket)))
    return out


# -- the snapshot diff ------------------------------------------------------------


def _locate(run: dict[str, Any], record: dict[str, Any]) -> tuple[dict[str, Any] | None, int]:
    """The transcript owning a compaction, and the compaction event's index in it (-1: none).

    Looked up by event id, the owning stage (or the agent session id) first; then by the
    snapshot asset id in any transcript of the run.
    """
    event_id = to_str(record.get("id"))
    asset_id = to_str(record.get("snapshot_asset_id"))
    if record.get("source_kind") == "agent_event":
        sid = to_str(record.get("session_id"))
        preferred = [t for _i, _s, t in _transcripts(run) if sid and to_str(t.get("id")) == sid]
    else:
        stage_id = record.get("stage_id")
        preferred = [t for _i, s, t in _transcripts(run) if (to_str(s.get("id")) or None) == stage_id]
    ordered = preferred + [t for _i, _s, t in _transcripts(run) if t not in preferred]
    if event_id:
        for transcript in ordered:
            for k, event in enumerate(dicts(transcript.get("events"))):
                if event.get("kind") == "compaction" and to_str(event.get("id")) == event_id:
                    return transcript, k
    if asset_id:
        for transcript in ordered:
            if _asset(transcript, asset_id) is None:
                continue
            for k, event in enumerate(dicts(transcript.get("events"))):
                meta = obj(event.get("metadata"))
                if event.get("kind") == "compaction" and meta.get("snapshot_asset_id") == asset_id:
                    return transcript, k
            return transcript, -1
    return (preferred[0] if preferred else None), -1


def _asset(transcript: dict[str, Any], asset_id: str) -> dict[str, Any] | None:
    return next((a for a in dicts(transcript.get("assets")) if to_str(a.get("id")) == asset_id), None)


def _after_messages(
    transcript: dict[str, Any], index: int
) -> tuple[list[Msg] | None, str]:
    """Messages right after the compaction at `index`: the next snapshot, else as saved."""
    events = dicts(transcript.get("events"))
    for event in events[index + 1:] if index >= 0 else []:
        if event.get("kind") != "compaction":
            continue
        next_id = obj(event.get("metadata")).get("snapshot_asset_id")
        asset = _asset(transcript, next_id) if isinstance(next_id, str) else None
        msgs = messages_of(asset.get("data")) if asset is not None else None
        if msgs is not None:
            return msgs, f"snapshot {next_id} of the next compaction ({plural(len(msgs), 'message')})"
    msgs = messages_of(transcript)
    if msgs is None:
        return None, ""
    return msgs, f"transcript {to_str(transcript.get('id')) or '(no id)'} as saved ({plural(len(msgs), 'message')})"


def _record_of(event: Any) -> dict[str, Any]:
    if isinstance(event, Point):
        record = dict(event.event or {})
        if event.source == "agent_event":
            record = {
                "id": "",
                "mode": record.get("mode"),
                "strategy": record.get("strategy"),
                "snapshot_asset_id": record.get("snapshot_asset_id"),
                "source_kind": "agent_event",
                "session_id": event.session_id,
            }
        return record
    return obj(event)


def _title(record: dict[str, Any], event: Any) -> str:
    where = event.label if isinstance(event, Point) else (to_str(record.get("node_id")) or "run")
    parts = [f"compaction {to_str(record.get('id')) or '(agent event)'}", where]
    how = "/".join(x for x in (to_str(record.get("mode")), to_str(record.get("strategy"))) if x)
    if how:
        parts.append(how)
    if isinstance(event, Point) and event.before is not None:
        parts.append(f"{event.before:,} → {event.after or 0:,} tokens")
        parts.append(f"{event.archived} archived")
    return " · ".join(parts)


#: Above this many pairs (len(a) * len(b) after trimming the common ends) the middle of
#: a diff is matched greedily instead of by difflib, whose worst case is quadratic or worse.
MATCHER_LIMIT = 250_000

Opcode = tuple[str, int, int, int, int]


def _greedy(a: Sequence[str], b: Sequence[str], off_a: int, off_b: int) -> list[Opcode]:
    """Each item of `b`, in order, matched to its next occurrence in `a` (n log n)."""
    where: dict[str, list[int]] = {}
    for i, key in enumerate(a):
        where.setdefault(key, []).append(i)
    ops: list[Opcode] = []
    i = j = 0  # next unmatched positions in a and b
    for jj, key in enumerate(b):
        spots = where.get(key)
        if not spots:
            continue
        k = bisect.bisect_left(spots, i)
        if k == len(spots):
            continue
        ii = spots[k]
        if ii > i or jj > j:
            ops.append(("replace", off_a + i, off_a + ii, off_b + j, off_b + jj))
        ops.append(("equal", off_a + ii, off_a + ii + 1, off_b + jj, off_b + jj + 1))
        i, j = ii + 1, jj + 1
    if i < len(a) or j < len(b):
        ops.append(("replace", off_a + i, off_a + len(a), off_b + j, off_b + len(b)))
    return ops


def align(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """Opcodes (as difflib's `get_opcodes`) turning `a` into `b`, fast on any input.

    Common leading and trailing items are matched first; the middle goes to difflib
    when small, else to a greedy in-order matcher.
    """
    n, m = len(a), len(b)
    pre = 0
    while pre < n and pre < m and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and suf < m - pre and a[n - 1 - suf] == b[m - 1 - suf]:
        suf += 1
    ops: list[Opcode] = [("equal", 0, pre, 0, pre)] if pre else []
    mid_a, mid_b = a[pre : n - suf], b[pre : m - suf]
    if mid_a or mid_b:
        if len(mid_a) * len(mid_b) <= MATCHER_LIMIT:
            matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
            ops += [(op, a0 + pre, a1 + pre, b0 + pre, b1 + pre)
                    for op, a0, a1, b0, b1 in matcher.get_opcodes()]
        else:
            ops += _greedy(mid_a, mid_b, pre, pre)
    if suf:
        ops.append(("equal", n - suf, n, m - suf, m))
    return ops


def snapshot_diff(detail: Any, event: Any) -> CompactionDiff:
    """Diff the snapshot before a compaction against the messages after it.

    `event` is a compaction `Point` or a compaction record (`detail.compaction_events[i]`).
    When no snapshot can be read the diff is unavailable and `reason` says why.
    """
    record = _record_of(event)
    title = _title(record, event)
    asset_id = record.get("snapshot_asset_id")
    if not isinstance(asset_id, str) or not asset_id:
        mode = to_str(record.get("mode"))
        why = (
            "no snapshot recorded for this manual compaction"
            if mode == "manual"
            else f"no snapshot recorded: only manual compactions keep one (this one is {mode or 'unlabelled'})"
        )
        if record.get("source_kind"):
            why += "; reported by an agent session"
        return CompactionDiff(False, why, title=title)
    run = _run(detail)
    transcript, index = _locate(run, record)
    if transcript is None:
        return CompactionDiff(False, "the transcript that owns this compaction is not in the record",
                              title=title)
    asset = _asset(transcript, asset_id)
    if asset is None:
        return CompactionDiff(False, f"snapshot asset {asset_id} is not among the transcript's assets",
                              title=title)
    if "data" not in asset or asset.get("data") is None:
        path = to_str(obj(asset.get("storage")).get("path"))
        where = f" (stored at {path})" if path else ""
        return CompactionDiff(False, f"snapshot asset {asset_id} has no inline data{where}", title=title)
    before = messages_of(asset.get("data"))
    if before is None:
        return CompactionDiff(False, f"snapshot asset {asset_id} holds no message list", title=title)
    after, after_label = _after_messages(transcript, index)
    if after is None:
        return CompactionDiff(False, "the owning transcript has no message list", title=title)
    diff = CompactionDiff(
        True,
        before_label=f"snapshot {asset_id} ({plural(len(before), 'message')})",
        after_label=after_label,
        summary=transcript.get("summary") if isinstance(transcript.get("summary"), str) else None,
        title=title,
    )
    for op, a0, a1, b0, b1 in align([m.key for m in before], [m.key for m in after]):
        if op == "equal":
            for m in after[b0:b1]:
                diff.kept.append(m)
                diff.rows.append(DiffRow(" ", m))
            continue
        for m in before[a0:a1]:
            diff.archived.append(m)
            diff.rows.append(DiffRow("-", m))
        for m in after[b0:b1]:
            diff.added.append(m)
            diff.rows.append(DiffRow("+", m))
    return diff
