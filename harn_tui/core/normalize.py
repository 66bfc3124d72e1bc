"""Harn's loader semantics (spec §2.7-§2.19): one run file to a normalized, enriched record.

`load_run` reads a file and returns a :class:`RunDetail`: the record with Harn's
defaults filled, child runs materialized from stage worker metadata, handoffs
synced, a replay fixture synthesized when missing, observability recomputed,
HITL questions merged from the event log, compaction events projected from the
transcripts, daemon events and model turns from the sidecar.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harn_tui.core import derive
from harn_tui.core import schema as S
from harn_tui.core.derive import dicts, obj
from harn_tui.core.errors import LoadError
from harn_tui.core.jsonload import decode_json, read_bytes, type_name
from harn_tui.core.records import RunRecord
from harn_tui.core.schema import to_str
from harn_tui.core.sidecar import load_sidecar, plain_turns, sidecar_path
from harn_tui.core.timestamps import sort_key

if TYPE_CHECKING:
    from harn_tui.core.eventlog import EventLog

OBSERVABILITY_SCHEMA_VERSION = 4


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

    def to_json(self) -> dict[str, Any]:
        """The `show --json` document: Harn's keys plus the derived views."""
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
        out["derived"] = {
            "path": self.rel,
            "status_group": derive.status_group(to_str(self.normalized.get("status"))),
            "failure": self.failure,
            "duration_ms": self.duration_ms,
            "sidecar_path": str(self.sidecar),
            "sidecar_available": self.sidecar_available,
            "event_log_error": self.event_log_error,
        }
        return out


def read_run_file(path: Path) -> dict[str, Any]:
    """Parse a run file; LoadError when it is unreadable, not an object or not a run record."""
    data = decode_json(read_bytes(path))
    if not isinstance(data, dict):
        raise LoadError(f"top-level JSON is {type_name(data)}, not an object")
    if data.get("_type") != "run_record":
        kind = data.get("_type")
        raise LoadError(
            f"not a run record (_type is {kind!r})" if kind else "not a run record (no _type)"
        )
    return data


def load_run(
    path: Path,
    *,
    root: Path | None = None,
    event_log: EventLog | None = None,
    with_sessions: bool = True,
    legacy_dirs: list[Path] | None = None,
) -> RunDetail:
    """Load and enrich one run file. Raises LoadError only for an unusable file."""
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
    )
    normalized["observability"]["daemon_events"] = detail.daemon_events
    _set_sidecar_pointer(normalized, sidecar, detail.sidecar_available)
    if event_log is not None:
        attach_event_log(detail, event_log, with_sessions=with_sessions)
    if with_sessions and legacy_dirs:
        attach_legacy_sessions(detail, legacy_dirs)
    return detail


def attach_legacy_sessions(detail: RunDetail, dirs: list[Path]) -> None:
    """Add linked sessions that only exist as legacy `event_log-<session>.jsonl` files."""
    from harn_tui.core.sessions import legacy_sessions

    missing = [s for s in derive.linked_session_ids(detail.normalized) if s not in detail.agent_sessions]
    found = legacy_sessions(dirs, missing)
    if found:
        detail.agent_sessions = dict(sorted({**detail.agent_sessions, **found}.items()))


def attach_event_log(detail: RunDetail, log: EventLog, *, with_sessions: bool = True) -> None:
    """Merge HITL questions from the log and load the run's agent sessions."""
    from harn_tui.core import hitl, sessions
    from harn_tui.core.errors import HarnTuiError

    run_id = to_str(detail.normalized.get("id"))
    try:
        asked = hitl.questions_by_run(log).get(run_id, []) if run_id else []
        detail.normalized["hitl_questions"] = [
            S.fill(q, S.HITL_QUESTION)
            for q in hitl.merge_questions(detail.normalized["hitl_questions"], asked)
        ]
        detail.hitl_states = hitl.request_states(log)
        if with_sessions:
            candidates = derive.linked_session_ids(detail.normalized)
            detail.agent_sessions = sessions.sessions_for_run(log, run_id, candidates)
    except HarnTuiError as exc:
        detail.event_log_error = exc.reason


def normalize_record(raw: dict[str, Any], path: Path | None = None) -> dict[str, Any]:
    """Harn's `load`: defaults, children, fixture, persisted path, handoffs, observability."""
    run = S.fill(raw, S.RUN)
    if not run["_type"]:
        run["_type"] = "run_record"
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
    """Merge handoff artifacts into `handoffs` by id, sort, and mirror them back."""
    merged: dict[str, dict[str, Any]] = {h["id"]: h for h in run["handoffs"] if h.get("id")}
    order = [h for h in run["handoffs"] if not h.get("id")]
    for artifact in run["artifacts"]:
        if artifact.get("kind") == "handoff" and isinstance(artifact.get("data"), dict):
            handoff = S.fill(artifact["data"], S.HANDOFF)
            if handoff["id"]:
                merged[handoff["id"]] = handoff
    handoffs = order + sorted(
        merged.values(), key=lambda h: (sort_key(h["created_at"]), h["created_at"])
    )
    run["handoffs"] = handoffs
    for handoff in handoffs:
        if not handoff.get("id"):
            continue
        artifact_id = f"artifact_{handoff['id']}"
        mirror = next((a for a in run["artifacts"] if a.get("id") == artifact_id), None)
        if mirror is None:
            run["artifacts"].append(
                S.fill(
                    {
                        "_type": "artifact",
                        "id": artifact_id,
                        "kind": "handoff",
                        "title": handoff.get("task") or "handoff",
                        "data": handoff,
                        "created_at": handoff.get("created_at"),
                        "priority": 85,
                        "metadata": {"handoff_id": handoff["id"]},
                    },
                    S.ARTIFACT,
                )
            )
        else:
            mirror["data"] = handoff


# -- observability (§2.9) -----------------------------------------------------


def compaction_events_from_transcript(
    transcript: Any,
    stage_id: str | None,
    node_id: str | None,
    prefix: str,
    snapshot_path: str | None,
) -> list[dict[str, Any]]:
    """One CompactionEventRecord per `compaction` event of a transcript."""
    transcript = obj(transcript)
    transcript_id = transcript.get("id") if isinstance(transcript.get("id"), str) else None
    asset_ids = {
        a.get("id") for a in dicts(transcript.get("assets")) if isinstance(a.get("id"), str)
    }
    out = []
    for event in dicts(transcript.get("events")):
        if event.get("kind") != "compaction":
            continue
        meta = obj(event.get("metadata"))
        asset_id = (
            meta.get("snapshot_asset_id")
            if isinstance(meta.get("snapshot_asset_id"), str)
            else None
        )
        record = {
            "id": to_str(event.get("id")),
            "transcript_id": transcript_id,
            "stage_id": stage_id,
            "node_id": node_id,
            "mode": to_str(meta.get("mode")),
            "strategy": to_str(meta.get("strategy")),
            "archived_messages": max(S.to_int(meta.get("archived_messages")), 0),
            "estimated_tokens_before": max(S.to_int(meta.get("estimated_tokens_before")), 0),
            "estimated_tokens_after": max(S.to_int(meta.get("estimated_tokens_after")), 0),
            "snapshot_asset_id": asset_id,
            "snapshot_location": f"{prefix}.assets[{asset_id}]" if asset_id else prefix,
            "snapshot_path": snapshot_path,
            "available": asset_id is not None and asset_id in asset_ids,
            "instruction_mode": to_str(meta.get("instruction_mode")),
            "instruction_source": meta.get("instruction_source")
            if isinstance(meta.get("instruction_source"), str)
            else None,
            "compaction_policy": meta.get("compaction_policy"),
        }
        for key in ("receipt", "reason", "recap", "schema_version"):
            if key in meta:
                record[key] = meta[key]
        out.append(record)
    return out


def compaction_events(run: dict[str, Any], path: Path | None) -> list[dict[str, Any]]:
    """Compaction events of every stage transcript, then of the run transcript."""
    snapshot_path = run.get("persisted_path") or (str(path) if path else None)
    out: list[dict[str, Any]] = []
    for stage in run["stages"]:
        if isinstance(stage.get("transcript"), dict):
            prefix = f"run.stages[{stage['node_id']}].transcript"
            out += compaction_events_from_transcript(
                stage["transcript"],
                stage["id"] or None,
                stage["node_id"] or None,
                prefix,
                snapshot_path,
            )
    if isinstance(run.get("transcript"), dict):
        out += compaction_events_from_transcript(
            run["transcript"], None, None, "run.transcript", snapshot_path
        )
    return out


def _verification_passed(stage: dict[str, Any]) -> bool | None:
    verification = stage.get("verification")
    if isinstance(verification, dict):
        for key in ("pass", "success"):
            if isinstance(verification.get(key), bool):
                return verification[key]
    if stage["status"] == "completed" and stage["outcome"] in ("success", "verified"):
        return True
    if stage["status"] == "failed":
        return False
    return None


def derive_observability(run: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """Recompute the derived observability record (stored copies may be stale)."""
    stored = run.get("observability") or S.fill({}, S.OBSERVABILITY)
    obs = copy.copy(stored)
    obs["schema_version"] = OBSERVABILITY_SCHEMA_VERSION
    obs["worker_lineage"] = [
        {
            key: child.get(key)
            for key in (
                "worker_id",
                "worker_name",
                "parent_stage_id",
                "task",
                "status",
                "session_id",
                "parent_session_id",
                "run_id",
                "run_path",
                "snapshot_path",
            )
        }
        for child in run["child_runs"]
    ]
    obs["verification_outcomes"] = [
        {
            "stage_id": stage["id"],
            "node_id": stage["node_id"],
            "status": stage["status"],
            "passed": _verification_passed(stage),
            "summary": _compact(stage["verification"])
            if stage["verification"] is not None
            else stage["visible_text"],
        }
        for stage in run["stages"]
        if stage["kind"] == "verify" or stage["verification"] is not None
    ]
    pointers = [
        {
            "id": f"stage:{stage['id']}:transcript",
            "label": f"{stage['node_id']} transcript",
            "kind": "embedded_transcript",
            "location": f"run.stages[{stage['node_id']}].transcript",
            "path": None,
            "available": True,
        }
        for stage in run["stages"]
        if isinstance(stage.get("transcript"), dict)
    ]
    if isinstance(run.get("transcript"), dict):
        pointers.append(
            {
                "id": "run:transcript",
                "label": "Run transcript",
                "kind": "embedded_transcript",
                "location": "run.transcript",
                "path": None,
                "available": True,
            }
        )
    obs["transcript_pointers"] = pointers
    obs["compaction_events"] = compaction_events(run, path)
    obs["daemon_events"] = list(stored.get("daemon_events") or [])
    return obs


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


def _compact(value: Any) -> str:
    import orjson

    try:
        return orjson.dumps(value).decode()
    except TypeError:  # nested deeper than orjson writes
        try:
            return str(value)
        except RecursionError:
            return "(nested too deep to show)"


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return path.name
