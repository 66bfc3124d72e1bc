"""What later Harn (0.8.x-0.10.x) adds to a run record, shown where a user looks for it."""

from __future__ import annotations

import json
from pathlib import Path

from harn_tui.core.analysis.report import render_text
from harn_tui.core.format import derive
from harn_tui.core.format.normalize import load_run


def later_run() -> dict:  # type: ignore[type-arg]
    return {
        "_type": "run_record",
        "id": "r",
        "workflow_id": "wf",
        "status": "completed",
        "persona_runtime": [{"persona": "merge_captain", "state": "idle"}],
        "evidence": {
            "schema_version": 1,
            "execution_id": "hxe-0196",
            "gaps": [
                {"component": "transcript", "code": "missing_sidecar"},
                {"code": "no_trace"},
                "junk",
            ],
            "trace_spans": [],
            "flight_recording": None,
        },
        "execution": {"cwd": "/w", "project_root": "/w", "grants": [{"kind": "fs", "scope": "/w"}]},
    }


def test_evidence_gaps_and_grants(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(later_run()))
    detail = load_run(path)
    assert derive.evidence_gaps(detail.normalized) == ["transcript: missing_sidecar", "no_trace"]
    assert derive.execution_grants(detail.normalized) == [{"kind": "fs", "scope": "/w"}]
    text = render_text(detail)
    assert "evidence  gaps: transcript: missing_sidecar, no_trace" in text
    assert "grants    1 (execution.grants)" in text
    assert "personas  merge_captain (idle)" in text
    doc = detail.to_json()  # kept with Harn's key names for the raw view and show --json
    assert doc["persona_runtime"] == [{"persona": "merge_captain", "state": "idle"}]
    assert doc["evidence"]["execution_id"] == "hxe-0196"
    assert doc["execution"]["project_root"] == "/w"


def test_no_gaps_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"_type": "run_record", "id": "r"}))
    text = render_text(load_run(path))
    assert "evidence" not in text and "grants" not in text


def test_pointer_verification_kept_from_the_stored_pointer(tmp_path: Path) -> None:
    raw = later_run()
    raw["transcript"] = {"id": "t", "events": []}
    descriptor = {
        "schema_version": 1,
        "artifact_kind": "llm_transcript",
        "sha256": "ab",
        "complete": True,
    }
    raw["observability"] = {
        "transcript_pointers": [
            {"id": "run:transcript", "verification_status": "verified", "verification_error": None},
            {"id": "run:llm_transcript", "verification_status": "mismatch", "verification_error": "sha256",
             "descriptor": descriptor},
        ]
    }  # fmt: skip
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw))
    pointers = {
        p["id"]: p for p in load_run(path).normalized["observability"]["transcript_pointers"]
    }
    assert pointers["run:transcript"]["verification_status"] == "verified"
    assert pointers["run:llm_transcript"]["verification_error"] == "sha256"
    assert pointers["run:llm_transcript"]["descriptor"] == descriptor
    assert pointers["run:llm_transcript"]["available"] is False  # still derived


def test_typed_compaction_receipt_fields(tmp_path: Path) -> None:
    receipt = {
        "schema_version": 2,
        "reason": "budget",
        "recap": "kept the plan",
        "instruction_mode": "summary",
    }
    event = {"id": "c1", "kind": "compaction", "metadata": {"mode": "auto", "receipt": receipt}}
    raw = {"_type": "run_record", "id": "r", "transcript": {"id": "t", "events": [event]}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw))
    (record,) = load_run(path).compaction_events
    assert (record["schema_version"], record["reason"], record["recap"]) == (
        2,
        "budget",
        "kept the plan",
    )
    assert record["instruction_mode"] == "summary" and record["receipt"] == receipt
