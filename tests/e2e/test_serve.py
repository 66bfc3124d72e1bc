"""`harn-tui serve` end to end: headless Chromium opens the page, the run list renders, a key works,
and `?` offers no key that needs a terminal.

The browser is driven over the Chrome DevTools Protocol (aiohttp's websocket client,
already installed with textual-serve). The terminal is drawn on a canvas, so the test
reads what the app sends: the websocket frames between the page and harn-tui.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pytest

from harn_tui.core.demo.corpus import write_corpus

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is required (CI installs it)")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[@-_]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port}")


class Page:
    """A minimal CDP client for one page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.frames = bytearray()
        self.pending: dict[int, asyncio.Future] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = msg.json()
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                response = data["params"]["response"]
                payload = response["payloadData"]
                self.frames += base64.b64decode(payload) if response.get("opcode") == 2 else payload.encode()

    async def send(self, method: str, **params) -> dict:  # type: ignore[no-untyped-def]
        self.next_id += 1
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, 30)

    def text(self) -> str:
        return ANSI.sub(b"", bytes(self.frames)).decode("utf-8", "replace")

    async def wait_text(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never arrived; got {self.text()[-400:]!r}")
            await asyncio.sleep(0.2)


async def press(page: Page, key: str, text: str = "", code: int = 0) -> None:
    extra = {"windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code, "code": key} if code else {}
    kind = "keyDown" if text else "rawKeyDown"
    await page.send("Input.dispatchKeyEvent", type=kind, key=key, text=text, unmodifiedText=text, **extra)
    await page.send("Input.dispatchKeyEvent", type="keyUp", key=key, **extra)


async def wait_file(folder: Path, pattern: str, timeout: float = 30.0) -> Path:
    deadline = time.monotonic() + timeout
    while True:
        found = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern} downloaded into {folder}: {list(folder.iterdir())}")
        await asyncio.sleep(0.2)


async def drive(url: str, debug_port: int, png: Path, downloads: Path) -> None:
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 20
        while True:
            try:
                async with session.put(f"http://127.0.0.1:{debug_port}/json/new?about:blank") as resp:
                    target = await resp.json()
                break
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.send("Network.enable")
            await page.send("Page.enable")
            await page.send("Emulation.setDeviceMetricsOverride", width=1280, height=800,
                            deviceScaleFactor=1, mobile=False)
            await page.send("Page.navigate", url=url)
            await page.wait_text("WORKFLOW")
            await page.wait_text("runs")
            await asyncio.sleep(1.5)
            shot = await page.send("Page.captureScreenshot", format="png")
            png.write_bytes(base64.b64decode(shot["result"]["data"]))
            await page.send("Input.dispatchMouseEvent", type="mousePressed", x=640, y=400, button="left", clickCount=1)
            await page.send("Input.dispatchMouseEvent", type="mouseReleased", x=640, y=400, button="left", clickCount=1)
            before = len(page.frames)
            await page.send("Input.dispatchKeyEvent", type="keyDown", key="?", text="?", unmodifiedText="?")
            await page.send("Input.dispatchKeyEvent", type="keyUp", key="?")
            await page.wait_text("harn-tui keys")
            assert len(page.frames) > before
            await asyncio.sleep(0.5)
            help_text = ANSI.sub(b"", bytes(page.frames[before:])).decode("utf-8", "replace")
            # served: the real WebDriver hides what needs a terminal ($PAGER); the rest is there
            assert "Filter" in help_text and "Pager" not in help_text
            # an export is a download in the browser, not a file on the server
            await page.send("Page.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
            await press(page, "Escape", code=27)
            await asyncio.sleep(0.5)
            await press(page, "g", "g")  # the click above selected a broken file: go to the newest run
            await asyncio.sleep(0.5)
            await press(page, "Enter", "\r", 13)
            await page.wait_text("Waterfall")
            await asyncio.sleep(1.0)
            await press(page, "x", "x")
            markdown = await wait_file(downloads, "harn-run-*.md")
            assert markdown.read_text(encoding="utf-8").startswith("# ")
            page.reader.cancel()


def test_serve_in_headless_chromium(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / ".harn-runs", seed=9, state_dir=tmp_path / ".harn")
    port, debug_port = free_port(), free_port()
    env = dict(os.environ, HARN_TUI_CACHE_DIR=str(tmp_path / "cache"))
    server = subprocess.Popen(
        [sys.executable, "-m", "harn_tui", "serve", str(corpus.root), "--port", str(port),
         "--events", str(corpus.state_dir)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    profile = tempfile.mkdtemp(prefix="harn-tui-chromium-")
    browser = None
    try:
        wait_port(port)
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--remote-debugging-port={debug_port}",
             "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(debug_port)
        SCREENSHOTS.mkdir(exist_ok=True)
        png = SCREENSHOTS / "serve.png"
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        asyncio.run(drive(f"http://127.0.0.1:{port}/", debug_port, png, downloads))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not list(tmp_path.glob("harn-run-*")) and not list(corpus.root.rglob("harn-run-*"))
    finally:
        if browser is not None:
            browser.terminate()
            browser.wait(10)
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(profile, ignore_errors=True)
