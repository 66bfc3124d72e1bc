"""Time-scrubbing replay: a run's merged timeline and the run *as of* one moment.

`merged_timeline(detail)` lists every dated thing that happened in a run, oldest
first: the run and its stages starting and finishing, child runs starting and
finishing, HITL questions asked and resolved, compactions, transcript events
(their ids are UUIDv7, so they carry the time), agent events (`occurred_at_ms`),
model calls and replies from the sidecar, tool recordings and trace spans.
Things whose time does not parse are left out.

Trace spans count milliseconds from a process-relative tracing epoch, not Unix
time; they are placed by anchoring span time 0 at the run's `started_at` (when
that parses), so their moments are approximate (labels say "span (≈ run start +…)").

`as_of(detail, ms)` returns a NEW `RunDetail` holding only what existed at `ms`
(inclusive): stages started by then (one not finished by then is "running" with
no outcome, output, usage or finished_at), child runs started by then (likewise
"running"), HITL questions asked by then (their state "pending" when the answer
came later), agent events, compactions, model calls (a reply that came later is
dropped), daemon events, tool recordings, transitions, checkpoints, artifacts and
handoffs dated up to `ms`; trace spans started by then (a span still open is cut
at `ms`). While the run had not finished, its status is "running", its
`finished_at` is null and its usage is summed from the stages finished so far.
Undated items are hidden, except transcript events and compactions inside a
transcript, which count as happening by the time their stage (or the run)
finished. The original detail is never mutated; untouched sub-objects are
shared, changed ones are copies. The result carries `asof_ms` (see `asof_ms_of`).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.schema import json_int, to_int, to_str
from harn_tui.core.format.sidecar import WAITING
from harn_tui.core.format.textsafe import cut, one_line
from harn_tui.core.format.timestamps import format_offset, parse_ms

if TYPE_CHECKING:
    from harn_tui.core.eventlog.sessions import SessionEvent
    from harn_tui.core.format.normalize import RunDetail

__all__ = [
    "MOMENT_KINDS",
    "Moment",
    "as_of",
    "asof_ms_of",
    "event_ms",
    "index_at",
    "merged_timeline",
    "span_anchor_ms",
]

#: Every `Moment.kind`, in the order used to break ties at the same millisecond.
MOMENT_KINDS = (
    "run",
    "stage",
    "child",
    "hitl",
    "transcript",
    "compaction",
    "turn",
    "tool",
    "agent",
    "span",
)

_EMBEDDED_UUID7 = re.compile(r"([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-7[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-")
_LABEL_WIDTH = 90
_RUNNING_STATUSES = frozenset({"running", "pending", "awaiting", "in_progress", ""})


@dataclass(frozen=True, slots=True)
class Moment:
    """One dated thing on the merged timeline.

    `ms` is Unix milliseconds; `kind` one of MOMENT_KINDS; `label` a one-line
    description (untrusted record text: render it with `harn_tui.text.line`);
    `ref` names the item (`stages[2]`, `child_runs[0]`, `hitl:<request id>`,
    `compaction:<id>`, `transcript:<event id>`, `turn:<call id>`,
    `session:<session id>#<event id>`, `span:<span id>`, `tool_recordings[3]`, `run`).
    """

    ms: int
    kind: str
    label: str
    ref: str


# -- times -------------------------------------------------------------------------


def event_ms(value: Any) -> int | None:
    """A timestamp or id as Unix ms: any Harn timestamp, or an id with a UUIDv7 in it
    (e.g. `compaction-0196…`)."""
    ms = parse_ms(value)
    if ms is not None or not isinstance(value, str):
        return ms
    m = _EMBEDDED_UUID7.search(value)
    return int(m.group(1) + m.group(2), 16) if m else None


def session_event_ms(event: SessionEvent) -> int | None:
    """When an agent event happened: the log's `occurred_at_ms`, else its `emitted_at_ms`."""
    occurred = json_int(event.occurred_at_ms)
    if occurred is not None:
        return occurred
    raw = event.event
    return json_int(raw.get("emitted_at_ms")) if isinstance(raw, dict) else None


def span_anchor_ms(detail: RunDetail) -> int | None:
    """Unix ms of trace-span time 0: the run's `started_at`, when it parses."""
    return parse_ms(detail.normalized.get("started_at"))


def asof_ms_of(detail: Any) -> int | None:
    """The `ms` a detail was trimmed to by `as_of` (None for a full detail)."""
    value = getattr(detail, "asof_ms", None)
    return json_int(value)


def _turn_times(turn: dict[str, Any]) -> tuple[int | None, int | None]:
    """(request ms, reply ms) of a model turn; reply None when it cannot be dated."""
    start = parse_ms(turn.get("timestamp"))
    if start is None:
        return None, None
    if not turn.get("answered"):
        return start, None
    response = json_int(turn.get("response_ms"))
    return start, (start + max(response, 0)) if response is not None else start


def _state_resolved_ms(state: Any) -> int | None:
    ms = json_int(getattr(state, "resolved_at_ms", None))
    return ms if ms is not None else parse_ms(getattr(state, "resolved_at", None))


# -- the merged timeline -------------------------------------------------------------


def _short(text: Any, width: int = _LABEL_WIDTH) -> str:
    value = one_line(text if isinstance(text, str) else to_str(text))
    return cut(value, width)


class _Builder:
    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, Moment]] = []
        self.rank = {kind: i for i, kind in enumerate(MOMENT_KINDS)}

    def add(self, ms: int | None, kind: str, label: str, ref: str) -> None:
        if ms is None:
            return
        self.items.append((ms, self.rank.get(kind, len(MOMENT_KINDS)), len(self.items),
                           Moment(ms, kind, _short(label), ref)))

    def sorted(self) -> list[Moment]:
        return [item[3] for item in sorted(self.items, key=lambda t: t[:3])]


def _transcripts(run: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for i, stage in enumerate(dicts(run.get("stages"))):
        if isinstance(stage.get("transcript"), dict):
            yield f"stages[{i}]", stage["transcript"]
    if isinstance(run.get("transcript"), dict):
        yield "run", run["transcript"]


def merged_timeline(detail: RunDetail) -> list[Moment]:
    """Every dated moment of the run, oldest first (ties: run, stage, child, hitl, …)."""
    from harn_tui.core.analysis.timeline import build_timeline

    run = detail.normalized
    out = _Builder()
    status = to_str(run.get("status")) or "finished"
    out.add(parse_ms(run.get("started_at")), "run", "run started", "run")
    out.add(parse_ms(run.get("finished_at")), "run", f"run {status}", "run")
    for i, stage in enumerate(dicts(run.get("stages"))):
        node = to_str(stage.get("node_id")) or to_str(stage.get("id")) or f"#{i + 1}"
        out.add(parse_ms(stage.get("started_at")), "stage", f"stage {node} started", f"stages[{i}]")
        done = to_str(stage.get("status")) or "finished"
        outcome = to_str(stage.get("outcome"))
        tail = f" ({outcome})" if outcome and outcome != done else ""
        out.add(parse_ms(stage.get("finished_at")), "stage", f"stage {node} {done}{tail}",
                f"stages[{i}]")
    for i, child in enumerate(dicts(run.get("child_runs"))):
        name = to_str(child.get("worker_name")) or to_str(child.get("worker_id")) or "worker"
        out.add(parse_ms(child.get("started_at")), "child", f"child run {name} started",
                f"child_runs[{i}]")
        out.add(parse_ms(child.get("finished_at")), "child",
                f"child run {name} {to_str(child.get('status')) or 'finished'}", f"child_runs[{i}]")
    from harn_tui.core.analysis.inbox import run_requests

    states = detail.hitl_states if isinstance(detail.hitl_states, dict) else {}
    for item in run_requests(dicts(run.get("hitl_questions")), to_str(run.get("id")), states):
        rid, prompt = item.request_id, item.prompt
        kind = "" if item.kind == "question" else f" {item.kind.replace('_', '-')}"
        out.add(item.asked_ms, "hitl", f"HITL{kind} asked: {prompt}", f"hitl:{rid}")
        st = states.get(rid)
        if st is not None and getattr(st, "state", "pending") != "pending":
            out.add(_state_resolved_ms(st), "hitl", f"HITL{kind} {st.state}: {prompt}", f"hitl:{rid}")
    for event in detail.compaction_events or []:
        if not isinstance(event, dict):
            continue
        where = to_str(event.get("node_id")) or "run"
        before = to_int(event.get("estimated_tokens_before"))
        after = to_int(event.get("estimated_tokens_after"))
        out.add(event_ms(event.get("id")), "compaction",
                f"compaction in {where} ({to_str(event.get('mode')) or '?'}, "
                f"{to_str(event.get('strategy')) or '?'}): {before:,} → {after:,} tokens",
                f"compaction:{to_str(event.get('id'))}")
    seen: set[str] = set()
    for owner, transcript in _transcripts(run):
        for event in dicts(transcript.get("events")):
            eid = to_str(event.get("id"))
            if event.get("kind") == "compaction" or not eid or eid in seen:
                continue  # compactions are their own moments; carried-forward events once
            seen.add(eid)
            kind = to_str(event.get("kind")) or "event"
            role = to_str(event.get("role"))
            text = to_str(event.get("text"))
            where = "run" if owner == "run" else owner
            out.add(event_ms(eid), "transcript",
                    f"{kind}{' ' + role if role else ''} ({where}): {text}", f"transcript:{eid}")
    for turn in detail.model_turns or []:
        if not isinstance(turn, dict):
            continue
        n, model = turn.get("call_index"), to_str(turn.get("model")) or "model"
        call_id = to_str(turn.get("call_id"))
        start, reply = _turn_times(turn)
        out.add(start, "turn", f"model call #{n} → {model}", f"turn:{call_id}")
        if turn.get("answered") and json_int(turn.get("response_ms")) is not None:
            out.add(reply, "turn", f"model reply #{n}: {to_str(turn.get('summary'))}",
                    f"turn:{call_id}")
    for i, rec in enumerate(dicts(run.get("tool_recordings"))):
        name = to_str(rec.get("tool_name")) or "tool"
        rejected = " (rejected)" if rec.get("is_rejected") is True else ""
        out.add(parse_ms(rec.get("timestamp")), "tool", f"tool {name}{rejected}",
                f"tool_recordings[{i}]")
    sessions = detail.agent_sessions if isinstance(detail.agent_sessions, dict) else {}
    for sid, events in sessions.items():
        if not events:
            continue
        for row in build_timeline(events):
            out.add(row.occurred_at_ms, "agent", f"{row.item.icon} {row.item.title}",
                    f"session:{sid}#{row.key}")
    anchor = span_anchor_ms(detail)
    if anchor is not None:
        for span in dicts(run.get("trace_spans")):
            start_ms = to_int(span.get("start_ms"))
            kind = to_str(span.get("kind")) or "span"
            out.add(anchor + max(start_ms, 0), "span",
                    f"span (≈ run start {format_offset(start_ms)}) {kind} {to_str(span.get('name'))}",
                    f"span:{to_str(span.get('span_id'))}")
    return out.sorted()


def index_at(moments: list[Moment], ms: int) -> int | None:
    """Index of the last moment at or before `ms` (None when `ms` precedes them all)."""
    lo, hi = 0, len(moments)
    while lo < hi:
        mid = (lo + hi) // 2
        if moments[mid].ms <= ms:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1 if lo else None


# -- the run as of a moment ----------------------------------------------------------


def _done_by(end: int | None, ms: int) -> bool:
    return end is not None and end <= ms


def _trim_transcript(transcript: dict[str, Any], ms: int, container_done: bool) -> dict[str, Any]:
    """The transcript as it stood at `ms` (its container still running at `ms`)."""
    if container_done:
        return transcript
    events = dicts(transcript.get("events"))
    kept = [e for e in events if _done_by(event_ms(e.get("id")), ms)]
    if len(kept) == len(events) and len(events) == len(transcript.get("events") or []):
        return transcript
    out = dict(transcript)
    out["events"] = kept
    messages = transcript.get("messages")
    message_like = [e for e in events if e.get("kind") in ("message", "tool_result")]
    if isinstance(messages, list) and len(message_like) == len(messages):
        out["messages"] = messages[: sum(1 for e in kept if e.get("kind") in ("message", "tool_result"))]
    snapshots = {
        to_str(obj(e.get("metadata")).get("snapshot_asset_id"))
        for e in kept
        if e.get("kind") == "compaction"
    }
    assets = transcript.get("assets")
    if isinstance(assets, list):
        out["assets"] = [
            a for a in assets
            if not isinstance(a, dict)
            or a.get("kind") != "compaction_source_transcript"
            or to_str(a.get("id")) in snapshots
        ]
    if not any(e.get("kind") == "compaction" for e in kept):
        out.pop("summary", None)
    return out


def _running_attempts(attempts: Any, ms: int) -> list[Any]:
    out: list[Any] = []
    for attempt in dicts(attempts):
        if not _done_by(parse_ms(attempt.get("started_at")), ms):
            continue
        if _done_by(parse_ms(attempt.get("finished_at")), ms):
            out.append(attempt)
            continue
        out.append({**attempt, "status": "running", "outcome": "", "branch": None,
                    "error": None, "verification": None, "finished_at": None})
    return out


def _stage_as_of(stage: dict[str, Any], ms: int, run_end: int | None) -> dict[str, Any] | None:
    if not _done_by(parse_ms(stage.get("started_at")), ms):
        return None
    end = parse_ms(stage.get("finished_at"))
    if end is None and to_str(stage.get("status")) not in _RUNNING_STATUSES:
        end = run_end  # finished, but the time was not recorded: by the run's end at the latest
    if end is None or end <= ms:
        return stage
    out = dict(stage)
    out.update({
        "status": "running", "outcome": "", "branch": None, "finished_at": None,
        "visible_text": None, "private_reasoning": None, "verification": None, "usage": None,
        "artifacts": [], "produced_artifact_ids": [],
        "attempts": _running_attempts(stage.get("attempts"), ms),
    })
    meta = stage.get("metadata")
    if isinstance(meta, dict) and "error" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "error"}
    if isinstance(stage.get("transcript"), dict):
        out["transcript"] = _trim_transcript(stage["transcript"], ms, container_done=False)
    return out


def _stage_end(stage: dict[str, Any], run_end: int | None) -> int | None:
    end = parse_ms(stage.get("finished_at"))
    if end is None and to_str(stage.get("status")) not in _RUNNING_STATUSES:
        return run_end
    return end


def _child_as_of(
    child: dict[str, Any], ms: int, stage_times: dict[str, tuple[int | None, int | None]],
    run_end: int | None,
) -> dict[str, Any] | None:
    parent = stage_times.get(to_str(child.get("parent_stage_id")), (None, None))
    start = parse_ms(child.get("started_at"))
    if start is None:
        start = parent[0]
    if not _done_by(start, ms):
        return None
    end = parse_ms(child.get("finished_at"))
    if end is None and to_str(child.get("status")) not in _RUNNING_STATUSES:
        end = parent[1] if parent[1] is not None else run_end
    if end is None or end <= ms:
        return child
    return {**child, "status": "running", "finished_at": None}


def _sum_usage(usages: list[dict[str, Any]]) -> dict[str, Any]:
    models: list[str] = []
    for usage in usages:
        for model in usage.get("models") or []:
            if isinstance(model, str) and model not in models:
                models.append(model)
    return {
        "input_tokens": sum(to_int(u.get("input_tokens")) for u in usages),
        "output_tokens": sum(to_int(u.get("output_tokens")) for u in usages),
        "total_duration_ms": sum(to_int(u.get("total_duration_ms")) for u in usages),
        "call_count": sum(to_int(u.get("call_count")) for u in usages),
        "total_cost": round(sum(float(u.get("total_cost") or 0) for u in usages
                                if isinstance(u.get("total_cost"), int | float)), 10),
        "models": models,
    }


def _usage_as_of(
    all_stages: list[dict[str, Any]], stages: list[dict[str, Any]], turns: list[dict[str, Any]]
) -> dict[str, Any] | None:
    if any(isinstance(s.get("usage"), dict) for s in all_stages):
        return _sum_usage([s["usage"] for s in stages if isinstance(s.get("usage"), dict)])
    answered = [t for t in turns if t.get("answered")]
    if any(t.get("input_tokens") is not None for t in answered):
        return _sum_usage([
            {"input_tokens": t.get("input_tokens"), "output_tokens": t.get("output_tokens"),
             "call_count": 1, "total_cost": t.get("cost_usd"),
             "models": [t["model"]] if t.get("model") else []}
            for t in answered
        ])
    return None


def _turn_as_of(turn: dict[str, Any], ms: int) -> dict[str, Any] | None:
    start, reply = _turn_times(turn)
    if not _done_by(start, ms):
        return None
    if not turn.get("answered") or _done_by(reply, ms):
        return turn
    out = dict(turn)
    out.update({
        "response_tool_calls": [], "input_tokens": None, "output_tokens": None,
        "cost_usd": None, "response_ms": None, "response_text": None, "thinking": None,
        "thinking_summary": None, "answered": False, "summary": WAITING,
    })
    return out


def _spans_as_of(spans: Any, ms: int, anchor: int | None) -> list[dict[str, Any]]:
    if anchor is None:
        return []
    out: list[dict[str, Any]] = []
    for span in dicts(spans):
        start = anchor + max(to_int(span.get("start_ms")), 0)
        if start > ms:
            continue
        duration = to_int(span.get("duration_ms"))
        out.append(span if start + duration <= ms else {**span, "duration_ms": ms - start})
    return out


def _dated(items: Any, key: str, ms: int) -> list[Any]:
    return [item for item in dicts(items) if _done_by(parse_ms(item.get(key)), ms)]


def _hitl_states_as_of(states: dict[str, Any], ms: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rid, st in states.items():
        asked = parse_ms(getattr(st, "asked_at", None))
        if asked is not None and asked > ms:
            continue
        if getattr(st, "state", "pending") != "pending" and not _done_by(_state_resolved_ms(st), ms):
            if dataclasses.is_dataclass(st) and not isinstance(st, type):
                st = dataclasses.replace(st, state="pending", answer=None, resolved_at_ms=None,
                                         resolved_at=None, reviewer=None, reason=None)
            else:
                st = copy.copy(st)
                st.state, st.answer = "pending", None
        out[rid] = st
    return out


def as_of(detail: RunDetail, ms: int | None) -> RunDetail:
    """A new RunDetail showing the run as it stood at `ms` (None: a copy of the whole run)."""
    if ms is None:
        whole = copy.copy(detail)
        whole.asof_ms = None  # type: ignore[attr-defined]
        return whole
    ms = int(ms)
    src = detail.normalized
    run = dict(src)
    run_start = parse_ms(src.get("started_at"))
    run_end = parse_ms(src.get("finished_at"))

    all_stages = dicts(src.get("stages"))
    stages: list[dict[str, Any]] = []
    stage_times: dict[str, tuple[int | None, int | None]] = {}
    stage_ends: dict[str, int | None] = {}
    finished: list[dict[str, Any]] = []  # kept as recorded (done by `ms`)
    trimmed = False
    for stage in all_stages:
        sid = to_str(stage.get("id"))
        end = _stage_end(stage, run_end)
        stage_times[sid] = (parse_ms(stage.get("started_at")), end)
        stage_ends[sid] = end
        kept = _stage_as_of(stage, ms, run_end)
        if kept is not stage:
            trimmed = True
        else:
            finished.append(stage)
        if kept is not None:
            stages.append(kept)
    run["stages"] = stages

    children = []
    for child in dicts(src.get("child_runs")):
        kept = _child_as_of(child, ms, stage_times, run_end)
        if kept is not child:
            trimmed = True
        if kept is not None:
            children.append(kept)
    run["child_runs"] = children

    ended = _done_by(run_end, ms) if run_end is not None else not trimmed
    turns = [t for t in (_turn_as_of(t, ms) for t in dicts(detail.model_turns)) if t is not None]

    run["hitl_questions"] = _dated(src.get("hitl_questions"), "asked_at", ms)
    run["transitions"] = _dated(src.get("transitions"), "timestamp", ms)
    run["checkpoints"] = _dated(src.get("checkpoints"), "persisted_at", ms)
    run["tool_recordings"] = _dated(src.get("tool_recordings"), "timestamp", ms)
    run["artifacts"] = _dated(src.get("artifacts"), "created_at", ms)
    run["handoffs"] = _dated(src.get("handoffs"), "created_at", ms)
    run["trace_spans"] = _spans_as_of(src.get("trace_spans"), ms, run_start)
    if isinstance(src.get("transcript"), dict):
        run["transcript"] = _trim_transcript(src["transcript"], ms, container_done=ended)

    if not ended:
        run["status"] = "running"
        run["finished_at"] = None
        run["usage"] = _usage_as_of(all_stages, finished, turns)
        last = run["checkpoints"][-1] if run["checkpoints"] else None
        if last is not None:
            run["completed_nodes"] = list(last.get("completed_nodes") or [])
            run["pending_nodes"] = list(last.get("ready_nodes") or [])
        else:
            run["completed_nodes"] = list(dict.fromkeys(
                to_str(s.get("node_id")) for s in stages if s.get("status") == "completed"))
            run["pending_nodes"] = []

    compactions = []
    for event in detail.compaction_events or []:
        if not isinstance(event, dict):
            continue
        at = event_ms(event.get("id"))
        if at is None:
            sid = event.get("stage_id")
            at = stage_ends.get(to_str(sid)) if sid is not None else run_end
        if _done_by(at, ms):
            compactions.append(event)
    daemons = _dated(detail.daemon_events, "timestamp", ms)

    observability = run.get("observability")
    if isinstance(observability, dict):
        kept_stage_ids = {to_str(s.get("id")) for s in finished}
        kept_workers = {to_str(c.get("worker_id")): c for c in children}
        obs = dict(observability)
        obs["compaction_events"] = compactions
        obs["daemon_events"] = daemons
        obs["worker_lineage"] = [
            {**w, "status": kept_workers[to_str(w.get("worker_id"))].get("status")}
            for w in dicts(observability.get("worker_lineage"))
            if to_str(w.get("worker_id")) in kept_workers
        ]
        obs["verification_outcomes"] = [
            v for v in dicts(observability.get("verification_outcomes"))
            if to_str(v.get("stage_id")) in kept_stage_ids
        ]
        run["observability"] = obs

    sessions: dict[str, list[Any]] = {}
    for sid, events in (detail.agent_sessions or {}).items():
        kept_events = [e for e in events if _done_by(session_event_ms(e), ms)]
        if kept_events:
            sessions[sid] = kept_events

    states = detail.hitl_states if isinstance(detail.hitl_states, dict) else {}
    out = dataclasses.replace(
        detail,
        normalized=run,
        compaction_events=compactions,
        daemon_events=daemons,
        model_turns=turns,
        agent_sessions=sessions,
        hitl_states=_hitl_states_as_of(states, ms),
    )
    out.asof_ms = ms  # type: ignore[attr-defined]
    return out
