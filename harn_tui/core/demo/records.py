"""Generated Harn run records (harn-vm 0.8.x shapes, with older and newer writers' variations)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import orjson

from harn_tui.core.demo.common import (
    ARTIFACT_KIND_BY_NODE,
    BASE_MS,
    ERRORS,
    MODELS,
    PROVIDERS,
    SKILLS,
    TASKS,
    TOOLS,
    WORKFLOWS,
    dumps_pretty,
    format_ts,
    rfc3339,
    sentence,
    text,
    unix_secs,
    uuidv7,
)
from harn_tui.core.demo.transcripts import make_transcript, message_event


def _usage(
    rng: random.Random, model: str, calls: int, duration_ms: int
) -> dict[str, Any]:
    inp = rng.randint(800, 9000) * max(calls, 1)
    out = rng.randint(80, 1500) * max(calls, 1)
    return {"input_tokens": inp, "output_tokens": out, "total_duration_ms": duration_ms,
            "call_count": calls, "total_cost": round(inp * 3e-6 + out * 1.5e-5, 6),
            "models": [model] if calls else []}


def sum_usage(usages: Sequence[dict[str, Any] | None]) -> dict[str, Any]:
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
            else sentence(rng)
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
                    "root_task": task, "rationale": sentence(rng),
                    "deliverables": [
                        {"id": f"d{k}", "text": sentence(rng),
                         "status": rng.choice(["done", "open", "blocked"]), "note": None}
                        for k in range(1, 4)],
                    "observations": [sentence(rng) for _ in range(2)]}
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
                "task": f"Sub-task {worker_no}: " + sentence(rng), "status": child["status"],
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
            message_event(rng, first + (last_end - first) * (k + 1) // (len(extra) + 1), m)
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
    usage_total = sum_usage([s["usage"] for s in stages])
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
                tr["events"].append(message_event(rng, BASE_MS + len(padded), msg))
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
