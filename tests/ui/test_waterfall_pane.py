"""Pilot tests and a snapshot of the Waterfall pane hosted on a bare screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from uitools import APP_CSS, screen_text, wait_for

from harn_tui.core.analysis.waterfall import Bar, Waterfall
from harn_tui.core.format.normalize import RunDetail, load_run
from harn_tui.messages import OpenJson
from harn_tui.widgets.panes.waterfall import (
    WaterfallPane,
    columns,
    draw_bar,
    fmt_axis,
    heat_text,
    nice_step,
    ticks,
)

SIZE = (120, 36)
HOSTILE = "[bold]x[/] \x1b]0;t\x07"


def span(sid: int, parent: int | None, start: int, dur: int, kind: str, name: str, **meta: Any) -> dict[str, Any]:
    return {"span_id": sid, "parent_id": parent, "kind": kind, "name": name, "start_ms": start,
            "duration_ms": dur, "metadata": meta}


def stage(sid: str, start: str, end: str, tokens: int, status: str = "completed") -> dict[str, Any]:
    return {"id": sid, "node_id": sid, "kind": "stage", "status": status, "outcome": "success",
            "started_at": start, "finished_at": end,
            "usage": {"input_tokens": tokens, "output_tokens": tokens // 4, "total_duration_ms": 0,
                      "call_count": 1, "total_cost": tokens / 100_000}}


def make_run(extra_spans: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spans = [
        span(1, None, 0, 10_000, "pipeline", "deploy"),
        span(2, 1, 100, 3_000, "llm_call", "plan:llm_call", model="claude-x", provider="anthropic",
             input_tokens=9_000, output_tokens=1_000, cost_usd=0.05),
        span(3, 2, 3_100, 400, "tool_call", HOSTILE, tool_name="read_file"),
        span(4, 1, 4_000, 2_500, "llm_call", "build:llm_call", model="gpt-y", provider="openai",
             input_tokens=2_000, output_tokens=500, cost_usd=0.20),
        span(5, 4, 4_100, 30, "fn_call", "helper"),
        span(6, 1, 6_600, 1_200, "spawn", "worker"),
        span(7, 1, 7_900, 900, "model_route", "route"),
        span(8, 99, 8_000, 500, "import", "orphaned"),
        span(9, 10, 9_000, 200, "parallel", "loop-a"),
        span(10, 9, 9_100, 100, "parallel", "loop-b"),
        *(extra_spans or []),
    ]
    return {
        "_type": "run_record", "id": "run-wf", "workflow_id": "wf", "workflow_name": "waterfall_test",
        "task": "t", "status": "failed", "started_at": "2026-04-22T00:00:00Z",
        "finished_at": "2026-04-22T00:00:12Z",
        "stages": [
            stage("plan", "2026-04-22T00:00:00.500Z", "2026-04-22T00:00:04Z", 10_000),
            stage("build", "2026-04-22T00:00:04Z", "2026-04-22T00:00:09Z", 2_500),
            stage("deploy", "2026-04-22T00:00:09Z", "2026-04-22T00:00:12Z", 0, status="failed"),
        ],
        "trace_spans": spans,
    }


def make_detail(tmp_path: Path, run: dict[str, Any] | None = None, name: str = "run.json") -> RunDetail:
    path = tmp_path / name
    path.write_text(json.dumps(run if run is not None else make_run()))
    return load_run(path)


class PaneScreen(Screen[None]):
    def __init__(self, pane: Any) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


class Host(App[None]):
    """A minimal App: records the raw-view messages the pane posts."""

    CSS_PATH = APP_CSS

    def __init__(self, pane: Any, detail: RunDetail | None = None) -> None:
        super().__init__()
        self.pane = pane
        self.detail = detail
        self.calls: list[tuple[str, Any, str]] = []

    def on_mount(self) -> None:
        self.push_screen(PaneScreen(self.pane))
        if self.detail is not None:
            self.call_after_refresh(self._show)

    def _show(self) -> None:
        assert self.detail is not None
        self.pane.show(self.detail)
        self.pane.focus_main()

    def on_open_json(self, message: OpenJson) -> None:
        self.calls.append(("json", message.value, message.title))


async def started(pilot: Any, pane: WaterfallPane, detail: RunDetail) -> None:
    await pilot.pause()
    pane.show(detail)
    pane.focus_main()
    await pilot.pause()


def goto(pane: WaterfallPane, key: str) -> Bar:
    index = pane.waterfall.index_of(key)
    assert index is not None, key
    pane.list.cursor = index
    return pane.waterfall.rows[index]


# -- pure rendering helpers ----------------------------------------------------------


def test_axis_helpers() -> None:
    assert [nice_step(x) for x in (0.3, 1, 3, 7, 12, 180, 999, 4_100)] == [1, 1, 5, 10, 20, 200, 1000, 5000]
    assert fmt_axis(250, 50) == "250ms"
    assert fmt_axis(1500, 500) == "1.5s"
    assert fmt_axis(20_000, 5000) == "20s"
    assert fmt_axis(120_000, 60_000) == "2m00s"
    cols = ticks(0, 10_000, 60)
    assert cols[0] == (0, 0) and all(0 <= c < 60 for c, _ in cols)
    assert [ms for _, ms in cols] == [0, 2000, 4000, 6000, 8000, 10_000][: len(cols)]
    label_w, bar_w = columns(100)
    assert label_w + bar_w + 8 + 9 + 3 == 100
    assert columns(30)[1] >= 1


def test_draw_bar_positions_and_clipping() -> None:
    bar = Bar(0, "x", "llm_call", 2_500, 5_000)
    text = draw_bar(bar, 0, 10_000, 20, frozenset())
    assert text.plain == "     ██████████     "
    assert text.cell_len == 20
    # window inside the bar: clipped at both ends
    assert draw_bar(bar, 3_000, 4_000, 10, frozenset()).plain == "◀████████▶"
    # entirely before / after the window
    assert draw_bar(bar, 8_000, 9_000, 10, frozenset()).plain == "◀         "
    assert draw_bar(bar, 0, 1_000, 10, frozenset()).plain == "         ▶"
    # an instant still shows a tick; grid marks fill the empty track
    tiny = Bar(0, "x", "tool_call", 5_000, 0)
    assert draw_bar(tiny, 0, 10_000, 10, frozenset({2})).plain == "  ┊  ▏    "
    # a fractional end uses an eighth block
    assert draw_bar(Bar(0, "x", "fn_call", 0, 1_250), 0, 10_000, 10, frozenset()).plain == "█▎        "


def test_heat_cell_scales_background() -> None:
    rows = [Bar(0, "a", "llm_call", 0, 1, 900, 100, 0.5), Bar(0, "b", "llm_call", 0, 1, 100, 0, 0.1),
            Bar(0, "c", "fn_call", 0, 1)]
    wf = Waterfall(rows, 0, 1, {"spans": 1000}, {"spans": 0.5})
    hot, cold, none = (heat_text(b, wf, "tokens") for b in rows)
    assert hot.plain.strip() == "1.0k" and cold.plain.strip() == "100" and none.plain.strip() == "·"
    assert isinstance(hot.style, Style) and isinstance(cold.style, Style)
    hot_bg, cold_bg = hot.style.bgcolor, cold.style.bgcolor
    assert hot_bg is not None and cold_bg is not None
    assert hot_bg.get_truecolor().red > cold_bg.get_truecolor().red  # hotter is brighter red
    assert heat_text(rows[1], wf, "cost").plain.strip() == "$0.1000"


# -- the pane ----------------------------------------------------------------------------


async def test_rows_nested_with_axis_and_hostile_text_literal(tmp_path: Path) -> None:
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        text = screen_text(app)
        assert "Stages (3)" in text and "Trace spans (10)" in text
        assert "duration" in text and "tokens" in text and "╷0s" in text
        assert "window 0ms–12.000s" in text
        lines = text.splitlines()
        plan = next(x for x in lines if "plan:llm_call" in x)
        assert plan.startswith("  ✦ plan:llm_call")  # depth 1 under the pipeline, after the group indent
        tool = next(x for x in lines if "[bold]x[/]" in x)
        assert tool.startswith("   ⚒ [bold]x[/]")  # depth 2, markup shown literally
        assert "\\x1b]0;t\\x07" in tool
        assert "10k" in plan and "3.0s" in plan
        orphan = next(x for x in lines if "orphaned" in x)
        assert orphan.startswith(" ⚠")
        assert any(x.startswith(" ↻") and "loop-a" in x for x in lines)
        svg = app.export_screenshot().replace("&#160;", " ")
        assert "[bold]x[/]" in svg and "\x1b" not in svg and "\x07" not in svg


async def test_zoom_pan_reset_around_cursor_row(tmp_path: Path) -> None:
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        full = pane.list.window
        assert full == (0.0, 12_000.0)
        goto(pane, "span:4#0")  # starts at 4,000 ms
        await pilot.press("plus")
        start, end = pane.list.window
        assert end - start == pytest.approx(6_000)
        assert (4_000 - start) / (end - start) == pytest.approx(4_000 / 12_000)  # anchor stays put
        await pilot.press("plus", "plus")
        start, end = pane.list.window
        assert end - start == pytest.approx(1_500) and start <= 4_000 <= end
        status = str(pane.query_one("#waterfall-status", Static).render())
        assert "zoom ×8" in status
        await pilot.press("l")
        assert pane.list.window[0] == pytest.approx(start + 375)
        await pilot.press("h", "h")
        assert pane.list.window[0] == pytest.approx(start - 375)
        for _ in range(20):
            pane.action_pan(-1)
        assert pane.list.window[0] == 0.0  # panning stops at the edge
        for _ in range(4):
            pane.action_zoom(-1)
        await pilot.press("minus")
        assert pane.list.window == full  # never wider than the whole run
        await pilot.press("plus", "plus")
        assert pane.list.window != full
        await pilot.press("z")
        assert pane.list.window == full
        # a zoomed row outside the window shows as an arrow at the edge
        goto(pane, "span:2#0")
        await pilot.press("plus", "plus", "plus", "plus")
        await pilot.pause()
        line = next(x for x in screen_text(app).splitlines() if "orphaned" in x)
        assert "▶" in line


async def test_enter_and_r_open_the_selected_json(tmp_path: Path) -> None:
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        detail = make_detail(tmp_path)
        await started(pilot, pane, detail)
        goto(pane, "span:2#0")
        await pilot.press("enter")
        kind, value, title = app.calls[-1]
        assert kind == "json" and value["span_id"] == 2 and value["metadata"]["model"] == "claude-x"
        assert title == "span 2 plan:llm_call"
        await pilot.press("j")
        await pilot.press("r")
        assert app.calls[-1][1]["name"] == HOSTILE
        await pilot.press("g", "r")
        assert app.calls[-1][1] is detail.normalized["stages"] and app.calls[-1][2] == "stages"
        await pilot.press("j", "enter")
        assert app.calls[-1][1]["node_id"] == "plan" and app.calls[-1][2] == "stage plan"
        assert pane.selection() == ("stage plan", detail.normalized["stages"][0])


async def test_detail_line_and_heat_metric_toggle(tmp_path: Path) -> None:
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        goto(pane, "span:4#0")
        await pilot.pause()
        detail = str(pane.query_one("#waterfall-detail", Static).render())
        assert "build:llm_call" in detail and "model gpt-y" in detail and "provider openai" in detail
        assert "tokens 2,000 in / 500 out" in detail and "$0.2000" in detail and "span 4 ← 1" in detail
        goto(pane, "span:8#0")
        await pilot.pause()
        assert "parent 99 not found" in str(pane.query_one("#waterfall-detail", Static).render())
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert "heat: cost" in text
        build = next(x for x in text.splitlines() if "build:llm_call" in x)
        assert "$0.2000" in build
        await pilot.press("c")
        assert pane.list.metric == "tokens"


async def test_reload_keeps_cursor_row_and_zoom(tmp_path: Path) -> None:
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        goto(pane, "span:6#0")
        await pilot.press("plus")
        window = pane.list.window
        grown = make_run([span(11, 1, 50, 20, "fn_call", "early")])  # sorts before span 6
        pane.show(make_detail(tmp_path, grown, "grown.json"))
        await pilot.pause()
        bar = pane.current_bar()
        assert bar is not None and bar.key == "span:6#0"
        assert pane.list.window == window
        pane.follow()
        assert pane.list.cursor == len(pane.waterfall.rows) - 1


async def test_empty_run_says_so(tmp_path: Path) -> None:
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        run = make_run()
        run["stages"], run["trace_spans"] = [], []
        await started(pilot, pane, make_detail(tmp_path, run))
        assert "No stages or trace spans in this run." in screen_text(app)
        await pilot.press("plus", "h", "z", "enter", "r")  # nothing to act on: no errors
        assert app.calls == [] and pane.selection() is None


async def test_many_spans_render_a_screenful(tmp_path: Path) -> None:
    n = 10_000
    run = make_run()
    run["trace_spans"] = [span(0, None, 0, n, "pipeline", "root")] + [
        span(i, (i - 1) // 4 if i > 4 else 0, i, 3, "llm_call" if i % 2 else "tool_call", f"span-{i}",
             input_tokens=i) for i in range(1, n)]
    detail = make_detail(tmp_path, run)
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, detail)
        assert len(pane.waterfall.rows) == n + 3 + 2
        await pilot.press("G")
        await wait_for(pilot, lambda: pane.list.cursor == len(pane.waterfall.rows) - 1)
        await pilot.pause()
        bar = pane.current_bar()
        assert bar is not None and bar.label in screen_text(app)
        assert f"row {len(pane.waterfall.rows):,}/{len(pane.waterfall.rows):,}" in screen_text(app)


def test_snapshot(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pane = WaterfallPane(id="waterfall")
    app = Host(pane, make_detail(tmp_path))

    async def before(pilot: Any) -> None:
        await wait_for(pilot, lambda: bool(pane.waterfall.rows))
        goto(pane, "span:2#0")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


class TabbedHost(App[None]):
    """The pane on a second, inactive tab (as RunScreen hosts it)."""

    CSS_PATH = APP_CSS

    def __init__(self, pane: WaterfallPane) -> None:
        super().__init__()
        self.pane = pane

    def on_mount(self) -> None:
        pane = self.pane

        class Tabs(Screen[None]):
            def compose(self) -> ComposeResult:
                from textual.widgets import TabbedContent, TabPane

                with TabbedContent(id="tabs"):
                    with TabPane("1 Other", id="pane-other"):
                        yield Static("other pane")
                    with TabPane("8 Waterfall", id="pane-waterfall"):
                        yield pane

        self.push_screen(Tabs())


async def test_hidden_tab_builds_only_when_shown(tmp_path: Path) -> None:
    from textual.widgets import TabbedContent

    pane = WaterfallPane(id="waterfall")
    app = TabbedHost(pane)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane.show(make_detail(tmp_path))
        await pilot.pause()
        assert pane.waterfall.rows == []  # not on screen: no work yet
        app.screen.query_one("#tabs", TabbedContent).active = "pane-waterfall"
        await wait_for(pilot, lambda: len(pane.waterfall.rows) == 15)
        pane.focus_main()
        await pilot.pause()
        assert "Trace spans (10)" in screen_text(app)
        # while on screen, a new detail is applied at once
        pane.show(make_detail(tmp_path, make_run([span(11, 1, 50, 20, "fn_call", "early")]), "g.json"))
        assert len(pane.waterfall.rows) == 16


async def test_later_span_fields_ttft_cost_trace_and_links(tmp_path: Path) -> None:
    # [later] spans: parent_span_id (alias parent_id), trace_id, links, ttft_ms, cost_usd on the span
    later = {"span_id": 11, "parent_span_id": 1, "kind": "llm_call", "name": "later:llm_call",
             "start_ms": 9_500, "duration_ms": 300, "trace_id": "trace_x", "links": [{"span_id": 2}],
             "ttft_ms": 120, "cost_usd": 0.03, "metadata": {"model": "m", "input_tokens": 10}}  # fmt: skip
    pane = WaterfallPane(id="waterfall")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path, make_run([later])))
        goto(pane, "span:11#0")
        await pilot.pause()
        detail = str(pane.query_one("#waterfall-detail", Static).render())
        assert "span 11 ← 1" in detail
        assert "TTFT 120ms" in detail and "$0.0300" in detail
        assert "trace trace_x" in detail and "1 links" in detail
