"""Large inputs for the hostile-input tests and benchmarks: padded run files, long sidecars."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from harn_tui.core.demo.common import text
from harn_tui.core.demo.records import make_run

MB = 1024 * 1024


def padded_record(target: int, seed: int = 1, session_id: str | None = None) -> bytes:
    """A realistic running record whose run transcript pads it to about `target` bytes."""
    rng = random.Random(seed)
    record = make_run(rng, run_id="big-run", workflow="big", started_ms=1_776_945_600_000,
                      n_stages=3, status="running", ts_format="uuidv7")
    chunk = text(rng, 6000)
    record["transcript"] = {**(record.get("transcript") or {}), "_type": "transcript", "version": 2,
                            "id": session_id or "session_big", "messages": [], "events": [],
                            "assets": []}
    base = len(orjson.dumps(record))
    count = max((target - base) // (len(chunk) + 40), 1)
    record["transcript"]["messages"] = [
        {"role": "tool" if i % 2 else "assistant", "content": f"{i} {chunk}"} for i in range(count)
    ]
    return orjson.dumps(record)


def write_long_sidecar(path: Path, target: int, seed: int = 3) -> int:
    """An LLM transcript sidecar of about `target` bytes made of many short lines (per-line
    work dominates, as in real sidecars); returns the number of message lines."""
    body = text(random.Random(seed), 150)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        written, i = 0, 0
        while written < target:
            line = orjson.dumps({"type": "message", "iteration": i // 4, "role": "user",
                                 "content": body}) + b"\n"
            if i % 4 == 3:
                line += orjson.dumps({"type": "provider_call_request", "call_id": f"c{i}",
                                      "model": "m"}) + b"\n"
            fh.write(line)
            written += len(line)
            i += 1
    return i
