"""Costs (the portal's `build_cost_report` rules) and `harn-tui costs`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harn_tui.cli import main
from harn_tui.core.analysis.costs import (
    build_cost_report,
    llm_rows,
    price,
    pricing_per_million,
    run_date,
)
from harn_tui.core.index.summary import summarize

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"


def span(**meta: Any) -> dict[str, Any]:
    return {"span_id": 1, "kind": "llm_call", "name": "x", "start_ms": 0, "duration_ms": 1, "metadata": meta}


def test_span_metadata_rules() -> None:
    run = {"trace_spans": [
        span(provider="anthropic", model="claude-sonnet-4", input_tokens=1000, output_tokens=100, cost_usd=0.5),
        span(provider="anthropic", model="claude-sonnet-4", input_tokens=1_000_000, output_tokens=0),  # priced
        span(provider="openai", model="mystery", input_tokens=0, output_tokens=0),  # nothing: skipped
        span(model="gpt-4o-mini", input_tokens=2_000_000, output_tokens=1_000_000),  # provider unknown
        {"kind": "tool_call", "metadata": {"cost_usd": 9.0}},
    ]}
    rows = {(r[0], r[1]): r[2:] for r in llm_rows(run)}
    assert rows[("anthropic", "claude-sonnet-4")] == [2, 1_001_000, 100, pytest.approx(3.5)]
    assert rows[("unknown", "gpt-4o-mini")] == [1, 2_000_000, 1_000_000, pytest.approx(0.9)]
    assert ("openai", "mystery") not in rows


def test_harns_static_pricing_first_match_wins() -> None:
    assert pricing_per_million("gpt-4o-mini-2024") == (0.15, 0.60)  # before gpt-4o
    assert pricing_per_million("claude-opus-4-1") == (15.0, 75.0)
    assert pricing_per_million("o1-mini") == (3.0, 12.0)
    assert price("no-such-model", 10, 10) == 0.0


def test_usage_is_the_fallback_without_llm_spans() -> None:
    run = {"usage": {"input_tokens": 10, "output_tokens": 5, "call_count": 2, "total_cost": 0.25, "models": ["m"]}}
    assert llm_rows(run) == [["unknown", "m", 2, 10, 5, 0.25]]
    run = {"usage": {"input_tokens": 1_000_000, "output_tokens": 0, "models": ["gpt-4o"]}}
    assert llm_rows(run) == [["unknown", "gpt-4o", 1, 1_000_000, 0, 2.5]]
    assert llm_rows({"usage": {"models": ["a", "b"]}}) == []


def test_days_follow_the_portal_then_parse_other_formats() -> None:
    assert run_date("2026-11-20T23:59:00-05:00", 0) == "2026-11-20"  # the text's own date
    assert run_date("2026-11-20 10:00:00", None) == "2026-11-20"
    assert run_date("1714460000.120", 1_714_460_000_120) == "2024-04-30"
    assert run_date("", None) == "unknown"


def _summary(run_id: str, workflow: str, started: str, *spans: dict[str, Any]) -> Any:
    run = {"_type": "run_record", "id": run_id, "workflow_id": workflow, "status": "completed",
           "started_at": started, "trace_spans": list(spans)}
    return summarize(run, f"{run_id}.json")


def test_report_aggregates_and_sorts_like_the_portal() -> None:
    runs = [
        _summary("a", "deploy", "2026-11-20T01:00:00Z", span(provider="p", model="m1", input_tokens=1, cost_usd=1.0)),
        _summary("b", "deploy", "2026-11-19T01:00:00Z", span(provider="p", model="m2", input_tokens=1, cost_usd=3.0),
                 span(provider="p", model="m1", input_tokens=2, cost_usd=1.0)),
        _summary("c", "triage", "2026-11-20T02:00:00Z", span(provider="q", model="m1", output_tokens=4, cost_usd=0.5)),
        _summary("d", "triage", "2026-11-20T03:00:00Z"),  # no spend
    ]
    report = build_cost_report(runs)
    doc = report.to_json("model")
    assert doc["summary"] == {"total_cost_usd": 5.5, "call_count": 4, "input_tokens": 4, "output_tokens": 4,
                              "run_count": 3}
    assert [(t["date"], t["pipeline"], t["cost_usd"]) for t in doc["trend"]] == [
        ("2026-11-19", "deploy", 4.0), ("2026-11-20", "deploy", 1.0), ("2026-11-20", "triage", 0.5)]
    assert [(b["provider"], b["model"], b["cost_usd"]) for b in doc["provider_breakdown"]] == [
        ("p", "m2", 3.0), ("p", "m1", 2.0), ("q", "m1", 0.5)]
    assert [(g["key"], g["cost_usd"], g["run_count"]) for g in doc["groups"]] == [("m2", 3.0, 1), ("m1", 2.5, 3)]
    assert report.days() == ["2026-11-19", "2026-11-20"]
    assert report.series() == [4.0, 1.5] and report.series("triage") == [0.0, 0.5]
    assert [k for k, _ in report.ranked("day")] == ["2026-11-19", "2026-11-20"]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARN_TUI_CACHE_DIR", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    runs.mkdir()
    for run_id, wf, model, cost in (("a", "deploy", "m1", 1.0), ("b", "triage", "m2", 2.0)):
        (runs / f"{run_id}.json").write_text(json.dumps({
            "_type": "run_record", "id": run_id, "workflow_id": wf, "status": "completed",
            "started_at": "2026-11-20T01:00:00Z",
            "trace_spans": [span(provider="p", model=model, input_tokens=5, output_tokens=1, cost_usd=cost)]}))
    (runs / "broken.json").write_text("{")
    return runs


@pytest.mark.parametrize("by", ["day", "workflow", "model", "provider"])
def test_cli_costs_json_shape(root: Path, by: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["costs", str(root), "--by", by, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"summary", "trend", "provider_breakdown", "by", "groups"}
    assert set(doc["summary"]) == {"total_cost_usd", "call_count", "input_tokens", "output_tokens", "run_count"}
    assert doc["summary"]["total_cost_usd"] == 3.0 and doc["by"] == by
    for group in doc["groups"]:
        assert set(group) == {"key", "cost_usd", "call_count", "input_tokens", "output_tokens", "run_count"}
    expected = {"day": ["2026-11-20"], "workflow": ["triage", "deploy"], "model": ["m2", "m1"], "provider": ["p"]}
    assert [g["key"] for g in doc["groups"]] == expected[by]


def test_cli_costs_where_table_and_exit_codes(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["costs", str(root), "--where", "workflow=deploy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["total_cost_usd"] == 1.0
    assert main(["costs", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("total $3.00") and "m2" in out.splitlines()[3]
    assert main(["costs", str(root), "--where", "nosuchfield=1"]) == 2
    assert "nosuchfield" in capsys.readouterr().err
    assert main(["costs", str(root / "missing")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["costs", str(root), "--by", "week"])
    assert exc.value.code == 2


def test_cli_costs_on_harns_runs_view_files(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Harn's `runs view` fixtures carry usage (0.01 USD, model-a, one call each) and no spans."""
    monkeypatch.setenv("HARN_TUI_CACHE_DIR", str(tmp_path))
    assert main(["costs", str(EXAMPLES / "more" / "later-runs-view"), "--json", "--by", "model"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"total_cost_usd": 0.02, "call_count": 2, "input_tokens": 20, "output_tokens": 10,
                              "run_count": 2}
    assert [(g["key"], g["run_count"]) for g in doc["groups"]] == [("model-a", 2)]
    assert doc["trend"] == [{"date": "2026-01-01", "pipeline": "Workflow", "cost_usd": 0.02, "call_count": 2,
                             "input_tokens": 20, "output_tokens": 10}]


def test_query_cost_is_the_cost_column() -> None:
    from harn_tui.core.analysis.query import filter_runs

    spans_only = _summary("a", "deploy", "2026-11-20T01:00:00Z", span(provider="p", model="m", input_tokens=1,
                                                                     cost_usd=2.0))
    cheap = _summary("b", "deploy", "2026-11-20T01:00:00Z", span(provider="p", model="m", input_tokens=1,
                                                                cost_usd=0.1))
    assert spans_only.cost_usd == 2.0 and spans_only.usage["total_cost"] == 0.0
    assert [r.id for r in filter_runs([spans_only, cheap], "cost>$1", 0)] == ["a"]
