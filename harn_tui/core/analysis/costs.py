"""Costs and usage (Harn portal `handlers/costs.rs` `build_cost_report`), over any set of runs.

Per run, `llm_rows` (in :mod:`harn_tui.core.format.llm_usage`, as the run summary keeps
its rows) folds the `llm_call` trace spans into one row per (provider, model):
provider, model, tokens and `cost_usd` from the span's metadata, the cost priced from
Harn's static per-model table when the span has none, spans with no cost and no tokens
skipped — the portal's rules. A run with no such span but with usage (`usage.total_cost`,
tokens) counts once from its usage instead (provider `unknown`, its model when it names
exactly one), so runs recorded without trace spans still add up. The rows are kept in
the run summary, so a report over 10,000 runs reads no run file.

`build_cost_report` aggregates the summaries it is given (the run list's filtered rows,
or `ls`-style selections): totals, the portal's trend (date × workflow) and provider ×
model breakdown, plus the same numbers grouped by day, workflow, model and provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harn_tui.core.format.llm_usage import llm_rows, price, pricing_per_million

__all__ = [
    "BY",
    "CostReport",
    "Totals",
    "build_cost_report",
    "llm_rows",
    "price",
    "pricing_per_million",
    "run_date",
]

BY = ("day", "workflow", "model", "provider")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def run_date(started_at: str, started_at_ms: int | None) -> str:
    """The portal's day: `started_at` up to `T` or a space; for Harn's other timestamp
    formats (UUIDv7, Unix seconds) the UTC date of the parsed time; else `unknown`."""
    head = re.split(r"[T ]", started_at, maxsplit=1)[0] if started_at else ""
    if _DATE.match(head):
        return head
    if started_at_ms is not None:
        return datetime.fromtimestamp(started_at_ms / 1000, UTC).strftime("%Y-%m-%d")
    return head or "unknown"


@dataclass(slots=True)
class Totals:
    cost_usd: float = 0.0
    call_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    run_count: int = 0

    def add(self, calls: int, tin: int, tout: int, cost: float) -> None:
        self.call_count += calls
        self.input_tokens += tin
        self.output_tokens += tout
        self.cost_usd += cost

    def to_json(self) -> dict[str, Any]:
        return {
            "cost_usd": round(self.cost_usd, 6),
            "call_count": self.call_count,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "run_count": self.run_count,
        }


@dataclass(slots=True)
class CostReport:
    summary: Totals = field(default_factory=Totals)
    #: (date, workflow) -> totals: the portal's trend points.
    trend: dict[tuple[str, str], Totals] = field(default_factory=dict)
    #: (provider, model) -> totals: the portal's provider breakdown.
    providers: dict[tuple[str, str], Totals] = field(default_factory=dict)
    groups: dict[str, dict[str, Totals]] = field(default_factory=lambda: {b: {} for b in BY})

    def days(self) -> list[str]:
        """Every day with spend, oldest first ("unknown" last)."""
        return sorted(self.groups["day"], key=lambda d: (d == "unknown", d))

    def series(self, workflow: str | None = None) -> list[float]:
        """Cost per day (every day of `days()`), for all workflows or one."""
        if workflow is None:
            return [self.groups["day"][d].cost_usd for d in self.days()]
        return [self.trend[(d, workflow)].cost_usd if (d, workflow) in self.trend else 0.0 for d in self.days()]

    def ranked(self, by: str) -> list[tuple[str, Totals]]:
        """A grouping, costliest first (days in date order)."""
        items = list(self.groups[by].items())
        if by == "day":
            return sorted(items, key=lambda kv: (kv[0] == "unknown", kv[0]))
        return sorted(items, key=lambda kv: (-kv[1].cost_usd, kv[0]))

    def to_json(self, by: str | None = None) -> dict[str, Any]:
        """The portal's report shape (`summary`, `trend`, `provider_breakdown`), plus `by`."""
        out: dict[str, Any] = {
            "summary": {
                "total_cost_usd": round(self.summary.cost_usd, 6),
                "call_count": self.summary.call_count,
                "input_tokens": self.summary.input_tokens,
                "output_tokens": self.summary.output_tokens,
                "run_count": self.summary.run_count,
            },
            "trend": [
                {"date": d, "pipeline": w, **_portal(t)}
                for (d, w), t in sorted(self.trend.items())
            ],
            "provider_breakdown": [
                {"provider": p, "model": m, **_portal(t)}
                for (p, m), t in sorted(self.providers.items(), key=lambda kv: (-kv[1].cost_usd, kv[0]))
            ],
        }
        if by is not None:
            out["by"] = by
            out["groups"] = [{"key": k, **t.to_json()} for k, t in self.ranked(by)]
        return out


def _portal(t: Totals) -> dict[str, Any]:
    return {"cost_usd": round(t.cost_usd, 6), "call_count": t.call_count,
            "input_tokens": t.input_tokens, "output_tokens": t.output_tokens}


def build_cost_report(runs: Iterable[Any]) -> CostReport:
    """Aggregate run summaries (anything with `usage`, `workflow_name`, `started_at[_ms]`).

    One pass into a fine table keyed by (day, workflow, provider, model) — one dict update per
    row — plus run counts per group; every grouping is folded from the fine table at the end.
    Each distinct `started_at` text is dated once.
    """
    dates: dict[tuple[str, int | None], str] = {}
    fine: dict[tuple[str, str, str, str], list[Any]] = {}
    run_counts: dict[str, dict[str, int]] = {b: {} for b in BY}
    day_n, wf_n, model_n, prov_n = (run_counts[b] for b in BY)
    n_runs = 0
    for run in runs:
        if getattr(run, "broken", False):
            continue
        rows = run.usage.get("llm")
        if not rows:
            continue
        key = (run.started_at or "", run.started_at_ms)
        date = dates.get(key)
        if date is None:
            date = dates[key] = run_date(*key)
        workflow = run.workflow_name or run.workflow_id or "unknown"
        n_runs += 1
        day_n[date] = day_n.get(date, 0) + 1
        wf_n[workflow] = wf_n.get(workflow, 0) + 1
        models: set[str] = set()
        provs: set[str] = set()
        for row in rows:
            if not isinstance(row, list) or len(row) != 6:
                continue
            provider, model, calls, tin, tout, cost = row
            k = (date, workflow, provider, model)
            cell = fine.get(k)
            if cell is None:
                fine[k] = [cost, calls, tin, tout]
            else:
                cell[0] += cost
                cell[1] += calls
                cell[2] += tin
                cell[3] += tout
            models.add(model)
            provs.add(provider)
        for m in models:
            model_n[m] = model_n.get(m, 0) + 1
        for pv in provs:
            prov_n[pv] = prov_n.get(pv, 0) + 1
    report = CostReport()
    report.summary.run_count = n_runs
    for (date, workflow, provider, model), (cost, calls, tin, tout) in fine.items():
        report.summary.add(calls, tin, tout, cost)
        for table, k in (
            (report.trend, (date, workflow)), (report.providers, (provider, model)),
            (report.groups["day"], date), (report.groups["workflow"], workflow),
            (report.groups["model"], model), (report.groups["provider"], provider),
        ):
            table.setdefault(k, Totals()).add(calls, tin, tout, cost)  # type: ignore[attr-defined]
    for by in BY:
        for k, t in report.groups[by].items():
            t.run_count = run_counts[by].get(k, 0)
    return report
