"""Issue 9 (the first ten minutes): keys in a burst, plain messages, layout, help, position,
colours, counts, preferences and broken files."""

from __future__ import annotations

import pytest
from uitools import burst, make_app, screen_text, wait_for

from harn_tui.screens.inbox import InboxScreen
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: pilot.app.scanned.is_set() and not pilot.app.loading_note)
    await pilot.pause()


# -- 7: a burst of keys after `/` or `:` goes to the input ------------------------------------


@pytest.mark.parametrize("opener, field", [("/", "#filter"), (":", "#query Input")])
async def test_a_burst_after_slash_or_colon_lands_in_the_input(corpus, opener, field) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        before = (screen.sort, screen.status_filter, screen.workflow_filter)
        await burst(pilot, [opener, *"deploy sow"])
        assert screen.query_one(field).value == "deploy sow"
        assert (screen.sort, screen.status_filter, screen.workflow_filter) == before


async def test_a_burst_after_slash_in_the_inbox_and_json_view(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.loaded)
        state = app.screen.state_filter
        await burst(pilot, ["/", *"sss"])
        assert app.screen.query_one("#inbox-filter").value == "sss"
        assert app.screen.state_filter == state
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen) and not app.screen.loading_file)
        await burst(pilot, ["/", *"status"])
        assert app.screen.query_one("#json-search").value == "status"


# -- 8: every message is plain text, Textual's own included ---------------------------------


def _toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{n.title}\n{n.message}" for n in app._notifications]


async def test_ctrl_c_says_how_to_quit_without_markup(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        toasts = _toasts(app)
        assert toasts and "quit" in toasts[-1]
        assert "[b]" not in toasts[-1] and "[/b]" not in toasts[-1]
        assert "q" in toasts[-1].split("Press", 1)[1]


async def test_record_text_in_a_message_is_never_markup(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        app.screen.notify("[b]bold[/b] [link=x]y[/link] \x1b[31m")  # markup=True by default
        await pilot.pause()
        toast = _toasts(app)[-1]
        assert "[b]bold[/b] [link=x]y[/link]" in toast and "\\x1b" in toast and "\x1b" not in toast


# -- 13: the run header breaks between fields, never inside one -----------------------------


def test_fields_break_between_fields_never_inside() -> None:
    from rich.text import Text

    from harn_tui.widgets.fields import pack

    fields = [Text("cost $0.6562"), Text("models claude-sonnet-4, gpt-5"), Text("policy workspace_write 6 tools")]
    for width in range(12, 120):
        lines = pack([fields], width).plain.split("\n")
        assert all(len(line) <= width for line in lines)
        whole = {f.plain for f in fields if len(f.plain) <= width}
        for name in whole:
            assert any(name in line for line in lines), (width, lines)


async def test_run_header_keeps_each_field_on_one_line(corpus) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.run import RunScreen

    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        run = next(r for r in corpus.runs if r.workflow == "deploy" and r.sidecar is not None)
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run.run_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.pause()
        lines = [row.strip() for row in screen_text(app).splitlines()]
        assert any(row.startswith("policy ") and row.endswith("tools") for row in lines) or any(
            "policy " in row and row.endswith("tools") for row in lines
        )
        assert not any(row.endswith("tools") and "policy" not in row for row in lines)
