"""The UI opens fuzzed run files headless without an exception.

One root holds a sample of fuzzed files (truncations, byte flips, type swaps, deep
nesting, odd encodings, huge strings); one app session lists them all, then opens the run
detail of every row (broken rows give their reason instead) and the raw JSON viewer.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
from hostiletools import (
    DEEP,
    EXAMPLES,
    assert_no_raw_controls,
    field_paths,
    flip_bytes,
    nested,
    read_only_proof,
    run_settled,
    swap_for,
    with_value,
)
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.core.demo.records import make_run
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


def write_fuzzed_root(root: Path, count: int, seed: int = 7) -> None:
    """`count` fuzzed run files (every kind of damage represented) under `root`."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    record = make_run(rng, run_id="fz", workflow="fuzz", started_ms=1_776_945_600_000,
                      n_stages=2, status="failed", ts_format="uuidv7", with_children=1, hitl=1,
                      compactions=1)
    full = json.dumps(record, indent=2).encode()
    real = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.json"))]
    paths = [p for p in field_paths(record)[1:] if p != ("_type",)]
    makers = [  # most varied first: a small default sample still covers each kind
        lambda: full[: rng.randrange(len(full))],
        lambda: orjson.dumps(with_value(record, p := rng.choice(paths), swap_for(_at(record, p), rng.randrange(9)))),
        lambda: full.replace(b'"task": "', b'"task": "\xff\xfe', 1),
        lambda: json.dumps({**record, "metadata": "@@"}).replace('"@@"', nested(rng.choice([200, 1000, 1022]))).encode(),
        lambda: full[:-2] + b', "usage": {"input_tokens": NaN}}',
        lambda: b"\xef\xbb\xbf" + full,
        lambda: flip_bytes(rng.choice([full, *real]), rng, rng.randrange(1, 8)),
        lambda: orjson.dumps({**record, "task": "x" * 300_000, "workflow_name": "w" * 5000}),
        lambda: (src := rng.choice(real))[: rng.randrange(len(src))],
        lambda: orjson.dumps(with_value(record, p := rng.choice(paths), swap_for(_at(record, p), rng.randrange(9)))),
        lambda: full.replace(b'"status": "failed"', b'"status": "failed", "status": ["dup"]', 1),
        lambda: orjson.dumps({**record, "stages": [{"node_id": None, "status": 7, "metadata": []}] * 3}),
    ]
    for i in range(count):
        data = real[i] if i < len(real) else makers[(i - len(real)) % len(makers)]()
        (root / f"fuzz-{i:03d}.json").write_bytes(data)


def _at(doc: object, path: tuple) -> object:  # type: ignore[type-arg]
    for step in path:
        doc = doc[step]  # type: ignore[index]
    return doc


async def test_ui_opens_every_fuzzed_file_without_an_exception(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_fuzzed_root(root, 40 if DEEP else 9)
    app = make_app(root)
    with read_only_proof(root):
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            rows = list(app.screen.table.rows)
            assert len(rows) >= 7  # non-run JSON (e.g. a flipped `_type`) is left out
            assert_no_raw_controls(screen_text(app), "fuzzed run list")
            opened = broken = 0
            for run in rows:
                if run.broken:
                    assert run.error and "\n" not in run.error
                    broken += 1
                    app.open_raw_file(run.path)  # the raw viewer says why, never crashes
                    await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
                else:
                    opened += 1
                    app.open_run(run)
                    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen)
                                   and run_settled(app.screen), timeout=20)
                await pilot.pause()
                assert_no_raw_controls(screen_text(app), f"fuzzed file {run.path}")
                app.pop_screen()
                await pilot.pause()
            assert opened >= 4 and broken >= 2, (opened, broken)
            assert app.is_running
        assert app.return_code in (None, 0)
