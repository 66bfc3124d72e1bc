"""The costs screen (`$`): totals, Sparkline trends, breakdowns; follows the run list's rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Sparkline
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.core.analysis.costs import build_cost_report
from harn_tui.core.format import clock
from harn_tui.core.format.numbers import fmt_usd
from harn_tui.screens.costs import CostsScreen, in_range
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)
EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


async def test_dollar_opens_costs_of_the_rows_shown_and_follows_the_filter(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        everything = build_cost_report(runs.table.rows)
        assert everything.summary.cost_usd > 0
        assert fmt_usd(everything.summary.cost_usd) in screen_text(app)  # run list header total
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, CostsScreen))
        costs = app.screen
        await pilot.pause()
        text = screen_text(app)
        assert fmt_usd(everything.summary.cost_usd) in text
        assert f"{everything.summary.call_count:,} calls" in text
        assert "By model" in text
        top_model = everything.ranked("model")[0][0]
        assert costs.query_one("#costs-breakdown").rows[0][0] == top_model
        assert costs.query_one("#costs-day", Sparkline).data == everything.series()
        assert len(costs.query(".costs-wf-spark")) == min(5, len(everything.groups["workflow"]))
        await pilot.press("b")  # provider
        await pilot.pause()
        assert costs.by == "provider" and "By provider" in screen_text(app)
        # back on the list, filter to failed runs: the costs follow
        await pilot.press("escape")
        runs.status_filter = "failed"
        await pilot.pause()
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, CostsScreen))
        failed = build_cost_report(runs.table.rows)
        assert app.screen.report.summary.cost_usd == pytest.approx(failed.summary.cost_usd)
        assert failed.summary.cost_usd < everything.summary.cost_usd
        assert "status:failed" in screen_text(app)


async def test_last_week_by_model_in_two_keys(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        rows = list(app.screen.table.rows)
        starts = sorted(r.started_at_ms for r in rows if r.started_at_ms and r.cost_usd)
        now = starts[-1] + 1000  # "now" = just after the newest run with spend
        monkeypatch.setattr(clock, "_source", lambda: now)
        await pilot.press("dollar_sign", "w")
        await pilot.pause()
        costs = app.screen
        assert isinstance(costs, CostsScreen) and costs.range_key == "7d" and costs.by == "model"
        week = build_cost_report(in_range(rows, 7, now))
        assert costs.report.summary.cost_usd == pytest.approx(week.summary.cost_usd)
        text = screen_text(app)
        assert "last 7 days" in text
        for model, totals in week.ranked("model")[:3]:
            assert model in text and fmt_usd(totals.cost_usd) in text


async def test_costs_of_harns_runs_view_files_come_from_their_usage() -> None:
    app = make_app(EXAMPLES / "more" / "later-runs-view")
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, CostsScreen))
        report = app.screen.report
        assert report.summary.run_count == 2 and report.summary.cost_usd == pytest.approx(0.02)
        assert fmt_usd(report.summary.cost_usd) in screen_text(app)


async def test_costs_are_live_with_the_run_list(tmp_path: Path) -> None:
    import json

    from harn_tui.core.index.summary import summarize
    from harn_tui.messages import RunsChanged

    def record(run_id: str, cost: float) -> dict:
        return {"_type": "run_record", "id": run_id, "workflow_id": "wf", "status": "completed",
                "started_at": "2026-04-24T10:00:00Z",
                "trace_spans": [{"span_id": 1, "kind": "llm_call", "name": "x", "start_ms": 0, "duration_ms": 1,
                                 "metadata": {"provider": "p", "model": "m", "input_tokens": 3, "cost_usd": cost}}]}

    (tmp_path / "a.json").write_text(json.dumps(record("a", 1.5)))
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, CostsScreen))
        assert app.screen.report.summary.cost_usd == pytest.approx(1.5)
        app.post_message(RunsChanged([summarize(record("b", 2.25), "b.json")], []))
        await wait_for(pilot, lambda: app.screen.report.summary.cost_usd == pytest.approx(3.75))
        assert "$3.75" in screen_text(app)
