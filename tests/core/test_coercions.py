"""One set of coercions: the strict (serde) reads in schema.py and the callers that use them.

Free-form maps (span metadata, event payloads, handoff objects) are read as Harn's Rust
reads a `serde_json::Value`: a JSON string is not a number, a bool is not a number, a
float is not an integer. Each caller below pins that edge so a tolerant private rule
(or `to_int`/`to_float`/`to_str`) put back in its place fails here.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from harn_tui.core.analysis.dlq import normalize as dlq_normalize
from harn_tui.core.analysis.skill_events import extract
from harn_tui.core.analysis.waterfall import SPANS, build_waterfall
from harn_tui.core.eventlog.hitl import event_run_ids
from harn_tui.core.eventlog.protocol import LogEvent
from harn_tui.core.format.handoffs import normalize as handoff_normalize
from harn_tui.core.format.llm_usage import llm_rows, price
from harn_tui.core.format.schema import json_int, json_number, json_str, str_items, to_float, to_int

# -- the rules themselves -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), (-3, -3), (0, 0), (True, None), (False, None), (7.0, None), ("7", None), (None, None)],
)
def test_json_int_takes_json_integers_only(value: Any, expected: int | None) -> None:
    assert json_int(value) == expected
    assert json_int(value, 0) == (0 if expected is None else expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, 2.0),
        (0.5, 0.5),
        (True, None),
        ("0.5", None),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
        (None, None),
        ([1], None),
    ],
)
def test_json_number_takes_finite_json_numbers_only(value: Any, expected: float | None) -> None:
    assert json_number(value) == expected
    assert json_number(value, 0.0) == (0.0 if expected is None else expected)


def test_json_str_and_str_items_do_not_coerce() -> None:
    assert json_str("x") == "x" and json_str("") == ""
    assert json_str(5) is None and json_str(True) is None and json_str(None, "d") == "d"
    assert str_items(["a", 1, None, True, "b", ["c"]]) == ["a", "b"]
    assert str_items("ab") == []


def test_tolerant_record_coercions_are_a_different_rule() -> None:
    """`to_int`/`to_float` fill typed record fields (hand-edited drift is forgiven)."""
    assert (to_int("12"), to_int(True), to_int(3.9), to_int(math.nan, -1)) == (12, 1, 3, -1)
    assert (to_float("0.5"), to_float(math.inf, -1.0)) == (0.5, -1.0)


# -- the callers ----------------------------------------------------------------------


def _llm_span(sid: int, **meta: Any) -> dict[str, Any]:
    return {"span_id": sid, "kind": "llm_call", "name": f"s{sid}", "start_ms": 0, "duration_ms": 5,
            "metadata": meta}


def _run(spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {"_type": "run_record", "id": "r1", "workflow_id": "wf", "status": "completed",
            "started_at": "2026-04-22T00:00:00Z", "stages": [], "trace_spans": spans}


def test_llm_rows_read_span_metadata_as_json_numbers() -> None:
    run = _run([
        # Text or bool tokens count nothing and a text cost is no cost: nothing to report.
        _llm_span(1, provider="p", model="x", input_tokens="1000000", output_tokens=True, cost_usd="9"),
        # A non-finite cost falls back to the static table like a missing one.
        _llm_span(2, provider="p", model="gpt-4o", input_tokens=1_000_000, output_tokens=0,
                  cost_usd=math.nan),
        _llm_span(3, provider=5, model=True, input_tokens=10, output_tokens=2.0, cost_usd=1),
    ])
    rows = {(r[0], r[1]): r for r in llm_rows(run)}
    assert set(rows) == {("p", "gpt-4o"), ("unknown", "unknown")}
    assert rows["p", "gpt-4o"][5] == pytest.approx(price("gpt-4o", 1_000_000, 0))
    assert rows["unknown", "unknown"][2:] == [1, 10, 0, 1.0]


def test_waterfall_reads_llm_metadata_as_the_usage_table_does() -> None:
    spans = [
        _llm_span(1, model="m", input_tokens="100", output_tokens=True, cost_usd="0.08"),
        _llm_span(2, model="m", input_tokens=40, output_tokens=2, cost_usd=0.5),
        {**_llm_span(3, input_tokens=7.0), "cost_usd": "0.25"},  # span-level [later] field: a record field
        {"span_id": 4, "kind": "tool_call", "name": "call", "start_ms": 0, "duration_ms": 1,
         "metadata": {"tool_name": 12}},
    ]
    wf = build_waterfall(_run(spans))
    bars = {b.span_id: b for b in wf.rows if b.group == SPANS and b.span_id is not None}
    assert (bars[1].tokens_in, bars[1].tokens_out, bars[1].cost) == (0, 0, 0.0)
    assert (bars[2].tokens_in, bars[2].tokens_out, bars[2].cost) == (40, 2, 0.5)
    assert (bars[3].tokens_in, bars[3].cost) == (0, 0.25)
    assert bars[4].label == "call"  # a numeric tool_name is not a tool name
    usage = {r[1]: r for r in llm_rows(_run(spans[:2]))}["m"]
    assert usage[3:5] == [bars[1].tokens_in + bars[2].tokens_in, bars[1].tokens_out + bars[2].tokens_out]


def test_skill_events_read_metadata_as_json_numbers() -> None:
    run = {"transcript": {"events": [
        {"kind": "skill_matched", "metadata": {"iteration": "2", "candidates": [
            {"name": "a", "score": "1.5"}, {"name": "b", "score": True}, {"name": "c", "score": 3}]}},
        {"kind": "skill_activated", "metadata": {"name": "a", "iteration": True, "score": math.nan}},
        {"kind": "skill_deactivated", "metadata": {"name": "a", "iteration": 4.0}},
    ]}}
    out = extract(run)
    assert out.matches[0].iteration == 0
    assert [c[1] for c in out.matches[0].candidates] == [0.0, 0.0, 3.0]
    span = out.timeline[0]
    assert (span.activated_iteration, span.score, span.deactivated_iteration) == (0, None, None)


def _event(payload: Any, headers: dict[str, str] | None = None) -> LogEvent:
    return LogEvent("hitl.questions", 1, "hitl.question_asked", payload, headers or {}, 0)


def test_hitl_run_ids_take_json_strings_only() -> None:
    assert event_run_ids(_event({"run_id": 7})) == []
    assert event_run_ids(_event({"run_id": True}, {"run_id": "h"})) == ["h"]
    assert event_run_ids(_event({"run_id": "r"})) == ["r"]
    assert event_run_ids(_event(["not", "an", "object"])) == []


def test_dlq_fields_take_json_strings_and_integers_only() -> None:
    payload = {"id": "dlq_1", "event_id": "e1", "binding_id": 5, "binding_version": "4", "error": 3,
               "retry_history": [{"attempt": True}, {"attempt": 2.0}, {"attempt": 2, "status": 1}]}
    entry = dlq_normalize(LogEvent("trigger.dlq", 1, "dlq_entry", payload, {}, 1_777_000_000_000))
    assert entry is not None
    assert (entry.binding_id, entry.binding_version, entry.binding_key) == ("-", None, "-")
    assert entry.last_error == "unknown error"
    assert [(a.attempt, a.status) for a in entry.attempt_history] == [(2, "dlq")]
    payload["binding_version"] = 2**32  # a u32
    entry = dlq_normalize(LogEvent("trigger.dlq", 1, "dlq_entry", payload, {}, 1_777_000_000_000))
    assert entry is not None and entry.binding_version is None


def test_handoff_normalize_reads_json_types_only() -> None:
    out = handoff_normalize({
        "source_persona": 5, "task": " t ", "confidence": "0.9", "open_questions": ["q", 1, None],
        "budget_remaining": {"tokens": "10", "tool_calls": 2.0, "dollars": True},
    }, "fallback")
    assert (out["source_persona"], out["task"], out["id"]) == ("", "t", "fallback")
    assert out["confidence"] is None and out["open_questions"] == ["q"]
    assert out["budget_remaining"] == {"tokens": None, "tool_calls": None, "dollars": None}
    out = handoff_normalize({"confidence": 1, "budget_remaining": {"tokens": 10, "dollars": 0.5}}, "x")
    assert out["confidence"] == 1.0 and out["budget_remaining"]["tokens"] == 10
    assert out["budget_remaining"]["dollars"] == 0.5
