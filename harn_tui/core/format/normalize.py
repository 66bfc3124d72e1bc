"""Harn's loader semantics (spec §2.7-§2.19): one run file to a normalized, enriched record.

`load_run` reads a file and returns a :class:`RunDetail`: the record with Harn's
defaults filled, child runs materialized from stage worker metadata, handoffs
synced, a replay fixture synthesized when missing, observability recomputed,
compaction events projected from the transcripts, daemon events and model turns
from the sidecar. The event log's HITL and sessions are merged in by
:mod:`harn_tui.core.eventlog.attach` (a layer above this one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harn_tui.core.format import derive, handoffs, observability
from harn_tui.core.format import schema as S
from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.errors import LoadError
from harn_tui.core.format.jsonload import decode_json, read_bytes, type_name
from harn_tui.core.format.records import RunRecord
from harn_tui.core.format.schema import to_str
from harn_tui.core.format.sidecar import capture_file, load_sidecar, plain_turns, sidecar_path

OBSERVABILITY_SCHEMA_VERSION = observability.SCHEMA_VERSION


@dataclass
class RunDetail:
    """Everything the detail view and `show` need about one run."""

    path: Path
    rel: str
    raw: dict[str, Any]
    normalized: dict[str, Any]
    compaction_events: list[dict[str, Any]]
    daemon_events: list[dict[str, Any]]
    model_turns: list[dict[str, Any]]
    sidecar: Path
    sidecar_available: bool
    sidecar_note: str | None = None
    agent_sessions: dict[str, list[Any]] = field(default_factory=dict)
    event_log_error: str | None = None
    hitl_states: dict[str, Any] = field(default_factory=dict)
    type_note: str | None = None
    raw_captures: list[dict[str, Any]] = field(default_factory=list)
    #: `observability` of matching `observability.action_graph` event-log updates, in order.
    live_graph: list[dict[str, Any]] = field(default_factory=list)
    #: Replay rows per session, when a loader built them off the UI thread.
    session_rows: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def record(self) -> RunRecord:
        return RunRecord(self.normalized)

    @property
    def failure(self) -> str | None:
        return derive.failure_summary(self.normalized)

    @property
    def duration_ms(self) -> int | None:
        return derive.run_duration_ms(self.normalized)

    def to_json(self, hitl_requests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The `show --json` document: Harn's keys plus the derived views.

        `hitl_requests` (every kind, by the inbox's rule) is computed a layer up: see
        `harn_tui.core.analysis.report.run_json`, which every caller uses.
        """
        out = dict(self.normalized)
        out["compaction_events"] = self.compaction_events
        out["daemon_events"] = self.daemon_events
        out["agent_sessions"] = {
            sid: [
                {"event_id": e.event_id, "occurred_at_ms": e.occurred_at_ms, "event": e.event}
                for e in events
            ]
            for sid, events in self.agent_sessions.items()
        }
        out["model_turns"] = plain_turns(self.model_turns)
        if hitl_requests is not None:
            out["hitl_requests"] = hitl_requests
        out["raw_captures"] = self.raw_captures
        out["derived"] = {
            "path": self.rel,
            "status_group": derive.status_group(to_str(self.normalized.get("status"))),
            "failure": self.failure,
            "duration_ms": self.duration_ms,
            "sidecar_path": str(self.sidecar),
            "sidecar_available": self.sidecar_available,
            "event_log_error": self.event_log_error,
            "type_note": self.type_note,
        }
        return out


def read_run_file(path: Path) -> dict[str, Any]:
    """Parse a run file named explicitly: any JSON object, as Harn's `load_run_record` reads it.

    Harn's loader (behind `harn runs inspect` and the portal's run detail) checks no
    `_type`; only the directory scan does. LoadError when unreadable or not an object.
    """
    data = decode_json(read_bytes(path))
    if not isinstance(data, dict):
        raise LoadError(f"top-level JSON is {type_name(data)}, not an object")
    return data


def type_note(data: dict[str, Any]) -> str | None:
    """Why a loaded object would not be listed by the directory scan, else None."""
    kind = data.get("_type")
    if kind == "run_record":
        return None
    if kind is None:
        return "the file has no _type"
    return f"the file's _type is {to_str(kind) or repr(kind)!r}, not run_record"


def load_run(path: Path, *, root: Path | None = None) -> RunDetail:
    """Load and enrich one run file (no event log: see `eventlog.attach`).

    Raises LoadError only for an unusable file."""
    path = Path(path)
    raw = read_run_file(path)
    rel = _relative(path, root)
    normalized = normalize_record(raw, path)
    sidecar = sidecar_path(path)
    lines = load_sidecar(sidecar)
    note = lines.error
    if lines.skipped:
        note = f"{lines.skipped} sidecar line(s) could not be parsed"
    detail = RunDetail(
        path=path,
        rel=rel,
        raw=raw,
        normalized=normalized,
        compaction_events=normalized["observability"]["compaction_events"],
        daemon_events=lines.daemon_events,
        model_turns=lines.model_turns,
        sidecar=sidecar,
        sidecar_available=sidecar.is_file(),
        sidecar_note=note,
        type_note=type_note(raw),
        raw_captures=lines.raw_captures,
    )
    for capture in detail.raw_captures:  # the same records the model turns hold
        capture["file"] = capture_file(sidecar, capture.get("path"))
    normalized["observability"]["daemon_events"] = detail.daemon_events
    _set_sidecar_pointer(normalized, sidecar, detail.sidecar_available)
    carry_pointer_verification(normalized, raw)
    return detail


def normalize_record(raw: dict[str, Any], path: Path | None = None) -> dict[str, Any]:
    """Harn's `load`: defaults, children, fixture, persisted path, handoffs, observability."""
    run = S.fill(raw, S.RUN)  # `_type` kept as the file has it (Harn's load fills nothing)
    for span, source in zip(run["trace_spans"], dicts(raw.get("trace_spans")), strict=False):
        if source.get("parent_span_id") is not None:  # newer key wins (spec §2.16)
            span["parent_id"] = S.to_int(source.get("parent_span_id"), None)  # type: ignore[arg-type]
    materialize_child_runs(run)
    if run["replay_fixture"] is None:
        run["replay_fixture"] = replay_fixture_from_run(run)
    if run["persisted_path"] is None and path is not None:
        run["persisted_path"] = str(path)
    sync_handoffs(run)
    run["observability"] = derive_observability(run, path)
    return run


# -- child runs (§2.7) --------------------------------------------------------

_CHILD_FROM_WORKER = (
    ("task", "task"),
    ("request", "request"),
    ("provenance", "provenance"),
    ("started_at", "started_at"),
    ("finished_at", "finished_at"),
    ("run_id", "child_run_id"),
    ("run_path", "child_run_path"),
    ("snapshot_path", "snapshot_path"),
    ("execution", "execution"),
)


def child_from_stage(stage: dict[str, Any]) -> dict[str, Any] | None:
    """The child-run record a stage's `metadata.worker` describes, if any."""
    worker = obj(obj(stage.get("metadata")).get("worker"))
    worker_id = to_str(worker.get("id"))
    if not worker_id:
        return None
    audit = obj(worker.get("audit"))
    child: dict[str, Any] = {
        "worker_id": worker_id,
        "worker_name": to_str(worker.get("name")) or "worker",
        "parent_stage_id": to_str(stage.get("id")) or None,
        "session_id": audit.get("session_id"),
        "parent_session_id": audit.get("parent_session_id"),
        "mutation_scope": audit.get("mutation_scope"),
        "approval_policy": audit.get("approval_policy"),
        "status": to_str(worker.get("status")) or "completed",
    }
    for key, source in _CHILD_FROM_WORKER:
        child[key] = worker.get(source)
    return S.fill(child, S.CHILD_RUN)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def materialize_child_runs(run: dict[str, Any]) -> None:
    """Append children from stage worker metadata; fill only empty fields of existing ones."""
    children = run["child_runs"]
    for stage in run["stages"]:
        child = child_from_stage(stage)
        if child is None:
            continue
        existing = next((c for c in children if c.get("worker_id") == child["worker_id"]), None)
        if existing is None:
            children.append(child)
            continue
        for key, value in child.items():
            if _is_empty(existing.get(key)) and not _is_empty(value):
                existing[key] = value


# -- replay fixture (§2.15) ---------------------------------------------------


def replay_fixture_from_run(run: dict[str, Any]) -> dict[str, Any]:
    """The fixture Harn synthesizes when a file has none (stable id here, for display)."""
    return S.fill(
        {
            "_type": "replay_fixture",
            "id": f"fixture_{run['id']}" if run["id"] else "fixture",
            "source_run_id": run["id"],
            "workflow_id": run["workflow_id"],
            "workflow_name": run["workflow_name"],
            "created_at": run["finished_at"] or run["started_at"],
            "eval_kind": "replay",
            "expected_status": run["status"],
            "stage_assertions": [
                {
                    "node_id": stage["node_id"],
                    "expected_status": stage["status"],
                    "expected_outcome": stage["outcome"],
                    "expected_branch": stage["branch"],
                    "required_artifact_kinds": [a["kind"] for a in stage["artifacts"]],
                    "visible_text_contains": (stage["visible_text"] or "")[:80] or None,
                }
                for stage in run["stages"]
            ],
        },
        S.REPLAY_FIXTURE,
    )


# -- handoffs (§2.11) ---------------------------------------------------------


def sync_handoffs(run: dict[str, Any]) -> None:
    """Harn's `sync_run_handoffs` (see :mod:`harn_tui.core.format.handoffs`)."""
    handoffs.sync_run_handoffs(run)


# -- observability (§2.9) -----------------------------------------------------


def derive_observability(run: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """Recompute Harn's observability record (the stored copy is ignored, as Harn's load does)."""
    return observability.derive(run, str(path) if path is not None else None)


def carry_pointer_verification(run: dict[str, Any], raw: dict[str, Any]) -> None:
    """Later Harn's pointer verification (`verification_status`, `verification_error`,
    `descriptor`, checked against the transcript files) kept from the stored pointer of
    the same id: harn-tui does not re-verify."""
    stored = {
        p.get("id"): p
        for p in dicts(obj(raw.get("observability")).get("transcript_pointers"))
        if isinstance(p.get("id"), str)
    }
    for pointer in run["observability"]["transcript_pointers"]:
        old = stored.get(pointer["id"], {})
        for key in observability.POINTER_LATER_KEYS:
            if key in old:
                pointer[key] = old[key]


def _set_sidecar_pointer(run: dict[str, Any], sidecar: Path, available: bool) -> None:
    run["observability"]["transcript_pointers"].append(
        {
            "id": "run:llm_transcript",
            "label": "LLM transcript sidecar",
            "kind": "llm_jsonl",
            "location": "run sidecar",
            "path": str(sidecar),
            "available": available,
        }
    )


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return path.name
