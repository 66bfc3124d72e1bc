"""Deterministic generator of realistic Harn run roots, event logs and benchmarks.

Used by the tests, the ``--demo`` mode and the benchmarks.  Everything that is
written follows ``harn-run-format.md`` (harn-vm 0.8.x shapes, with the
tolerated variations of older and newer writers sprinkled in).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.format.timestamps import parse_ms

BASE_MS = int(datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC).timestamp() * 1000)
TS_FORMATS = ("uuidv7", "rfc3339", "unix", "secs_millis", "unknown")
MODELS = ("claude-sonnet-4", "gpt-5-mini", "claude-haiku-4-5", "gpt-5")
PROVIDERS = {
    "claude-sonnet-4": "anthropic",
    "claude-haiku-4-5": "anthropic",
    "gpt-5-mini": "openai",
    "gpt-5": "openai",
}
PROVENANCE_SCHEMA = "harn-eventlog-provenance-v1"
HITL_QUESTIONS = "hitl.questions"
HITL_APPROVALS = "hitl.approvals"
HITL_ESCALATIONS = "hitl.escalations"
HITL_DUAL_CONTROL = "hitl.dual_control"
ACTION_GRAPH_TOPIC = "observability.action_graph"
LLM_TRANSCRIPT_TOPIC = "agent.transcript.llm"
AGENT_EVENTS_PREFIX = "observability.agent_events."

WORKFLOWS: dict[str, list[tuple[str, str]]] = {
    "deploy": [
        ("plan", "stage"),
        ("build", "execute"),
        ("test", "verify"),
        ("approve", "condition"),
        ("canary", "subagent"),
        ("deploy", "stage"),
        ("smoke", "verify"),
        ("report", "stage"),
    ],
    "review_captain": [
        ("fetch_pr", "stage"),
        ("triage_diff", "condition"),
        ("delegate", "subagent"),
        ("review", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
    "research": [
        ("plan", "stage"),
        ("research", "stage"),
        ("delegate", "subagent"),
        ("synthesize", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
    "merge_captain": [
        ("gate", "condition"),
        ("check_ci", "stage"),
        ("merge_plan", "stage"),
        ("act", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
    "triage": [
        ("classify", "condition"),
        ("research", "stage"),
        ("act", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
}
TASKS = {
    "deploy": "Deploy api-gateway v2.14.0 to staging, run smoke tests and report",
    "review_captain": "Review PR #463: refactor event log compaction and add provenance checks",
    "research": "Collect the current state of OAuth device-flow support across our SDKs",
    "merge_captain": "Prepare a merge plan for PR #471 once CI is green and approvals are in",
    "triage": "Triage issue #1289: intermittent timeout in the sqlite event log reader",
}
ARTIFACT_KIND_BY_NODE = {
    "plan": "plan",
    "research": "summary",
    "synthesize": "summary",
    "act": "patch",
    "build": "command_result",
    "deploy": "command_result",
    "test": "test_result",
    "verify": "verification_result",
    "smoke": "verification_result",
    "review": "review_decision",
    "merge_plan": "plan",
    "report": "summary",
    "fetch_pr": "git_diff",
    "check_ci": "command_result",
    "notify": "worker_notification",
}
TOOLS = (
    ("read_file", "read"),
    ("search_code", "search"),
    ("run_command", "execute"),
    ("edit_file", "edit"),
    ("fetch_url", "fetch"),
    ("list_dir", "read"),
)
SKILLS = ("rust-debugging", "release-notes", "sqlite-tuning", "code-review")
ERRORS = (
    "provider timeout after 60000ms",
    "rate limited (429): retry after 2s",
    "tool execution failed: run_command exited with status 1",
    "schema validation failed: missing field `summary`",
)


# --------------------------------------------------------------------------- time


def uuidv7(rng: random.Random, ms: int) -> str:
    """A UUIDv7 whose first 48 bits are ``ms`` (version 7, RFC 4122 variant)."""
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= rng.getrandbits(12) << 64
    value |= 0b10 << 62
    value |= rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def decode_uuidv7_ms(text: str) -> int:
    """Unix milliseconds encoded in a UUIDv7 string."""
    return int(text[0:8] + text[9:13], 16)


def rfc3339(ms: int) -> str:
    """RFC3339 UTC text; millis only when non-zero."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms % 1000:03d}Z" if ms % 1000 else f"{base}Z"


def unix_secs(ms: int) -> str:
    """Unix seconds as a decimal string (harn's historical ``now_rfc3339``)."""
    return str(ms // 1000)


def secs_millis(ms: int) -> str:
    """``"secs.millis"`` text used by the sidecar JSONL and daemon events."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def format_ts(rng: random.Random, ms: int, ts_format: str) -> str:
    """Format ``ms`` in one of :data:`TS_FORMATS`."""
    if ts_format == "uuidv7":
        return uuidv7(rng, ms)
    if ts_format == "rfc3339":
        return rfc3339(ms)
    if ts_format == "unix":
        return unix_secs(ms)
    if ts_format == "secs_millis":
        return secs_millis(ms)
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%a %b %d %H:%M:%S %Y")


def sanitize_topic_component(value: str) -> str:
    """Harn's per-character topic sanitization."""
    return "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in value)


def agent_events_topic(session_id: str) -> str:
    """Event-log topic holding a session's agent events."""
    return AGENT_EVENTS_PREFIX + sanitize_topic_component(session_id)


# --------------------------------------------------------------------------- text

_SENTENCES = (
    "I read the failing test and the stack trace points at the reader loop.",
    "The sqlite reader pages by 256 rows and re-opens the connection on every poll.",
    "Let me check how the cursor is persisted between batches.",
    "The compaction path deletes rows with event_id <= before, so ids can start above 1.",
    "I will run the focused test suite before touching the retry policy.",
    "CI reports 3 failures in crates/harn-vm/tests/event_log.rs, all timeouts.",
    "The diff touches 4 files and adds a provenance hash check on append.",
    "Smoke tests passed against staging: 42 requests, p95 latency 180ms.",
    "The deploy manifest pins api-gateway to v2.14.0 and migrates one table.",
    "Reviewer asked for a rollback plan, which I have added to the report.",
    "No secrets or credentials appear in the changed files.",
    "The OAuth device flow is supported in the Rust and TypeScript SDKs only.",
    "Falling back to truncation because the summary model exceeded its budget.",
    "Verification failed: expected 0 failing tests, found 2.",
    "The worker finished and wrote its run record next to the parent run.",
    "Next I will summarize the findings and list open questions for the owner.",
)
_CODE = (
    "fn read_batch(&self, topic: &Topic, after: u64) -> Result<Vec<LogEvent>, LogError> {",
    "    let rows = stmt.query_map(params![topic.as_str(), after as i64, limit], decode)?;",
    "    for row in rows { events.push(row?); }",
    "test event_log::sqlite::reads_after_compaction ... FAILED",
    "error[E0308]: mismatched types: expected `u64`, found `i64`",
    "$ cargo test -p harn-vm event_log -- --nocapture",
    "   Compiling harn-vm v0.8.6 (/work/harn/crates/harn-vm)",
    "    Finished `test` profile [unoptimized + debuginfo] target(s) in 41.27s",
)
_POOL: str | None = None
_SYS_RNG = random.SystemRandom()


def _pool() -> str:
    global _POOL
    if _POOL is None:
        prng = random.Random(0xC0FFEE)
        parts: list[str] = []
        size = 0
        while size < 300_000:
            if prng.random() < 0.25:
                chunk = "\n".join(prng.choice(_CODE) for _ in range(prng.randint(2, 6))) + "\n"
            else:
                chunk = " ".join(prng.choice(_SENTENCES) for _ in range(prng.randint(2, 5)))
                chunk += "\n\n"
            parts.append(chunk)
            size += len(chunk)
        _POOL = "".join(parts)
    return _POOL


def text(rng: random.Random, n_chars: int) -> str:
    """Realistic prose/code text of about ``n_chars`` characters."""
    pool = _pool()
    n_chars = max(1, min(n_chars, len(pool) - 1))
    start = rng.randrange(0, len(pool) - n_chars)
    while start > 0 and pool[start - 1] not in " \n":
        start -= 1
    return pool[start : start + n_chars].strip() or "ok"


def _sentence(rng: random.Random) -> str:
    return rng.choice(_SENTENCES)


# --------------------------------------------------------------------------- transcripts


def _block(kind: str, body: str, visibility: str = "public") -> dict[str, Any]:
    return {"type": kind, "text": body, "visibility": visibility}


def _message_event(rng: random.Random, ms: int, msg: dict[str, Any]) -> dict[str, Any]:
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
        events.append(_message_event(rng, ms, msg))
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


# --------------------------------------------------------------------------- records


def _usage(
    rng: random.Random, model: str, calls: int, duration_ms: int
) -> dict[str, Any]:
    inp = rng.randint(800, 9000) * max(calls, 1)
    out = rng.randint(80, 1500) * max(calls, 1)
    return {"input_tokens": inp, "output_tokens": out, "total_duration_ms": duration_ms,
            "call_count": calls, "total_cost": round(inp * 3e-6 + out * 1.5e-5, 6),
            "models": [model] if calls else []}


def _sum_usage(usages: Sequence[dict[str, Any] | None]) -> dict[str, Any]:
    total: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0, "total_duration_ms": 0,
                             "call_count": 0, "total_cost": 0.0, "models": []}
    for u in usages:
        if not u:
            continue
        for key in ("input_tokens", "output_tokens", "total_duration_ms", "call_count"):
            total[key] += u[key]
        total["total_cost"] = round(total["total_cost"] + u["total_cost"], 6)
        for m in u["models"]:
            if m not in total["models"]:
                total["models"].append(m)
    return total


def _policy(side_effect: str = "workspace_write") -> dict[str, Any]:
    return {
        "tools": [t for t, _ in TOOLS],
        "capabilities": {"workspace": ["read_text", "write_text", "list"],
                         "process": ["exec"]},
        "workspace_roots": ["/work/repo"],
        "side_effect_level": side_effect,
        "recursion_limit": 4,
        "tool_arg_constraints": [{"tool": "run_command", "arg_patterns": ["cargo *", "git *"],
                                  "arg_key": "command"}],
        "tool_annotations": {
            t: {"kind": k, "side_effect_level": "read_only" if k in ("read", "search")
                else "workspace_write",
                "arg_schema": {"path_params": ["path"], "arg_aliases": {}, "required": ["path"]},
                "capabilities": {}, "emits_artifacts": False, "result_readers": [],
                "inline_result": True}
            for t, k in TOOLS[:3]
        },
    }


def _execution(workflow: str, run_id: str) -> dict[str, Any]:
    short = run_id[-8:]
    return {"cwd": "/work/repo", "source_dir": "/work/repo/workflows", "adapter": "worktree",
            "repo_path": "/work/repo", "worktree_path": f"/work/repo/.harn/worktrees/{short}",
            "branch": f"harn/{workflow}-{short}", "base_ref": "origin/main",
            "cleanup": "preserve_on_failure", "env": {"HARN_PROFILE": "ci", "RUST_LOG": "info"}}


def _stage_sequence(workflow: str, n_stages: int) -> list[tuple[str, str]]:
    nodes = WORKFLOWS.get(workflow) or WORKFLOWS["triage"]
    return [nodes[i % len(nodes)] for i in range(n_stages)]


def make_run(
    rng: random.Random,
    *,
    run_id: str,
    workflow: str,
    started_ms: int,
    n_stages: int,
    status: str,
    ts_format: str,
    sparse: bool = False,
    size_hint_kb: float | None = None,
    with_children: int = 0,
    hitl: int = 0,
    compactions: int = 0,
    unknown_keys: bool = False,
    session_ids: Sequence[str] | None = None,
    time_scale: float = 1.0,
    child_specs: Sequence[dict[str, Any]] | None = None,
    children_out: list[dict[str, Any]] | None = None,
    plan_out: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build one realistic RunRecord dict that obeys :mod:`harn_tui.core.demo.invariants`.

    Times derive from one timeline: a stage lasts as long as its LLM calls, tool calls
    (and, when it delegates, its worker's child run) take, so usage, spans, stages and the
    run's own times agree. ``time_scale`` stretches every duration (the live demo uses
    short ones). ``session_ids`` (optional) supplies, in order, the run's own agent
    session id and the child workers' session ids; missing ones are generated.
    ``child_specs`` (``workflow``, ``status``, ``n_stages``, ``unknown_keys``, ``run_id``)
    describe the children; their records (whose times lie inside the delegating stage)
    are appended to ``children_out``. ``plan_out`` receives ``end_ms``, ``stage_times``
    and ``calls`` (every LLM call: stage, start, duration, model, tokens).
    """
    if sparse:
        return _make_sparse(rng, run_id=run_id, workflow=workflow, started_ms=started_ms,
                            n_stages=n_stages, status=status, ts_format=ts_format,
                            unknown_keys=unknown_keys)
    lean = size_hint_kb is not None
    sids = list(session_ids or [])
    run_session = sids[0] if sids else f"session_{uuidv7(rng, started_ms)}"
    child_sessions = sids[1:]
    trace_id = f"trace_{uuidv7(rng, started_ms)}"
    task = TASKS.get(workflow, f"Run the {workflow} workflow")
    n_stages = max(n_stages, with_children + 1, 1)
    seq = _stage_sequence(workflow, n_stages)
    finished_run = status not in ("running",)
    failed_like = status in ("failed", "cancelled", "error")
    if status == "failed":
        seq[-1] = ("verify", "verify")
    # children go on subagent stages; convert more stages if needed
    child_slots = [i for i, (_, k) in enumerate(seq) if k == "subagent"][:with_children]
    cand = [i for i in range(1, n_stages) if i not in child_slots and i != n_stages - 1]
    while len(child_slots) < with_children and cand:
        i = cand.pop(0)
        seq[i] = (f"delegate_{len(child_slots) + 1}", "subagent")
        child_slots.append(i)
    child_slots.sort()
    main_model = rng.choice(MODELS)

    def ts(ms: int) -> str:
        return format_ts(rng, ms, ts_format)

    def dur(lo: int, hi: int) -> int:
        return max(1, int(rng.randint(lo, hi) * time_scale))

    specs = list(child_specs or [])
    all_calls: list[dict[str, Any]] = []
    stages: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    tool_recs: list[dict[str, Any]] = []
    run_messages: list[dict[str, Any]] = []
    spans.append({"span_id": 1, "parent_id": None, "kind": "pipeline", "name": workflow,
                  "start_ms": 0, "duration_ms": 0, "metadata": {"workflow_id": workflow}})
    next_span = 2
    t = started_ms + dur(100, 900)
    stage_times: list[tuple[int, int]] = []
    comp_plan: dict[int, list[str]] = {}
    llm_idx = [i for i, (_, k) in enumerate(seq) if k != "condition"]
    run_compactions: list[str] = []
    for c in range(compactions):
        mode = "manual" if c == 0 else rng.choice(["auto", "preflight"])
        if c == compactions - 1 and compactions > 1:
            run_compactions.append(mode)
        elif llm_idx:
            comp_plan.setdefault(llm_idx[c % len(llm_idx)], []).append(mode)
    prev_artifact: str | None = None
    worker_no = 0
    for i, (node, kind) in enumerate(seq):
        stage_id = f"{run_id}:{node}:{i + 1}"
        s_start = t
        is_last = i == n_stages - 1
        stage_failed = failed_like and is_last
        llm = kind != "condition"
        model = main_model if rng.random() < 0.7 else rng.choice(MODELS)
        # The stage's own timeline: LLM calls, each but the last followed by a tool call;
        # a delegating stage then waits for its worker's child run.
        n_calls = (1 if i in child_slots else rng.randint(1, 4)) if llm else 0
        calls: list[dict[str, Any]] = []
        cursor = s_start + dur(10, 120)
        for c in range(n_calls):
            inp, out = rng.randint(800, 9000), rng.randint(80, 1500)
            call: dict[str, Any] = {
                "start_ms": cursor, "duration_ms": dur(400, 9000), "model": model,
                "provider": PROVIDERS[model], "input_tokens": inp, "output_tokens": out,
                "cost_usd": round(inp * 3e-6 + out * 1.5e-5, 6), "iteration": c + 1,
                "stage_id": stage_id, "node_id": node, "tool": None}
            cursor += call["duration_ms"]
            if c < n_calls - 1:
                tool_start = cursor + dur(2, 20)
                call["tool"] = (rng.choice(TOOLS)[0], tool_start, dur(5, 1200))
                cursor = tool_start + call["tool"][2] + dur(2, 20)
            calls.append(call)
        child: dict[str, Any] | None = None
        if i in child_slots:
            spec = specs[worker_no] if worker_no < len(specs) else {}
            w_start = cursor + dur(10, 60)
            child_id = spec.get("run_id") or uuidv7(rng, w_start)
            sess = (child_sessions[worker_no] if len(child_sessions) > worker_no
                    else f"session_{uuidv7(rng, w_start + 1)}")
            child_plan: dict[str, Any] = {}
            child = make_run(
                rng, run_id=child_id, workflow=spec.get("workflow", "research"),
                started_ms=w_start, n_stages=spec.get("n_stages", 3),
                status=spec.get("status", "completed"), ts_format=ts_format,
                session_ids=[sess], unknown_keys=spec.get("unknown_keys", False),
                time_scale=time_scale, size_hint_kb=size_hint_kb, plan_out=child_plan)
            cursor = child_plan["end_ms"] + dur(10, 120)
            child["__window"] = (w_start, child_plan["end_ms"], sess)
            # Workers run in the parent's VM: their LLM calls count in the delegating stage
            # (usage, trace spans, the run's LLM transcript) as well as in the child's record.
            calls.extend(dict(c, stage_id=stage_id, node_id=node) for c in child_plan["calls"])
        if not llm:
            cursor = s_start + dur(200, 3000)
        s_end = cursor + dur(10, 120)
        stage_times.append((s_start, s_end))
        t = s_end + dur(10, 200)
        all_calls.extend(calls)
        llm_ms = sum(c["duration_ms"] for c in calls)
        usage = ({"input_tokens": sum(c["input_tokens"] for c in calls),
                  "output_tokens": sum(c["output_tokens"] for c in calls),
                  "total_duration_ms": llm_ms, "call_count": len(calls),
                  "total_cost": round(sum(c["cost_usd"] for c in calls), 6),
                  "models": list(dict.fromkeys(c["model"] for c in calls))} if llm else None)
        used = [c["tool"][0] for c in calls if c["tool"]]
        # attempts split the stage's time
        attempts: list[dict[str, Any]] = []
        n_att = 2 if stage_failed else (2 if rng.random() < 0.2 else 1)
        a_t = s_start
        for a in range(1, n_att + 1):
            a_end = s_start + (s_end - s_start) * a // n_att
            ok = not stage_failed and a == n_att
            if ok:
                attempts.append({"attempt": a, "status": "completed", "outcome": "success",
                                 "branch": "success", "error": None, "verification": None,
                                 "started_at": ts(a_t), "finished_at": ts(a_end)})
            else:
                err = ("cancelled by user" if status == "cancelled" and a == n_att
                       else rng.choice(ERRORS))
                attempts.append({"attempt": a, "status": "failed", "outcome": "error",
                                 "branch": "error", "error": err,
                                 "verification": {"ok": False} if kind == "verify" else None,
                                 "started_at": ts(a_t), "finished_at": ts(a_end)})
            a_t = a_end
        # outcome
        verification: Any = None
        if stage_failed:
            st, branch = "failed", "failed"
            if status == "cancelled":
                outcome = "cancelled"
            elif kind == "verify":
                outcome = "verification_failed"
                verification = {"ok": False, "pass": False, "checks": [
                    {"name": "cargo test", "passed": False, "failures": 2}]}
            else:
                outcome = "error"
        elif kind == "condition":
            st, outcome, branch = "completed", "success", rng.choice(["true", "true", "false"])
        elif kind == "verify":
            st, outcome, branch = "completed", "verified", "passed"
            verification = {"ok": True, "pass": True, "checks": [
                {"name": "cargo test", "passed": True, "failures": 0}]}
        elif kind == "subagent":
            st, outcome, branch = "completed", "subagent_completed", "success"
        else:
            st, outcome, branch = "completed", "success", "success"
        visible = (f"{node} failed: " + attempts[-1]["error"]) if stage_failed \
            else _sentence(rng)
        meta: dict[str, Any] = {
            "model_policy": {"provider": PROVIDERS[model], "model": model,
                             "temperature": 0.2},
            "auto_compact": bool(comp_plan.get(i)),
            "output_visibility": "public",
            "context_policy": {"max_artifacts": 8, "include_kinds": ["plan", "summary"]},
            "retry_policy": {"max_attempts": 2, "backoff_ms": 500},
            "tool_calling_mode": "native",
            "input_contract": None,
            "output_contract": {"kind": ARTIFACT_KIND_BY_NODE.get(node, "summary")},
            "selected_artifact_ids": [prev_artifact] if prev_artifact else [],
            "selected_artifact_titles": ["previous stage output"] if prev_artifact else [],
        }
        if llm:
            meta["prompt"] = f"{task}\n\nStage `{node}`: " + text(rng, 120 if lean else 600)
            meta["system_prompt"] = "You are a careful engineering agent."
            if not lean:
                meta["rendered_context"] = text(rng, 900)
        if stage_failed:
            meta["error"] = ("verification failed: 2 tests still failing"
                             if kind == "verify" else attempts[-1]["error"])
        transcript = None
        if llm:
            transcript = make_transcript(
                rng, transcript_id=uuidv7(rng, s_start), task=task, start_ms=s_start,
                end_ms=s_end, n_turns=max(1, len(used)) if not lean else 1,
                msg_chars=120 if lean else 400, compactions=comp_plan.get(i, ()),
                skill=rng.choice(SKILLS) if rng.random() < 0.3 else None)
            run_messages.extend(m for m in transcript["messages"][2:])
        # artifact, spans and tool recordings
        stage_artifacts: list[dict[str, Any]] = []
        produced: list[str] = []
        stage_span = next_span
        next_span += 1
        spans.append({"span_id": stage_span, "parent_id": 1, "kind": "fn_call",
                      "name": f"stage {node}", "start_ms": s_start - started_ms,
                      "duration_ms": s_end - s_start, "metadata": {"node_id": node}})
        if llm:
            art_id = f"artifact_{uuidv7(rng, s_end)}"
            body = text(rng, 200 if lean else 700)
            data: dict[str, Any] = {
                "trace": {"iterations": len(calls), "llm_calls": len(calls),
                          "tool_executions": len(used),
                          "tool_rejections": 0,
                          "interventions": 0,
                          "compactions": len(comp_plan.get(i, [])),
                          "native_text_tool_fallbacks": 0,
                          "native_text_tool_fallback_rejections": 0,
                          "empty_completion_retries": rng.randint(0, 1),
                          "tools_used": list(dict.fromkeys(used))},
                "tools": {"calls": used, "successful": used[: max(1, len(used) - 1)]},
            }
            if node in ("plan", "merge_plan"):
                data["task_ledger"] = {
                    "root_task": task, "rationale": _sentence(rng),
                    "deliverables": [
                        {"id": f"d{k}", "text": _sentence(rng),
                         "status": rng.choice(["done", "open", "blocked"]), "note": None}
                        for k in range(1, 4)],
                    "observations": [_sentence(rng) for _ in range(2)]}
                data["ledger_done_rejections"] = 0
            art = {"_type": "artifact", "id": art_id,
                   "kind": "worker_result" if kind == "subagent"
                   else ARTIFACT_KIND_BY_NODE.get(node, "summary"),
                   "title": f"{node} output", "text": body, "data": data, "source": "llm",
                   "created_at": unix_secs(s_end), "freshness": "fresh",
                   "priority": rng.choice([40, 60, 80]),
                   "lineage": [prev_artifact] if prev_artifact else [],
                   "relevance": round(rng.uniform(0.4, 1.0), 2),
                   "estimated_tokens": len(body) // 4, "stage": node, "metadata": {}}
            stage_artifacts.append(art)
            artifacts.append(art)
            produced.append(art_id)
            for call in calls:
                spans.append({"span_id": next_span, "parent_id": stage_span, "kind": "llm_call",
                              "name": f"{node}:llm_call",
                              "start_ms": call["start_ms"] - started_ms,
                              "duration_ms": call["duration_ms"], "metadata": {
                                  "model": call["model"], "provider": call["provider"],
                                  "input_tokens": call["input_tokens"],
                                  "output_tokens": call["output_tokens"],
                                  "cost_usd": call["cost_usd"],
                                  "cache_read_tokens": rng.randint(0, 4000),
                                  "cache_write_tokens": rng.randint(0, 800),
                                  "iteration": call["iteration"]}})
                next_span += 1
                if call["tool"] is None:
                    continue
                tool, tool_start, tool_ms = call["tool"]
                spans.append({"span_id": next_span, "parent_id": stage_span,
                              "kind": "tool_call", "name": tool,
                              "start_ms": tool_start - started_ms, "duration_ms": tool_ms,
                              "metadata": {"tool_name": tool}})
                next_span += 1
                res = text(rng, 80 if lean else 300)
                tool_recs.append({
                    "tool_name": tool, "tool_use_id": f"toolu_{rng.getrandbits(48):012x}",
                    "args_hash": f"{rng.getrandbits(64):016x}", "result": res,
                    "is_rejected": False, "duration_ms": tool_ms,
                    "iteration": call["iteration"], "timestamp": unix_secs(tool_start)})
            prev_artifact = art_id
        stage: dict[str, Any] = {
            "id": stage_id, "node_id": node, "kind": kind, "status": st, "outcome": outcome,
            "branch": branch, "started_at": ts(s_start), "finished_at": ts(s_end),
            "visible_text": visible,
            "private_reasoning": text(rng, 150) if llm and rng.random() < 0.3 else None,
            "transcript": transcript, "verification": verification, "usage": usage,
            "artifacts": stage_artifacts,
            "consumed_artifact_ids": list(meta["selected_artifact_ids"]),
            "produced_artifact_ids": produced, "attempts": attempts, "metadata": meta,
        }
        if child is not None:
            worker_no += 1
            w_start, w_end, sess = child.pop("__window")
            w_id = f"worker_{uuidv7(rng, w_start)[-12:]}"
            child_id = child["id"]
            worker = {
                "id": w_id, "name": rng.choice(["researcher", "reviewer", "fixer", "scout"]),
                "task": f"Sub-task {worker_no}: " + _sentence(rng), "status": child["status"],
                "mode": "sub_agent", "started_at": ts(w_start),
                "finished_at": ts(w_end) if child["status"] != "running" else None,
                "audit": {"session_id": sess, "parent_session_id": run_session,
                          "run_id": child_id, "worker_id": w_id, "execution_kind": "worker",
                          "mutation_scope": rng.choice(["read_only", "apply_workspace"]),
                          "approval_policy": None},
                "child_run_id": child_id, "child_run_path": f"{child_id}.json",
                "snapshot_path": f".harn/workers/{w_id}.json",
                "request": {"task": "delegated", "node_id": node}, "provenance": None,
            }
            meta["worker"] = worker
            meta["worker_id"] = w_id
            child["parent_run_id"] = run_id
            child["root_run_id"] = run_id
            child["metadata"].update({
                "parent_worker_id": w_id, "parent_stage_id": stage_id, "delegated": True,
                "parent_run_id": run_id, "root_run_id": run_id})
            child["metadata"]["mutation_session"].update(
                {"parent_session_id": run_session, "worker_id": w_id,
                 "mutation_scope": worker["audit"]["mutation_scope"]})
            if children_out is not None:
                children_out.append(child)
        if unknown_keys:
            stage["x_stage_annotations"] = {"reviewer_score": rng.randint(1, 5)}
            stage["cache_key"] = f"{rng.getrandbits(64):016x}"
        stages.append(stage)
    # run-level timestamps
    run_end = stage_times[-1][1] + dur(50, 500)
    spans[0]["duration_ms"] = run_end - started_ms
    nodes_done = [s["node_id"] for s in stages if s["status"] == "completed"]
    completed_nodes = list(dict.fromkeys(nodes_done))
    all_nodes = [n for n, _ in (WORKFLOWS.get(workflow) or [])]
    pending: list[str] = []
    if status in ("running", "paused"):
        remaining = [n for n in all_nodes if n not in completed_nodes]
        pending = remaining[:1] or ["report"]
    transitions: list[dict[str, Any]] = []
    for i in range(1, len(stages)):
        prev, cur = stages[i - 1], stages[i]
        transitions.append({
            "id": uuidv7(rng, stage_times[i][0]), "from_stage_id": prev["id"],
            "from_node_id": prev["node_id"], "to_node_id": cur["node_id"],
            "branch": prev["branch"], "timestamp": ts(stage_times[i - 1][1]),
            "consumed_artifact_ids": list(prev["produced_artifact_ids"]),
            "produced_artifact_ids": []})
    if pending:
        transitions.append({
            "id": uuidv7(rng, stage_times[-1][1]), "from_stage_id": stages[-1]["id"],
            "from_node_id": stages[-1]["node_id"], "to_node_id": pending[0],
            "branch": stages[-1]["branch"], "timestamp": ts(stage_times[-1][1]),
            "consumed_artifact_ids": [], "produced_artifact_ids": []})
    checkpoints = [{"id": uuidv7(rng, started_ms), "ready_nodes": [seq[0][0]],
                    "completed_nodes": [], "last_stage_id": None,
                    "persisted_at": ts(started_ms + 5), "reason": "start"}]
    for i, s in enumerate(stages):
        done = list(dict.fromkeys(x["node_id"] for x in stages[: i + 1]))
        ready = [stages[i + 1]["node_id"]] if i + 1 < len(stages) else list(pending)
        checkpoints.append({"id": uuidv7(rng, stage_times[i][1]), "ready_nodes": ready,
                            "completed_nodes": done, "last_stage_id": s["id"],
                            "persisted_at": ts(stage_times[i][1]),
                            "reason": "stage_complete"})
    if finished_run:
        checkpoints.append({"id": uuidv7(rng, run_end), "ready_nodes": list(pending),
                            "completed_nodes": completed_nodes,
                            "last_stage_id": stages[-1]["id"], "persisted_at": ts(run_end),
                            "reason": "finalize"})
    run_transcript = None
    if run_messages:
        last_end = stage_times[-1][1]
        run_transcript = make_transcript(rng, transcript_id=run_session, task=task,
                                         start_ms=started_ms, end_ms=stage_times[0][0],
                                         n_turns=0, msg_chars=100,
                                         compactions=run_compactions)
        extra = run_messages[-6:] if lean else run_messages[-40:]
        run_transcript["messages"].extend(extra)
        first = stage_times[0][0]
        run_transcript["events"].extend(
            _message_event(rng, first + (last_end - first) * (k + 1) // (len(extra) + 1), m)
            for k, m in enumerate(extra))
    # HITL questions already in the record
    hitl_qs = []
    for q in range(hitl):
        q_start, q_end = stage_times[min(q, len(stage_times) - 1)]
        q_ms = q_start + (q_end - q_start) // 3
        hitl_qs.append({"request_id": f"hitl_question_{uuidv7(rng, q_ms)}",
                        "prompt": rng.choice(["Which environment should I deploy to?",
                                              "Should I include the migration in this PR?",
                                              "Is it OK to restart the worker pool now?"]),
                        "agent": "planner", "trace_id": trace_id, "asked_at": rfc3339(q_ms)})
    mutation_session = {"session_id": run_session, "parent_session_id": None,
                        "run_id": run_id, "worker_id": None, "execution_kind": "workflow",
                        "mutation_scope": "apply_workspace", "approval_policy": None}
    metadata: dict[str, Any] = {
        "trace_id": trace_id, "workflow_version": f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.0",
        "max_steps": 4 * len(all_nodes or seq), "validation": {"valid": True, "warnings": []},
        "effective_policy": _policy(), "mutation_session": mutation_session,
        "root_run_id": run_id, "execution": _execution(workflow, run_id),
        "workflow_metadata": {"owner": "platform-team"}, "resumed": False,
    }
    if workflow == "deploy":
        ev_id = f"evt_{uuidv7(rng, started_ms - 500)}"
        metadata["trigger_event"] = {
            "id": ev_id, "provider": "github", "kind": "push",
            "dedupe_key": f"github:push:{rng.getrandbits(40):010x}", "trace_id": trace_id,
            "signature_status": "verified", "received_at": rfc3339(started_ms - 500)}
    usage_total = _sum_usage([s["usage"] for s in stages])
    record: dict[str, Any] = {
        "_type": "run_record", "id": run_id, "workflow_id": workflow,
        "workflow_name": workflow, "task": task, "status": status,
        "started_at": ts(started_ms), "finished_at": ts(run_end) if finished_run else None,
        "parent_run_id": None, "root_run_id": run_id, "stages": stages,
        "transitions": transitions, "checkpoints": checkpoints, "pending_nodes": pending,
        "completed_nodes": completed_nodes, "child_runs": [], "artifacts": artifacts,
        "handoffs": [], "policy": _policy(), "execution": _execution(workflow, run_id),
        "transcript": run_transcript, "usage": usage_total, "replay_fixture": None,
        "observability": None, "trace_spans": spans, "tool_recordings": tool_recs,
        "hitl_questions": sorted(hitl_qs, key=lambda q: (q["asked_at"], q["request_id"])),
        "metadata": metadata, "persisted_path": f".harn-runs/{run_id}.json",
    }
    # child runs: mix of full, partial (fill-missing merge) and absent entries
    for k, slot in enumerate(child_slots):
        w = stages[slot]["metadata"]["worker"]
        full = child_record_from_worker(stages[slot])
        if k % 3 == 0:
            entry = full
        elif k % 3 == 1:
            entry = dict(full, session_id=None, task="", run_path=None, status="",
                         finished_at=None, snapshot_path=None)
        else:
            continue
        if unknown_keys:
            entry["x_lease"] = {"holder": w["name"], "ttl_ms": 30_000}
        record["child_runs"].append(entry)
    if failed_like or status == "paused":
        _add_handoff(rng, record, run_end)
    record["replay_fixture"] = _replay_fixture(rng, record, run_end)
    if not finished_run:
        # Harn snapshots trace spans, drains tool recordings and builds the replay fixture
        # when the run finishes; a running run's file has none of them yet.
        record.update(trace_spans=[], tool_recordings=[], replay_fixture=None)
    if plan_out is not None:
        plan_out.update(end_ms=run_end, stage_times=stage_times, calls=all_calls)
    obs_roll = rng.random()
    if obs_roll < 0.6:
        record["observability"] = derive_observability(record, record["persisted_path"])
    elif obs_roll < 0.8:
        stale = derive_observability(record, record["persisted_path"])
        stale["schema_version"] = 3
        stale["action_graph_nodes"] = stale["action_graph_nodes"][:1]
        stale["action_graph_edges"] = []
        record["observability"] = stale
    else:
        del record["observability"]
    if unknown_keys:
        record["x_future_field"] = {"enabled": True, "level": rng.randint(1, 9)}
        record["persona_runtime"] = [{"persona": "deployer", "state": "idle"}]
        record["schema_hint"] = "run_record/v9"
    if size_hint_kb:
        pad_record(rng, record, int(size_hint_kb * 1024))
    return record


def child_record_from_worker(stage: dict[str, Any]) -> dict[str, Any]:
    """The RunChildRecord harn materializes from ``stage.metadata.worker``."""
    w = stage["metadata"]["worker"]
    audit = w.get("audit") or {}
    return {
        "worker_id": w["id"], "worker_name": w.get("name") or "worker",
        "parent_stage_id": stage["id"], "session_id": audit.get("session_id"),
        "parent_session_id": audit.get("parent_session_id"),
        "mutation_scope": audit.get("mutation_scope"),
        "approval_policy": audit.get("approval_policy"), "task": w.get("task", ""),
        "request": w.get("request"), "provenance": w.get("provenance"),
        "status": w.get("status") or "completed", "started_at": w.get("started_at", ""),
        "finished_at": w.get("finished_at"), "run_id": w.get("child_run_id"),
        "run_path": w.get("child_run_path"), "snapshot_path": w.get("snapshot_path"),
        "execution": None,
    }


def workers_of(record: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(stage, worker) pairs for stages carrying ``metadata.worker``."""
    out = []
    for s in record.get("stages") or []:
        w = (s.get("metadata") or {}).get("worker")
        if isinstance(w, dict) and w.get("id"):
            out.append((s, w))
    return out


def _add_handoff(rng: random.Random, record: dict[str, Any], ms: int) -> None:
    hid = f"handoff_{uuidv7(rng, ms)}"
    handoff = {
        "_type": "handoff_artifact", "id": hid, "parent_run_id": record["id"],
        "source_persona": record["workflow_id"],
        "target_persona_or_human": {"kind": "human", "id": "oncall", "label": "On-call engineer"},
        "task": record["task"], "reason": "Run needs a human decision before continuing",
        "evidence_refs": [{"artifact_id": (record["artifacts"] or [{"id": None}])[-1]["id"],
                           "kind": "artifact", "label": "last output", "path": None,
                           "uri": None}],
        "files_or_entities_touched": ["crates/harn-vm/src/event_log/sqlite.rs"],
        "open_questions": ["Is a rollback required?"], "blocked_on": ["human approval"],
        "requested_capabilities": ["process.exec"], "allowed_side_effects": ["read_only"],
        "budget_remaining": {"tokens": 12_000, "tool_calls": 8, "dollars": 1.25},
        "deadline_checkback": {"deadline": rfc3339(ms + 86_400_000),
                               "checkback_at": rfc3339(ms + 3_600_000)},
        "confidence": 0.62,
        "receipt_links": [{"kind": "run_receipt", "label": "run", "run_id": record["id"],
                           "artifact_id": None, "path": record["persisted_path"], "href": None}],
        "created_at": unix_secs(ms), "metadata": {},
    }
    record["handoffs"].append(handoff)
    record["artifacts"].append({
        "_type": "artifact", "id": f"artifact_{hid}", "kind": "handoff",
        "title": "Handoff to on-call", "text": handoff["reason"], "data": handoff,
        "source": "workflow", "created_at": unix_secs(ms), "freshness": "fresh",
        "priority": 85, "lineage": [], "relevance": None, "estimated_tokens": None,
        "stage": None, "metadata": {"handoff_id": hid}})


def _replay_fixture(rng: random.Random, record: dict[str, Any], ms: int) -> dict[str, Any]:
    return {
        "_type": "replay_fixture", "id": f"fixture_{uuidv7(rng, ms)}",
        "source_run_id": record["id"], "workflow_id": record["workflow_id"],
        "workflow_name": record.get("workflow_name"), "created_at": unix_secs(ms),
        "eval_kind": "replay", "clarifying_question": None,
        "expected_status": record["status"],
        "stage_assertions": [
            {"node_id": s["node_id"], "expected_status": s["status"],
             "expected_outcome": s["outcome"], "expected_branch": s.get("branch"),
             "required_artifact_kinds": [a["kind"] for a in s.get("artifacts") or []],
             "visible_text_contains": (s.get("visible_text") or "")[:80] or None}
            for s in record.get("stages") or []],
    }


def derive_observability(record: dict[str, Any], run_path: str | None) -> dict[str, Any]:
    """A simplified version of harn's derived ``observability`` (schema_version 4)."""
    rid = record.get("id", "")
    trace_id = (record.get("metadata") or {}).get("trace_id")
    root = f"run:{rid}"
    nodes: list[dict[str, Any]] = [{
        "id": root, "label": record.get("workflow_name") or rid, "kind": "run",
        "status": record.get("status"), "outcome": record.get("status"), "trace_id": trace_id,
        "stage_id": None, "node_id": None, "worker_id": None, "run_id": rid,
        "run_path": run_path, "metadata": {"workflow_id": record.get("workflow_id")}}]
    edges: list[dict[str, Any]] = []
    stages = record.get("stages") or []
    by_id = {s["id"]: s for s in stages}
    targets = set()
    for tr in record.get("transitions") or []:
        to = next((s["id"] for s in stages if s["node_id"] == tr["to_node_id"]
                   and s["id"] != tr.get("from_stage_id")), None)
        if to and tr.get("from_stage_id") in by_id:
            targets.add(to)
            src = by_id[tr["from_stage_id"]]
            edges.append({"from_id": f"stage:{src['id']}", "to_id": f"stage:{to}",
                          "kind": "predicate_gate" if src["kind"] == "condition"
                          else "transition", "label": tr.get("branch")})
    verif, pointers, comps, planner = [], [], [], []
    for s in stages:
        worker_id = (s.get("metadata") or {}).get("worker_id")
        nodes.append({"id": f"stage:{s['id']}", "label": s["node_id"],
                      "kind": "predicate" if s["kind"] == "condition" else "stage",
                      "status": s["status"], "outcome": s["outcome"], "trace_id": trace_id,
                      "stage_id": s["id"], "node_id": s["node_id"], "worker_id": worker_id,
                      "run_id": None, "run_path": None,
                      "metadata": {"stage_kind": s["kind"], "branch": s.get("branch"),
                                   "worker_id": worker_id}})
        if s["id"] not in targets:
            edges.append({"from_id": root, "to_id": f"stage:{s['id']}", "kind": "entry",
                          "label": None})
        v = s.get("verification")
        if s["kind"] == "verify" or v is not None:
            passed = v.get("pass") if isinstance(v, dict) else None
            verif.append({"stage_id": s["id"], "node_id": s["node_id"], "status": s["status"],
                          "passed": passed,
                          "summary": orjson.dumps(v).decode() if v is not None
                          else s.get("visible_text")})
        tr_obj = s.get("transcript")
        if tr_obj:
            loc = f"run.stages[{s['node_id']}].transcript"
            pointers.append({"id": f"stage:{s['id']}:transcript",
                             "label": f"{s['node_id']} transcript",
                             "kind": "embedded_transcript", "location": loc, "path": run_path,
                             "available": True})
            comps.extend(_compactions(tr_obj, s, loc, run_path))
        arts = [a for a in s.get("artifacts") or [] if a.get("data")]
        if arts and "trace" in arts[0]["data"]:
            d = arts[0]["data"]
            trc = d["trace"]
            planner.append({
                "stage_id": s["id"], "node_id": s["node_id"], "stage_kind": s["kind"],
                "status": s["status"], "outcome": s["outcome"],
                "iteration_count": trc.get("iterations", 0),
                "llm_call_count": trc.get("llm_calls", 0),
                "tool_execution_count": trc.get("tool_executions", 0),
                "tool_rejection_count": trc.get("tool_rejections", 0),
                "intervention_count": trc.get("interventions", 0),
                "compaction_count": trc.get("compactions", 0),
                "native_text_tool_fallback_count": 0,
                "native_text_tool_fallback_rejection_count": 0,
                "empty_completion_retry_count": trc.get("empty_completion_retries", 0),
                "tools_used": d.get("tools", {}).get("calls", []),
                "successful_tools": d.get("tools", {}).get("successful", []),
                "ledger_done_rejections": d.get("ledger_done_rejections", 0),
                "task_ledger": None, "research_facts": []})
    if record.get("transcript"):
        pointers.append({"id": "run:transcript", "label": "Run transcript",
                         "kind": "embedded_transcript", "location": "run.transcript",
                         "path": run_path, "available": True})
        comps.extend(_compactions(record["transcript"], None, "run.transcript", run_path))
    lineage = []
    for c in record.get("child_runs") or []:
        nodes.append({"id": f"worker:{c['worker_id']}", "label": c.get("worker_name"),
                      "kind": "worker", "status": c.get("status"), "outcome": c.get("status"),
                      "trace_id": trace_id, "stage_id": c.get("parent_stage_id"),
                      "node_id": None, "worker_id": c["worker_id"], "run_id": c.get("run_id"),
                      "run_path": c.get("run_path"), "metadata": {}})
        if c.get("parent_stage_id"):
            edges.append({"from_id": f"stage:{c['parent_stage_id']}",
                          "to_id": f"worker:{c['worker_id']}", "kind": "delegates",
                          "label": None})
        lineage.append({k: c.get(k) for k in (
            "worker_id", "worker_name", "parent_stage_id", "task", "status", "session_id",
            "parent_session_id", "run_id", "run_path", "snapshot_path")})
    if run_path:
        sidecar = run_path.rsplit(".", 1)[0] + "-llm/llm_transcript.jsonl"
        pointers.append({"id": "run:llm_transcript", "label": "LLM transcript sidecar",
                         "kind": "llm_jsonl", "location": "run sidecar", "path": sidecar,
                         "available": False})
    return {"schema_version": 4, "planner_rounds": planner, "research_fact_count": 0,
            "action_graph_nodes": nodes, "action_graph_edges": edges,
            "worker_lineage": lineage, "verification_outcomes": verif,
            "transcript_pointers": pointers, "compaction_events": comps, "daemon_events": []}


def _compactions(
    tr: dict[str, Any], stage: dict[str, Any] | None, prefix: str, run_path: str | None
) -> list[dict[str, Any]]:
    asset_ids = {a.get("id") for a in tr.get("assets") or []}
    out = []
    for ev in tr.get("events") or []:
        if ev.get("kind") != "compaction":
            continue
        m = ev.get("metadata") or {}
        snap = m.get("snapshot_asset_id")
        out.append({
            "id": ev["id"], "transcript_id": tr.get("id"),
            "stage_id": stage["id"] if stage else None,
            "node_id": stage["node_id"] if stage else None, "mode": m.get("mode", ""),
            "strategy": m.get("strategy", ""), "archived_messages": m.get("archived_messages", 0),
            "estimated_tokens_before": m.get("estimated_tokens_before", 0),
            "estimated_tokens_after": m.get("estimated_tokens_after", 0),
            "snapshot_asset_id": snap,
            "snapshot_location": f"{prefix}.assets[{snap}]" if snap else prefix,
            "snapshot_path": run_path, "available": bool(snap and snap in asset_ids),
            "instruction_mode": m.get("instruction_mode", ""),
            "instruction_source": m.get("instruction_source"), "compaction_policy": None})
    return out


def _make_sparse(
    rng: random.Random, *, run_id: str, workflow: str, started_ms: int, n_stages: int,
    status: str, ts_format: str, unknown_keys: bool,
) -> dict[str, Any]:
    """A record shaped like the committed persona smoke runs (most keys missing)."""
    def ts(ms: int) -> str:
        return format_ts(rng, ms, ts_format)

    stages = []
    t = started_ms
    for i in range(max(1, n_stages)):
        end = t + rng.randint(300, 3000)
        stage: dict[str, Any] = {
            "id": f"stage_{i + 1}", "node_id": "run" if i == 0 else f"run_{i + 1}",
            "kind": "stage", "status": "completed", "outcome": "success",
            "started_at": ts(t), "finished_at": ts(end),
            "visible_text": f"{workflow} produced a dry-run plan and approval request for PR #463"}
        if unknown_keys:
            stage["x_stage_annotations"] = {"fixture": True}
        stages.append(stage)
        t = end
    rec: dict[str, Any] = {
        "_type": "run_record", "id": run_id, "workflow_id": "run", "workflow_name": workflow,
        "task": "template smoke", "status": status, "started_at": ts(started_ms),
        "finished_at": ts(t) if status != "running" else None, "stages": stages,
        "completed_nodes": [s["node_id"] for s in stages], "policy": _policy("read_only"),
        "metadata": {"persona": workflow, "fixture": f"fixtures/{workflow}/event.json",
                     "dry_run": True, "approval_required": True},
        "replay_fixture": {
            "_type": "replay_fixture", "id": f"{run_id}-fixture", "source_run_id": run_id,
            "workflow_id": "run", "workflow_name": workflow, "created_at": ts(t),
            "expected_status": status,
            "stage_assertions": [{"node_id": "run", "expected_status": "completed",
                                  "expected_outcome": "success", "required_artifact_kinds": [],
                                  "visible_text_contains": "dry-run plan"}]},
    }
    rec["policy"]["tools"] = []
    rec["policy"]["capabilities"] = {}
    rec["policy"]["workspace_roots"] = []
    rec["policy"]["recursion_limit"] = None
    rec["policy"]["tool_arg_constraints"] = []
    rec["policy"]["tool_annotations"] = {}
    if unknown_keys:
        rec["x_future_field"] = {"enabled": True}
    return rec


def dumps_pretty(obj: Any) -> bytes:
    """Harn-style pretty JSON (2-space indent, trailing newline)."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n"


def pad_record(rng: random.Random, record: dict[str, Any], target_bytes: int) -> None:
    """Grow (or trim) the run transcript so the pretty JSON is about ``target_bytes``."""
    size = len(dumps_pretty(record))
    trims = [lambda s=s: s.update(transcript=None) for s in record["stages"]]
    trims.append(lambda: record.update(observability=None))
    for s in record["stages"]:
        meta = s["metadata"]
        trims.append(lambda meta=meta: [meta.pop(k, None) for k in (
            "prompt", "system_prompt", "rendered_context", "context_policy")])
    trims.append(lambda: record.update(
        tool_recordings=record["tool_recordings"][:2], trace_spans=record["trace_spans"][:3]))
    if record.get("transcript"):
        rt = record["transcript"]
        trims.append(lambda: rt.update(messages=rt["messages"][:2], events=rt["events"][:2],
                                       assets=[]))
    for a in record["artifacts"]:
        trims.append(lambda a=a: a.update(text=(a.get("text") or "")[:80], data=None))
    trims.append(lambda: record.update(checkpoints=record["checkpoints"][-1:],
                                       transitions=record["transitions"][-1:]))
    for trim in trims:  # trim heavy optional parts until under target
        if size <= target_bytes:
            break
        trim()
        size = len(dumps_pretty(record))
    if record.get("transcript") is None:
        record["transcript"] = {"_type": "transcript", "version": 2,
                                "id": f"session_{uuidv7(rng, BASE_MS)}", "messages": [],
                                "events": [], "assets": []}
    tr = record["transcript"]
    padded: list[int] = []  # indices of padding messages
    for _ in range(12):
        diff = target_bytes - size
        if abs(diff) < 256:
            break
        if diff > 0:
            while diff > 256:
                n = max(64, min(6000, (diff - 700) // 3))
                role = "tool" if len(padded) % 2 else "assistant"
                msg = {"role": role, "content": text(rng, n)}
                tr["messages"].append(msg)
                tr["events"].append(_message_event(rng, BASE_MS + len(padded), msg))
                padded.append(len(tr["messages"]) - 1)
                diff -= 3 * len(msg["content"]) + 700
        elif padded:
            idx = padded[-1]
            msg = tr["messages"][idx]
            keep = max(8, len(msg["content"]) + diff // 3 - 8)
            msg["content"] = msg["content"][:keep]
            ev = tr["events"][-1]
            ev["text"] = msg["content"]
            ev["blocks"][0]["text"] = msg["content"]
            if keep <= 8:
                tr["messages"].pop(idx)
                tr["events"].pop()
                padded.pop()
        else:
            break
        size = len(dumps_pretty(record))


# --------------------------------------------------------------------------- I/O helpers


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Harn 0.8.x atomic write: hidden ``.<name>.<uuid>.tmp``, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuidv7(_SYS_RNG, time.time_ns() // 1_000_000)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def atomic_write_json(path: Path, obj: Any) -> None:
    """Pretty-print ``obj`` and write it atomically (harn 0.8.x style)."""
    atomic_write_bytes(Path(path), dumps_pretty(obj))


def record_hash(
    topic: str, event_id: int, kind: str, payload: Any, headers: dict[str, str],
    occurred_at_ms: int,
) -> str:
    """``sha256:<hex>`` over the compact, key-sorted record JSON (provenance v1)."""
    h = {k: v for k, v in headers.items() if k != "harn.provenance.record_hash"}
    body = orjson.dumps({"topic": topic, "event_id": event_id, "kind": kind, "payload": payload,
                         "headers": h, "occurred_at_ms": occurred_at_ms},
                        option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(body).hexdigest()


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS topic_heads (
    topic TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    topic TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    headers TEXT NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, event_id)
);
CREATE TABLE IF NOT EXISTS consumers (
    topic TEXT NOT NULL,
    consumer_id TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, consumer_id)
);
"""


class EventLogWriter:
    """Appends provenance-stamped records to a sqlite or file-backend event log."""

    def __init__(self, state_dir: Path, backend: str = "sqlite") -> None:
        self.backend = backend
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._heads: dict[str, tuple[int, str | None]] = {}
        self._conn: sqlite3.Connection | None = None
        if backend == "sqlite":
            self.path = self.state_dir / "events.sqlite"
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(SQLITE_SCHEMA)
            self._conn = conn
        elif backend == "file":
            self.path = self.state_dir / "events"
            (self.path / "topics").mkdir(parents=True, exist_ok=True)
            (self.path / "consumers").mkdir(parents=True, exist_ok=True)
        else:
            raise ValueError(f"unknown backend {backend!r}")

    def _head(self, topic: str) -> tuple[int, str | None]:
        if topic in self._heads:
            return self._heads[topic]
        if self._conn is not None:
            row = self._conn.execute(
                "SELECT last_id FROM topic_heads WHERE topic = ?", (topic,)).fetchone()
            if row:
                hrow = self._conn.execute(
                    "SELECT headers FROM events WHERE topic = ? AND event_id = ?",
                    (topic, row[0])).fetchone()
                prev = orjson.loads(hrow[0]).get("harn.provenance.record_hash") if hrow else None
                return int(row[0]), prev
        return 0, None

    def append(
        self, topic: str, kind: str, payload: Any, headers: dict[str, str] | None,
        occurred_at_ms: int,
    ) -> int:
        """Append one record (its own short transaction for sqlite); returns its id."""
        last, prev = self._head(topic)
        event_id = last + 1
        hdrs = dict(headers or {})
        hdrs["harn.provenance.schema"] = PROVENANCE_SCHEMA
        if prev:
            hdrs["harn.provenance.prev_hash"] = prev
        rh = record_hash(topic, event_id, kind, payload, hdrs, occurred_at_ms)
        hdrs["harn.provenance.record_hash"] = rh
        if self._conn is not None:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("INSERT INTO events (topic, event_id, kind, payload, headers, "
                          "occurred_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                          (topic, event_id, kind, orjson.dumps(payload),
                           orjson.dumps(hdrs).decode(), occurred_at_ms))
                c.execute("INSERT INTO topic_heads (topic, last_id) VALUES (?, ?) "
                          "ON CONFLICT(topic) DO UPDATE SET last_id = excluded.last_id",
                          (topic, event_id))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        else:
            line = orjson.dumps({"id": event_id, "event": {
                "kind": kind, "payload": payload, "headers": hdrs,
                "occurred_at_ms": occurred_at_ms}})
            with open(self.path / "topics" / f"{topic}.jsonl", "ab") as fh:
                fh.write(line + b"\n")
        self._heads[topic] = (event_id, rh)
        return event_id

    def set_consumer(self, topic: str, consumer_id: str, cursor: int, ms: int) -> None:
        """Record a consumer cursor."""
        if self._conn is not None:
            self._conn.execute(
                "INSERT OR REPLACE INTO consumers (topic, consumer_id, cursor, updated_at_ms) "
                "VALUES (?, ?, ?, ?)", (topic, consumer_id, cursor, ms))
        else:
            name = f"{topic}__{sanitize_topic_component(consumer_id)}.json"
            (self.path / "consumers" / name).write_bytes(orjson.dumps(
                {"topic": topic, "consumer_id": consumer_id, "cursor": cursor,
                 "updated_at_ms": ms}))

    def close(self) -> None:
        """Close the sqlite connection (the WAL is checkpointed by sqlite)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --------------------------------------------------------------------------- agent events


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
           "content": "Thinking about " + _sentence(rng).lower()}, rng.randint(50, 400)
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
                         "decision": "continue", "rationale": _sentence(rng),
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
                     "last_iteration": turns, "tail_excerpt": _sentence(rng)}, 10))
    return out


# --------------------------------------------------------------------------- sidecar


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
             "thinking": "Considering the reader loop. " + _sentence(rng),
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


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class RunInfo:
    """One run file written into the corpus."""

    path: Path
    run_id: str
    workflow: str
    status: str
    ts_format: str
    sparse: bool = False
    parent_run_id: str | None = None
    session_id: str | None = None
    sidecar: Path | None = None


@dataclass
class Corpus:
    """What :func:`write_corpus` wrote."""

    root: Path
    state_dir: Path
    backend: str
    event_log_path: Path
    runs: list[RunInfo] = field(default_factory=list)
    broken: list[Path] = field(default_factory=list)
    non_runs: list[Path] = field(default_factory=list)
    incomplete: list[Path] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    sidecars: list[Path] = field(default_factory=list)
    half_written_sidecar: Path | None = None
    session_ids: list[str] = field(default_factory=list)
    sanitized_session_id: str = ""
    collision_session_id: str = ""
    dangling_child_run_id: str = ""
    hitl_log_wins: dict[str, str] = field(default_factory=dict)
    hitl_question_runs: list[str] = field(default_factory=list)

    def by_id(self, run_id: str) -> RunInfo:
        """The run with this id."""
        return next(r for r in self.runs if r.run_id == run_id)

    @property
    def run_paths(self) -> list[Path]:
        """Paths of all run-record files."""
        return [r.path for r in self.runs]


def _deep_nesting(depth: int) -> bytes:
    return (b'{"_type":"run_record","id":"deep-run","workflow_id":"deep","metadata":{"x":'
            + b"[" * depth + b"]" * depth + b"}}\n")


def write_corpus(
    root: Path,
    *,
    seed: int = 0,
    state_dir: Path | None = None,
    backend: str = "sqlite",
    base_ms: int = BASE_MS,
    include_broken: bool = True,
    n_extra: int = 0,
) -> Corpus:
    """Write a realistic run root plus its event log; return a :class:`Corpus`."""
    rng = random.Random(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    state = Path(state_dir) if state_dir is not None else root.parent / ".harn"
    log = EventLogWriter(state, backend)
    corpus = Corpus(root=root, state_dir=state, backend=backend, event_log_path=log.path)
    hour = 3_600_000
    weird_session = "session:α/1"
    collide_session = "session_α:1"  # sanitizes to the same topic
    corpus.sanitized_session_id = weird_session
    corpus.collision_session_id = collide_session
    records: dict[str, tuple[dict[str, Any], Path]] = {}
    starts: dict[str, int] = {}

    def rid(ms: int) -> str:
        return uuidv7(rng, ms)

    def save(rec: dict[str, Any], rel: str, ts_format: str, *, sparse: bool = False,
             session: str | None = None) -> Path:
        path = root / rel
        if not sparse:
            rec["persisted_path"] = f".harn-runs/{rel}"
        atomic_write_json(path, rec)
        corpus.runs.append(RunInfo(path=path, run_id=rec["id"],
                                   workflow=rec.get("workflow_name") or rec["workflow_id"],
                                   status=rec["status"], ts_format=ts_format, sparse=sparse,
                                   parent_run_id=rec.get("parent_run_id"), session_id=session))
        records[rec["id"]] = (rec, path)
        return path

    def start_of(rec: dict[str, Any], ms: int) -> dict[str, Any]:
        starts[rec["id"]] = ms
        return rec

    def sess(ms: int) -> str:
        return f"session_{uuidv7(rng, ms)}"

    specs = []  # (key, workflow, status, ts_format, n_stages, kwargs, rel)
    # R1: deploy completed, auto-named file (stem != id), sidecar, compactions, hitl
    t1 = base_ms - 2 * hour
    s1 = sess(t1)
    r1 = make_run(rng, run_id=rid(t1), workflow="deploy", started_ms=t1, n_stages=8,
                  status="completed", ts_format="uuidv7", compactions=3, hitl=1,
                  session_ids=[s1], plan_out=(plan1 := {}))
    p1 = save(start_of(r1, t1), f"{uuidv7(rng, t1 + 1)}.json", "uuidv7", session=s1)
    specs.append(("r1", r1, p1))
    # R2: deploy failed in verify stage
    t2 = base_ms - 5 * hour
    s2 = sess(t2)
    r2 = make_run(rng, run_id=rid(t2), workflow="deploy", started_ms=t2, n_stages=6,
                  status="failed", ts_format="uuidv7", compactions=1, session_ids=[s2])
    p2 = save(start_of(r2, t2), f"{r2['id']}.json", "uuidv7", session=s2)
    # R3: review_captain parent with 3 children (2 files exist, 1 dangles)
    t3 = base_ms - 8 * hour
    s3 = sess(t3)
    child_sess = [sess(t3 + k) for k in range(1, 4)]
    r3_children: list[dict[str, Any]] = []
    r3 = make_run(rng, run_id=f"run_{rid(t3)}", workflow="review_captain", started_ms=t3,
                  n_stages=6, status="completed", ts_format="uuidv7", with_children=3,
                  compactions=1, session_ids=[s3, *child_sess],
                  child_specs=[{"workflow": "research", "n_stages": 4, "status": "completed"},
                               {"workflow": "research", "n_stages": 4, "status": "failed",
                                "unknown_keys": True},
                               {"workflow": "research", "n_stages": 3, "status": "completed"}],
                  children_out=r3_children)
    child_specs = workers_of(r3)
    for k, ((_stage, worker), child) in enumerate(zip(child_specs, r3_children, strict=True)):
        cid = worker["child_run_id"]
        if k == len(child_specs) - 1:
            dangling = f"archive/2026-10/{cid}.json"
            worker["child_run_path"] = dangling
            for c in r3["child_runs"]:
                if c["worker_id"] == worker["id"] and c.get("run_path"):
                    c["run_path"] = dangling
            corpus.dangling_child_run_id = cid
            continue
        save(start_of(child, decode_uuidv7_ms(cid)), worker["child_run_path"], "uuidv7",
             session=worker["audit"]["session_id"])
    if r3.get("observability") is not None:
        r3["observability"] = derive_observability(r3, f".harn-runs/{r3['id']}.json")
    save(start_of(r3, t3), f"{r3['id']}.json", "uuidv7", session=s3)
    # R4: research running, sidecar with a half-written last line
    t4 = base_ms - 10 * 60_000
    s4 = sess(t4)
    r4 = make_run(rng, run_id=rid(t4), workflow="research", started_ms=t4, n_stages=3,
                  status="running", ts_format="uuidv7", session_ids=[s4],
                  plan_out=(plan4 := {}))
    p4 = save(start_of(r4, t4), f"{r4['id']}.json", "uuidv7", session=s4)
    # R5: merge_captain paused (rfc3339)
    t5 = base_ms - 26 * hour
    r5 = make_run(rng, run_id=f"merge-{rng.getrandbits(32):08x}", workflow="merge_captain",
                  started_ms=t5, n_stages=4, status="paused", ts_format="rfc3339")
    save(start_of(r5, t5), f"{r5['id']}.json", "rfc3339")
    # R6: triage cancelled (unix seconds)
    t6 = base_ms - 30 * hour
    r6 = make_run(rng, run_id=rid(t6), workflow="triage", started_ms=t6, n_stages=3,
                  status="cancelled", ts_format="unix")
    save(start_of(r6, t6), f"{r6['id']}.json", "unix")
    # R7: triage completed (secs.millis) with a session id needing sanitization
    t7 = base_ms - 50 * hour
    r7 = make_run(rng, run_id=rid(t7), workflow="triage", started_ms=t7, n_stages=5,
                  status="completed", ts_format="secs_millis", session_ids=[weird_session])
    save(start_of(r7, t7), f"nightly/2026-11-18/{r7['id']}.json", "secs_millis",
         session=weird_session)
    # R8: research completed with unknown timestamp format
    t8 = base_ms - 70 * hour
    r8 = make_run(rng, run_id=rid(t8), workflow="research", started_ms=t8, n_stages=4,
                  status="completed", ts_format="unknown")
    save(start_of(r8, t8), f"{r8['id']}.json", "unknown")
    # R9 / R10: sparse persona smoke runs
    t9 = base_ms - 96 * hour
    r9 = make_run(rng, run_id="merge-captain-smoke", workflow="merge_captain", started_ms=t9,
                  n_stages=1, status="completed", ts_format="rfc3339", sparse=True)
    save(r9, "personas/merge_captain_smoke.run.json", "rfc3339", sparse=True)
    r10 = make_run(rng, run_id="review-captain-smoke", workflow="review_captain",
                   started_ms=t9, n_stages=1, status="completed", ts_format="rfc3339",
                   sparse=True)
    save(r10, "personas/review_captain_smoke.run.json", "rfc3339", sparse=True)
    # R11: deploy with unknown keys (portal demo layout)
    t11 = base_ms - 20 * hour
    r11 = make_run(rng, run_id=rid(t11), workflow="deploy", started_ms=t11, n_stages=5,
                   status="completed", ts_format="uuidv7", unknown_keys=True)
    save(start_of(r11, t11), "portal-demo/portal-success.json", "uuidv7")
    # R12: playground job with launch.json and sidecar
    t12 = base_ms - 3 * hour
    job = f"job-{t12}"
    s12 = sess(t12)
    r12 = make_run(rng, run_id=rid(t12), workflow="research", started_ms=t12, n_stages=4,
                   status="completed", ts_format="uuidv7", session_ids=[s12],
                   plan_out=(plan12 := {}))
    p12 = save(start_of(r12, t12), f"playground/{job}/run.json", "uuidv7", session=s12)
    jobdir = root / "playground" / job
    (jobdir / "workflow.harn").write_text(
        'workflow research {\n  node plan { kind: "stage" }\n  node research {}\n}\n')
    (jobdir / "task.txt").write_text(r12["task"] + "\n")
    launch = jobdir / "launch.json"
    launch.write_bytes(dumps_pretty({
        "mode": "workflow", "task": r12["task"], "provider": "anthropic",
        "model": "claude-sonnet-4", "workflow_path": f"playground/{job}/workflow.harn",
        "run_path": f"playground/{job}/run.json",
        "transcript_path": f"playground/{job}/run-llm/llm_transcript.jsonl"}))
    corpus.non_runs.append(launch)
    # extra runs
    wfs = list(WORKFLOWS)
    for k in range(n_extra):
        te = base_ms - rng.randint(1, 400) * hour // 4
        wf = wfs[k % len(wfs)]
        st = rng.choice(["completed", "completed", "failed", "paused"])
        fmt = rng.choice(["uuidv7", "uuidv7", "rfc3339", "unix"])
        re_ = make_run(rng, run_id=rid(te), workflow=wf, started_ms=te,
                       n_stages=rng.randint(2, 6), status=st, ts_format=fmt)
        save(start_of(re_, te), f"extra/{re_['id']}.json", fmt)

    # sidecars
    lines1 = sidecar_lines(rng, t1 + 500, calls=plan1["calls"], task=r1["task"])
    sc1 = p1.parent / f"{p1.stem}-llm" / "llm_transcript.jsonl"
    write_sidecar(sc1, lines1, half_written=False)
    lines4 = sidecar_lines(rng, t4 + 500, calls=plan4["calls"], task=r4["task"])
    sc4 = p4.parent / f"{p4.stem}-llm" / "llm_transcript.jsonl"
    write_sidecar(sc4, lines4, half_written=True)
    lines12 = sidecar_lines(rng, t12 + 500, calls=plan12["calls"], task=r12["task"])
    sc12 = p12.parent / "run-llm" / "llm_transcript.jsonl"
    write_sidecar(sc12, lines12, half_written=False)
    corpus.sidecars = [sc1, sc4, sc12]
    corpus.half_written_sidecar = sc4
    for i, r in enumerate(corpus.runs):
        sc = {p1: sc1, p4: sc4, p12: sc12}.get(r.path)
        if sc:
            corpus.runs[i] = RunInfo(**{**r.__dict__, "sidecar": sc})

    # temp files (both writer generations) and non-run JSON
    tmp_old = p2.with_name(p2.name + ".tmp")
    tmp_old.write_bytes(dumps_pretty(r2)[:700])
    tmp_new = p1.parent / f".{p1.name}.{uuidv7(rng, base_ms)}.tmp"
    tmp_new.write_bytes(dumps_pretty(r1))
    corpus.temp_files = [tmp_old, tmp_new]
    nr = {
        "eval-manifest.json": {"_type": "eval_suite_manifest", "version": 1,
                               "name": "nightly-regressions",
                               "cases": [{"run_path": p2.name, "fixture_path": None,
                                          "compare_to": None}]},
        "workflow-run.json": {"_type": "workflow_run", "id": "wf-legacy-1",
                              "workflow_id": "deploy", "status": "completed"},
        "tags.json": ["deploy", "nightly", "flaky"],
        "config/settings.json": {"theme": "dark", "page_size": 25},
    }
    for rel, obj in nr.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps_pretty(obj))
        corpus.non_runs.append(path)
    inc = root / "incomplete-run.json"
    inc.write_bytes(dumps_pretty({"_type": "run_record", "id": "", "workflow_id": "",
                                  "status": "running", "stages": []}))
    corpus.incomplete.append(inc)

    if include_broken:
        raw = dumps_pretty(r6)
        broken = {
            "truncated-run.json": raw[: len(raw) // 2],
            "invalid-utf8.json": b'{"_type": "run_record", "id": "bad-utf8", '
                                 b'"workflow_id": "triage", "task": "caf\xe9 \xff\xfe", '
                                 b'"status": "completed"}\n',
            "binary.json": bytes(random.Random(seed + 7).getrandbits(8) for _ in range(512))
            + b"\x00\x01\x02",
            "list-top.json": dumps_pretty([{"_type": "run_record", "id": "in-a-list",
                                            "workflow_id": "deploy"}]),
            "deep-nesting.json": _deep_nesting(10_000),
            "empty.json": b"",
        }
        for rel, data in broken.items():
            path = root / "broken" / rel if rel == "deep-nesting.json" else root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            corpus.broken.append(path)

    _write_corpus_events(rng, log, corpus, records, starts, {
        "r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "r7": r7, "r12": r12},
        {"r1": lines1, "r12": lines12})
    log.close()
    return corpus


def _hitl_question(
    rng: random.Random, ms: int, prompt: str, run_id: str | None, trace_id: str,
    request_id: str | None = None,
) -> dict[str, Any]:
    env: dict[str, Any] = {
        "request_id": request_id or f"hitl_question_{uuidv7(rng, ms)}", "kind": "question",
        "agent": "planner", "trace_id": trace_id, "requested_at": rfc3339(ms),
        "payload": {"prompt": prompt, "schema": None, "default": None, "timeout_ms": 600_000}}
    if run_id is not None:
        env["run_id"] = run_id
    return env


def run_window(rec: dict[str, Any]) -> tuple[int, int]:
    """(start, end) of a generated run in ms: finished_at, or its last stage's end."""
    start = parse_ms(rec.get("started_at")) or 0
    end = parse_ms(rec.get("finished_at"))
    if end is None:
        ends = [parse_ms(s.get("finished_at")) for s in rec.get("stages") or []]
        end = max([e for e in ends if e is not None], default=start)
    return start, end


def _stage_at(rec: dict[str, Any], index: int, fraction: float) -> int:
    """A moment `fraction` of the way through stage `index` of a generated run."""
    stage = (rec.get("stages") or [])[index]
    start = parse_ms(stage.get("started_at")) or 0
    end = parse_ms(stage.get("finished_at")) or start
    return start + int((end - start) * fraction)


def _fit_stream(
    stream: Sequence[tuple[dict[str, Any], int]], start: int, end: int
) -> list[tuple[dict[str, Any], int]]:
    """Times for (event, delay) pairs from `start`, squeezed to end by `end` if needed."""
    total = sum(delay for _ev, delay in stream)
    room = max(end - start - 1, 0)
    scale = min(1.0, room / total) if total else 1.0
    out, ms, acc = [], start, 0.0
    for ev, delay in stream:
        acc += delay * scale
        ms = start + int(acc)
        out.append((ev, ms))
    return out


def _write_corpus_events(
    rng: random.Random, log: EventLogWriter, corpus: Corpus,
    records: dict[str, tuple[dict[str, Any], Path]], starts: dict[str, int],
    named: dict[str, dict[str, Any]],
    sidecars: dict[str, list[dict[str, Any]]],
) -> None:
    """Populate HITL, agent-event, action-graph and llm-transcript topics."""
    r1, r2, r4, r5 = named["r1"], named["r2"], named["r4"], named["r5"]

    def tid(r: dict[str, Any]) -> str:
        return (r.get("metadata") or {}).get("trace_id") or f"trace_{r['id']}"

    def hdr(env: dict[str, Any], with_run: bool = True) -> dict[str, str]:
        h = {"request_id": env["request_id"], "trace_id": env["trace_id"]}
        if with_run and env.get("run_id"):
            h["run_id"] = env["run_id"]
        return h

    # Every HITL moment lies inside the stage that asked (answers later in the run).
    existing = r1["hitl_questions"][0]
    q1_ms = parse_ms(existing["asked_at"]) or starts[r1["id"]]
    q1 = _hitl_question(rng, q1_ms, "Deploy to staging-eu or staging-us?", r1["id"], tid(r1),
                        request_id=existing["request_id"])
    log.append(HITL_QUESTIONS, "hitl.question_asked", q1, hdr(q1), q1_ms)
    a1_ms = _stage_at(r1, 2, 0.5)
    log.append(HITL_QUESTIONS, "hitl.response_received",
               {"request_id": q1["request_id"], "answer": "staging-eu", "reviewer": "alice",
                "responded_at": rfc3339(a1_ms)},
               {"request_id": q1["request_id"]}, a1_ms)
    corpus.hitl_log_wins = {"run_id": r1["id"], "request_id": q1["request_id"],
                            "prompt": q1["payload"]["prompt"],
                            "record_prompt": existing["prompt"]}
    # 2) run id in headers only (payload omits run_id), answered
    q2_ms = _stage_at(r4, 0, 0.4)
    q2 = _hitl_question(rng, q2_ms, "Include the Go SDK in the survey?", None, tid(r4))
    h2 = hdr(q2)
    h2["run_id"] = r4["id"]
    log.append(HITL_QUESTIONS, "hitl.question_asked", q2, h2, q2_ms)
    a2_ms = _stage_at(r4, 1, 0.5)
    log.append(HITL_QUESTIONS, "hitl.response_received",
               {"request_id": q2["request_id"], "answer": True, "reviewer": "bob",
                "responded_at": rfc3339(a2_ms)},
               {"request_id": q2["request_id"]}, a2_ms)
    # 3) run id in payload only, pending: the paused run asked it as it paused (after its
    # last stage, before finished_at)
    q3_ms = (_stage_at(r5, -1, 1.0) + run_window(r5)[1]) // 2
    q3 = _hitl_question(rng, q3_ms, "Merge now or wait for the release freeze to end?",
                        r5["id"], tid(r5))
    log.append(HITL_QUESTIONS, "hitl.question_asked", q3, hdr(q3, with_run=False), q3_ms)
    # 4) timed out question on the failed run (its timeout_ms is when it timed out)
    q4_ms, to_ms = _stage_at(r2, 1, 0.3), _stage_at(r2, 2, 0.5)
    q4 = _hitl_question(rng, q4_ms, "Retry the flaky smoke test?", r2["id"], tid(r2))
    q4["payload"]["timeout_ms"] = to_ms - q4_ms
    log.append(HITL_QUESTIONS, "hitl.question_asked", q4, hdr(q4), q4_ms)
    log.append(HITL_QUESTIONS, "hitl.timeout",
               {"request_id": q4["request_id"], "kind": "question", "trace_id": q4["trace_id"],
                "timed_out_at": rfc3339(to_ms)}, hdr(q4, with_run=False), to_ms)
    # a question for an unknown run
    t = starts[r1["id"]]
    q5 = _hitl_question(rng, t + 5_000, "Which region?", "run_not_in_root", "trace_x")
    log.append(HITL_QUESTIONS, "hitl.question_asked", q5, hdr(q5), t + 5_000)
    corpus.hitl_question_runs = [r1["id"], r4["id"], r5["id"], r2["id"]]
    # approvals: one pending on the paused run, one approved during the deploy's canary
    ap_ms = _stage_at(r5, -1, 0.6)
    ap_id = f"hitl_approval_{uuidv7(rng, ap_ms)}"
    areq = {"id": ap_id, "action": "merge_pull_request", "args": {"pr": 471},
            "principal": "merge_captain", "requested_at": rfc3339(ap_ms),
            "deadline": rfc3339(ap_ms + 86_400_000), "approvers_required": 1,
            "evidence_refs": [], "undo_metadata": None, "capabilities_requested": ["git.push"]}
    aenv = {"request_id": ap_id, "kind": "approval", "agent": "merge_captain",
            "trace_id": tid(r5), "run_id": r5["id"], "requested_at": rfc3339(ap_ms),
            "payload": {"approval_request": areq, **areq, "detail": {"pr": 471},
                        "quorum": 1, "reviewers": ["alice", "bob"],
                        "deadline_ms": 86_400_000}}
    log.append(HITL_APPROVALS, "hitl.approval_requested", aenv, hdr(aenv), ap_ms)
    ap2_ms, ok2_ms = _stage_at(r1, 4, 0.2), _stage_at(r1, 4, 0.3)
    ap2 = f"hitl_approval_{uuidv7(rng, ap2_ms)}"
    a2req = dict(areq, id=ap2, action="deploy_to_staging", args={"version": "v2.14.0"},
                 principal="deploy", requested_at=rfc3339(ap2_ms))
    a2env = {"request_id": ap2, "kind": "approval", "agent": "deploy", "trace_id": tid(r1),
             "run_id": r1["id"], "requested_at": rfc3339(ap2_ms),
             "payload": {"approval_request": a2req, **a2req, "detail": None, "quorum": 1,
                         "reviewers": ["alice"], "deadline_ms": 3_600_000}}
    log.append(HITL_APPROVALS, "hitl.approval_requested", a2env, hdr(a2env), ap2_ms)
    log.append(HITL_APPROVALS, "hitl.response_received",
               {"request_id": ap2, "approved": True, "reviewer": "alice",
                "reason": "looks good", "responded_at": rfc3339(ok2_ms)},
               {"request_id": ap2}, ok2_ms)
    log.append(HITL_APPROVALS, "hitl.approval_approved",
               {"request_id": ap2, "reviewers": ["alice"], "reason": "looks good"},
               {"request_id": ap2, "trace_id": tid(r1)}, ok2_ms + 1)
    # dual control: the production deploy needs two people, then it runs
    dc_ms, dc_ok, dc_run = (_stage_at(r1, 5, f) for f in (0.2, 0.4, 0.6))
    dc_id = f"hitl_dual_control_{uuidv7(rng, dc_ms)}"
    dreq = dict(areq, id=dc_id, action="deploy_to_production", args={"version": "v2.14.0"},
                principal="deploy", requested_at=rfc3339(dc_ms), approvers_required=2,
                capabilities_requested=["deploy.production"])
    denv = {"request_id": dc_id, "kind": "dual_control", "agent": "deploy",
            "trace_id": tid(r1), "run_id": r1["id"], "requested_at": rfc3339(dc_ms),
            "payload": {"approval_request": dreq, **dreq, "detail": None, "quorum": 2,
                        "reviewers": ["alice", "dave"], "deadline_ms": 3_600_000}}
    log.append(HITL_DUAL_CONTROL, "hitl.dual_control_requested", denv, hdr(denv), dc_ms)
    for k, reviewer in enumerate(("alice", "dave")):
        log.append(HITL_DUAL_CONTROL, "hitl.response_received",
                   {"request_id": dc_id, "approved": True, "reviewer": reviewer,
                    "reason": "change window open", "responded_at": rfc3339(dc_ok - 1 + k)},
                   {"request_id": dc_id}, dc_ok - 1 + k)
    log.append(HITL_DUAL_CONTROL, "hitl.dual_control_approved",
               {"request_id": dc_id, "reviewers": ["alice", "dave"],
                "record": {"approved_at": rfc3339(dc_ok + 1), "reviewers": ["alice", "dave"]}},
               {"request_id": dc_id, "trace_id": tid(r1)}, dc_ok + 1)
    log.append(HITL_DUAL_CONTROL, "hitl.dual_control_executed",
               {"request_id": dc_id, "result": {"ok": True, "deployed": "v2.14.0"}},
               {"request_id": dc_id, "trace_id": tid(r1)}, dc_run)
    # escalations: the failed deploy asks on-call near its end; accepted afterwards
    es_ms = _stage_at(r2, -1, 0.5)
    es_id = f"hitl_escalation_{uuidv7(rng, es_ms)}"
    eenv = {"request_id": es_id, "kind": "escalation", "agent": "deploy", "trace_id": tid(r2),
            "run_id": r2["id"], "requested_at": rfc3339(es_ms),
            "payload": {"role": "oncall", "reason": "smoke tests failing after two retries",
                        "capability_policy": {"side_effect_level": "read_only"}}}
    log.append(HITL_ESCALATIONS, "hitl.escalation_issued", eenv, hdr(eenv), es_ms)
    log.append(HITL_ESCALATIONS, "hitl.escalation_accepted",
               {"request_id": es_id, "accepted": True, "reviewer": "carol",
                "responded_at": rfc3339(es_ms + 300_000)},
               {"request_id": es_id}, es_ms + 300_000)

    # agent events per session (every run session plus every worker session), fitted
    # into the time of the run or worker that owns the session
    sessions: dict[str, tuple[int, int, dict[str, Any] | None, bool]] = {}
    for _rid, (rec, _path) in records.items():
        sid = ((rec.get("metadata") or {}).get("mutation_session") or {}).get("session_id")
        if not sid:
            continue
        workers = workers_of(rec)
        r_start, r_end = run_window(rec)
        sessions.setdefault(sid, (r_start, r_end, workers[0][1] if workers else None,
                                  rec is r1))
        for _stage, w in workers:
            wsid = (w.get("audit") or {}).get("session_id")
            w_start, w_end = parse_ms(w.get("started_at")), parse_ms(w.get("finished_at"))
            if wsid and w_start is not None and w_end is not None:
                sessions.setdefault(wsid, (w_start, w_end, None, False))
    for sid, (start, end, worker, is_r1) in sessions.items():
        stream = agent_session_stream(
            rng, sid, worker=worker, hitl_request_id=q1["request_id"] if is_r1 else None,
            turns=4 if is_r1 else 3)
        topic = agent_events_topic(sid)
        ms = start
        for ev, ms in _fit_stream(stream, start, end):
            log.append(topic, ev["type"], agent_event_payload(sid, ev, ms),
                       {"session_id": sid}, ms)
        if sid == corpus.sanitized_session_id:
            other = corpus.collision_session_id
            ev = {"type": "agent_message_chunk", "session_id": other,
                  "content": "I belong to a different session"}
            log.append(topic, ev["type"], agent_event_payload(other, ev, ms),
                       {"session_id": other}, ms)
    corpus.session_ids = list(sessions)
    log.set_consumer(agent_events_topic(corpus.sanitized_session_id), "harn-portal", 3,
                     BASE_MS)

    # action graph updates (one per save, a few saves per run)
    for _rid, (rec, path) in sorted(records.items(), key=lambda kv: str(kv[1][1])):
        if "stages" not in rec or rec.get("workflow_id") == "run":
            continue
        rel = f".harn-runs/{path.relative_to(corpus.root).as_posix()}"
        obs = rec.get("observability") or derive_observability(rec, rel)
        tr = (rec.get("metadata") or {}).get("trace_id") or ""
        log.append(ACTION_GRAPH_TOPIC, "action_graph_update",
                   {"run_id": rec["id"], "workflow_id": rec["workflow_id"],
                    "persisted_path": rel, "status": rec["status"], "observability": obs},
                   {"run_id": rec["id"], "workflow_id": rec["workflow_id"], "trace_id": tr},
                   BASE_MS - 1000)
        if rec.get("workflow_id") == "deploy" and rec["stages"]:
            log.append(ACTION_GRAPH_TOPIC, "action_graph_update",
                       dispatcher_update(rec, tr), {"trace_id": tr, "run_id": rec["id"]}, BASE_MS - 900)
    # llm transcript lines mirrored to the event log
    for key, lines in sidecars.items():
        for line in lines:
            ms = int(float(line["timestamp"]) * 1000)
            h = {"span_id": str(line.get("span_id"))} if line.get("span_id") is not None else {}
            if key == "r12":
                h["trace_id"] = (named["r12"].get("metadata") or {}).get("trace_id", "")
            log.append(LLM_TRANSCRIPT_TOPIC, line["type"], line, h, ms)


def dispatcher_update(rec: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """What Harn's trigger dispatcher appends for a run (dispatcher/mod.rs `emit_action_graph`):
    an approval gate, a local dispatch with a retry, all after the run's last stage."""
    last = f"stage:{rec['stages'][-1]['id']}"
    rid = rec["id"]

    def node(nid: str, label: str, kind: str, status: str, **meta: Any) -> dict[str, Any]:
        return {"id": nid, "label": label, "kind": kind, "status": status, "outcome": status,
                "trace_id": trace_id or None, "stage_id": None, "node_id": None, "worker_id": None,
                "run_id": rid, "run_path": None, "metadata": meta}

    nodes = [
        node(f"approval:{rid}", "release approval", "approval", "approved",
             request_id=f"hitl_approval_{rid[-6:]}", reviewers=["oncall"], reason="prod deploy"),
        node(f"dispatch:{rid}:1", "notify handler", "dispatch", "failed", attempt=1,
             target_uri="local://notify"),
        node(f"retry:{rid}:1", "retry notify", "retry", "scheduled", delay_ms=2000),
        node(f"dispatch:{rid}:2", "notify handler", "dispatch", "completed", attempt=2,
             target_uri="local://notify"),
    ]
    edges = [
        {"from_id": last, "to_id": f"approval:{rid}", "kind": "entry", "label": None},
        {"from_id": f"approval:{rid}", "to_id": f"dispatch:{rid}:1", "kind": "trigger_dispatch",
         "label": None},
        {"from_id": f"dispatch:{rid}:1", "to_id": f"retry:{rid}:1", "kind": "retry", "label": "attempt 2"},
        {"from_id": f"retry:{rid}:1", "to_id": f"dispatch:{rid}:2", "kind": "retry", "label": None},
    ]
    return {"source": "dispatcher", "trace_id": trace_id, "run_id": rid,
            "observability": {"schema_version": 1, "action_graph_nodes": nodes,
                              "action_graph_edges": edges}}


# --------------------------------------------------------------------------- bench


def _bench_one(args: tuple[Path, int, int, float, float]) -> None:
    root, seed, i, min_kb, max_kb = args
    rng = random.Random(seed * 1_000_003 + i)
    target = rng.uniform(min_kb, max_kb)
    wf = list(WORKFLOWS)[i % len(WORKFLOWS)]
    sub = ["", "nightly", "ci/main", f"playground/job-{BASE_MS - i}"][i % 4]
    ms = BASE_MS - i * 97_000
    rec = make_run(rng, run_id=uuidv7(rng, ms), workflow=wf, started_ms=ms,
                   n_stages=rng.randint(1, 2) if target < 45 else rng.randint(2, 5),
                   status=rng.choice(["completed", "completed", "completed", "failed",
                                      "running", "paused"]),
                   ts_format="uuidv7", size_hint_kb=target, compactions=rng.randint(0, 1))
    name = "run.json" if sub.startswith("playground") else f"{uuidv7(rng, ms + 1)}.json"
    path = root / sub / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps_pretty(rec))


def write_bench_root(
    root: Path, n: int, *, seed: int = 0, min_kb: float = 20, max_kb: float = 200,
    processes: int = 2,
) -> None:
    """Write ``n`` run files sized uniformly in ``[min_kb, max_kb]`` KB."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    # keep targets slightly inside the range so rounding never crosses it
    lo, hi = min_kb + 0.5, max(min_kb + 0.5, max_kb - 0.5)
    jobs = [(root, seed, i, lo, hi) for i in range(n)]
    processes = min(processes, os.cpu_count() or 1)
    if processes > 1 and n >= 500:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            pool.map(_bench_one, jobs, chunksize=max(1, n // (processes * 8)))
    else:
        for job in jobs:
            _bench_one(job)


__all__ = [
    "BASE_MS",
    "TS_FORMATS",
    "Corpus",
    "EventLogWriter",
    "RunInfo",
    "agent_events_topic",
    "atomic_write_json",
    "decode_uuidv7_ms",
    "format_ts",
    "make_run",
    "sanitize_topic_component",
    "uuidv7",
    "write_bench_root",
    "write_corpus",
]
