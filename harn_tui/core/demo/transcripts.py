"""Generated conversations: stage transcripts, agent-session event streams and LLM sidecars."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.demo.common import (
    MODELS,
    PROVIDERS,
    SKILLS,
    TOOLS,
    secs_millis,
    sentence,
    text,
    uuidv7,
)


def _block(kind: str, body: str, visibility: str = "public") -> dict[str, Any]:
    return {"type": kind, "text": body, "visibility": visibility}


def message_event(rng: random.Random, ms: int, msg: dict[str, Any]) -> dict[str, Any]:
    role = msg["role"]
    content = msg["content"] if isinstance(msg["content"], str) else ""
    kind = "tool_result" if role in ("tool", "tool_result") else "message"
    vis = "internal" if kind == "tool_result" else "public"
    blocks = [_block("text", content, vis)]
    for call in msg.get("tool_calls") or []:
        blocks.append({"type": "tool_call", "name": call["name"], "visibility": "internal",
                       "id": call["id"], "arguments": call["arguments"]})
    return {"id": uuidv7(rng, ms), "kind": kind, "role": role, "visibility": vis,
            "text": content, "blocks": blocks}


def _conversation(
    rng: random.Random, task: str, n_turns: int, msg_chars: int
) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a careful engineering agent. " + text(rng, 160)},
        {"role": "user", "content": task},
    ]
    for _ in range(n_turns):
        tool, _kind = rng.choice(TOOLS)
        call_id = f"toolu_{rng.getrandbits(48):012x}"
        msgs.append({
            "role": "assistant",
            "content": text(rng, msg_chars // 2),
            "tool_calls": [{"id": call_id, "name": tool,
                            "arguments": {"path": f"src/{rng.choice(['log', 'io', 'api'])}.rs"}}],
        })
        msgs.append({"role": "tool", "tool_call_id": call_id, "name": tool,
                     "content": text(rng, msg_chars)})
    msgs.append({"role": "assistant", "content": text(rng, msg_chars // 2)})
    return msgs


def make_transcript(
    rng: random.Random,
    *,
    transcript_id: str,
    task: str,
    start_ms: int,
    end_ms: int | None = None,
    n_turns: int = 2,
    msg_chars: int = 300,
    compactions: Sequence[str] = (),
    skill: str | None = None,
    nested_snapshot: int = 1,
) -> dict[str, Any]:
    """A v2 transcript with message events, optional skill and compaction events.

    Every event's time (the UUIDv7 in its id) lies in ``[start_ms, end_ms]``, messages
    first and compactions after them, in order.
    """
    msgs = _conversation(rng, task, n_turns, msg_chars)
    n_events = len(msgs) + len(compactions)
    if end_ms is None:
        end_ms = start_ms + 1500 * n_events
    end_ms = max(end_ms, start_ms)
    times = [start_ms + (end_ms - start_ms) * (k + 1) // (n_events + 1) for k in range(n_events)]
    events: list[dict[str, Any]] = []
    assets: list[dict[str, Any]] = []
    for msg, ms in zip(msgs, times, strict=False):
        events.append(message_event(rng, ms, msg))
    if skill:
        body = f"Activated skill {skill}"
        events.insert(2, {"id": uuidv7(rng, times[min(1, len(times) - 1)]),
                          "kind": "skill_activated",
                          "role": "system", "visibility": "internal", "text": body,
                          "blocks": [_block("text", body, "internal")],
                          "metadata": {"skill_name": skill, "iteration": 1,
                                       "reason": "matched task keywords"}})
    transcript: dict[str, Any] = {"_type": "transcript", "version": 2, "id": transcript_id,
                                  "state": "active", "messages": msgs, "events": events,
                                  "assets": assets}
    for i, mode in enumerate(compactions):
        ms = times[len(msgs) + i]
        strategy = "truncate" if mode == "manual" else rng.choice(
            ["llm", "observation_mask", "hybrid"])
        archived = rng.randint(3, 24)
        before = rng.randint(20_000, 60_000)
        meta: dict[str, Any] = {
            "mode": mode, "strategy": strategy, "engine_strategy": strategy,
            "archived_messages": archived, "estimated_tokens_before": before,
            "estimated_tokens_after": before // rng.randint(3, 8), "keep_first": 1,
            "keep_last": 12, "target_tokens": 16_000, "snapshot_asset_id": None,
            "instruction_mode": "default", "instruction_source": None,
        }
        if mode == "manual":
            asset_id = f"snapshot-{uuidv7(rng, ms)}"
            meta["snapshot_asset_id"] = asset_id
            if nested_snapshot > 0:
                inner = make_transcript(
                    rng, transcript_id=transcript_id, task=task, start_ms=start_ms, end_ms=ms,
                    n_turns=1, msg_chars=120,
                    compactions=("manual",) if nested_snapshot > 1 else (),
                    nested_snapshot=nested_snapshot - 1)
            else:
                inner = {"_type": "transcript", "id": transcript_id, "messages": []}
            assets.append({"_type": "transcript_asset", "id": asset_id,
                           "kind": "compaction_source_transcript",
                           "title": "Pre-compaction transcript", "visibility": "internal",
                           "mime_type": "application/json", "data": inner,
                           "metadata": {"strategy": strategy, "archived_messages": archived}})
        body = f"Transcript compacted via {strategy}"
        events.append({"id": f"compaction-{uuidv7(rng, ms)}" if i % 2 else uuidv7(rng, ms),
                       "kind": "compaction", "role": "system", "visibility": "internal",
                       "text": body, "blocks": [_block("text", body, "internal")],
                       "metadata": meta})
        transcript["summary"] = "Earlier context: " + text(rng, 200)
    return transcript


def agent_event_payload(session_id: str, event: dict[str, Any], ms: int) -> dict[str, Any]:
    """Event-log payload wrapping one AgentEvent."""
    return {"index_hint": ms, "session_id": session_id, "event": event}


def agent_turn(
    rng: random.Random, session_id: str, iteration: int, *, new_style: bool = False,
    fail_tool: bool = False, chunks: int = 4,
) -> Iterator[tuple[dict[str, Any], int]]:
    """One agent turn as (AgentEvent, delay ms) pairs."""
    sid = session_id
    start = "iteration_start" if new_style else "turn_start"
    yield {"type": start, "session_id": sid, "iteration": iteration}, 5
    yield {"type": "agent_thought_chunk", "session_id": sid,
           "content": "Thinking about " + sentence(rng).lower()}, rng.randint(50, 400)
    words = text(rng, 40 * chunks).split(" ")
    step = max(1, len(words) // chunks)
    for k in range(0, len(words), step):
        yield {"type": "agent_message_chunk", "session_id": sid,
               "content": " ".join(words[k:k + step]) + " "}, rng.randint(20, 120)
    tool, kind = rng.choice(TOOLS)
    tc_id = f"tc_{iteration}_{rng.getrandbits(32):08x}"
    raw_in = {"path": f"src/{rng.choice(['log', 'io', 'api'])}.rs"}
    yield {"type": "tool_call", "session_id": sid, "tool_call_id": tc_id, "tool_name": tool,
           "kind": kind, "status": "pending", "raw_input": raw_in}, 10
    yield {"type": "tool_call_update", "session_id": sid, "tool_call_id": tc_id,
           "tool_name": tool, "status": "in_progress", "raw_output": None,
           "error": None}, rng.randint(20, 200)
    dur = rng.randint(15, 4000)
    if fail_tool:
        yield {"type": "tool_call_update", "session_id": sid, "tool_call_id": tc_id,
               "tool_name": tool, "status": "failed", "raw_output": None,
               "error": "permission denied: write outside workspace root",
               "duration_ms": dur, "execution_duration_ms": dur - 5,
               "error_category": "permission_denied",
               "executor": {"kind": "host_bridge"}}, dur
    else:
        yield {"type": "tool_call_update", "session_id": sid, "tool_call_id": tc_id,
               "tool_name": tool, "status": "completed", "raw_output": text(rng, 120),
               "error": None, "duration_ms": dur, "execution_duration_ms": max(1, dur - 9),
               "executor": rng.choice([{"kind": "harn_builtin"},
                                       {"kind": "mcp_server", "server_name": "github"}])}, dur
    end = "iteration_end" if new_style else "turn_end"
    yield {"type": end, "session_id": sid, "iteration": iteration,
           "turn_info": {"llm_calls": 1, "tool_calls": 1, "stop_reason": "tool_use"}}, 20


def agent_session_stream(
    rng: random.Random, session_id: str, *, worker: dict[str, Any] | None = None,
    hitl_request_id: str | None = None, turns: int = 3,
) -> list[tuple[dict[str, Any], int]]:
    """A realistic full session: turns, skills, workers, compaction, HITL, stop reason."""
    sid = session_id
    out: list[tuple[dict[str, Any], int]] = []
    out.append(({"type": "skill_activated", "session_id": sid, "skill_name": rng.choice(SKILLS),
                 "iteration": 1, "reason": "matched task keywords"}, 3))
    for it in range(1, turns + 1):
        out.extend(agent_turn(rng, sid, it, new_style=(it == turns and turns > 2),
                              fail_tool=(it == 2)))
        if it == 1 and worker:
            for ev, st in (("WorkerSpawned", "running"), ("WorkerProgressed", "progressed"),
                           ("WorkerCompleted", "completed")):
                out.append(({"type": "worker_update", "session_id": sid,
                             "worker_id": worker["id"], "worker_name": worker["name"],
                             "worker_task": worker["task"], "worker_mode": "sub_agent",
                             "event": ev, "status": st,
                             "metadata": {"child_run_path": worker["child_run_path"],
                                          "child_run_id": worker["child_run_id"]},
                             "audit": worker.get("audit")}, rng.randint(200, 2000)))
        if it == 1:
            out.append(({"type": "orchestration_decision", "session_id": sid,
                         "decision": "continue", "rationale": sentence(rng),
                         "confidence": 0.8}, 15))
    out.append(({"type": "transcript_compacted", "session_id": sid, "mode": "auto",
                 "strategy": "observation_mask", "archived_messages": 14,
                 "estimated_tokens_before": 48_210, "estimated_tokens_after": 9_870,
                 "snapshot_asset_id": None}, 40))
    if hitl_request_id:
        out.append(({"type": "hitl_requested", "session_id": sid, "request_id": hitl_request_id,
                     "kind": "question", "payload": {"prompt": "Proceed with the rollout?"}}, 10))
        out.append(({"type": "hitl_resolved", "session_id": sid, "request_id": hitl_request_id,
                     "kind": "question", "outcome": "answered"}, 15_000))
    if rng.random() < 0.5:
        out.append(({"type": "budget_exhausted", "session_id": sid, "max_iterations": turns},
                    10))
    else:
        out.append(({"type": "loop_stuck", "session_id": sid, "max_nudges": 3,
                     "last_iteration": turns, "tail_excerpt": sentence(rng)}, 10))
    return out


def sidecar_lines(
    rng: random.Random, start_ms: int, *, iterations: int = 2,
    calls: Sequence[dict[str, Any]] | None = None, task: str = "Triage the failing job",
) -> list[dict]:
    """Lines of an ``llm_transcript.jsonl`` sidecar (incl. an unknown line type).

    With ``calls`` (a run's LLM calls from ``make_run(plan_out=...)``) there is one model
    turn per call, at the call's time, with its model, tokens and duration; otherwise
    ``iterations`` made-up turns follow ``start_ms``.
    """
    ms = start_ms
    lines: list[dict[str, Any]] = []

    def add(obj: dict[str, Any], span: int | None, gap: int = 5) -> None:
        nonlocal ms
        ms += gap
        lines.append({"type": obj.pop("type"), "timestamp": secs_millis(ms), "span_id": span,
                      **obj})

    head_gap = 5
    if calls:  # the prompt goes out with the first call
        ms, head_gap = calls[0]["start_ms"], 0
    add({"type": "system_prompt", "hash": rng.getrandbits(63),
         "content": "You are a careful engineering agent. " + text(rng, 300)}, 3, gap=head_gap)
    add({"type": "tool_schemas", "hash": rng.getrandbits(63),
         "schemas": [{"name": t, "description": f"{t} tool",
                      "parameters": {"type": "object", "properties": {"path": {
                          "type": "string"}}}} for t, _ in TOOLS[:4]]}, 3, gap=head_gap)
    add({"type": "message", "iteration": 1, "role": "user", "content": task,
         "tool_calls": None, "tool_call_id": None, "name": None}, 3, gap=head_gap)
    plan: list[dict[str, Any]] = list(calls or [])
    if not plan:
        for _ in range(iterations):
            model = rng.choice(MODELS)
            inp, out = rng.randint(1000, 9000), rng.randint(100, 900)
            plan.append({"start_ms": ms + 10, "duration_ms": rng.randint(800, 9000),
                         "model": model, "provider": PROVIDERS[model], "input_tokens": inp,
                         "output_tokens": out, "cost_usd": round(inp * 3e-6 + out * 1.5e-5, 6),
                         "tool": ("read_file", 0, rng.randint(10, 400))})
            ms = plan[-1]["start_ms"] + plan[-1]["duration_ms"] + plan[-1]["tool"][2] + 20
        ms = start_ms
    for it, call in enumerate(plan, start=1):
        call_id = f"call-{it}-{rng.getrandbits(24):06x}"
        model, prov = call["model"], call["provider"]
        span = 3 + it
        ms = max(ms, call["start_ms"])
        add({"type": "routing_decision", "iteration": it, "call_id": call_id,
             "policy": "quality_first", "requested_quality": "high", "selected_provider": prov,
             "selected_model": model, "fallback_chain": ["gpt-5-mini"],
             "alternatives": [{"provider": "openai", "model": "gpt-5", "score": 0.71}]}, span,
            gap=0)
        thinking = {"mode": "adaptive", "enabled": True, "budget_tokens": 4096}
        add({"type": "provider_call_request", "iteration": it, "call_id": call_id,
             "model": model, "provider": prov, "max_tokens": 8192, "temperature": 0.2,
             "thinking": thinking, "tool_choice": "auto", "tool_format": "native",
             "native_tool_count": 4, "message_count": 1 + 2 * (it - 1),
             "structural_experiment": None, "route_policy": "quality_first",
             "fallback_chain": ["gpt-5-mini"], "routing_decision": None}, span, gap=0)
        tool = call.get("tool")
        tc = ([{"id": f"toolu_{rng.getrandbits(40):010x}", "name": tool[0],
                "arguments": {"path": "src/log.rs"}}] if tool else [])
        resp_text = text(rng, 240)
        # the response arrives when the call ends
        ms = call["start_ms"] + call["duration_ms"] - 1
        add({"type": "provider_call_response", "iteration": it, "call_id": call_id,
             "provider": prov, "model": model, "text": resp_text, "tool_calls": tc,
             "input_tokens": call["input_tokens"], "output_tokens": call["output_tokens"],
             "cost_usd": call["cost_usd"], "cache_read_tokens": 512,
             "cache_write_tokens": 0, "cache_creation_input_tokens": 0, "cache_hit_ratio": 0.12,
             "cache_savings_usd": 0.0004, "cache_hit": True,
             "thinking": "Considering the reader loop. " + sentence(rng),
             "thinking_summary": "Inspect the reader", "response_ms": call["duration_ms"],
             "structural_experiment": None}, span, gap=0)
        add({"type": "interpreted_response", "iteration": it, "call_id": call_id,
             "tool_format": "native", "prose": resp_text[:80], "tool_calls": tc,
             "tool_parse_errors": []}, span, gap=0)
        add({"type": "message", "iteration": it, "role": "assistant", "content": resp_text,
             "tool_calls": tc or None, "tool_call_id": None, "name": None}, span, gap=0)
        if tool:
            tool_end = (tool[1] + tool[2]) if tool[1] else ms + tool[2]
            ms = max(ms, tool_end - 1)
            add({"type": "message", "iteration": it, "role": "tool", "content": text(rng, 200),
                 "tool_calls": None, "tool_call_id": tc[0]["id"], "name": tool[0]}, span,
                gap=1)
    add({"type": "daemon_event", "daemon_id": "daemon-1", "name": "reviewer",
         "kind": "spawned", "persist_path": ".harn/daemons/reviewer",
         "payload_summary": "always-on reviewer"}, None, gap=1)
    add({"type": "model_route_trace", "route": "primary", "note": "unknown line type"}, None,
        gap=0)
    return lines


def write_sidecar(path: Path, lines: Sequence[dict[str, Any]], half_written: bool) -> None:
    """Write sidecar JSONL; optionally leave a half-written last line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(orjson.dumps(x) + b"\n" for x in lines)
    if half_written:
        last = orjson.dumps({"type": "message", "timestamp": lines[-1]["timestamp"],
                             "span_id": 9, "iteration": 3, "role": "assistant",
                             "content": "Partial resp"})
        data += last[: len(last) // 2]
    path.write_bytes(data)
