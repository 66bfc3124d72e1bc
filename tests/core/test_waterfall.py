"""Tests for harn_tui.core.analysis.waterfall: span nesting, broken parents, stage layout, heat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.analysis.waterfall import (
    CYCLE,
    GROUP,
    ORPHAN,
    SPANS,
    STAGES,
    Bar,
    Waterfall,
    build_waterfall,
)
from harn_tui.core.format.normalize import load_run


def span(sid: Any, parent: Any = None, start: Any = 0, dur: Any = 10, kind: str = "fn_call",
         name: str | None = None, key: str = "parent_id", **meta: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"span_id": sid, "kind": kind, "name": name if name is not None else f"s{sid}",
                           "start_ms": start, "duration_ms": dur, "metadata": meta}
    if parent is not None:
        out[key] = parent
    return out


def run(spans: list[Any] | None = None, stages: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"_type": "run_record", "id": "r1", "workflow_id": "wf", "status": "completed",
            "started_at": "2026-04-22T00:00:00Z", "stages": stages or [], "trace_spans": spans or [],
            **extra}


def span_rows(wf: Waterfall) -> list[Bar]:
    return [b for b in wf.rows if b.group == SPANS and b.kind != GROUP]


def stage_rows(wf: Waterfall) -> list[Bar]:
    return [b for b in wf.rows if b.group == STAGES and b.kind != GROUP]


def shape(wf: Waterfall) -> list[tuple[int, int | None]]:
    return [(b.depth, b.span_id) for b in span_rows(wf)]


def test_nesting_by_parent_depth_first_children_by_start() -> None:
    wf = build_waterfall(run([
        span(1, None, 0, 100, "pipeline"),
        span(3, 1, 50, 20, "llm_call"),
        span(2, 1, 10, 30, "llm_call"),
        span(4, 2, 15, 5, "tool_call", tool_name="read_file"),
        span(5, 3, 55, 5, "tool_call"),
        span(6, None, 200, 1, "import"),
    ]))
    assert shape(wf) == [(0, 1), (1, 2), (2, 4), (1, 3), (2, 5), (0, 6)]
    rows = span_rows(wf)
    assert rows[0].children == 2
    assert rows[2].label == "s4 · read_file"  # tool_call spans name their tool
    assert rows[2].parent_id == 2
    assert (wf.start, wf.end) == (0, 201)
    assert [b.kind for b in wf.rows if b.kind == GROUP] == [GROUP]  # no stages: no stage header


def test_parent_span_id_preferred_over_parent_id() -> None:
    raw = span(3, 1, 5, 1)
    raw["parent_span_id"] = 2  # the newer key wins over the old one
    wf = build_waterfall(run([span(1), span(2, None, 1, 50), raw]))
    assert shape(wf) == [(0, 1), (0, 2), (1, 3)]
    # only the old key: used as the parent
    wf = build_waterfall(run([span(1), span(2, None, 1, 50), span(3, 1, 5, 1)]))
    assert shape(wf) == [(0, 1), (1, 3), (0, 2)]
    # parent_span_id as numeric text (type drift)
    wf = build_waterfall(run([span(1), span(3, "1", 5, 1, key="parent_span_id")]))
    assert shape(wf) == [(0, 1), (1, 3)]


def test_cycles_terminate_and_every_span_appears_once() -> None:
    spans = [
        span(1, 2, 0), span(2, 1, 5),            # a two-span loop
        span(3, 3, 7),                           # its own parent
        span(4, 5, 1), span(5, 6, 2), span(6, 4, 3),  # a three-span loop
        span(7, 1, 9),                           # hangs off the first loop
        span(8, None, 20),                       # a normal root
    ]
    wf = build_waterfall(run(spans))
    rows = span_rows(wf)
    assert sorted(b.span_id for b in rows) == [1, 2, 3, 4, 5, 6, 7, 8]  # type: ignore[type-var]
    by_id = {b.span_id: b for b in rows}
    assert by_id[3].note == CYCLE and by_id[3].depth == 0
    assert by_id[8].note == "" and by_id[8].depth == 0
    # each loop is entered once, at a member of the loop, marked; the rest nest under it
    loop_heads = [b for b in rows if b.note == CYCLE and b.span_id != 3]
    assert len(loop_heads) == 2
    assert {h.span_id for h in loop_heads} <= {1, 2, 4, 5, 6}
    assert by_id[7].depth >= 1 and by_id[7].note == ""
    assert max(b.depth for b in rows) <= 2


def test_orphans_at_top_level_and_duplicate_ids() -> None:
    wf = build_waterfall(run([
        span(1, None, 0, 100),
        span(2, 99, 10),          # parent never recorded
        span(3, 1, 20),
        span(3, 1, 30),           # duplicate id: both shown
        span(4, 3, 40),           # children of a duplicated id attach to the first
    ]))
    rows = span_rows(wf)
    assert shape(wf) == [(0, 1), (1, 3), (2, 4), (1, 3), (0, 2)]
    orphan = next(b for b in rows if b.span_id == 2)
    assert orphan.note == ORPHAN and orphan.parent_id == 99
    keys = [b.key for b in rows]
    assert len(set(keys)) == len(keys)  # stable keys stay unique with duplicate ids


def test_deep_chain_does_not_recurse() -> None:
    n = 5000
    wf = build_waterfall(run([span(i, i - 1 if i else None, i, 1) for i in range(n)]))
    assert [b.depth for b in span_rows(wf)] == list(range(n))


def test_llm_usage_and_heat() -> None:
    wf = build_waterfall(run([
        span(1, None, 0, 100, "pipeline"),
        span(2, 1, 0, 10, "llm_call", model="m", provider="p", input_tokens=300, output_tokens=100,
             cost_usd=0.02),
        span(3, 1, 10, 10, "llm_call", input_tokens=100, output_tokens=0, cost_usd=0.08),
        {**span(4, 1, 20, 10, "llm_call", input_tokens=50), "cost_usd": 0.01},  # [later] top-level cost
        span(5, 1, 30, 10, "model_route"),  # free-form kind kept
    ]))
    rows = {b.span_id: b for b in span_rows(wf)}
    assert (rows[2].tokens_in, rows[2].tokens_out, rows[2].cost) == (300, 100, 0.02)
    assert rows[3].tokens == 100
    assert rows[4].cost == pytest.approx(0.01)
    assert rows[5].kind == "model_route"
    assert wf.heat(rows[2]) == 1.0
    assert wf.heat(rows[3]) == pytest.approx(0.25)
    assert wf.heat(rows[1]) == 0.0
    assert wf.heat(rows[3], "cost") == 1.0
    assert wf.heat(rows[2], "cost") == pytest.approx(0.25)
    header = wf.rows[0]
    assert header.kind == GROUP and header.tokens == 550 and header.cost == pytest.approx(0.11)
    assert wf.heat(header) == 0.0


def stage(sid: str, start: Any = None, end: Any = None, usage_ms: int = 0, tokens: int = 0,
          status: str = "completed") -> dict[str, Any]:
    return {"id": sid, "node_id": f"node-{sid}", "kind": "stage", "status": status, "started_at": start,
            "finished_at": end,
            "usage": {"input_tokens": tokens, "output_tokens": 0, "total_duration_ms": usage_ms,
                      "total_cost": tokens / 1000}}


def test_stages_from_timestamps_relative_to_run_start() -> None:
    wf = build_waterfall(run(stages=[
        stage("a", "2026-04-22T00:00:01Z", "2026-04-22T00:00:03Z", tokens=10),
        stage("b", "2026-04-22T00:00:03.500Z", None, usage_ms=700, tokens=40),  # no finish: usage
        stage("c", "1776816006", "1776816007.250"),  # seconds text, same clock
    ]))
    rows = stage_rows(wf)
    assert [(b.label, b.start_ms, b.duration_ms) for b in rows] == [
        ("node-a", 1000, 2000), ("node-b", 3500, 700), ("node-c", 6000, 1250)]
    assert wf.stage_layout == "timestamps"
    assert wf.heat(rows[0]) == pytest.approx(0.25) and wf.heat(rows[1]) == 1.0
    assert wf.rows[0].label == "Stages (3)" and wf.rows[0].duration_ms == 6250


def test_stage_fallback_laid_end_to_end() -> None:
    wf = build_waterfall(run(stages=[
        stage("a", "not a time", None, usage_ms=1500),
        stage("b", None, None, usage_ms=500),
        stage("c", "", None, usage_ms=0),
        stage("d", None, None, usage_ms=250),
    ], started_at="garbage"))
    rows = stage_rows(wf)
    assert [(b.start_ms, b.duration_ms) for b in rows] == [(0, 1500), (1500, 500), (2000, 0), (2000, 250)]
    assert wf.stage_layout == "durations"
    # mixed: an untimed stage goes after the previous stage's end
    wf = build_waterfall(run(stages=[
        stage("a", "2026-04-22T00:00:00Z", "2026-04-22T00:00:02Z"),
        stage("b", None, None, usage_ms=300),
        stage("c", "2026-04-22T00:00:05Z", "2026-04-22T00:00:06Z"),
    ]))
    assert [(b.start_ms, b.duration_ms) for b in stage_rows(wf)] == [(0, 2000), (2000, 300), (5000, 1000)]
    assert wf.stage_layout == "mixed"


def test_malformed_input_never_raises() -> None:
    for bad in (run(spans="nope"), run(stages={"x": 1}), {"trace_spans": [1, None, "x", []]}, None, 42):  # type: ignore[arg-type]
        wf = build_waterfall(bad)
        assert wf.rows == [] and (wf.start, wf.end) == (0, 0)
    wf = build_waterfall(run([{"span_id": "7", "start_ms": "12", "duration_ms": -5, "metadata": None}]))
    (bar,) = span_rows(wf)
    assert (bar.span_id, bar.start_ms, bar.duration_ms, bar.label) == (7, 0, 0, "(span)")


def test_from_run_detail_keeps_raw_refs(tmp_path: Path) -> None:
    hostile = "[bold]x[/] \x1b]0;t\x07"
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run(
        [span(1, None, 0, 10, "pipeline", name=hostile), span(2, 1, 1, 2, "llm_call", key="parent_span_id")],
        [stage("a", "2026-04-22T00:00:01Z", "2026-04-22T00:00:02Z")],
    )))
    detail = load_run(path)
    wf = build_waterfall(detail)
    assert [b.kind for b in wf.rows] == [GROUP, "stage", GROUP, "pipeline", "llm_call"]
    assert wf.rows[3].label == hostile  # kept verbatim; the UI escapes it
    assert wf.rows[3].ref is detail.normalized["trace_spans"][0]
    assert wf.rows[1].ref is detail.normalized["stages"][0]
    assert wf.rows[0].ref is detail.normalized["stages"]
    assert wf.index_of("span:2#0") == 4 and wf.index_of("missing") is None
