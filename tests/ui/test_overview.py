"""The run overview (`o`): insights, failures, policy, replay & eval, artifacts, story, activity."""

from __future__ import annotations

from pathlib import Path

from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.analysis import run_analysis as ra
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.overview import OverviewScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.text_view import TextScreen

SIZE = (120, 36)
EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"


async def _open_run(pilot, path: Path) -> RunScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_ready(pilot)
    app.open_path(path)
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    await pilot.pause()
    return app.screen


def _rich(corpus):  # type: ignore[no-untyped-def]
    return next(r for r in corpus.runs if r.workflow == "deploy" and r.status == "completed" and r.sidecar)


async def test_overview_sections_and_insight_jumps(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        run_screen = await _open_run(pilot, _rich(corpus).path)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        ov = app.screen
        text = await wait_for_text(pilot, "1 Insights")
        for label in ("Run shape", "Slowest stage", "Where time went", "First thing to read", "Heaviest model turn"):
            assert label in text
        insights = ra.build_insights(run_screen.detail.normalized, run_screen.detail.model_turns)
        slowest = next(i for i in insights if i.label == "Slowest stage")
        assert slowest.target is not None and slowest.target[0] == "stage"
        # the slowest stage insight jumps to that stage in the Stages pane
        ov.list.cursor = next(i for i, r in enumerate(ov.list.rows) if r.key == "insight:1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is run_screen)
        await pilot.pause()
        assert run_screen.query_one("#panes").active == "pane-stages"
        assert run_screen.query_one("#stages").current_index() == slowest.target[1]
        # heaviest model turn -> Turns pane on that turn
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        ov = app.screen
        ov.list.cursor = next(i for i, r in enumerate(ov.list.rows) if r.key == "insight:4")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is run_screen)
        await pilot.pause()
        heaviest = insights[4]
        assert run_screen.query_one("#panes").active == "pane-turns"
        assert run_screen.query_one("#turns").turn_list.cursor == heaviest.target[1]


async def test_overview_lists_every_activity_transition_and_checkpoint(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        run_screen = await _open_run(pilot, _rich(corpus).path)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        ov = app.screen
        run = run_screen.detail.normalized
        rows = ov.list.rows
        count = {s: sum(1 for r in rows if r.section == s and not r.header and not r.key.startswith("none:"))
                 for s in ("activity", "transitions", "checkpoints", "artifacts", "story")}
        spans = [s for s in run["trace_spans"] if s.get("kind") != "pipeline"]
        assert count["activity"] == len(spans) > 0
        assert count["transitions"] == len(run["transitions"]) > 0
        assert count["checkpoints"] == len(run["checkpoints"]) > 0
        assert count["artifacts"] == len(run["artifacts"]) > 0
        await pilot.press("7")  # runtime activity
        await pilot.pause()
        assert ov.list.current.section == "activity"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is ov)
        await pilot.press("5")  # artifacts open
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen | JsonScreen))


async def test_overview_policy_replay_on_harns_own_persona_run() -> None:
    path = EXAMPLES / "merge_captain_smoke.run.json"
    app = make_app(EXAMPLES)
    async with app.run_test(size=SIZE) as pilot:
        run_screen = await _open_run(pilot, path)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        policy = ra.build_policy_summary(run_screen.detail.normalized)
        replay = ra.build_replay_summary(run_screen.detail.normalized)
        assert replay is not None
        text = await wait_for_text(pilot, "3 Policy & validation")
        assert "allowed tools" in text
        await pilot.press("4")
        await pilot.pause()
        text = screen_text(app)
        assert "harn replay" in text and "harn eval" in text
        assert replay["fixture_id"][:20] in text
        if policy.side_effect_level:
            assert policy.side_effect_level in screen_text(app)
        ov = app.screen
        ov.list.cursor = next(i for i, r in enumerate(ov.list.rows) if r.key == "replay:cmd:0")
        copied: list[str] = []
        app.copy_value = copied.append  # type: ignore[method-assign]
        await pilot.press("enter")
        assert copied and copied[0].startswith("harn replay ") and copied[0].endswith("merge_captain_smoke.run.json")


async def test_overview_is_live_with_the_run_file(tmp_path: Path) -> None:
    import json

    from harn_tui.messages import RunFileChanged

    record = {"_type": "run_record", "id": "live", "workflow_id": "wf", "status": "running",
              "started_at": "2026-04-24T10:00:00Z",
              "stages": [{"id": "s1", "node_id": "plan", "status": "completed", "outcome": "success",
                          "started_at": "2026-04-24T10:00:00Z", "finished_at": "2026-04-24T10:00:02Z"}],
              "artifacts": [{"id": "a1", "kind": "plan", "text": "first"}]}
    path = tmp_path / "live.json"
    path.write_text(json.dumps(record))
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open_run(pilot, path)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await wait_for_text(pilot, "5 Artifacts (1)")
        record["artifacts"].append({"id": "a2", "kind": "diff", "title": "second artifact", "text": "x"})
        record["stages"].append({"id": "s2", "node_id": "act", "status": "failed", "outcome": "error",
                                 "attempts": [{"attempt": 1, "error": "went wrong"}]})
        path.write_text(json.dumps(record))
        app.post_message(RunFileChanged("live.json"))
        text = await wait_for_text(pilot, "5 Artifacts (2)")
        assert "2 Failures (2)" in text and "went wrong" in text


async def test_overview_key_works_from_every_pane(corpus) -> None:
    """`O` is free in every pane (the Turns pane keeps `o` for a turn's full text)."""
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        run_screen = await _open_run(pilot, _rich(corpus).path)
        for key in "12345678":
            await pilot.press(key)
            await pilot.pause()
            await pilot.press("O")
            await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is run_screen)
