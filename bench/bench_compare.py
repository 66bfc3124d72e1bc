#!/usr/bin/env python3
"""Benchmark: comparing two large runs, as a ratio to the floor of just loading both.

Two runs of the same workflow, each with --stages stages (each with a small transcript: two
model turns), as many tool recordings, and --events agent-session events in the event log
(file backend; tool_call + tool_call_update pairs, half per run). About one item in ten
differs between the runs. The floor is what the compare screen has to do anyway: `load_run`
plus `attach_run` for both runs. The figure is `compare(a, b)` on top of that.
Target: compare <= 0.5x floor.

    python bench/bench_compare.py [--stages 2000] [--events 50000] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from harn_tui.core.analysis.compare import compare
from harn_tui.core.demo.common import agent_events_topic, atomic_write_json, rfc3339
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.transcripts import agent_event_payload
from harn_tui.core.eventlog.attach import attach_run
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.format.normalize import load_run

T0 = 1_790_000_000_000
NODES = [f"node_{k}" for k in range(40)]
TOOLS = ("read_file", "edit_file", "run_command", "search_code", "list_dir")


def make_run(rng: random.Random, name: str, stages: int, variant: int) -> dict[str, Any]:
    """One big run; `variant` > 0 changes about one item in ten."""

    def differs() -> bool:
        return variant > 0 and rng.random() < 0.1

    out_stages = []
    for k in range(stages):
        start = T0 + k * 2000
        reply = f"stage {k} reply " + ("changed " if differs() else "") + "x" * 120
        out_stages.append({
            "_type": "stage", "id": f"{name}-s{k}", "node_id": NODES[k % len(NODES)],
            "kind": "stage", "status": "completed",
            "outcome": "failed" if differs() else "success", "branch": "success",
            "started_at": rfc3339(start), "finished_at": rfc3339(start + 1500),
            "visible_text": f"stage {k} output " + "y" * 200,
            "usage": {"input_tokens": 1000 + k, "output_tokens": 100, "call_count": 2},
            "transcript": {"_type": "transcript", "id": f"{name}-t{k}", "messages": [
                {"role": "user", "content": f"do step {k}"},
                {"role": "assistant", "content": "looking",
                 "tool_calls": [{"id": f"{name}-c{k}", "name": TOOLS[k % 5],
                                 "arguments": {"path": f"src/{k}.rs"}}]},
                {"role": "tool", "tool_call_id": f"{name}-c{k}", "content": "z" * 200},
                {"role": "assistant", "content": reply},
            ]},
        })
    recordings = [{
        "tool_name": TOOLS[k % 5], "tool_use_id": f"{name}-u{k}",
        "args_hash": f"{k:016x}", "result": ("error" if differs() else "ok ") + "r" * 150,
        "is_rejected": False, "duration_ms": 30, "iteration": 1,
        "timestamp": f"{(T0 + k * 2000 + 300) / 1000:.3f}",
    } for k in range(stages)]
    return {
        "_type": "run_record", "id": f"run-{name}", "workflow_id": "bench", "status": "completed",
        "started_at": rfc3339(T0), "finished_at": rfc3339(T0 + stages * 2000),
        "stages": out_stages, "tool_recordings": recordings,
        "usage": {"input_tokens": 10**6 + variant, "output_tokens": 10**5, "call_count": stages},
        "metadata": {"mutation_session": {"session_id": f"session-{name}"}},
    }


def write_session(log: EventLogWriter, rng: random.Random, name: str, events: int, variant: int) -> None:
    sid = f"session-{name}"
    topic = agent_events_topic(sid)
    for k in range(events // 2):
        ms = T0 + k * 10
        call_id = f"{name}-tc{k}"
        tool = TOOLS[k % 5]
        call = {"type": "tool_call", "session_id": sid, "tool_call_id": call_id, "tool_name": tool,
                "kind": "read", "status": "pending", "raw_input": {"path": f"src/{k}.rs", "n": k}}
        failed = variant > 0 and rng.random() < 0.1
        update = {"type": "tool_call_update", "session_id": sid, "tool_call_id": call_id,
                  "tool_name": tool, "status": "failed" if failed else "completed",
                  "raw_output": {"text": "o" * 100, "k": k}, "error": "boom" if failed else None}
        log.append(topic, "tool_call", agent_event_payload(sid, call, ms), {"session_id": sid}, ms)
        log.append(topic, "tool_call_update", agent_event_payload(sid, update, ms + 5),
                   {"session_id": sid}, ms + 5)


def ensure_pair(base: Path, stages: int, events: int) -> tuple[Path, Path, Path]:
    marker = base / f".complete-{stages}-{events}"
    root, state = base / ".harn-runs", base / ".harn"
    if not marker.exists():
        shutil.rmtree(base, ignore_errors=True)
        root.mkdir(parents=True)
        t0 = time.perf_counter()
        rng = random.Random(11)
        log = EventLogWriter(state, backend="file")
        for name, variant in (("a", 1), ("b", 0)):
            atomic_write_json(root / f"{name}.json", make_run(rng, name, stages, variant))
            write_session(log, rng, name, events // 2, variant)
        log.close()
        marker.write_text("ok")
        print(f"generated 2 runs x {stages} stages, {events} events in {time.perf_counter() - t0:.1f}s")
    return root / "a.json", root / "b.json", state / "events"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", type=int, default=2000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "harn-tui-bench-compare")
    args = parser.parse_args()
    path_a, path_b, events = ensure_pair(args.dir, args.stages, args.events)

    floor = best = float("inf")
    result = None
    for _ in range(args.repeat):
        log = open_event_log("file", events)
        t0 = time.perf_counter()
        a = load_run(path_a)
        attach_run(a, log)
        b = load_run(path_b)
        attach_run(b, log)
        floor = min(floor, time.perf_counter() - t0)
        log.close()
        t0 = time.perf_counter()
        result = compare(a, b)
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    calls = sum(len(e) for e in a.agent_sessions.values()) + sum(len(e) for e in b.agent_sessions.values())
    print(f"runs: {args.stages} stages each, {calls} session events loaded")
    print(f"rows: {len(result.stage_diffs)} stages ({result.changed('stage')} differ), "
          f"{len(result.tool_diffs)} tool calls ({result.changed('tool')} differ), "
          f"{len(result.turn_diffs)} turns ({result.changed('turn')} differ)")
    div = result.first_divergence
    print(f"first divergence: {div.kind} #{div.index}: {div.description}" if div else "no divergence")
    print(f"floor (load + attach both runs): {floor * 1000:.0f} ms")
    print(f"compare:                         {best * 1000:.0f} ms")
    ratio = best / floor
    print(f"ratio compare / floor:           {ratio:.2f}x (target <= 0.5x)")
    return 0 if ratio <= 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
