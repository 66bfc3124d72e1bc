"""`RunOrder` keeps the run list's order and totals equal to a fresh sort across updates."""

from __future__ import annotations

import random

from harn_tui.core.index.run_index import SORTS, sort_runs
from harn_tui.core.index.run_order import RunOrder
from harn_tui.core.index.summary import RunSummary


def _run(rng: random.Random, i: int, version: int = 0) -> RunSummary:
    started = rng.choice([None, rng.randrange(1_000, 1_020)])  # many ties and unparsed starts
    broken = rng.random() < 0.1
    return RunSummary(
        path=f"r{i:04d}.json",
        started_at_ms=started,
        duration_ms=rng.choice([None, 0, rng.randrange(1, 50)]),
        mtime_ns=rng.randrange(5) + version,
        status_group=rng.choice(["active", "completed", "failed"]),
        usage={
            "input_tokens": rng.randrange(100),
            "output_tokens": rng.randrange(9),
            "total_cost": rng.random(),
        },
        error="bad json" if broken else None,
    )


def _check(order: RunOrder, runs: dict[str, RunSummary], sort: str) -> None:
    expected = sort_runs(list(runs.values()), sort)
    assert [r.path for r in order.rows] == [r.path for r in expected]
    assert all(a is b for a, b in zip(order.rows, expected, strict=True))
    good = [r for r in runs.values() if not r.broken]
    assert order.good == len(good)
    assert order.broken == len(runs) - len(good)
    assert order.active == sum(1 for r in good if r.status_group == "active")
    assert order.failed == sum(1 for r in good if r.status_group == "failed")
    durations = [r.duration_ms for r in good if r.duration_ms]
    assert order.avg_duration_ms == (sum(durations) / len(durations) if durations else None)
    shown = [r for r in expected if not r.broken]
    fresh = (
        sum(r.cost_usd for r in shown),
        sum(r.input_tokens for r in shown),
        sum(r.output_tokens for r in shown),
    )
    assert order.shown_totals() == fresh
    assert order.shown_totals(expected) == fresh


def test_streamed_batches_rewrites_and_removals_keep_the_exact_order() -> None:
    rng = random.Random(7)
    for sort in SORTS:
        order = RunOrder()
        runs: dict[str, RunSummary] = {}
        next_id = 0
        for step in range(60):
            if step % 3 == 0:  # a streamed batch of new runs
                for _ in range(rng.randrange(1, 8)):
                    runs[f"r{next_id:04d}.json"] = _run(rng, next_id)
                    next_id += 1
            elif step % 3 == 1 and runs:  # live rewrites: new summary objects for some paths
                for path in rng.sample(sorted(runs), min(3, len(runs))):
                    runs[path] = _run(rng, int(path[1:5]), version=step)
            elif runs:  # files deleted
                for path in rng.sample(sorted(runs), min(2, len(runs))):
                    del runs[path]
            order.update(runs, sort)
            _check(order, runs, sort)


def test_a_new_sort_or_a_whole_new_index_sorts_afresh() -> None:
    rng = random.Random(3)
    runs = {f"r{i:04d}.json": _run(rng, i) for i in range(200)}
    order = RunOrder()
    for sort in (*SORTS, *reversed(SORTS)):
        order.update(runs, sort)
        _check(order, runs, sort)
    runs = {path: _run(rng, int(path[1:5]), version=9) for path in runs}  # the final scan's objects
    order.update(runs, "newest")
    _check(order, runs, "newest")
    order.update({}, "newest")
    _check(order, {}, "newest")
