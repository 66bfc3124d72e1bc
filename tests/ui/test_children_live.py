"""Child runs pane: the child's own run file wins over the parent's copy, live (issue 9.2)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from uitools import make_app, wait_for, wait_ready

from harn_tui.core.demo.common import atomic_write_json
from harn_tui.screens.run import RunScreen

SIZE = (120, 36)


def _child(status: str, *, failed_stage: bool) -> dict:  # type: ignore[type-arg]
    stage = {"id": "c:s1", "node_id": "compile", "kind": "stage",
             "status": "failed" if failed_stage else "completed",
             "outcome": "error" if failed_stage else "success",
             "started_at": "2026-11-20T09:00:10Z", "finished_at": "2026-11-20T09:00:52Z",
             "metadata": {"error": "exit 2"} if failed_stage else {}}
    return {"_type": "run_record", "id": "run-child", "workflow_id": "build", "status": status,
            "started_at": "2026-11-20T09:00:10Z", "finished_at": "2026-11-20T09:00:52Z",
            "parent_run_id": "run-parent", "stages": [stage]}


def _parent(run_path: str) -> dict:  # type: ignore[type-arg]
    return {"_type": "run_record", "id": "run-parent", "workflow_id": "deploy", "status": "completed",
            "started_at": "2026-11-20T09:00:00Z", "finished_at": "2026-11-20T09:01:00Z",
            "child_runs": [{"worker_id": "w1", "worker_name": "builder", "task": "build it",
                            "status": "completed", "started_at": "2026-11-20T09:00:05Z",
                            "finished_at": "2026-11-20T09:00:06Z", "run_id": "run-child",
                            "run_path": run_path}]}


def _row(screen: RunScreen) -> list[str]:
    table = screen.query_one("#children-table")
    return [str(cell) for cell in table.get_row_at(0)]


@pytest.mark.parametrize("where", ["in the root", "outside the root"])
async def test_the_childs_own_file_wins_and_is_followed_live(tmp_path: Path, where: str) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    if where == "in the root":
        child_path, run_path = root / "child.json", "child.json"
    else:
        (tmp_path / "elsewhere").mkdir()
        child_path = tmp_path / "elsewhere" / "child.json"
        run_path = str(child_path)
    child_path.write_bytes(orjson.dumps(_child("failed", failed_stage=True)))
    (root / "parent.json").write_bytes(orjson.dumps(_parent(run_path)))
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert "parent.json" in app.runs
        await pilot.pause(0.3)  # the watcher starts
        app.open_path(root / "parent.json")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        await pilot.press("2")
        # the parent says completed in 1s; the child's file says failed after 42s
        await wait_for(pilot, lambda: "failed" in _row(screen)[1])
        row = _row(screen)
        assert row[3] == "42.0s" and "compile failed" in row[4] and "exit 2" in row[4]
        # scrubbed to a moment the child was still running, it shows running, not its final word
        from harn_tui.core.format.timestamps import parse_ms
        from harn_tui.widgets.scrubber import apply_as_of

        apply_as_of(screen, parse_ms("2026-11-20T09:00:05.500Z"))
        await pilot.pause()
        assert "running" in _row(screen)[1]
        apply_as_of(screen, None)
        await pilot.pause()
        assert "failed" in _row(screen)[1]
        atomic_write_json(child_path, _child("completed", failed_stage=False))
        await wait_for(pilot, lambda: "completed*" in _row(screen)[1])
        assert "build it" in _row(screen)[4]
        child_path.unlink()  # gone: the parent's copy again
        await wait_for(pilot, lambda: _row(screen)[2] == "missing")
        assert _row(screen)[1].endswith("completed") and _row(screen)[3] == "1.0s"
