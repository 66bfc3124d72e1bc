"""Shared helpers for the hostile-input suite: payloads, mutators, read-only guards, tmux."""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import io
import os
import random
import re
import shlex
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.eventlog.protocol import AGENT_EVENTS_PREFIX, sanitize_topic_component
from harn_tui.core.format.textsafe import visible

#: Long-run switch: `HARN_TUI_DEEP=1` (or `pytest --deep`, which sets it).
DEEP = os.environ.get("HARN_TUI_DEEP", "") == "1"
EXAMPLES = Path("/work/shared/harn-examples")

# --------------------------------------------------------------------------- payloads

#: Escape and markup payloads a model (or an attacker) can put in any string.
PAYLOADS: dict[str, str] = {
    "osc0_title": "\x1b]0;PWNED-TITLE\x07",
    "osc2_title": "\x1b]2;PWNED-TITLE\x1b\\",
    "osc8_link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc52_clip": "\x1b]52;c;cHduZWQ=\x07",
    "csi_clear": "\x1b[2J\x1b[3J\x1b[H",
    "csi_move": "\x1b[10;10H\x1b[5A\x1b[s\x1b[u",
    "ris_reset": "\x1bc",
    "dcs": "\x1bP1$qm\x1b\\",
    "c1_csi": "\x9b2J\x9b1;1H",
    "c1_osc": "\x9d0;C1-TITLE\x9c",
    "c1_dcs": "\x90q\x9c",
    "bidi": "\u202egnp.exe\u202c\u2066x\u2069",
    "zero_width": "a\u200db\u200bc\ufeffd\u2060",
    "bell_bs_cr": "x\x07\x08\r\x0b\x0cy",
    "markup": "[bold red]MARKUP[/bold red]",
    "link_markup": "[link=https://evil.example]LINKED[/link]",
    "click_markup": "[@click=app.quit]CLICKME[/]",
}

#: One compact string carrying every kind of attack, starting with literal markup
#: (so a truncated cell still shows the part that proves nothing was interpreted).
EVIL = (
    "[@click=app.quit]Q[/]"
    "\x1b]0;PWNED\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b[H\x9b2J\x9d0;C1\x9c\x1bP1$q\x1b\\"
    "[link=https://evil.example]L[/link][b]B[/b]"
    "\x1b]8;;https://evil.example/\x1b\\H\x1b]8;;\x1b\\\u202eRTL\u202c\u200dZ\x07\x08\r"
)
#: How EVIL must look on screen (the visible-escape form).
EVIL_SHOWN = visible(EVIL, multiline=False)
#: The shortest prefix whose presence proves no markup was parsed.
EVIL_PREFIX = "[@click=app.quit]Q[/]"

#: Characters that must never be on screen (raw C0/C1 controls, DEL, bidi, zero-width).
UNSAFE_ON_SCREEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)


def assert_no_raw_controls(text: str, where: str = "screen") -> None:
    """Fail if `text` holds any control/bidi/zero-width character."""
    found = UNSAFE_ON_SCREEN.search(text)
    assert found is None, f"raw {found.group()!r} on the {where}:\n{text}"


#: Keys whose values are structural tags (record / line / event types), left intact.
STRUCTURAL_KEYS = frozenset({"_type", "type"})


#: Timestamp keys (kept parseable when poisoning with `keep_times=True`).
TIME_KEYS = frozenset({"started_at", "finished_at", "timestamp", "asked_at", "persisted_at",
                       "created_at", "requested_at", "answered_at", "updated_at"})


def poison(value: Any, payload: str = EVIL, *, keep_times: bool = False) -> Any:
    """Every string value in `value` prefixed with `payload` (keys and type tags intact)."""
    if isinstance(value, str):
        return payload + value
    if isinstance(value, list):
        return [poison(v, payload, keep_times=keep_times) for v in value]
    if isinstance(value, dict):
        skip = STRUCTURAL_KEYS | TIME_KEYS if keep_times else STRUCTURAL_KEYS
        return {
            k: v if k in skip else poison(v, payload, keep_times=keep_times)
            for k, v in value.items()
        }
    return value


def assert_one_line_reason(reason: str | None) -> None:
    """A LoadError / EventLogError reason: non-empty, single line, printable."""
    assert reason and reason.strip(), "empty reason"
    assert "\n" not in reason and "\r" not in reason, f"multi-line reason: {reason!r}"
    assert len(reason) < 2000, f"reason too long ({len(reason)} chars)"


# --------------------------------------------------------------------------- mutation

SWAPS: tuple[Any, ...] = ("s", 7, 1.5, [], {}, None, True, -1, ["x", 1], {"k": "v"})


def field_paths(value: Any, prefix: tuple[Any, ...] = (), list_items: int = 2) -> list[tuple[Any, ...]]:
    """Every path (keys / list indexes) in a JSON value, lists sampled to `list_items`."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(field_paths(item, (*prefix, key), list_items))
    elif isinstance(value, list):
        for i, item in enumerate(value[:list_items]):
            out.extend(field_paths(item, (*prefix, i), list_items))
    return out


def with_value(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of `doc` with the value at `path` replaced (copies only along the path)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        out = dict(doc)
    else:
        out = list(doc)
    out[head] = with_value(doc[head], rest, value)
    return out


def swap_for(value: Any, n: int) -> Any:
    """The n-th replacement of a different JSON type than `value`."""
    options = [s for s in SWAPS if type(s) is not type(value)]
    return options[n % len(options)]


def flip_bytes(data: bytes, rng: random.Random, count: int) -> bytes:
    """`data` with `count` random bytes replaced by random values."""
    buf = bytearray(data)
    for _ in range(count):
        if buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def nested(depth: int, kind: str = "list") -> str:
    """JSON text nested `depth` levels."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


# --------------------------------------------------------------------------- poisoned corpus


def poison_corpus(root: Path, state_dir: Path, payload: str = EVIL, *, keep_times: bool = False) -> None:
    """Poison in place every run file, sidecar line and SQLite row of a written corpus."""
    for path in root.rglob("*.json"):
        try:
            doc = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        path.write_bytes(orjson.dumps(poison(doc, payload, keep_times=keep_times)))
    for path in root.rglob("*.jsonl"):
        lines = []
        for raw in path.read_bytes().splitlines():
            try:
                lines.append(orjson.dumps(poison(orjson.loads(raw), payload, keep_times=keep_times)))
            except orjson.JSONDecodeError:
                lines.append(raw)
        path.write_bytes(b"\n".join(lines) + b"\n")
    db = state_dir / "events.sqlite"
    if db.exists():
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT rowid, topic, kind, payload, headers FROM events").fetchall()
        for rowid, topic, kind, payload_raw, headers_raw in rows:
            body = poison(orjson.loads(payload_raw), payload, keep_times=keep_times)
            headers = poison(orjson.loads(headers_raw), payload, keep_times=keep_times)
            if topic.startswith(AGENT_EVENTS_PREFIX) and isinstance(body, dict):
                sid = body.get("session_id")
                if isinstance(sid, str):
                    topic = AGENT_EVENTS_PREFIX + sanitize_topic_component(sid)
            conn.execute(
                "UPDATE events SET topic = ?, kind = ?, payload = ?, headers = ? WHERE rowid = ?",
                (topic, payload + kind, orjson.dumps(body), orjson.dumps(headers).decode(), rowid),
            )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()


# --------------------------------------------------------------------------- read-only proof


def snapshot(*roots: Path) -> dict[str, str]:
    """sha256 of every file under `roots` (files or dirs); `-shm` files only by presence."""
    out: dict[str, str] = {}
    for root in roots:
        root = Path(root)
        paths = [root] if root.is_file() else sorted(root.rglob("*")) if root.exists() else []
        for path in paths:
            if path.is_symlink():
                out[str(path)] = "symlink:" + os.readlink(path)
            elif path.is_dir():
                out[str(path)] = "dir"
            elif path.name.endswith("-shm"):
                out[str(path)] = "shm-present"
            elif path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class WriteGuard:
    """Records every write-mode open (builtins.open, io.open, os.open) under `roots`."""

    def __init__(self, *roots: Path) -> None:
        self.roots = [os.path.realpath(r) for r in roots]
        self.writes: list[str] = []
        self.reads = 0

    def _under(self, file: Any) -> bool:
        if not isinstance(file, str | bytes | os.PathLike):
            return False
        path = os.path.realpath(os.fsdecode(file))
        return any(path == r or path.startswith(r + os.sep) for r in self.roots)

    @contextlib.contextmanager
    def active(self) -> Iterator[WriteGuard]:
        real_open, real_os_open = builtins.open, os.open
        guard = self

        def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if guard._under(file):
                if any(c in mode for c in "wax+"):
                    guard.writes.append(f"open({file!r}, {mode!r})")
                else:
                    guard.reads += 1
            return real_open(file, mode, *args, **kwargs)

        def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if guard._under(path):
                if flags & _WRITE_FLAGS:
                    guard.writes.append(f"os.open({path!r}, {flags:#o})")
                else:
                    guard.reads += 1
            return real_os_open(path, flags, *args, **kwargs)

        builtins.open = guarded_open  # type: ignore[assignment]
        io.open = guarded_open  # type: ignore[assignment]
        os.open = guarded_os_open  # type: ignore[assignment]
        try:
            yield self
        finally:
            builtins.open = real_open
            io.open = real_open
            os.open = real_os_open


@contextlib.contextmanager
def read_only_proof(*roots: Path) -> Iterator[WriteGuard]:
    """Snapshot before/after (byte-identical) and no write-mode open under `roots`."""
    before = snapshot(*roots)
    guard = WriteGuard(*roots)
    with guard.active():
        yield guard
    assert guard.writes == [], f"write-mode opens under the run root / log: {guard.writes}"
    after = snapshot(*roots)
    assert after == before, _diff(before, after)


def _diff(before: dict[str, str], after: dict[str, str]) -> str:
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return "files changed: " + ", ".join(changed[:20])


# --------------------------------------------------------------------------- tmux


class Terminal:
    """A detached tmux session (own server socket) running one command."""

    def __init__(
        self, command: str, env: dict[str, str], size: tuple[int, int] = (120, 36),
        *, setup: Callable[[Terminal], None] | None = None,
    ) -> None:
        self.name = f"harn-tui-hostile-{uuid.uuid4().hex[:8]}"
        self.socket = f"harn-tui-h-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        ready = f"/tmp/{self.socket}.go"
        # the command waits for `ready` so options can be set and the title read first
        shell = (f"while [ ! -e {ready} ]; do sleep 0.05; done; rm -f {ready}; "
                 f"env {exports} {command}; echo HARN_TUI_EXITED=$?; sleep 60")
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]), shell)
        if setup is not None:
            setup(self)
        self.initial_title = self.title()
        Path(ready).touch()

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def raw_screen(self) -> str:
        """The pane with escape sequences for attributes (-e): shows hyperlinks/colours."""
        return self.tmux("capture-pane", "-p", "-e", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not on screen after {timeout}s:\n{text}")

    def title(self) -> str:
        return self.tmux("display-message", "-p", "-t", self.name, "#{pane_title}").strip()

    def buffers(self) -> str:
        """tmux paste buffers (an OSC 52 write lands here when set-clipboard is on)."""
        return self.tmux("list-buffers")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


def run_settled(screen: Any) -> bool:
    """A RunScreen has finished its first load, shown or failed (its loading indicator is gone)."""
    loading = screen.query("#run-loading")
    return bool(loading) and not loading.first().display
