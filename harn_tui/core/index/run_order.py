"""`RunOrder`: the run list's rows kept sorted across updates, with the header's totals.

A refresh re-keys only the runs whose summary object changed (a streamed batch, a live
rewrite) and inserts them with `bisect`, instead of re-sorting every run; many changes at
once (a new sort, the final scan) sort afresh. The order is exactly `sort_runs`'s.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from harn_tui.core.index.summary import RunSummary

#: Up to this many changes are inserted / removed one by one (bisect); more are merged in
#: one pass (a sort of two sorted runs, linear in C).
ONE_BY_ONE = 32

_second = itemgetter(1)


def sort_key(run: RunSummary, sort: str) -> tuple[Any, ...]:
    """A total order equal to `run_index.sort_runs` (paths are unique, so no ties)."""
    started = run.started_at_ms
    if sort == "duration":
        return (
            run.duration_ms is None,
            -(run.duration_ms or 0),
            -(started if started is not None else -1),
            -run.mtime_ns,
            run.path,
        )
    if sort == "oldest":
        if started is None:
            return (1, run.mtime_ns, run.path)
        return (0, started, run.mtime_ns, run.path)
    if started is None:
        return (1, -run.mtime_ns, run.path)
    return (0, -started, -run.mtime_ns, run.path)


def _counts(run: RunSummary) -> tuple[int, ...]:
    """(good, active, failed, broken, duration total, durations counted)."""
    if run.broken:
        return (0, 0, 0, 1, 0, 0)
    group = run.status_group
    duration = run.duration_ms
    return (1, group == "active", group == "failed", 0, duration or 0, 1 if duration else 0)


class RunOrder:
    """Every run, sorted, plus the header's figures, kept up to date by `update`.

    Runs are told apart by object identity: the app replaces a summary when its file
    changes, so a refresh finds what changed with set operations in C, not a Python loop
    over every run."""

    def __init__(self) -> None:
        self.sort = ""
        self._entries: list[tuple[tuple[Any, ...], RunSummary]] = []
        self._ids: set[int] = set()
        self._by_id: dict[int, tuple[tuple[Any, ...], RunSummary]] = {}
        self._cost: dict[int, float] = {}
        self._tokens_in: dict[int, int] = {}
        self._tokens_out: dict[int, int] = {}
        self._counted: dict[int, tuple[int, ...]] = {}
        self._totals = [0, 0, 0, 0, 0, 0]
        self.rows: list[RunSummary] = []

    # -- the header's figures over every run -------------------------------------

    @property
    def good(self) -> int:
        return self._totals[0]

    @property
    def active(self) -> int:
        return self._totals[1]

    @property
    def failed(self) -> int:
        return self._totals[2]

    @property
    def broken(self) -> int:
        return self._totals[3]

    @property
    def avg_duration_ms(self) -> float | None:
        total, count = self._totals[4], self._totals[5]
        return total / count if count else None

    def __len__(self) -> int:
        return len(self.rows)

    def shown_totals(self, rows: list[RunSummary] | None = None) -> tuple[float, int, int]:
        """(cost, tokens in, tokens out) of `rows` (default: every run; broken ones count
        0), summed in row order, so the figures equal a fresh sum over the rows."""
        rows = self.rows if rows is None else rows
        ids = list(map(id, rows))
        return (
            sum(map(self._cost.__getitem__, ids)),
            sum(map(self._tokens_in.__getitem__, ids)),
            sum(map(self._tokens_out.__getitem__, ids)),
        )

    # -- updates ---------------------------------------------------------------

    def update(self, runs: Mapping[str, RunSummary], sort: str) -> None:
        """Bring the order up to date with `runs` (keyed by path) sorted by `sort`."""
        values = list(runs.values())
        ids = list(map(id, values))
        now = set(ids)
        if sort != self.sort:
            self.sort = sort
            self._entries, self._ids, self._by_id = [], set(), {}
            self._cost, self._tokens_in, self._tokens_out, self._counted = {}, {}, {}, {}
            self._totals = [0, 0, 0, 0, 0, 0]
        fresh = now - self._ids
        gone = self._ids - now
        if not fresh and not gone:
            return
        entries = self._entries
        if len(gone) <= ONE_BY_ONE:
            for i in gone:
                entry = self._forget(i)
                del entries[bisect_left(entries, entry)]
        else:
            for i in gone:
                self._forget(i)
            entries = [e for e in entries if id(e[1]) in now]
        by_id = dict(zip(ids, values, strict=True))
        new = [self._remember(by_id[i]) for i in fresh]
        if len(new) <= ONE_BY_ONE:
            for entry in new:
                insort(entries, entry)
        else:
            new.sort()
            entries += new
            entries.sort()  # two sorted runs: one linear merge
        self._entries = entries
        self._ids = now
        self.rows = list(map(_second, entries))

    def _remember(self, run: RunSummary) -> tuple[tuple[Any, ...], RunSummary]:
        entry = (sort_key(run, self.sort), run)
        i = id(run)
        self._by_id[i] = entry
        broken = run.broken
        self._cost[i] = 0.0 if broken else run.cost_usd
        self._tokens_in[i] = 0 if broken else run.input_tokens
        self._tokens_out[i] = 0 if broken else run.output_tokens
        counted = self._counted[i] = _counts(run)
        totals = self._totals
        for n, value in enumerate(counted):
            totals[n] += value
        return entry

    def _forget(self, i: int) -> tuple[tuple[Any, ...], RunSummary]:
        entry = self._by_id.pop(i)
        del self._cost[i], self._tokens_in[i], self._tokens_out[i]
        totals = self._totals
        for n, value in enumerate(self._counted.pop(i)):
            totals[n] -= value
        return entry
