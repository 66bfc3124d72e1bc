"""What a real Harn run obeys, as checks: every generated run and event log is tested against them.

Harn (harn-vm 0.8.x, `stdlib/workflow`) writes a run's times from one clock, so:

* **times**: `finished_at >= started_at`; stages run one after another inside the run; a running
  run has no `finished_at`, a finished one (completed, failed, cancelled, paused) has one.
* **stages**: a running run has at least one stage (only its last may still run); a finished run
  has every stage finished.
* **durations** (the rule harn-tui shows, `derive.run_duration_ms`, in the header and the list
  alike: LLM time, else the trace-span extent, else the stage sum): LLM time
  (`usage.total_duration_ms`) fits inside its stage; the run's usage is the sum of its stages'
  usage (a worker runs in its parent's VM, so its calls count in the delegating stage too); so
  LLM time <= the sum of stage times <= the run's wall time, and the shown duration <= wall time.
* **spans** (`trace_spans`, `start_ms` from the run's start): a span lies inside its parent;
  every `llm_call` span lies inside one stage, and a stage's `llm_call` spans add up to its usage
  (calls and LLM time), because Harn times both around the same provider call.
* **child runs**: a worker's child run starts and ends inside the stage that delegated to it,
  and the parent's copy of the worker's status is the child's own.
* **HITL**: a question is asked while its run runs, and answered (or timed out) after it was asked.
* **transcripts**: each transcript event happens inside its stage; a stage's recorded counts
  (`trace.llm_calls`, `trace.compactions`) match its usage and its transcript's compaction events.
* **sidecar**: one model turn per LLM call of the run, with the same tokens, inside a stage.

Each check returns human-readable violations (empty when the run obeys everything).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harn_tui.core.format import derive
from harn_tui.core.format.schema import to_float, to_int, to_str
from harn_tui.core.format.timestamps import parse_ms

FINISHED_STATUSES = frozenset({"completed", "failed", "cancelled", "paused"})


def _slack(value: Any) -> int:
    """How far a stored time may be off its true ms: Unix-seconds text drops the millis."""
    text = to_str(value)
    return 1000 if text.isdigit() else 0


def _window(item: Mapping[str, Any]) -> tuple[int | None, int | None, int]:
    started, finished = item.get("started_at"), item.get("finished_at")
    return parse_ms(started), parse_ms(finished), _slack(started) + _slack(finished)


def _uuid7_ms(value: Any) -> int | None:
    text = to_str(value)
    if text.startswith("compaction-"):
        text = text[len("compaction-") :]
    return parse_ms(text) if len(text) == 36 and text[14:15] == "7" else None


def run_violations(
    run: Mapping[str, Any],
    *,
    children: Mapping[str, Mapping[str, Any]] | None = None,
    sidecar: Sequence[Mapping[str, Any]] | None = None,
) -> list[str]:
    """Every invariant a run record breaks (`children`: child records by id; `sidecar`: lines)."""
    out: list[str] = []
    rid = to_str(run.get("id"))
    status = to_str(run.get("status"))
    stages = derive.dicts(run.get("stages"))
    start, end, slack = _window(run)
    if status == "running" and run.get("finished_at") is not None:
        out.append(f"{rid}: running but has finished_at")
    if status in FINISHED_STATUSES and run.get("finished_at") is None:
        out.append(f"{rid}: {status} but no finished_at")
    if start is not None and end is not None and end < start:
        out.append(f"{rid}: finished_at {end} before started_at {start}")
    if status == "running" and not stages:
        out.append(f"{rid}: running with no stage")
    out += _stage_violations(rid, status, stages, start, end, slack)
    out += _usage_violations(rid, run, stages, start, end, slack)
    out += _span_violations(rid, run, stages, start, end)
    out += _child_violations(rid, stages, children or {})
    out += _hitl_violations(rid, run, start, end, slack)
    out += _transcript_violations(rid, run, stages)
    if sidecar is not None:
        out += sidecar_violations(run, sidecar)
    return out


def _stage_violations(
    rid: str, status: str, stages: list[dict[str, Any]], start: int | None, end: int | None,
    slack: int,
) -> list[str]:
    out = []
    prev_end: int | None = None
    for i, stage in enumerate(stages):
        sid = f"{rid}: stage {i + 1} ({to_str(stage.get('node_id'))})"
        s0, s1, s_slack = _window(stage)
        tol = slack + s_slack
        unfinished = stage.get("finished_at") is None or to_str(stage.get("status")) == "running"
        if unfinished and (status != "running" or i != len(stages) - 1):
            out.append(f"{sid}: not finished in a {status} run")
        if s0 is None:
            continue
        if s1 is not None and s1 < s0:
            out.append(f"{sid}: finishes before it starts")
        if start is not None and s0 < start - tol:
            out.append(f"{sid}: starts before the run")
        if end is not None and s1 is not None and s1 > end + tol:
            out.append(f"{sid}: ends after the run")
        if prev_end is not None and s0 < prev_end - tol:
            out.append(f"{sid}: starts before the previous stage ended")
        prev_end = s1 if s1 is not None else s0
        for a, attempt in enumerate(derive.dicts(stage.get("attempts"))):
            a0, a1, a_slack = _window(attempt)
            if a0 is None or a1 is None or s1 is None:
                continue
            if a0 < s0 - tol - a_slack or a1 > s1 + tol + a_slack or a1 < a0:
                out.append(f"{sid}: attempt {a + 1} outside its stage")
    return out


def _usage_violations(
    rid: str, run: Mapping[str, Any], stages: list[dict[str, Any]], start: int | None,
    end: int | None, slack: int,
) -> list[str]:
    out = []
    walls = []
    for i, stage in enumerate(stages):
        s0, s1, s_slack = _window(stage)
        usage = derive.obj(stage.get("usage"))
        llm_ms = to_int(usage.get("total_duration_ms"))
        if s0 is not None and s1 is not None:
            walls.append(s1 - s0)
            if llm_ms > s1 - s0 + s_slack:
                out.append(f"{rid}: stage {i + 1}: LLM time {llm_ms} ms > stage time {s1 - s0} ms")
    run_usage = derive.obj(run.get("usage"))
    if run_usage:
        stage_usage = [derive.obj(s.get("usage")) for s in stages]
        for key in ("input_tokens", "output_tokens", "call_count", "total_duration_ms"):
            total = sum(to_int(u.get(key)) for u in stage_usage)
            if to_int(run_usage.get(key)) != total:
                out.append(f"{rid}: usage.{key} {run_usage.get(key)} != stage sum {total}")
        cost = sum(to_float(u.get("total_cost")) for u in stage_usage)
        if abs(to_float(run_usage.get("total_cost")) - cost) > 1e-5:
            out.append(f"{rid}: usage.total_cost != stage sum {cost:.6f}")
        models = {m for u in stage_usage for m in (u.get("models") or [])}
        if set(run_usage.get("models") or []) != models:
            out.append(f"{rid}: usage.models != the stages' models")
    shown = derive.run_duration_ms(dict(run))
    stage_sum = sum(walls)
    llm_total = to_int(run_usage.get("total_duration_ms"))
    if llm_total > 0 and walls and len(walls) == len(stages) and llm_total > stage_sum + slack:
        out.append(f"{rid}: shown duration (LLM time) {llm_total} ms > sum of stage times {stage_sum} ms")
    if start is not None and end is not None:
        if walls and stage_sum > end - start + slack:
            out.append(f"{rid}: stage times {stage_sum} ms > run time {end - start} ms")
        if shown is not None and shown > end - start + slack:
            out.append(f"{rid}: shown duration {shown} ms > run time {end - start} ms")
    return out


def _span_violations(
    rid: str, run: Mapping[str, Any], stages: list[dict[str, Any]], start: int | None,
    end: int | None,
) -> list[str]:
    spans = derive.dicts(run.get("trace_spans"))
    if not spans:
        return []
    out = []
    if to_str(run.get("status")) == "running":
        out.append(f"{rid}: running but has trace spans (Harn writes them when the run ends)")
    by_id = {to_int(s.get("span_id")): s for s in spans}
    if len(by_id) != len(spans):
        out.append(f"{rid}: duplicate span ids")
    for span in spans:
        s0 = to_int(span.get("start_ms"))
        s1 = s0 + to_int(span.get("duration_ms"))
        parent_id = span.get("parent_id")
        if parent_id is None:
            if start is not None and end is not None and s1 > end - start + _slack(run.get("started_at")) + _slack(run.get("finished_at")):
                out.append(f"{rid}: span {span.get('span_id')} ends after the run")
            continue
        parent = by_id.get(to_int(parent_id))
        if parent is None:
            out.append(f"{rid}: span {span.get('span_id')} has no parent {parent_id}")
            continue
        p0 = to_int(parent.get("start_ms"))
        if s0 < p0 or s1 > p0 + to_int(parent.get("duration_ms")):
            out.append(f"{rid}: span {span.get('span_id')} outside its parent {parent_id}")
    if start is None:
        return out
    windows = []
    run_slack = _slack(run.get("started_at"))
    for stage in stages:
        s0, s1, tol = _window(stage)
        if s0 is not None and s1 is not None:
            windows.append((s0 - start, s1 - start, tol + run_slack, stage))
    if len(windows) != len(stages):
        return out
    llm_ms: dict[int, int] = {}
    llm_calls: dict[int, int] = {}
    for span in spans:
        if to_str(span.get("kind")) != "llm_call":
            continue
        s0 = to_int(span.get("start_ms"))
        s1 = s0 + to_int(span.get("duration_ms"))
        # the stage holding the span's middle (second-precision times may blur the edges)
        mid = (s0 + s1) / 2
        fits = [k for k, (w0, w1, tol, _st) in enumerate(windows) if w0 - tol <= s0 and s1 <= w1 + tol]
        home = min(fits, key=lambda k: 0 if windows[k][0] <= mid <= windows[k][1] else 1, default=None)
        if home is None:
            out.append(f"{rid}: llm_call span {span.get('span_id')} outside every stage")
            continue
        llm_ms[home] = llm_ms.get(home, 0) + to_int(span.get("duration_ms"))
        llm_calls[home] = llm_calls.get(home, 0) + 1
    if any(tol for _w0, _w1, tol, _st in windows):
        # second-precision stage times cannot tell neighbouring stages apart: compare totals
        want_ms = sum(to_int(derive.obj(s.get("usage")).get("total_duration_ms")) for s in stages)
        want_calls = sum(to_int(derive.obj(s.get("usage")).get("call_count")) for s in stages)
        if sum(llm_ms.values()) != want_ms or sum(llm_calls.values()) != want_calls:
            out.append(f"{rid}: llm_call spans ({sum(llm_calls.values())} calls, "
                       f"{sum(llm_ms.values())} ms) != stage usage ({want_calls}, {want_ms} ms)")
        return out
    for k, (_w0, _w1, _tol, stage) in enumerate(windows):
        usage = derive.obj(stage.get("usage"))
        if llm_ms.get(k, 0) != to_int(usage.get("total_duration_ms")):
            out.append(f"{rid}: stage {k + 1}: llm_call spans {llm_ms.get(k, 0)} ms != usage "
                       f"{to_int(usage.get('total_duration_ms'))} ms")
        if llm_calls.get(k, 0) != to_int(usage.get("call_count")):
            out.append(f"{rid}: stage {k + 1}: {llm_calls.get(k, 0)} llm_call spans != "
                       f"call_count {to_int(usage.get('call_count'))}")
    return out


def _child_violations(
    rid: str, stages: list[dict[str, Any]], children: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    out = []
    for stage in stages:
        worker = derive.obj(derive.obj(stage.get("metadata")).get("worker"))
        if not worker:
            continue
        s0, s1, tol = _window(stage)
        w0, w1, w_tol = _window(worker)
        if s0 is not None and w0 is not None and w0 < s0 - tol - w_tol:
            out.append(f"{rid}: worker {worker.get('id')} starts before its stage")
        if s1 is not None and w1 is not None and w1 > s1 + tol + w_tol:
            out.append(f"{rid}: worker {worker.get('id')} ends after its stage")
        child = children.get(to_str(worker.get("child_run_id")))
        if child is None:
            continue
        c0, c1, c_tol = _window(child)
        if s0 is not None and c0 is not None and c0 < s0 - tol - c_tol:
            out.append(f"{rid}: child run {child.get('id')} starts before the stage that delegated")
        if s1 is not None and c1 is not None and c1 > s1 + tol + c_tol:
            out.append(f"{rid}: child run {child.get('id')} ends after the stage that delegated")
        if to_str(child.get("status")) != to_str(worker.get("status")):
            out.append(f"{rid}: worker says {worker.get('status')}, child run says {child.get('status')}")
        if to_str(child.get("parent_run_id")) != rid:
            out.append(f"{rid}: child run {child.get('id')} names another parent")
    return out


def _hitl_violations(
    rid: str, run: Mapping[str, Any], start: int | None, end: int | None, slack: int
) -> list[str]:
    out = []
    for q in derive.dicts(run.get("hitl_questions")):
        asked = parse_ms(q.get("asked_at"))
        if asked is None or start is None:
            continue
        if asked < start - slack or (end is not None and asked > end + slack):
            out.append(f"{rid}: HITL {q.get('request_id')} asked outside the run")
    return out


def _compaction_count(transcript: Mapping[str, Any]) -> int:
    return sum(1 for e in derive.dicts(transcript.get("events")) if e.get("kind") == "compaction")


def _transcript_violations(rid: str, run: Mapping[str, Any], stages: list[dict[str, Any]]) -> list[str]:
    out = []
    total = _compaction_count(derive.obj(run.get("transcript")))
    for i, stage in enumerate(stages):
        transcript = derive.obj(stage.get("transcript"))
        count = _compaction_count(transcript)
        total += count
        s0, s1, tol = _window(stage)
        for event in derive.dicts(transcript.get("events")):
            at = _uuid7_ms(event.get("id"))
            if at is not None and s0 is not None and s1 is not None and not s0 - tol <= at <= s1 + tol:
                out.append(f"{rid}: stage {i + 1}: transcript event {event.get('id')} outside the stage")
        assets = {to_str(a.get("id")) for a in derive.dicts(transcript.get("assets"))}
        for event in derive.dicts(transcript.get("events")):
            snap = derive.obj(event.get("metadata")).get("snapshot_asset_id")
            if event.get("kind") == "compaction" and snap and to_str(snap) not in assets:
                out.append(f"{rid}: stage {i + 1}: compaction snapshot {snap} missing")
        for artifact in derive.dicts(stage.get("artifacts")):
            trace = derive.obj(derive.obj(artifact.get("data")).get("trace"))
            if not trace:
                continue
            if to_int(trace.get("compactions")) != count:
                out.append(f"{rid}: stage {i + 1}: trace.compactions {trace.get('compactions')} != {count} events")
            calls = to_int(derive.obj(stage.get("usage")).get("call_count"))
            if to_int(trace.get("llm_calls")) != calls:
                out.append(f"{rid}: stage {i + 1}: trace.llm_calls {trace.get('llm_calls')} != call_count {calls}")
    obs = derive.obj(run.get("observability"))
    if (obs.get("schema_version") == 4 and "compaction_events" in obs
            and len(derive.dicts(obs.get("compaction_events"))) != total):
            out.append(f"{rid}: observability lists {len(obs['compaction_events'])} compactions, transcripts hold {total}")
    return out


def sidecar_violations(run: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> list[str]:
    """The LLM transcript sidecar against its run: one turn per LLM call, inside a stage."""
    rid = to_str(run.get("id"))
    out = []
    responses = [line for line in lines if line.get("type") == "provider_call_response"]
    stages = derive.dicts(run.get("stages"))
    usage = [derive.obj(s.get("usage")) for s in stages]
    calls = sum(to_int(u.get("call_count")) for u in usage)
    if len(responses) != calls:
        out.append(f"{rid}: sidecar has {len(responses)} model turns, stages made {calls} calls")
    for key in ("input_tokens", "output_tokens"):
        got = sum(to_int(r.get(key)) for r in responses)
        want = sum(to_int(u.get(key)) for u in usage)
        if got != want:
            out.append(f"{rid}: sidecar {key} {got} != stages' {want}")
    windows = [(w[0], w[1], w[2]) for w in (_window(s) for s in stages)]
    for line in lines:
        at = parse_ms(line.get("timestamp"))
        if at is None or line.get("type") in ("daemon_event", "model_route_trace"):
            continue
        if not any(w0 is not None and w1 is not None and w0 - tol <= at <= w1 + tol
                   for w0, w1, tol in windows):
            out.append(f"{rid}: sidecar {line.get('type')} at {at} outside every stage")
            break
    return out


def event_log_violations(
    events: Iterable[tuple[str, str, Mapping[str, Any], int]],
    runs: Mapping[str, Mapping[str, Any]],
    sessions: Mapping[str, tuple[int, int]] | None = None,
) -> list[str]:
    """HITL and agent-event rows `(topic, kind, payload, occurred_at_ms)` against their runs.

    Requests come before their answers; a request happens while its run runs; an agent
    session's events are in order and inside `sessions[session_id]` (start, end) when given.
    """
    out = []
    asked: dict[str, int] = {}
    last_in_topic: dict[str, int] = {}
    for topic, kind, payload, ms in events:
        if topic.startswith("observability.agent_events."):
            if ms < last_in_topic.get(topic, ms):
                out.append(f"{topic}: event at {ms} before the previous one")
            last_in_topic[topic] = ms
            sid = to_str(payload.get("session_id"))
            window = (sessions or {}).get(sid)
            if window is not None and not window[0] <= ms <= window[1]:
                out.append(f"{topic}: {kind} at {ms} outside its session's run {window}")
            continue
        if not topic.startswith("hitl."):
            continue
        request = to_str(payload.get("request_id"))
        if kind in ("hitl.question_asked", "hitl.approval_requested",
                    "hitl.dual_control_requested", "hitl.escalation_issued"):
            asked[request] = ms
            run = runs.get(to_str(payload.get("run_id")))
            if run is not None:
                start, end, slack = _window(run)
                if start is not None and (ms < start - slack or (end is not None and ms > end + slack)):
                    out.append(f"{request}: asked at {ms}, outside its run {run.get('id')}")
            continue
        if request not in asked:
            out.append(f"{request}: {kind} without a request before it")
        elif ms < asked[request]:
            out.append(f"{request}: {kind} at {ms} before it was asked at {asked[request]}")
        for key in ("responded_at", "timed_out_at"):
            at = parse_ms(payload.get(key))
            if at is not None and request in asked and at < asked[request]:
                out.append(f"{request}: {key} before it was asked")
    return out
