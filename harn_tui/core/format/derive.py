"""Fields Harn's portal derives from a run: failure summary, duration, usage, status group.

Each function reads a run dict defensively (raw from disk or normalized), so the
list summary and the detail view compute the same values the same way.
"""

from __future__ import annotations

from typing import Any

from harn_tui.core.format.plural import plural
from harn_tui.core.format.schema import str_list, to_float, to_int, to_str
from harn_tui.core.format.timestamps import parse_ms

FAILED_STATUSES = frozenset({"failed", "error", "cancelled"})
COMPLETED_STATUSES = frozenset({"complete", "completed", "success", "verified"})
STATUS_GROUPS = ("all", "active", "completed", "failed")


def status_group(status: str) -> str:
    """`failed`, `completed` or `active`, as Harn's portal groups run statuses."""
    if status in FAILED_STATUSES:
        return "failed"
    if status in COMPLETED_STATUSES:
        return "completed"
    return "active"


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list (anything else is ignored)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def failure_summary(run: dict[str, Any]) -> str | None:
    """The last failed-like stage, as "`node` failed: error" or "`node` failed with outcome"."""
    for stage in reversed(dicts(run.get("stages"))):
        status = to_str(stage.get("status"))
        outcome = to_str(stage.get("outcome"))
        if status in FAILED_STATUSES or outcome in FAILED_STATUSES:
            return stage_failure(stage)
    return None


def stage_failure(stage: dict[str, Any]) -> str:
    """One stage's part of the failure summary (the portal's wording)."""
    node = to_str(stage.get("node_id"))
    error = _stage_error(stage)
    if error:
        return f"{node} failed: {error}"
    return f"{node} failed with {to_str(stage.get('outcome'))}"


def compact(value: Any) -> str:
    """The portal's `compact_json`: scalars as text, containers as "N items" / "N fields"."""
    if isinstance(value, list):
        return plural(len(value), "item")
    if isinstance(value, dict):
        return plural(len(value), "field")
    if value is None:
        return "null"
    return to_str(value)


def _stage_error(stage: dict[str, Any]) -> str | None:
    error = obj(stage.get("metadata")).get("error")
    if error is not None:
        return compact(error)
    for attempt in reversed(dicts(stage.get("attempts"))):
        value = attempt.get("error")
        if value is not None:
            return to_str(value)
    return None


def stage_duration_ms(stage: dict[str, Any]) -> int | None:
    """Finished minus started when both parse; else the stage's usage duration."""
    start = parse_ms(stage.get("started_at"))
    end = parse_ms(stage.get("finished_at"))
    if start is not None and end is not None and end >= start:
        return end - start
    duration = to_int(obj(stage.get("usage")).get("total_duration_ms"))
    return duration if duration > 0 else None


def run_duration_ms(run: dict[str, Any]) -> int | None:
    """The portal's rule: usage total, else the trace span extent, else stage sum, else wall time."""
    duration = to_int(obj(run.get("usage")).get("total_duration_ms"))
    if duration > 0:
        return duration
    ends = [
        to_int(span.get("start_ms")) + to_int(span.get("duration_ms"))
        for span in dicts(run.get("trace_spans"))
    ]
    if ends and max(ends) > 0:
        return max(ends)
    total = sum(d for d in map(stage_duration_ms, dicts(run.get("stages"))) if d)
    if total > 0:
        return total
    start = parse_ms(run.get("started_at"))
    end = parse_ms(run.get("finished_at"))
    if start is not None and end is not None and end >= start:
        return end - start
    return None


def usage_of(run: dict[str, Any]) -> dict[str, Any]:
    """The run's usage record with defaults (zeros when absent)."""
    usage = obj(run.get("usage"))
    return {
        "input_tokens": to_int(usage.get("input_tokens")),
        "output_tokens": to_int(usage.get("output_tokens")),
        "total_duration_ms": to_int(usage.get("total_duration_ms")),
        "call_count": to_int(usage.get("call_count")),
        "total_cost": to_float(usage.get("total_cost")),
        "models": str_list(usage.get("models")),
    }


def last_node_id(run: dict[str, Any]) -> str | None:
    """The node id of the last stage, if any."""
    stages = dicts(run.get("stages"))
    return to_str(stages[-1].get("node_id")) if stages else None


def worker_ids(run: dict[str, Any]) -> list[str]:
    """Child-run worker ids after materialization (stored children plus stage workers)."""
    ids = [to_str(child.get("worker_id")) for child in dicts(run.get("child_runs"))]
    seen = set(ids)
    for stage in dicts(run.get("stages")):
        worker = obj(obj(stage.get("metadata")).get("worker"))
        wid = to_str(worker.get("id"))
        if wid and wid not in seen:
            seen.add(wid)
            ids.append(wid)
    return ids


def skill_names(run: dict[str, Any]) -> list[str]:
    """Skills activated in any transcript of the run (first activation order)."""
    names: list[str] = []
    transcripts = [run.get("transcript")] + [s.get("transcript") for s in dicts(run.get("stages"))]
    for transcript in transcripts:
        for event in dicts(obj(transcript).get("events")):
            if event.get("kind") == "skill_activated":
                meta = obj(event.get("metadata"))
                name = to_str(meta.get("skill_name") or meta.get("name") or event.get("text"))
                if name and name not in names:
                    names.append(name)
    return names


def linked_session_ids(run: dict[str, Any]) -> list[str]:
    """Agent session ids a run points at: child runs' sessions, stage `metadata.session_id`
    (how later Harn's `harn runs view` links a run to its session), and transcript ids."""
    ids: list[str] = []

    def add(value: Any) -> None:
        text = to_str(value)
        if text and text not in ids:
            ids.append(text)

    for child in dicts(run.get("child_runs")):
        add(child.get("session_id"))
    for stage in dicts(run.get("stages")):
        worker = obj(obj(stage.get("metadata")).get("worker"))
        add(obj(worker.get("audit")).get("session_id"))
        add(obj(stage.get("metadata")).get("session_id"))
        add(obj(stage.get("transcript")).get("id"))
    add(obj(run.get("transcript")).get("id"))
    add(obj(obj(run.get("metadata")).get("mutation_session")).get("session_id"))
    return ids


def evidence_gaps(run: dict[str, Any]) -> list[str]:
    """Later Harn's `evidence.gaps` as `component: code` (what the run could not evidence)."""
    out = []
    for gap in dicts(obj(run.get("evidence")).get("gaps")):
        component, code = to_str(gap.get("component")), to_str(gap.get("code"))
        if component or code:
            out.append(f"{component}: {code}" if component and code else component or code)
    return out


def execution_grants(run: dict[str, Any]) -> list[Any]:
    """Later Harn's `execution.grants` (non-secret grant receipts)."""
    grants = obj(run.get("execution")).get("grants")
    return grants if isinstance(grants, list) else []


def persona_runtime(run: dict[str, Any]) -> list[str]:
    """Later Harn's `persona_runtime` entries as `persona (state)` labels."""
    out = []
    for entry in dicts(run.get("persona_runtime")):
        name = to_str(entry.get("persona") or entry.get("name") or entry.get("id"))
        state = to_str(entry.get("state") or entry.get("status"))
        if name or state:
            out.append(f"{name} ({state})" if name and state else name or state)
    return out
