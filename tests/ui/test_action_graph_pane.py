"""Pilot tests and a snapshot of the Action graph pane (run detail, key 9)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.analysis import action_graph as G
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.screens.run import RunScreen
from harn_tui.widgets.panes.action_graph import ActionGraphPane

HARN = Path(__file__).resolve().parents[1] / "fixtures" / "harn"
SIZE = (120, 36)


def graph_run() -> dict[str, Any]:
    """Harn's trigger test run plus a verify stage, a worker and a planner round."""
    run = json.loads((HARN / "transcribed" / "trigger_predicate.json").read_text())
    run["stages"][1]["artifacts"] = [
        {"data": {"trace": {"iterations": 3, "llm_calls": 2, "tool_executions": 1},
                  "tools": {"calls": ["read"]},
                  "task_ledger": {"root_task": "act", "observations": ["fact one"]}}}
    ]  # fmt: skip
    run["stages"][1]["metadata"] = {"worker": {"id": "w1", "name": "researcher", "task": "dig"}}
    run["stages"][1]["verification"] = {"pass": True}
    return run


def dispatcher_update(trace_id: str) -> dict[str, Any]:
    """What Harn's trigger dispatcher appends (dispatcher/mod.rs emit_action_graph)."""
    return {
        "source": "dispatcher",
        "trace_id": trace_id,
        "event_id": "trigger_evt_1",
        "observability": {
            "schema_version": 1,
            "action_graph_nodes": [
                {"id": "approval:gate", "label": "deploy approval", "kind": "approval", "status": "pending",
                 "outcome": "", "trace_id": trace_id, "metadata": {"request_id": "hitl_approval_1"}},
                {"id": "dispatch:1", "label": "local handler", "kind": "dispatch", "status": "completed",
                 "outcome": "ok", "trace_id": trace_id, "metadata": {"attempt": 1}},
            ],
            "action_graph_edges": [
                {"from_id": "trigger:trigger_evt_1", "to_id": "approval:gate", "kind": "trigger_dispatch", "label": None},
                {"from_id": "approval:gate", "to_id": "dispatch:1", "kind": "entry", "label": None},
            ],
        },
    }  # fmt: skip


def test_tree_rows_from_the_entry_node() -> None:
    from harn_tui.core.format.normalize import normalize_record

    obs = normalize_record(graph_run())["observability"]
    rows = G.tree_rows(obs["action_graph_nodes"], obs["action_graph_edges"])
    assert [(r.prefix, r.node["id"]) for r in rows] == [
        ("", "run:run_trigger_obs"),
        ("└─ ", "trigger:trigger_evt_1"),
        ("   └─ ", "stage:stage_gate"),
        ("      └─ ", "stage:stage_act"),
        ("         └─ ", "worker:w1"),
    ]
    assert [r.edge["kind"] for r in rows[1:] if r.edge] == [
        "entry",
        "trigger_dispatch",
        "predicate_gate",
        "delegates",
    ]


def test_tree_rows_show_a_revisited_node_once_more() -> None:
    nodes = [{"id": i, "kind": "stage"} for i in ("a", "b")] + [{"id": "run:r", "kind": "run"}]
    edges = [
        {"from_id": "run:r", "to_id": "a"},
        {"from_id": "a", "to_id": "b"},
        {"from_id": "b", "to_id": "a"},
    ]
    rows = G.tree_rows(nodes, edges)
    assert [(r.node["id"], r.repeat) for r in rows] == [
        ("run:r", False),
        ("a", False),
        ("b", False),
        ("a", True),
    ]


def test_merge_like_the_portal() -> None:
    nodes = [{"id": "n", "status": "running", "metadata": {"a": 1}}]
    edges = [{"from_id": "x", "to_id": "n", "kind": "entry", "label": None}]
    update = {"action_graph_nodes": [{"id": "n", "status": "done", "metadata": {"b": 2}}],
              "action_graph_edges": [{"from_id": "x", "to_id": "n", "kind": "entry", "label": ""},
                                     {"from_id": "n", "to_id": "m", "kind": "retry"}]}  # fmt: skip
    merged_nodes, merged_edges = G.merge(nodes, edges, [update])
    assert merged_nodes == [{"id": "n", "status": "done", "metadata": {"a": 1, "b": 2}}]
    assert len(merged_edges) == 2  # null and "" labels are the same edge (the portal's key)


def write(path: Path, record: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))


async def open_graph(pilot: Any, app: Any) -> RunScreen:
    await wait_ready(pilot)
    await pilot.press("enter")
    await wait_for(
        pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None
    )
    await pilot.press("9")
    await pilot.pause()
    return app.screen


async def test_pane_shows_typed_rows_rounds_and_lineage(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    write(root / "run.json", graph_run())
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_graph(pilot, app)
        pane = screen.query_one(ActionGraphPane)
        assert screen.query_one("#panes").active == "pane-graph"
        text = await wait_for_text(pilot, "Inbound trigger")
        for needle in ("triggered workflow", "Predicate gate", "predicate_gate true", "researcher",
                       "Planner rounds (1)", "research facts 1", "fact one", "Worker lineage (1)",
                       "5 nodes, 4 edges", "signature unsigned", "Verification (1)", "✓ passed"):  # fmt: skip
            assert needle in text, needle
        assert pane.table.row_count == 5
        await pilot.press("j", "j")
        _title, value = pane.selection()
        assert value["node"]["id"] == "stage:stage_gate"
        assert value["via"]["kind"] == "trigger_dispatch"


async def test_live_action_graph_updates_from_the_event_log(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    write(root / "run.json", graph_run())
    log = EventLogWriter(tmp_path / ".harn", "sqlite")
    log.append(
        "observability.action_graph",
        "action_graph_update",
        {"trace_id": "other"},
        {"trace_id": "other"},
        int(time.time() * 1000),
    )  # another run's: ignored
    app = make_app(root, events=tmp_path / ".harn", watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.event_log is not None)
        screen = await open_graph(pilot, app)
        pane = screen.query_one(ActionGraphPane)
        await wait_for(pilot, lambda: pane.table.row_count == 5)
        await pilot.pause(0.3)
        log.append(
            "observability.action_graph",
            "action_graph_update",
            dispatcher_update("trace_123"),
            {"trace_id": "trace_123", "event_id": "trigger_evt_1"},
            int(time.time() * 1000),
        )
        await wait_for(pilot, lambda: pane.table.row_count == 7)
        text = await wait_for_text(pilot, "Approval gate")
        assert "Local dispatch" in text and "hitl_approval_1" in text
        assert "1 live update from the event log" in text
    log.close()


async def test_tabs_fit_in_80_columns(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    write(root / "run.json", graph_run())
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_graph(pilot, app)
        text = screen_text(app)
        tab_line = next(line for line in text.splitlines() if "1 Stages" in line)
        assert "9 Graph" in tab_line and "2 Child" in tab_line
    wide = make_app(root)
    async with wide.run_test(size=SIZE) as pilot:
        await open_graph(pilot, wide)
        assert "2 Child runs" in screen_text(wide) and "4 Compaction" in screen_text(wide)


async def test_named_file_without_type_opens_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "r"
    shutil.copytree(HARN / "more" / "portal-sidecar", root)
    app = make_app(root, run_file=root / "run.json")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None
        )
        await wait_for_text(pilot, "the file has no _type: read as a run record")


def test_snapshot(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "runs"
    root.mkdir()
    write(root / "run.json", graph_run())
    app = make_app(root)

    async def before(pilot: Any) -> None:
        await open_graph(pilot, app)
        await wait_for(pilot, lambda: app.screen.query_one(ActionGraphPane).table.row_count == 5)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


async def test_header_shows_evidence_gaps_and_grants(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    run = graph_run()
    run["evidence"] = {"execution_id": "hxe-1", "gaps": [{"component": "trace", "code": "missing"}]}
    run["execution"] = {"grants": [{"kind": "fs"}, {"kind": "net"}]}
    run["persona_runtime"] = [{"persona": "merge_captain", "state": "running"}]
    write(root / "run.json", run)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await open_graph(pilot, app)
        text = await wait_for_text(pilot, "evidence gaps trace: missing")
        assert "2 grants" in text
        assert "persona runtime merge_captain (running)" in text


def test_deep_chain_walks_without_recursion_and_caps_the_indent() -> None:
    n = 5000  # deeper than Python's recursion limit
    nodes = [{"id": "run:r", "kind": "run"}] + [{"id": f"s{i}", "kind": "stage"} for i in range(n)]
    edges = [{"from_id": "run:r", "to_id": "s0"}] + [
        {"from_id": f"s{i}", "to_id": f"s{i + 1}"} for i in range(n - 1)
    ]
    rows = G.tree_rows(nodes, edges)
    assert len(rows) == n + 1 and rows[-1].depth == n
    assert len(rows[-1].prefix) <= G.MAX_INDENT * 3 + 3


async def test_help_and_palette_reach_the_pane(tmp_path: Path) -> None:
    from harn_tui.commands import RunCommands
    from harn_tui.screens.help import HelpScreen

    root = tmp_path / "runs"
    root.mkdir()
    write(root / "run.json", graph_run())
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_graph(pilot, app)
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Action graph" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        provider = RunCommands(screen)
        command = next(c for c in provider._commands() if c[0] == "Run: action graph")
        assert "key 9" in command[2]
        command[1]()
        await wait_for(pilot, lambda: screen.query_one("#panes").active == "pane-graph")
