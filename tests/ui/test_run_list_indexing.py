"""While the first scan streams rows in, the run list refreshes a few times a second, not per
batch (a key never waits behind a re-sort per batch), and still ends up with every row."""

from __future__ import annotations

import dataclasses

from uitools import make_app, wait_for, wait_ready

from harn_tui.app import LoadState
from harn_tui.screens import runs as runs_module
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


async def test_streamed_batches_are_coalesced_while_indexing_and_all_land(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        calls: list[int] = []
        original = screen.recompute_rows

        def counted() -> None:
            calls.append(len(app.runs))
            original()

        screen.recompute_rows = counted  # type: ignore[method-assign]
        template = next(r for r in screen.table.rows if not r.broken)
        indexing = LoadState()  # as during the first scan
        monkeypatch.setattr(app, "_load", indexing)
        for i in range(12):  # twelve batches in quick succession
            run = dataclasses.replace(
                template, path=f"zz-streamed-{i}.json", started_at_ms=10**13 + i
            )
            app.runs[run.path] = run
            screen.refresh_rows()
        assert len(calls) <= 1  # at most the first batch right away
        await wait_for(
            pilot,
            lambda: any(r.path == "zz-streamed-11.json" for r in screen.table.rows),
            timeout=runs_module.INDEXING_REFRESH_EVERY * 20,
        )
        assert len(calls) <= 2
        assert [r.path for r in screen.table.rows[:12]] == [
            f"zz-streamed-{i}.json" for i in range(11, -1, -1)
        ]
        indexing.scan_done()  # once indexed, every change shows at once
        indexing.runs_listed()
        del app.runs["zz-streamed-0.json"]
        screen.refresh_rows()
        assert all(r.path != "zz-streamed-0.json" for r in screen.table.rows)
