"""The footer rebuilds its keys only when the keys it shows change (pane switches move focus)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from harn_tui.widgets.footer import KeyFooter

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Plain(Static, can_focus=True):
    pass


class WithKey(Static, can_focus=True):
    BINDINGS = [Binding("x", "noop", "Extra key")]

    def action_noop(self) -> None:
        pass


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Plain("a", id="a")
        yield Plain("b", id="b")
        yield WithKey("c", id="c")
        yield KeyFooter()


async def test_focus_moves_without_new_keys_do_not_rebuild_the_footer() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.query_one(KeyFooter)
        app.query_one("#a").focus()
        await pilot.pause()
        rebuilds: list[int] = []
        original = footer.recompose

        async def counting() -> Any:
            rebuilds.append(1)
            return await original()

        footer.recompose = counting  # type: ignore[method-assign]
        app.query_one("#b").focus()
        await pilot.pause()
        app.query_one("#a").focus()
        await pilot.pause()
        assert rebuilds == []
        app.query_one("#c").focus()  # a key appears: the footer shows it
        await pilot.pause()
        assert rebuilds == [1]
        assert "Extra key" in "".join(str(k.description) for k in footer.query("FooterKey"))
