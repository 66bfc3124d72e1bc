"""Plain-text and Markdown reports of one run (for `show` and the export action)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harn_tui.core.analysis.child_runs import CHILD
from harn_tui.core.format import derive
from harn_tui.core.format.plural import plural
from harn_tui.core.format.textsafe import one_line
from harn_tui.core.format.timestamps import format_duration, format_iso, parse_ms

if TYPE_CHECKING:
    from harn_tui.core.analysis.child_runs import ChildView
    from harn_tui.core.analysis.inbox import InboxItem
    from harn_tui.core.format.normalize import RunDetail


def _when(value: str | None) -> str:
    if not value:
        return "-"
    ms = parse_ms(value)
    return f"{format_iso(ms)} UTC" if ms is not None else f"{one_line(value, 40)} (unparsed)"


def _child_views(detail: RunDetail) -> list[ChildView]:
    """Children as their own run files tell them."""
    from harn_tui.core.analysis.child_runs import child_views

    return child_views(detail)


def hitl_requests(detail: RunDetail) -> list[InboxItem]:
    """The run's HITL requests of every kind, by the inbox's rule."""
    from harn_tui.core.analysis.inbox import run_requests

    return run_requests(
        detail.normalized.get("hitl_questions") or [], detail.record.id, detail.hitl_states or {}
    )


def run_json(detail: RunDetail) -> dict[str, Any]:
    """The `show --json` (and JSON export) document: `RunDetail.to_json` with the run's
    HITL requests of every kind (`hitl_requests`; its questions are in `hitl_questions`)."""
    return detail.to_json(hitl_requests=[item.to_json() for item in hitl_requests(detail)])


def render_text(detail: RunDetail) -> str:
    """A readable summary: header, stages, child runs, HITL, compactions, sessions, turns."""
    run = detail.record
    usage = derive.usage_of(detail.normalized)
    out = [
        f"{one_line(run.display_name, 80)}  [{one_line(run.status, 20)}]  {one_line(run.id, 80)}",
        f"  file      {one_line(str(detail.path), 200)}",
        f"  task      {one_line(run.task, 160) or '-'}",
        f"  started   {_when(run.started_at)}",
        f"  finished  {_when(run.finished_at)}",
        f"  duration  {format_duration(detail.duration_ms) or '-'}",
        f"  usage     {usage['input_tokens']} in / {usage['output_tokens']} out, "
        f"{plural(usage['call_count'], 'call')}, ${usage['total_cost']:.4f}"
        + (f", models {one_line(', '.join(usage['models']), 80)}" if usage["models"] else ""),
    ]
    personas = derive.persona_runtime(detail.normalized)
    if personas:
        out.append(f"  personas  {one_line(', '.join(personas), 160)}")
    gaps = derive.evidence_gaps(detail.normalized)
    if gaps:
        out.append(f"  evidence  gaps: {one_line(', '.join(gaps), 160)}")
    grants = derive.execution_grants(detail.normalized)
    if grants:
        out.append(f"  grants    {len(grants)} (execution.grants)")
    if detail.type_note:
        out.append(f"  note      {detail.type_note}: read as a run record, as Harn's loader does")
    if run.parent_run_id:
        out.append(f"  parent    {one_line(run.parent_run_id, 80)}")
    if detail.failure:
        out.append(f"  failure   {one_line(detail.failure, 160)}")
    if run.pending_nodes:
        out.append(f"  pending   {one_line(', '.join(run.pending_nodes), 120)}")
    stages = run.stages
    out.append(f"\nStages ({len(stages)})")
    for i, stage in enumerate(stages, 1):
        duration = format_duration(derive.stage_duration_ms(stage.raw)) or "-"
        tokens = stage.usage
        tok = f"{tokens.input_tokens}/{tokens.output_tokens} tok" if tokens else ""
        out.append(
            f"  {i:>3}. {one_line(stage.node_id, 30):<30} {one_line(stage.kind, 10):<10} "
            f"{one_line(stage.status, 10):<10} {one_line(stage.outcome, 22):<22} "
            f"{duration:>8}  attempts {len(stage.attempts)}  {tok}".rstrip()
        )
    children = run.child_runs
    out.append(f"\nChild runs ({len(children)})")
    views = _child_views(detail)
    for child, view in zip(children, views, strict=True):
        mark = "*" if view.source == CHILD else ""
        tail = f"  failure={one_line(view.failure, 100)}" if view.failure else ""
        out.append(
            f"  - {one_line(child.worker_name, 24)} [{one_line(view.status, 12)}{mark}] "
            f"{format_duration(view.duration_ms) or '-'}  {one_line(child.task, 60)}  "
            f"session={one_line(child.session_id or '-', 40)} "
            f"run={one_line(child.run_path or child.run_id or '-', 80)}{tail}"
        )
    if any(v.source == CHILD for v in views):
        out.append("    (* status, duration and failure from the child's own run file)")
    requests = hitl_requests(detail)
    out.append(f"\nHITL requests ({len(requests)})")
    for item in requests:
        out.append(
            f"  - [{item.state}] {item.kind}: {one_line(item.prompt or '(no prompt)', 90)}  "
            f"agent={one_line(item.agent or '-', 24)} asked={_when(item.asked_at)}"
        )
    out.append(f"\nCompaction events ({len(detail.compaction_events)})")
    for c in detail.compaction_events:
        where = c.get("node_id") or "run"
        snap = "snapshot available" if c.get("available") else "no snapshot"
        out.append(
            f"  - {one_line(where, 24)}: {one_line(c.get('mode') or '-', 10)} "
            f"{one_line(c.get('strategy') or '-', 16)} archived {c.get('archived_messages')} msgs, "
            f"{c.get('estimated_tokens_before')} -> {c.get('estimated_tokens_after')} tokens, {snap}"
        )
    if detail.daemon_events:
        out.append(f"\nDaemon events ({len(detail.daemon_events)})")
        for d in detail.daemon_events:
            out.append(
                f"  - {one_line(d['name'], 24)} {one_line(d['kind'], 12)} {_when(d['timestamp'])}"
            )
    out.append(f"\nAgent sessions ({len(detail.agent_sessions)})")
    for sid, events in detail.agent_sessions.items():
        out.append(f"  - {one_line(sid, 60)}: {plural(len(events), 'event')}")
    out.append(f"\nModel turns ({len(detail.model_turns)})")
    for turn in detail.model_turns:
        out.append(
            f"  {turn['call_index']:>3}. {one_line(turn['model'] or '-', 30)} iter {turn['iteration']} "
            f"+{turn['added_messages']} msgs  {turn['input_tokens'] or 0}/{turn['output_tokens'] or 0} tok  "
            f"{one_line(turn['summary'], 60)}"
        )
    if detail.event_log_error:
        out.append(f"\nevent log: {one_line(detail.event_log_error, 160)}")
    if detail.sidecar_note:
        out.append(f"sidecar: {one_line(detail.sidecar_note, 160)}")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def render_markdown(detail: RunDetail) -> str:
    """A Markdown report for sharing (tables for stages and child runs)."""
    run = detail.record
    usage = derive.usage_of(detail.normalized)
    lines = [
        f"# {_md(run.display_name)} — {_md(run.status)}",
        "",
        f"- **Run id:** `{_md(run.id)}`",
        f"- **Task:** {_md(run.task) or '-'}",
        f"- **Started:** {_when(run.started_at)}",
        f"- **Finished:** {_when(run.finished_at)}",
        f"- **Duration:** {format_duration(detail.duration_ms) or '-'}",
        f"- **Usage:** {usage['input_tokens']} in / {usage['output_tokens']} out, {plural(usage['call_count'], 'call')}",
    ]
    if detail.failure:
        lines.append(f"- **Failure:** {_md(detail.failure)}")
    lines += [
        "",
        "## Stages",
        "",
        "| # | node | kind | status | outcome | duration | attempts |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, stage in enumerate(run.stages, 1):
        lines.append(
            f"| {i} | {_md(stage.node_id)} | {_md(stage.kind)} | {_md(stage.status)} | "
            f"{_md(stage.outcome)} | {format_duration(derive.stage_duration_ms(stage.raw)) or '-'} | "
            f"{len(stage.attempts)} |"
        )
    if run.child_runs:
        lines += ["", "## Child runs", "", "| worker | status | task | run |", "|---|---|---|---|"]
        for child, view in zip(run.child_runs, _child_views(detail), strict=True):
            lines.append(
                f"| {_md(child.worker_name)} | {_md(view.status)} | {_md(view.failure or child.task)} | "
                f"{_md(child.run_path or child.run_id or '-')} |"
            )
    requests = hitl_requests(detail)
    if requests:
        lines += ["", "## HITL requests", ""]
        lines += [
            f"- {_md(item.kind)} [{_md(item.state)}]: {_md(item.prompt)} ({_md(item.agent)}, {_when(item.asked_at)})"
            for item in requests
        ]
    if detail.compaction_events:
        lines += ["", "## Compactions", ""]
        lines += [
            f"- {_md(c.get('node_id') or 'run')}: {_md(c.get('mode') or '')} / {_md(c.get('strategy') or '')}, "
            f"{c.get('estimated_tokens_before')} → {c.get('estimated_tokens_after')} tokens"
            for c in detail.compaction_events
        ]
    return "\n".join(lines) + "\n"
