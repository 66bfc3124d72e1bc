"""Whole run ids: room in the run list when there is room, id prefixes in the palette (issue 9.9)."""

from __future__ import annotations

from pathlib import Path

import orjson
from uitools import make_app, screen_text, wait_for

from harn_tui.commands import RunCommands
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen
from harn_tui.widgets.query_bar import QueryBar
from harn_tui.widgets.run_table import layout

IDS = [
    "run_01a233e2-38fb-7cff-a16c-c0f4756b6aa1",
    "run_01a233e2-38fb-7cff-a16c-c0f4756b6bb2",
    "run_01a299ff-0000-7000-8000-000000000003",
]


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    for n, run_id in enumerate(IDS):
        rec = {"_type": "run_record", "id": run_id, "workflow_id": "deploy", "status": "completed",
               "started_at": f"2026-11-20T09:0{n}:00Z", "finished_at": f"2026-11-20T09:0{n}:30Z"}
        (root / f"r{n}.json").write_bytes(orjson.dumps(rec))
    return root


def test_the_id_column_grows_only_when_there_is_room() -> None:
    widths = {w: dict((k, x) for k, _t, x in layout(w)) for w in (80, 120, 200)}
    assert "id" not in widths[80]
    assert widths[120]["id"] == 14  # unchanged where space is tight
    assert widths[200]["id"] >= len(IDS[0])
    assert widths[200]["failure"] >= 50
    for w, cols in widths.items():
        assert sum(x + 1 for x in cols.values()) <= w + 1


async def test_whole_ids_at_200_columns(tmp_path: Path) -> None:
    app = make_app(_root(tmp_path))
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: len(app.runs) == 3 and isinstance(app.screen, RunsScreen))
        await pilot.pause(0.2)
        text = screen_text(app)
        for run_id in IDS:
            assert run_id in text


async def _hits(app, query: str) -> list:  # type: ignore[no-untyped-def]
    provider = RunCommands(app.screen)
    return [hit async for hit in provider.search(query)]


async def test_palette_opens_a_unique_id_prefix_and_names_ambiguous_ones(tmp_path: Path) -> None:
    app = make_app(_root(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(app.runs) == 3)
        hits = await _hits(app, "run_01a299")
        assert hits[0].text == f"Open run {IDS[2]}"
        hits[0].command()
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        assert app.screen.detail.record.id == IDS[2]
        app.pop_screen()
        await pilot.pause()
        hits = await _hits(app, "run_01a233")
        top = hits[0]
        assert top.text.startswith("run id prefix 'run_01a233' matches 2 runs: ")
        assert IDS[0] in top.text and IDS[1] in top.text
        top.command()  # lists them in the run list
        await pilot.pause(0.3)
        assert app.screen.query_one(QueryBar).value == "id~run_01a233"
        assert sorted(r.id for r in app.screen.table.rows) == IDS[:2]


def test_the_inbox_run_column_grows_only_when_there_is_room() -> None:
    from harn_tui.screens.inbox import layout as inbox_layout

    widths = {w: dict((k, x) for k, _t, x in inbox_layout(w)) for w in (80, 120, 200)}
    assert widths[80]["run"] == 24 and widths[120]["run"] == 34  # unchanged where space is tight
    assert widths[200]["run"] >= len("research · ") + len(IDS[0])
    assert widths[200]["prompt"] >= 60
