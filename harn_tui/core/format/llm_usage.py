"""A run's LLM usage rows: its `llm_call` trace spans per (provider, model), priced by
Harn's static table where a span has no cost (the portal's `handlers/costs.rs` rules).

Kept in the run summary (so the cost report over many runs reads no run file);
aggregated by :mod:`harn_tui.core.analysis.costs`.
"""

from __future__ import annotations

from typing import Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.schema import json_int, json_number, json_str, str_list, to_float, to_int

__all__ = ["llm_rows", "price", "pricing_per_million"]

#: Harn's fallback pricing per million tokens (input, output), `llm/cost.rs`, first match wins.
_PRICING: tuple[tuple[Any, tuple[float, float]], ...] = (
    (lambda m: "claude-3-5-haiku" in m or "claude-haiku-4" in m, (0.80, 4.00)),
    (lambda m: "claude-3-5-sonnet" in m or "claude-sonnet-4" in m, (3.00, 15.00)),
    (lambda m: "claude-3-opus" in m or "claude-opus-4" in m, (15.00, 75.00)),
    (lambda m: "gpt-4o-mini" in m, (0.15, 0.60)),
    (lambda m: "gpt-4o" in m, (2.50, 10.00)),
    (lambda m: "gpt-4-turbo" in m, (10.00, 30.00)),
    (lambda m: "o1-mini" in m, (3.00, 12.00)),
    (lambda m: "o1" in m or "o3" in m, (15.00, 60.00)),
    (lambda m: "llama" in m and "70b" in m, (0.59, 0.79)),
    (lambda m: "llama" in m and "8b" in m, (0.05, 0.08)),
    (lambda m: "mistral-large" in m, (2.00, 6.00)),
    (lambda m: "mistral-small" in m, (0.20, 0.60)),
    (lambda m: "gemini-2" in m and "flash" in m, (0.10, 0.40)),
    (lambda m: "gemini-2" in m and "pro" in m, (1.25, 5.00)),
)


def pricing_per_million(model: str) -> tuple[float, float] | None:
    """(input, output) USD per million tokens from Harn's static table, or None."""
    for matches, price in _PRICING:
        if matches(model):
            return price
    return None


def price(model: str, input_tokens: int, output_tokens: int) -> float:
    """Harn's `calculate_cost` (0 for a model it does not price)."""
    rates = pricing_per_million(model)
    if rates is None:
        return 0.0
    return (input_tokens * rates[0] + output_tokens * rates[1]) / 1_000_000


def llm_rows(run: dict[str, Any]) -> list[list[Any]]:
    """[provider, model, calls, input tokens, output tokens, cost USD] per (provider, model)."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for span in dicts(run.get("trace_spans")):
        if span.get("kind") != "llm_call":
            continue
        meta = obj(span.get("metadata"))
        provider = json_str(meta.get("provider"), "unknown")
        model = json_str(meta.get("model"), "unknown")
        tin = json_int(meta.get("input_tokens"), 0)
        tout = json_int(meta.get("output_tokens"), 0)
        cost = json_number(meta.get("cost_usd"))
        if cost is None:
            cost = price(model, tin, tout)
        if cost <= 0 and tin == 0 and tout == 0:
            continue
        row = groups.setdefault((provider, model), [provider, model, 0, 0, 0, 0.0])
        row[2] += 1
        row[3] += tin
        row[4] += tout
        row[5] += cost
    if groups:
        return list(groups.values())
    usage = obj(run.get("usage"))
    tin, tout = to_int(usage.get("input_tokens")), to_int(usage.get("output_tokens"))
    cost = to_float(usage.get("total_cost"))
    models = str_list(usage.get("models"))
    model = models[0] if len(models) == 1 else "unknown"
    if cost <= 0 and model != "unknown":
        cost = price(model, tin, tout)
    if cost <= 0 and tin == 0 and tout == 0:
        return []
    return [["unknown", model, max(to_int(usage.get("call_count")), 1), tin, tout, cost]]
