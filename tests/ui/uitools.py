"""Helpers for UI tests: read the screen as plain text, wait for conditions."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import io
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual.app import App

from harn_tui.app import HarnTuiApp

#: The app's one stylesheet: hosts of a single pane load it, so the pane is laid out as in the app.
APP_CSS = str(Path(inspect.getfile(HarnTuiApp)).with_name(str(HarnTuiApp.CSS_PATH)))


def screen_text(app: App) -> str:
    """The current screen as plain text, exactly as it would be drawn."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True,
        color_system="truecolor", record=True, legacy_windows=False, safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition()` holds (fails the test after `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(condition, '__name__', condition)}")
        await pilot.pause(0.05)


async def wait_ready(pilot, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until its first load is done (`app.load.ready`): the run list is
    complete and the event log was looked for. The one "loaded" wait of the UI tests."""

    def app_load_ready() -> bool:
        return bool(pilot.app.load.ready)

    await wait_for(pilot, app_load_ready, timeout)


async def wait_for_text(pilot, needle: str, timeout: float = 10.0) -> str:  # type: ignore[no-untyped-def]
    """Wait until `needle` is on screen; return the screen text."""
    found = ""

    def visible() -> bool:
        nonlocal found
        found = screen_text(pilot.app)
        return needle in found

    try:
        await wait_for(pilot, visible, timeout)
    except AssertionError:
        raise AssertionError(f"{needle!r} never appeared on screen:\n{found}") from None
    return found


def tree_digest(*roots: Path) -> dict[str, str]:
    """sha256 of every file under `roots` (except SQLite's shared-memory file)."""
    out = {}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and not path.name.endswith("-shm"):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def make_app(root: Path, events: Path | None = None, **kwargs) -> HarnTuiApp:  # type: ignore[no-untyped-def]
    kwargs.setdefault("watch", False)
    return HarnTuiApp(root, events=events, cache_dir=None, **kwargs)


async def burst(pilot, keys: str | list[str]) -> None:  # type: ignore[no-untyped-def]
    """Send every key at once, like a paste or tmux `send-keys`: no pause between them, so the
    app reads the next key before it has handled the previous one."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        event = events.Key(name, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    await pilot.pause()


def compare_loaded(screen) -> bool:  # type: ignore[no-untyped-def]
    """The compare screen is composed and its loading indicator is hidden (nothing in flight)."""
    loading = screen.query("#compare-loading")
    return bool(loading) and not loading.first().display
