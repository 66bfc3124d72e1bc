"""The portal's run views as data: insights, story, activity, artifacts, policy, replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harn_tui.core.analysis import run_analysis as ra
from harn_tui.core.analysis.story import build_story, preview_text
from harn_tui.core.format.normalize import load_run, normalize_record

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"


def run(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"_type": "run_record", "id": "r", "workflow_id": "wf", "status": "completed"}
    base.update(fields)
    return normalize_record(base)


def st(node: str, start: str, end: str, **kw: Any) -> dict[str, Any]:
    return {"id": node, "node_id": node, "status": "completed", "started_at": start, "finished_at": end, **kw}


def test_insights_wording_and_ties_pick_the_last_like_rust_max_by_key() -> None:
    r = run(
        stages=[st("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"),
                st("b", "2026-01-01T00:00:05Z", "2026-01-01T00:00:10Z", attempts=[{"attempt": 1}])],
        trace_spans=[{"span_id": 1, "kind": "llm_call", "name": "x", "start_ms": 0, "duration_ms": 300},
                     {"span_id": 2, "kind": "tool_call", "name": "y", "start_ms": 300, "duration_ms": 200},
                     {"span_id": 3, "kind": "llm_call", "name": "z", "start_ms": 500, "duration_ms": 100}],
    )
    turns = [{"call_index": 1, "total_messages": 4, "input_tokens": 10, "kept_messages": 0, "added_messages": 4,
              "summary": "s1"},
             {"call_index": 2, "total_messages": 4, "input_tokens": 10, "kept_messages": 4, "added_messages": 0,
              "summary": "s2"}]
    ins = {i.label: i for i in ra.build_insights(r, turns)}
    assert ins["Run shape"].value == "2 stages • 0 child runs"
    assert ins["Run shape"].detail == "status=completed • 0 transcript sections"
    assert ins["Slowest stage"].value == "b (5.0s)" and ins["Slowest stage"].target == ("stage", 1)
    assert ins["Slowest stage"].detail == "1 attempt • 0 artifacts"
    assert ins["Where time went"].value == "llm call (400ms)" and ins["Where time went"].detail == "3 spans captured"
    assert ins["Heaviest model turn"].value == "Step 2 (4)" and ins["Heaviest model turn"].target == ("turn", 1)
    assert ins["Heaviest model turn"].detail == "kept 4 • added 0 • s2"
    assert ins["First thing to read"].value == "No transcript sections"


def test_insights_of_an_empty_run_say_what_is_missing() -> None:
    ins = ra.build_insights(run(), [])
    assert [i.value for i in ins[1:]] == ["No timed stages", "No trace spans", "No transcript sections",
                                          "No saved model transcript"]
    assert all(i.target is None for i in ins[1:])


def test_story_reads_run_then_stage_transcripts_then_visible_text() -> None:
    r = run(
        transcript={"events": [{"kind": "message", "role": "user", "text": "  \nhello\nworld"},
                               {"kind": "message", "role": "assistant", "text": "  "}]},
        stages=[{"id": "s1", "node_id": "plan", "transcript": {"events": [
                    {"kind": "tool_result", "role": "tool", "content": [{"text": "a"}, {"text": "b"}]}]}},
                {"id": "s2", "node_id": "act", "visible_text": "done"}],
    )
    story = build_story(r)
    assert [(s.title, s.role, s.source, s.preview) for s in story] == [
        ("Run transcript", "user", "message", "hello"),
        ("Stage plan", "tool", "tool_result", "a"),
        ("Stage act", "assistant", "visible_text", "done"),
    ]
    assert preview_text("x" * 200) == "x" * 180 + "..."
    assert ra.build_insights(r, [])[3].value == "Run transcript"


def test_activity_skips_pipeline_and_finds_the_owning_stage() -> None:
    r = run(
        stages=[st("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"),
                st("b", "2026-01-01T00:00:01Z", "2026-01-01T00:00:03Z")],
        trace_spans=[{"span_id": 1, "kind": "pipeline", "name": "p", "start_ms": 0, "duration_ms": 3000},
                     {"span_id": 3, "kind": "tool_call", "name": "t", "start_ms": 1500, "duration_ms": 10,
                      "metadata": {"tool_name": "read", "call_id": "c1", "a": 1, "b": [1], "c": {}, "d": None}},
                     {"span_id": 2, "kind": "llm_call", "name": "m", "start_ms": 100, "duration_ms": 50,
                      "metadata": {"model": "gpt-4o"}}],
    )
    acts = ra.build_activities(r)
    assert [(a.label, a.stage_node_id) for a in acts] == [("Model • gpt-4o", "a"), ("Tool • read", "b")]
    assert acts[1].call_id == "c1"
    assert acts[1].summary == "a=1 • b=1 item • c=0 fields • +3 more"


def test_artifacts_policy_and_replay() -> None:
    r = run(
        artifacts=[{"id": "a1", "kind": "plan", "text": "\nfirst line\nsecond", "lineage": ["x", "y"]},
                   {"id": "a2", "kind": "diff", "title": "The diff", "data": {"k": 1, "j": 2}},
                   {"id": "a3", "kind": "note"}],
        policy={"tools": ["read"], "capabilities": {"fs": ["read", "write"], "net": []},
                "tool_arg_constraints": [{"tool": "run", "arg_patterns": ["git *"]}, {"tool": "read"}],
                "side_effect_level": "read_only", "recursion_limit": 3},
        metadata={"validation": {"valid": False, "errors": ["no entry"], "warnings": ["w"],
                                 "reachable_nodes": ["a"]}},
    )
    arts = ra.build_artifacts(r)
    assert [(a["title"], a["preview"], a["lineage_count"]) for a in arts] == [
        ("plan", "first line", 2), ("The diff", "2 fields", 0), ("note", "No text body persisted", 0)]
    p = ra.build_policy_summary(r)
    assert p.capabilities == ["fs.read", "fs.write", "net"]
    assert p.tool_arg_constraints == ["run → git *", "read"]
    assert (p.side_effect_level, p.recursion_limit, p.validation_valid) == ("read_only", 3, False)
    assert (p.validation_errors, p.validation_warnings, p.reachable_nodes) == (["no entry"], ["w"], ["a"])
    # Harn's loader derives a fixture from the run when none was saved (so does ours)
    derived = ra.build_replay_summary(r)
    assert derived is not None and derived["source_run_id"] == "r" and derived["expected_status"] == "completed"
    assert ra.build_replay_summary({"replay_fixture": None}) is None
    assert ra.replay_commands("runs/a b.json") == ["harn replay 'runs/a b.json'", "harn eval 'runs/a b.json'"]


def test_harn_persona_run_carries_policy_and_a_replay_fixture() -> None:
    detail = load_run(EXAMPLES / "merge_captain_smoke.run.json", root=EXAMPLES)
    summary = ra.build_replay_summary(detail.normalized)
    raw_fixture = detail.raw["replay_fixture"]
    assert summary is not None and summary["fixture_id"] == raw_fixture["id"]
    assert len(summary["stage_assertions"]) == len(raw_fixture.get("stage_assertions") or [])
    policy = ra.build_policy_summary(detail.normalized)
    assert policy.tools == list(detail.raw["policy"].get("tools") or [])
