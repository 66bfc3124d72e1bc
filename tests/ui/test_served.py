"""Served mode (`harn-tui serve`): terminal-only keys are not offered, files go out as downloads."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import pytest
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui import serve as serve_mod
from harn_tui.screens.help import HelpScreen
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen
from harn_tui.served import SERVED_ENV, is_served

SIZE = (120, 36)
TALL = (120, 90)  # the whole `?` help fits


class Deliveries:
    """Records `App.deliver_text` calls instead of sending anything."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, path_or_file: Any, **kwargs: Any) -> str:
        text = (
            path_or_file.read()
            if isinstance(path_or_file, io.StringIO)
            else Path(path_or_file).read_text()
        )
        self.calls.append({"text": text, **kwargs})
        return f"key-{len(self.calls)}"


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


async def _help_text(pilot) -> str:  # type: ignore[no-untyped-def]
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
    await pilot.pause()
    text = screen_text(pilot.app)
    await pilot.press("escape")
    await pilot.pause()
    return text


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(SERVED_ENV, "1")
    cwd = tmp_path / "server-cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(cwd))
    return cwd


def test_served_is_detected_from_the_driver_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Fake:
        def __init__(self, web: bool) -> None:
            self.is_web = web

    monkeypatch.delenv(SERVED_ENV, raising=False)
    assert is_served(Fake(True)) and not is_served(Fake(False)) and not is_served(None)
    monkeypatch.setenv(SERVED_ENV, "1")
    assert is_served(Fake(False))


async def test_terminal_only_keys_are_hidden_and_disabled_when_served(corpus, served: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    suspended: list[bool] = []
    app.suspend = lambda: suspended.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=TALL) as pilot:
        await _loaded(pilot)
        assert app.served
        assert app.screen.check_action("pager", ()) is False
        assert "Pager" not in await _help_text(pilot)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None
        )
        for action in ("pager", "editor"):
            assert app.screen.check_action(action, ()) is False
        assert "export" in app.screen.active_bindings.get("x").binding.action  # exports stay
        keys = {b.binding.action for b in app.screen.active_bindings.values()}
        assert not keys & {"pager", "editor"}
        text = await _help_text(pilot)
        assert "Pager" not in text and "Editor" not in text and "Export" in text
        await pilot.press("p", "ctrl+e")
        await pilot.pause()
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
        assert app.screen.check_action("pager", ()) is False
        await pilot.press("p")
        await pilot.pause()
    assert suspended == []


async def test_terminal_only_keys_are_offered_in_a_terminal(
    corpus, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(SERVED_ENV, raising=False)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=TALL) as pilot:
        await _loaded(pilot)
        assert not app.served
        assert app.screen.check_action("pager", ()) is True
        assert "Pager" in await _help_text(pilot)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None
        )
        assert app.screen.check_action("editor", ()) is True
        text = await _help_text(pilot)
        assert "Pager" in text and "Editor" in text


async def test_exports_and_screenshots_are_downloads_when_served(corpus, served: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    deliveries = Deliveries()
    app.deliver_text = deliveries  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None
        )
        run_id = app.screen.detail.record.id
        await pilot.press("x", "X", "ctrl+s")
        await wait_for(pilot, lambda: len(deliveries.calls) == 3)
    md, js, svg = deliveries.calls
    assert (
        md["save_filename"].endswith(".md") and md["text"].startswith("# ") and run_id in md["text"]
    )
    assert js["save_filename"].endswith(".json") and run_id in js["text"]
    assert md["open_method"] == js["open_method"] == "download"
    assert svg["save_filename"].endswith(".svg") and svg["text"].lstrip().startswith("<svg")
    assert list(served.iterdir()) == []  # nothing written on the server


def test_serve_binds_the_host_and_marks_its_apps_served(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    class FakeServer:
        def __init__(self, command: str, **kwargs: Any) -> None:
            seen.update(kwargs, command=command)

        def serve(self) -> None:
            seen["served_env"] = serve_mod.os.environ.get(SERVED_ENV)

    import textual_serve.server

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    monkeypatch.setenv(SERVED_ENV, "0")  # restored (removed) after the test
    from harn_tui.cli import build_serve_parser

    args = build_serve_parser().parse_args([str(tmp_path), "--host", "0.0.0.0", "--port", "8123"])
    assert serve_mod.serve(args) == 0
    assert seen["host"] == "0.0.0.0" and seen["port"] == 8123 and seen["served_env"] == "1"
    assert seen["public_url"] == f"http://{serve_mod.socket.gethostname()}:8123"
    assert str(tmp_path) in seen["command"]
    assert "no authentication" in capsys.readouterr().err
    default = build_serve_parser().parse_args([])
    assert (
        default.host == "127.0.0.1"
        and serve_mod.public_url(default.host, 8000) == "http://127.0.0.1:8000"
    )
    assert serve_mod.is_loopback("::1") and not serve_mod.is_loopback("0.0.0.0")
    assert serve_mod.public_url("0.0.0.0", 80, "https://runs.example/") == "https://runs.example"


def test_serve_host_defaults_to_loopback_without_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import textual_serve.server

    monkeypatch.setattr(
        textual_serve.server, "Server", lambda *a, **k: argparse.Namespace(serve=lambda: None)
    )
    monkeypatch.setenv(SERVED_ENV, "0")
    from harn_tui.cli import build_serve_parser

    assert serve_mod.serve(build_serve_parser().parse_args([])) == 0
    assert "no authentication" not in capsys.readouterr().err
