"""Handing a run over: the raw file vs the normalized record, and $EDITOR on a read-only copy."""

from __future__ import annotations

import contextlib
import json
import stat
import sys
from pathlib import Path

import orjson
import pytest
from uitools import make_app, screen_text, wait_for

from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen

SIZE = (120, 36)
RECORD = {
    "_type": "run_record", "id": "run-x", "workflow_id": "deploy", "status": "completed",
    "started_at": "2026-11-20T09:00:00Z", "finished_at": "2026-11-20T09:01:00Z",
    "stages": [{"id": "s1", "node_id": "plan", "status": "completed"}], "x_unknown": 7,
}


def _root(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "x.json"
    path.write_bytes(orjson.dumps(RECORD))
    return root, path


async def _open_run(pilot) -> RunScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: "x.json" in app.runs)
    app.open_path(app.root / "x.json")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    return app.screen


async def _json_value(pilot) -> JsonScreen:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JsonScreen) and not pilot.app.screen.loading_file)
    await pilot.pause()
    return pilot.app.screen


async def test_raw_file_and_normalized_record_are_two_named_views(tmp_path: Path) -> None:
    """`R` is the file's bytes as JSON, nothing added; `J` the normalized record (issue 9.5)."""
    root, _path = _root(tmp_path)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _open_run(pilot)
        await pilot.press("R")
        raw = await _json_value(pilot)
        assert raw.value == RECORD  # exactly the file: no defaults, no derived keys
        assert "raw file · x.json" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("J")
        norm = await _json_value(pilot)
        assert "normalized record · x.json" in screen_text(app)
        assert norm.value["derived"]["path"] == "x.json"
        assert "transitions" in norm.value and "transitions" not in RECORD  # defaults filled in
        assert norm.value["x_unknown"] == 7
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        # both are in `?` help and in the palette
        from harn_tui.commands import RunCommands
        from harn_tui.screens.help import help_sections

        helps = {desc: keys for _section, rows in help_sections(app.screen) for keys, desc in rows}
        assert helps["Raw file (its bytes as JSON)"] == "R"
        assert helps["Normalized record (defaults, derived keys)"] == "J"
        names = [name for name, _cb, _help in RunCommands(app.screen)._commands()]
        assert {"Run: raw file", "Run: normalized record", "Run: read-only copy in $EDITOR"} <= set(names)


async def test_editor_gets_a_read_only_copy_outside_the_run_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+e never hands $EDITOR the run file itself (issue 9.12)."""
    root, path = _root(tmp_path)
    before = path.read_bytes()
    seen = tmp_path / "seen.json"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import json, os, sys\n"
        "p = sys.argv[1]\n"
        f"json.dump({{'path': p, 'mode': os.stat(p).st_mode, 'text': open(p).read()}}, open({str(seen)!r}, 'w'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    app = make_app(root)
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await _open_run(pilot)
        await pilot.press("ctrl+e")
        await wait_for(pilot, seen.exists)
        await pilot.pause()
        got = json.loads(seen.read_text())
        copy = Path(got["path"])
        assert copy != path and root not in copy.parents
        assert not got["mode"] & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        assert got["text"] == before.decode()
        assert not copy.exists() and not copy.parent.exists()  # removed once the editor exits
        assert any("read-only copy" in n.message for n in app._notifications)
    assert path.read_bytes() == before


async def test_the_pager_cannot_start_an_editor_on_the_run_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`less` would open $EDITOR on the real file with `v`: the pager runs with LESSSECURE=1."""
    root, path = _root(tmp_path)
    seen = tmp_path / "seen.json"
    pager = tmp_path / "pager.py"
    pager.write_text(
        "import json, os, sys\n"
        f"json.dump({{'path': sys.argv[1], 'secure': os.environ.get('LESSSECURE')}}, open({str(seen)!r}, 'w'))\n"
    )
    monkeypatch.setenv("PAGER", f"{sys.executable} {pager}")
    app = make_app(root)
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await _open_run(pilot)
        await pilot.press("p")
        await wait_for(pilot, seen.exists)
        got = json.loads(seen.read_text())
        assert got == {"path": str(path), "secure": "1"}
