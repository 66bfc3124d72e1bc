"""Regenerate the README screenshots: `python screenshots/make_screenshots.py [OUT_DIR]`.

Writes the `--demo` corpus into a temporary directory (with a fixed base time, and the run list's
clock frozen at that time, so "2h ago" stays "2h ago"), drives the explorer headless at 120x36 and
saves one SVG per screen into OUT_DIR (default: this folder). Each SVG is also converted to PNG
when `rsvg-convert` (Debian: `librsvg2-bin`) is on PATH; without it the PNGs are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from harn_tui.app import HarnTuiApp
from harn_tui.core.demo.corpus import Corpus, RunInfo, write_demo

SIZE = (120, 36)
#: "Now" in every screenshot: the demo's newest run started ten minutes before it.
BASE_MS = int(datetime(2026, 5, 12, 14, 30, tzinfo=UTC).timestamp() * 1000)
HERE = Path(__file__).resolve().parent


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {condition}")
        await pilot.pause(0.05)


async def settle(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)


class Shooter:
    """One headless app session that walks through the screens and saves each one."""

    def __init__(self, corpus: Corpus, out: Path) -> None:
        self.corpus = corpus
        self.out = out
        self.saved: list[Path] = []

    def app(self) -> HarnTuiApp:
        app = HarnTuiApp(self.corpus.root, events=self.corpus.state_dir, cache_dir=None, watch=False,
                         theme="textual-dark")
        app.animation_level = "none"
        return app

    def save(self, app: HarnTuiApp, name: str) -> None:
        self.saved.append(Path(app.save_screenshot(filename=name, path=str(self.out))))
        print(f"  {name}")

    async def loaded(self, pilot: Pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: app.load.ready)
        await wait_until(pilot, lambda: bool(getattr(app.screen, "table", None) and app.screen.table.rows))
        await settle(pilot)

    async def open_run(self, pilot: Pilot, run: RunInfo) -> None:
        from harn_tui.screens.run import RunScreen

        app = pilot.app
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run.run_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await settle(pilot)

    async def shoot(self) -> None:
        from harn_tui.screens.help import HelpScreen
        from harn_tui.screens.json_view import JsonScreen
        from harn_tui.screens.stage import StageScreen

        runs = self.corpus.runs
        deploy = next(r for r in runs if r.workflow == "deploy" and r.status == "completed" and r.sidecar)
        parent = next(r for r in runs if any(c.parent_run_id == r.run_id for c in runs))
        app = self.app()
        async with app.run_test(size=SIZE) as pilot:
            await self.loaded(pilot)
            self.save(app, "runs.svg")
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await settle(pilot)
            self.save(app, "help.svg")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("dollar_sign")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "CostsScreen")
            await settle(pilot)
            self.save(app, "costs.svg")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("D")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "DlqScreen")
            await wait_until(pilot, lambda: bool(app.screen.list.rows))
            await settle(pilot)
            self.save(app, "dlq.svg")
            await pilot.press("escape")
            await settle(pilot)
            failed = next(r for r in runs if r.status == "failed" and r.workflow == "deploy")
            await self.open_run(pilot, failed)
            await wait_until(pilot, lambda: app.screen.query_one("#stages-error").display)
            app.clear_notifications()
            await settle(pilot)
            self.save(app, "run-failure.svg")
            await pilot.press("escape")
            await settle(pilot)

            await self.open_run(pilot, deploy)
            await pilot.press("O")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "OverviewScreen")
            await settle(pilot)
            self.save(app, "overview.svg")
            await pilot.press("7")
            await settle(pilot)
            self.save(app, "overview-activity.svg")
            await pilot.press("escape")
            await settle(pilot)
            for key, name in (("1", "stages"), ("3", "hitl"), ("4", "compaction"),
                              ("5", "replay"), ("6", "turns"), ("7", "lens"), ("8", "waterfall"),
                              ("9", "graph")):
                await pilot.press(key)
                await wait_until(pilot, lambda n=name: app.screen.query_one("#panes").active == f"pane-{n}")
                await settle(pilot)
                self.save(app, f"run-{name}.svg")
            await pilot.press("1")
            await settle(pilot)
            for _ in range(6):  # scrub back through the run's timeline
                await pilot.press("left_square_bracket")
            await settle(pilot)
            self.save(app, "run-scrubber.svg")
            await pilot.press("0")
            await settle(pilot)
            await pilot.press("c")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "CompareScreen")
            await wait_until(pilot, lambda: getattr(app.screen, "comparison", None) is not None, 30)
            await settle(pilot)
            self.save(app, "compare.svg")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("j", "j", "enter")  # the `test` (verify) stage
            await wait_until(pilot, lambda: isinstance(app.screen, StageScreen))
            await settle(pilot)
            self.save(app, "stage.svg")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("R")
            await wait_until(pilot, lambda: isinstance(app.screen, JsonScreen))
            await settle(pilot)
            self.save(app, "json.svg")
            await pilot.press("escape", "escape")
            await settle(pilot)

            await self.open_run(pilot, parent)
            await pilot.press("2")
            await wait_until(pilot, lambda: app.screen.query_one("#panes").active == "pane-children")
            await settle(pilot)
            self.save(app, "run-children.svg")
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("i")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "items", None)), 30)
            await settle(pilot)
            self.save(app, "inbox.svg")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("colon", *"status=completed tokens>40k")
            await settle(pilot)
            self.save(app, "query.svg")
            await pilot.press("escape")
            await settle(pilot)
            await wait_until(pilot, lambda: app.search_ready.is_set(), 60)
            await pilot.press("ctrl+f", *'"mismatched types"')
            await wait_until(pilot, lambda: bool(getattr(app.screen, "hits", None)), 30)
            await settle(pilot)
            self.save(app, "search.svg")


def write_dead_letters(state_dir: Path, ms: int) -> None:
    """A few trigger dead letters in the demo's event log (the demo itself writes none)."""
    from harn_tui.core.demo.eventlog_writer import EventLogWriter

    writer = EventLogWriter(state_dir)
    for n, (trigger, error, provider, kind) in enumerate((
        ("pr-review@v3", "provider returned 503 service unavailable", "github", "pull_request.opened"),
        ("pr-review@v3", "provider upstream 502 bad gateway", "github", "pull_request.synchronize"),
        ("nightly-triage@v1", "handler timed out after 300s", "cron", "tick"),
        ("slack-ask@v2", "HTTP 401 unauthorized", "slack", "app_mention"),
    )):
        event_id = f"trigger_evt_{n + 1}"
        writer.append("trigger.dlq", "dlq_moved", {
            "trigger_id": trigger.split("@")[0], "binding_key": trigger, "attempt_count": 3, "final_error": error,
            "event": {"id": event_id, "provider": provider, "kind": kind, "headers": {"x-delivery": f"d-{n}"},
                      "provider_payload": {"number": 40 + n}},
            "attempts": [{"attempt": a, "completed_at": datetime.fromtimestamp((ms - 60_000 * (10 - a - n)) / 1000,
                          UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "outcome": "failed", "error_msg": error}
                         for a in (1, 2, 3)],
        }, None, ms - 60_000 * (5 - n))
        writer.append("triggers.lifecycle", "predicate.evaluated", {"result": True}, {"event_id": event_id},
                      ms - 60_000 * (6 - n))
    writer.close()


def to_png(svg: Path) -> Path | None:
    """Convert with rsvg-convert (None when it is not installed)."""
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    # Rich pads with no-break spaces; librsvg collapses them unless whitespace is preserved.
    data = re.sub(r"<svg\b", '<svg xml:space="preserve"', svg.read_text(encoding="utf-8"), count=1)
    png = svg.with_suffix(".png")
    subprocess.run([tool, "--format", "png", "--output", str(png)], input=data.encode(), check=True)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=HERE, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from harn_tui.core.format import clock

    clock.set_clock(lambda: BASE_MS)  # freeze "STARTED 2h ago" and the inbox's ages at the demo's time
    with tempfile.TemporaryDirectory(prefix="harn-tui-shots-") as tmp:
        corpus = write_demo(Path(tmp) / ".harn-runs", base_ms=BASE_MS)
        write_dead_letters(corpus.state_dir, BASE_MS)
        here = Path.cwd()
        os.chdir(tmp)  # commands on screen name `.harn-runs/…`, not the temporary folder
        print(f"screenshots → {out}")
        shooter = Shooter(corpus, out)
        try:
            asyncio.run(shooter.shoot())
        finally:
            os.chdir(here)
    pngs = [png for svg in shooter.saved if (png := to_png(svg)) is not None]
    if pngs:
        print(f"{len(pngs)} PNGs written with rsvg-convert")
    else:
        print("rsvg-convert not found (Debian: apt-get install librsvg2-bin): PNGs skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
