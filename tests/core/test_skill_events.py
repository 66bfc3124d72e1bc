"""Skill observability: timeline, matcher decisions, tool loads (Harn's `skill_events.rs`)."""

from __future__ import annotations

from typing import Any

from harn_tui.core.analysis.skill_events import extract


def ev(kind: str, **meta: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": meta}


def test_pairs_activation_with_deactivation_like_harns_test() -> None:
    run = {"transcript": {"events": [
        ev("skill_matched", iteration=0, strategy="metadata", reassess=False,
           candidates=[{"name": "deploy", "score": 2.1, "reason": "mention"}], working_files=[]),
        ev("skill_activated", name="deploy", description="Deploy the app", iteration=0, score=2.1,
           reason="mention", allowed_tools=["run", "read_file"]),
        ev("skill_scope_tools", name="deploy", allowed_tools=["run"]),
        ev("skill_deactivated", name="deploy", iteration=3),
    ]}}
    out = extract(run)
    assert len(out.timeline) == 1
    entry = out.timeline[0]
    assert (entry.name, entry.activated_iteration, entry.deactivated_iteration) == ("deploy", 0, 3)
    assert entry.allowed_tools == ["run"] and entry.scope == "run"
    assert out.matches[0].candidates == [("deploy", 2.1, "mention")]
    assert out.active_skills == ["deploy"]


def test_pairs_tool_search_query_with_result_and_keeps_orphans() -> None:
    run = {"stages": [{"node_id": "act", "transcript": {"events": [
        ev("tool_search_query", id="tool_1", query={"query": "send slack"}, strategy="bm25", mode="client"),
        ev("tool_search_result", tool_use_id="tool_1", promoted=["slack_post"],
           tool_references=[{"tool_name": "slack_post"}]),
        ev("tool_search_result", tool_use_id="tool_9", promoted=["x"]),
        ev("tool_search_query", query="plain text"),
    ]}}]}
    loads = extract(run).tool_loads
    assert [(t.query, t.promoted, t.references, t.scope) for t in loads] == [
        ("send slack", ["slack_post"], ["slack_post"], "stage:act"),
        ("", ["x"], [], "stage:act"),
        ("plain text", [], [], "stage:act"),
    ]


def test_older_skill_name_key_is_read_too() -> None:
    run = {"transcript": {"events": [ev("skill_activated", skill_name="review", iteration=1)]}}
    assert extract(run).active_skills == ["review"]
