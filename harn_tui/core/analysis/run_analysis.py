"""The portal's per-run views (Harn `portal/run_analysis.rs`), as plain data.

`build_insights` (run shape, slowest stage, where time went, first thing to read,
heaviest model turn), `build_activities` (every non-pipeline trace span, with its
owning stage), `build_transitions`, `build_checkpoints`, `build_artifacts`,
`build_policy_summary` and `build_replay_summary`. Each insight names a `target`
the UI can jump to. No UI imports.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from harn_tui.core.analysis.story import StorySection, build_story, preview_text
from harn_tui.core.format import derive
from harn_tui.core.format.derive import compact, dicts, obj
from harn_tui.core.format.plural import plural
from harn_tui.core.format.schema import json_int, str_list, to_int, to_str
from harn_tui.core.format.timestamps import format_duration


@dataclass(frozen=True, slots=True)
class Insight:
    label: str
    value: str
    detail: str
    #: Where selecting it jumps: ("stage", index), ("waterfall", kind), ("story", index),
    #: ("turn", index), ("stages", None) or None.
    target: tuple[str, Any] | None = None


def _last_max(items: list[Any], key: Any) -> Any:
    """Rust's `max_by_key`: the last of the largest (None when empty)."""
    best = None
    best_key = None
    for item in items:
        k = key(item)
        if best_key is None or k >= best_key:
            best, best_key = item, k
    return best


def humanize_kind(kind: str) -> str:
    return kind.replace("_", " ")


def span_kind_totals(spans: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Total span duration per kind, largest first (ties by kind name)."""
    totals: dict[str, int] = {}
    for span in spans:
        kind = to_str(span.get("kind"))
        totals[kind] = totals.get(kind, 0) + max(to_int(span.get("duration_ms")), 0)
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def build_insights(
    run: dict[str, Any], model_turns: list[dict[str, Any]], story: list[StorySection] | None = None
) -> list[Insight]:
    """The five insights of the portal's run detail, in its order and wording."""
    stages = dicts(run.get("stages"))
    spans = dicts(run.get("trace_spans"))
    story = build_story(run) if story is None else story
    children = derive.worker_ids(run)
    timed = [(i, d) for i, s in enumerate(stages) if (d := derive.stage_duration_ms(s)) is not None]
    slowest = _last_max(timed, lambda t: t[1])
    totals = span_kind_totals(spans)
    noisiest = totals[0] if totals else None
    turns = list(enumerate(model_turns))
    heaviest = _last_max(turns, lambda t: (to_int(t[1].get("total_messages")), to_int(t[1].get("input_tokens"))))
    out = [
        Insight(
            "Run shape",
            f"{plural(len(stages), 'stage')} • {plural(len(children), 'child run')}",
            f"status={to_str(run.get('status'))} • {len(story)} transcript sections",
            ("stages", None),
        )
    ]
    if slowest is not None:
        index, duration = slowest
        stage = stages[index]
        out.append(Insight(
            "Slowest stage",
            f"{to_str(stage.get('node_id'))} ({format_duration(duration)})",
            f"{plural(len(dicts(stage.get('attempts'))), 'attempt')} • {plural(len(dicts(stage.get('artifacts'))), 'artifact')}",
            ("stage", index),
        ))
    else:
        out.append(Insight("Slowest stage", "No timed stages", "Stage timing metadata was not available"))
    if noisiest is not None:
        out.append(Insight(
            "Where time went",
            f"{humanize_kind(noisiest[0])} ({format_duration(noisiest[1])})",
            f"{plural(len(spans), 'span')} captured",
            ("waterfall", noisiest[0]),
        ))
    else:
        out.append(Insight("Where time went", "No trace spans", f"{plural(len(spans), 'span')} captured"))
    if story:
        out.append(Insight("First thing to read", story[0].title, story[0].preview, ("story", 0)))
    else:
        out.append(Insight(
            "First thing to read", "No transcript sections",
            "This run has trace data but no captured visible transcript",
        ))
    if heaviest is not None:
        index, turn = heaviest
        out.append(Insight(
            "Heaviest model turn",
            f"Step {to_int(turn.get('call_index'))} ({to_int(turn.get('total_messages'))})",
            f"kept {to_int(turn.get('kept_messages'))} • added {to_int(turn.get('added_messages'))} • "
            f"{to_str(turn.get('summary'))}",
            ("turn", index),
        ))
    else:
        out.append(Insight(
            "Heaviest model turn", "No saved model transcript",
            "Enable HARN_LLM_TRANSCRIPT_DIR to persist full model-turn detail",
        ))
    return out


# -- activity --------------------------------------------------------------------


def span_label(span: dict[str, Any]) -> str:
    """`Model • <model>`, `Tool • <tool>`, else the span name with spaces."""
    meta = obj(span.get("metadata"))
    kind = to_str(span.get("kind"))
    if kind == "llm_call":
        model = meta.get("model")
        return f"Model • {model}" if isinstance(model, str) else "Model call"
    if kind == "tool_call":
        tool = meta.get("tool_name")
        return f"Tool • {tool}" if isinstance(tool, str) else f"Tool • {to_str(span.get('name'))}"
    return to_str(span.get("name")).replace("_", " ")


def compact_metadata(meta: dict[str, Any]) -> str:
    """Up to three `key=value` pairs (keys sorted), then "+N more"."""
    if not meta:
        return "No extra metadata"
    keys = sorted(meta)
    sample = " • ".join(f"{k}={compact(meta[k])}" for k in keys[:3])
    return f"{sample} • +{len(keys) - 3} more" if len(keys) > 3 else sample


@dataclass(frozen=True, slots=True)
class Activity:
    label: str
    kind: str
    started_offset_ms: int
    duration_ms: int
    stage_node_id: str | None
    stage_index: int | None
    call_id: str | None
    summary: str
    span_id: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def build_activities(run: dict[str, Any]) -> list[Activity]:
    """Every trace span but the pipeline's, by start (longest first on ties), with its stage.

    A span belongs to the stage whose slot contains it, slots laid end to end from 0 in
    stage order by duration (the portal's `owning_stage`). The portal shows 40; this is all.
    """
    stages = dicts(run.get("stages"))
    slots: list[tuple[int, int, int]] = []
    cursor = 0
    for i, stage in enumerate(stages):
        duration = derive.stage_duration_ms(stage)
        if duration is None:
            continue
        slots.append((cursor, cursor + duration, i))
        cursor += duration
    spans = sorted(
        dicts(run.get("trace_spans")),
        key=lambda s: (to_int(s.get("start_ms")), -to_int(s.get("duration_ms"))),
    )
    out: list[Activity] = []
    for span in spans:
        kind = to_str(span.get("kind"))
        if kind == "pipeline":
            continue
        start, duration = to_int(span.get("start_ms")), to_int(span.get("duration_ms"))
        owner = next((i for lo, hi, i in slots if start >= lo and start + duration <= hi), None)
        meta = obj(span.get("metadata"))
        out.append(Activity(
            span_label(span), kind, start, duration,
            to_str(stages[owner].get("node_id")) if owner is not None else None, owner,
            meta["call_id"] if isinstance(meta.get("call_id"), str) else None,
            compact_metadata(meta),
            span.get("span_id") if isinstance(span.get("span_id"), int) else None,
            span,
        ))
    return out


# -- transitions, checkpoints, artifacts --------------------------------------------


def build_transitions(run: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "from_node_id": t.get("from_node_id"),
            "to_node_id": to_str(t.get("to_node_id")),
            "branch": t.get("branch"),
            "consumed_count": len(str_list(t.get("consumed_artifact_ids"))),
            "produced_count": len(str_list(t.get("produced_artifact_ids"))),
            "raw": t,
        }
        for t in dicts(run.get("transitions"))
    ]


def build_checkpoints(run: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "reason": to_str(c.get("reason")),
            "ready_count": len(str_list(c.get("ready_nodes"))),
            "completed_count": len(str_list(c.get("completed_nodes"))),
            "last_stage_id": c.get("last_stage_id"),
            "raw": c,
        }
        for c in dicts(run.get("checkpoints"))
    ]


def build_artifacts(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Id, kind, title (else kind), source, stage, estimated tokens, lineage count, preview."""
    out = []
    for a in dicts(run.get("artifacts")):
        kind = to_str(a.get("kind"))
        text = a.get("text")
        if isinstance(text, str):
            preview = preview_text(text)
        elif a.get("data") is not None:
            preview = compact(a.get("data"))
        else:
            preview = "No text body persisted"
        title = a.get("title")
        out.append({
            "id": to_str(a.get("id")),
            "kind": kind,
            "title": title if isinstance(title, str) else kind,
            "source": a.get("source") if isinstance(a.get("source"), str) else None,
            "stage": a.get("stage") if isinstance(a.get("stage"), str) else None,
            "estimated_tokens": a.get("estimated_tokens") if isinstance(a.get("estimated_tokens"), int) else None,
            "lineage_count": len(a.get("lineage")) if isinstance(a.get("lineage"), list) else 0,
            "preview": preview,
            "raw": a,
        })
    return out


# -- policy and validation -----------------------------------------------------------


@dataclass(slots=True)
class PolicySummary:
    tools: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    workspace_roots: list[str] = field(default_factory=list)
    side_effect_level: str | None = None
    recursion_limit: int | None = None
    tool_arg_constraints: list[str] = field(default_factory=list)
    validation_valid: bool | None = None
    validation_errors: list[str] = field(default_factory=list)
    validation_warnings: list[str] = field(default_factory=list)
    reachable_nodes: list[str] = field(default_factory=list)


def build_policy_summary(run: dict[str, Any]) -> PolicySummary:
    """The run's capability policy and its workflow validation report (`metadata.validation`)."""
    policy = obj(run.get("policy"))
    caps: list[str] = []
    for cap, ops in sorted(obj(policy.get("capabilities")).items()):
        names = str_list(ops)
        caps += [cap] if not names else [f"{cap}.{op}" for op in names]
    constraints = []
    for c in dicts(policy.get("tool_arg_constraints")):
        patterns = str_list(c.get("arg_patterns"))
        tool = to_str(c.get("tool"))
        constraints.append(f"{tool} → {', '.join(patterns)}" if patterns else tool)
    validation = obj(run.get("metadata")).get("validation")
    report = validation if isinstance(validation, dict) and isinstance(validation.get("valid"), bool) else None
    level = policy.get("side_effect_level")
    limit = policy.get("recursion_limit")
    return PolicySummary(
        tools=str_list(policy.get("tools")),
        capabilities=caps,
        workspace_roots=str_list(policy.get("workspace_roots")),
        side_effect_level=level if isinstance(level, str) else None,
        recursion_limit=json_int(limit),
        tool_arg_constraints=constraints,
        validation_valid=report["valid"] if report else None,
        validation_errors=str_list(report.get("errors")) if report else [],
        validation_warnings=str_list(report.get("warnings")) if report else [],
        reachable_nodes=str_list(report.get("reachable_nodes")) if report else [],
    )


# -- replay and eval -----------------------------------------------------------------


def build_replay_summary(run: dict[str, Any]) -> dict[str, Any] | None:
    """The saved replay fixture's identity and per-stage assertions (None without one)."""
    fixture = run.get("replay_fixture")
    if not isinstance(fixture, dict):
        return None
    return {
        "fixture_id": to_str(fixture.get("id")),
        "source_run_id": to_str(fixture.get("source_run_id")),
        "created_at": to_str(fixture.get("created_at")),
        "expected_status": to_str(fixture.get("expected_status")),
        "stage_assertions": [
            {
                "node_id": to_str(s.get("node_id")),
                "expected_status": to_str(s.get("expected_status")),
                "expected_outcome": to_str(s.get("expected_outcome")),
                "expected_branch": s.get("expected_branch") if isinstance(s.get("expected_branch"), str) else None,
                "required_artifact_kinds": str_list(s.get("required_artifact_kinds")),
                "visible_text_contains": s.get("visible_text_contains")
                if isinstance(s.get("visible_text_contains"), str) else None,
            }
            for s in dicts(fixture.get("stage_assertions"))
        ],
    }


def replay_commands(run_path: str) -> list[str]:
    """`harn replay <run>` and `harn eval <run>`, ready to paste into a shell."""
    quoted = shlex.quote(run_path)
    return [f"harn replay {quoted}", f"harn eval {quoted}"]
