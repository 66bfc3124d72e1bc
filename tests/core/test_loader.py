"""Reading run files (jsonload) and Harn's loader semantics (normalize, derive; spec §1.3, §2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.format import derive
from harn_tui.core.format import schema as S
from harn_tui.core.format.errors import LoadError
from harn_tui.core.format.jsonload import MAX_DEPTH, decode_json, read_bytes
from harn_tui.core.format.normalize import (
    OBSERVABILITY_SCHEMA_VERSION,
    load_run,
    normalize_record,
    read_run_file,
)
from harn_tui.core.index.summary import summarize

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def run_record(**fields: Any) -> dict[str, Any]:
    """A small run record dict; keyword arguments override or add keys."""
    base: dict[str, Any] = {
        "_type": "run_record",
        "id": "run-1",
        "workflow_id": "wf",
        "status": "completed",
    }
    base.update(fields)
    return base


def stage(node_id: str = "act", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"run-1:{node_id}:1", "node_id": node_id, "kind": "stage"}
    out.update(fields)
    return out


def test_examples_are_present() -> None:
    # CI has the shared folder next to the repository: these tests must never be vacuous.
    assert [p.name for p in EXAMPLE_FILES] == [
        "merge_captain_smoke.run.json",
        "oncall_captain_smoke.run.json",
        "review_captain_smoke.run.json",
    ]


# -- decode_json: one-line reasons -------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.33, 0.5, 0.9, 0.999])
def test_truncated_real_example_at_several_offsets(fraction: float) -> None:
    data = EXAMPLE_FILES[0].read_bytes()
    cut = max(1, int(len(data.rstrip()) * fraction))
    with pytest.raises(LoadError) as info:
        decode_json(data[:cut])
    reason = info.value.reason
    assert reason.startswith("truncated JSON"), reason
    assert "line" in reason and "column" in reason
    assert "\n" not in reason


def test_truncated_just_before_final_brace() -> None:
    data = EXAMPLE_FILES[1].read_bytes().rstrip()
    with pytest.raises(LoadError, match="truncated JSON"):
        decode_json(data[:-1])


def test_whole_example_decodes() -> None:
    for path in EXAMPLE_FILES:
        assert decode_json(path.read_bytes())["_type"] == "run_record"


def test_invalid_utf8_names_the_byte() -> None:
    data = b'{"task": "caf\xe9"}'
    with pytest.raises(LoadError) as info:
        decode_json(data)
    assert info.value.reason == "invalid UTF-8 at byte 13"


def test_invalid_utf8_inside_real_example() -> None:
    data = EXAMPLE_FILES[2].read_bytes().replace(b"template smoke", b"template \xff\xfemoke")
    with pytest.raises(LoadError, match=r"^invalid UTF-8 at byte \d+$"):
        decode_json(data)


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\x00" * 64],
    ids=["all-bytes", "png", "zeros"],
)
def test_binary(data: bytes) -> None:
    with pytest.raises(LoadError, match="binary file, not JSON"):
        decode_json(data)


def test_nul_inside_otherwise_json() -> None:
    with pytest.raises(LoadError, match="binary"):
        decode_json(b'{"_type": "run_record", "id": "a\x00b"}')


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n\t"])
def test_empty(data: bytes) -> None:
    with pytest.raises(LoadError) as info:
        decode_json(data)
    assert info.value.reason == "empty file"


def test_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + EXAMPLE_FILES[0].read_bytes()
    assert decode_json(data)["id"] == "merge-captain-smoke"


@pytest.mark.parametrize("data", [b'{"a": NaN}', b"[Infinity]", b'{"a": -Infinity}'])
def test_nan_and_infinity_rejected(data: bytes) -> None:
    with pytest.raises(LoadError, match="invalid JSON"):
        decode_json(data)


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_nesting_5000_deep(opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    data = opener * 5000 + b"1" + closer * 5000
    with pytest.raises(LoadError) as info:
        decode_json(data)
    assert "nesting" in info.value.reason
    assert str(MAX_DEPTH) in info.value.reason


def test_nesting_within_limit_is_fine() -> None:
    data = b"[" * 500 + b"]" * 500
    assert isinstance(decode_json(data), list)


def test_trailing_garbage_is_invalid_not_truncated() -> None:
    with pytest.raises(LoadError) as info:
        decode_json(b'{"a": 1} trailing')
    assert info.value.reason.startswith("invalid JSON")


def test_read_bytes_reasons(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        read_bytes(tmp_path / "missing.json")
    with pytest.raises(LoadError, match="is a directory"):
        read_bytes(tmp_path)


# -- read_run_file ---------------------------------------------------------------------------


def test_read_run_file_rejects_only_non_objects(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(LoadError) as info:
        read_run_file(path)
    assert info.value.reason == "top-level JSON is array, not an object"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (
            '{"_type": "workflow_run", "id": "w"}',
            "the file's _type is 'workflow_run', not run_record",
        ),
        ('{"mode": "x"}', "the file has no _type"),
        ('{"_type": "run_record"}', None),
    ],
)
def test_named_file_loads_any_object_with_every_key_defaulted(
    tmp_path: Path, text: str, note: str | None
) -> None:
    # Harn's load_run_record (harn runs inspect, the portal's run detail) checks no _type.
    path = tmp_path / "any.json"
    path.write_text(text)
    detail = load_run(path)
    assert detail.type_note == note
    assert list(detail.normalized)[: len(S.RUN)] == list(S.RUN)
    assert detail.normalized["persisted_path"] == str(path)
    assert detail.to_json()["derived"]["type_note"] == note
    assert detail.normalized["observability"]["action_graph_nodes"][0]["kind"] == "run"


# -- normalize_record / load_run on the real examples ------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_real_example_normalizes_with_every_key(path: Path) -> None:
    raw = json.loads(path.read_text())
    run = normalize_record(raw, path)
    assert list(run)[: len(S.RUN)] == list(S.RUN)
    for st in run["stages"]:
        assert list(st)[: len(S.STAGE)] == list(S.STAGE)
        assert st["attempts"] == [] and st["artifacts"] == [] and st["usage"] is None
    # what the file says is kept
    assert run["id"] == raw["id"]
    assert run["status"] == "completed"
    assert run["metadata"] == raw["metadata"]
    assert run["policy"] == raw["policy"]
    assert run["stages"][0]["visible_text"] == raw["stages"][0]["visible_text"]
    # replay fixture kept as in the file (only defaults added), not re-synthesized
    fixture = run["replay_fixture"]
    for key, value in raw["replay_fixture"].items():
        if key != "stage_assertions":
            assert fixture[key] == value
    assert fixture["id"].endswith("-smoke-fixture")
    assertion = fixture["stage_assertions"][0]
    assert (
        assertion["visible_text_contains"]
        == (raw["replay_fixture"]["stage_assertions"][0]["visible_text_contains"])
    )
    assert assertion["expected_branch"] is None
    # loader fills
    assert run["persisted_path"] == str(path)
    assert run["child_runs"] == []
    assert run["handoffs"] == []
    obs = run["observability"]
    assert obs["schema_version"] == OBSERVABILITY_SCHEMA_VERSION
    assert obs["compaction_events"] == [] and obs["daemon_events"] == []
    assert list(obs)[: len(S.OBSERVABILITY)] == list(S.OBSERVABILITY)
    # the input dict is not modified
    assert "persisted_path" not in raw


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_real_example_load_run(path: Path) -> None:
    detail = load_run(path, root=EXAMPLES)
    assert detail.rel == path.name
    assert detail.raw == json.loads(path.read_text())
    assert detail.failure is None
    assert detail.duration_ms == 1000
    assert detail.model_turns == [] and detail.daemon_events == []
    assert detail.sidecar == path.parent / f"{path.stem}-llm" / "llm_transcript.jsonl"
    assert detail.sidecar_available is False
    pointers = detail.normalized["observability"]["transcript_pointers"]
    assert pointers == [
        {
            "id": "run:llm_transcript",
            "label": "LLM transcript sidecar",
            "kind": "llm_jsonl",
            "location": "run sidecar",
            "path": str(detail.sidecar),
            "available": False,
        }
    ]
    doc = detail.to_json()
    for key in ("compaction_events", "daemon_events", "agent_sessions", "model_turns"):
        assert key in doc


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_real_example_summary(path: Path) -> None:
    raw = json.loads(path.read_text())
    s = summarize(raw, path.name, 10, 20)
    assert s.id == raw["id"]
    assert s.workflow_name == raw["workflow_name"]
    assert s.started_at == "2026-04-22T00:00:00Z"
    assert s.started_at_ms == 1776816000000
    assert s.finished_at_ms == 1776816001000
    assert s.duration_ms == 1000
    assert (s.stage_count, s.child_run_count, s.hitl_question_count) == (1, 0, 0)
    assert s.failure is None
    assert s.status_group == "completed"
    assert s.last_node_id == "run"
    assert s.usage["models"] == [] and s.usage["input_tokens"] == 0


def test_persisted_path_kept_when_set() -> None:
    run = normalize_record(run_record(persisted_path="/elsewhere/r.json"), Path("/here/r.json"))
    assert run["persisted_path"] == "/elsewhere/r.json"


def test_type_kept_as_the_file_has_it() -> None:
    # records.rs load_run_record fills no `_type` (only normalize_run_record, for VM values).
    assert normalize_record({"id": "x"})["_type"] == ""
    assert normalize_record({"_type": "workflow_run"})["_type"] == "workflow_run"


def test_replay_fixture_synthesized_when_missing() -> None:
    run = normalize_record(
        run_record(
            workflow_name="Flow",
            started_at="1714460000",
            stages=[
                stage("act", status="completed", outcome="success", visible_text="v" * 100),
                stage("verify", status="failed", outcome="verification_failed", branch="failed"),
            ],
        )
    )
    fixture = run["replay_fixture"]
    assert fixture["_type"] == "replay_fixture"
    assert fixture["source_run_id"] == "run-1"
    assert fixture["workflow_id"] == "wf" and fixture["workflow_name"] == "Flow"
    assert fixture["expected_status"] == "completed"
    assert [a["node_id"] for a in fixture["stage_assertions"]] == ["act", "verify"]
    first, second = fixture["stage_assertions"]
    assert first["visible_text_contains"] == "v" * 80
    assert second["expected_outcome"] == "verification_failed"
    assert second["expected_branch"] == "failed"
    assert second["visible_text_contains"] is None


# -- child materialization (§2.7) -------------------------------------------------------------------


def full_worker() -> dict[str, Any]:
    return {
        "id": "worker_01",
        "name": "researcher",
        "task": "Collect docs",
        "status": "running",
        "request": {"q": 1},
        "provenance": {"by": "x"},
        "started_at": "01964c1e-7a2b-7c3d-8e9f-0123456789ab",
        "finished_at": None,
        "child_run_id": "child-run",
        "child_run_path": ".harn-runs/child.json",
        "snapshot_path": ".harn/workers/worker_01.json",
        "execution": {"cwd": "/w"},
        "audit": {
            "session_id": "session_1",
            "parent_session_id": "session_0",
            "mutation_scope": "read_only",
            "approval_policy": {"auto_approve": ["read*"]},
            "run_id": "ignored",
        },
    }


def test_child_materialized_from_stage_worker() -> None:
    run = normalize_record(
        run_record(stages=[stage("delegate", metadata={"worker": full_worker()})])
    )
    assert len(run["child_runs"]) == 1
    child = run["child_runs"][0]
    assert child["worker_id"] == "worker_01"
    assert child["worker_name"] == "researcher"
    assert child["parent_stage_id"] == "run-1:delegate:1"
    assert child["session_id"] == "session_1"
    assert child["parent_session_id"] == "session_0"
    assert child["mutation_scope"] == "read_only"
    assert child["approval_policy"]["auto_approve"] == ["read*"]
    assert child["approval_policy"]["auto_deny"] == []
    assert child["task"] == "Collect docs"
    assert child["request"] == {"q": 1} and child["provenance"] == {"by": "x"}
    assert child["status"] == "running"
    assert child["started_at"] == "01964c1e-7a2b-7c3d-8e9f-0123456789ab"
    assert child["run_id"] == "child-run"
    assert child["run_path"] == ".harn-runs/child.json"
    assert child["snapshot_path"] == ".harn/workers/worker_01.json"
    assert child["execution"]["cwd"] == "/w"
    assert list(child)[: len(S.CHILD_RUN)] == list(S.CHILD_RUN)
    # worker lineage is derived from the materialized children
    lineage = run["observability"]["worker_lineage"]
    assert [(w["worker_id"], w["session_id"]) for w in lineage] == [("worker_01", "session_1")]


def test_child_defaults_name_worker_and_status_completed() -> None:
    run = normalize_record(
        run_record(stages=[stage("d", id="", metadata={"worker": {"id": "w9"}})])
    )
    child = run["child_runs"][0]
    assert child["worker_name"] == "worker"
    assert child["status"] == "completed"
    assert child["parent_stage_id"] is None  # empty stage id -> null
    assert child["session_id"] is None and child["approval_policy"] is None


@pytest.mark.parametrize(
    "worker", [None, "w1", {"name": "no id"}, {"id": ""}, {"id": None}, [{"id": "x"}]]
)
def test_no_child_without_worker_id(worker: Any) -> None:
    run = normalize_record(run_record(stages=[stage("d", metadata={"worker": worker})]))
    assert run["child_runs"] == []


def test_existing_child_only_has_empty_fields_filled() -> None:
    existing = {
        "worker_id": "worker_01",
        "worker_name": "kept-name",
        "task": "kept task",
        "session_id": None,
        "run_path": "",
        "status": "failed",
        "custom": "kept",
    }
    run = normalize_record(
        run_record(
            child_runs=[existing, {"worker_id": "other"}],
            stages=[stage("delegate", metadata={"worker": full_worker()})],
        )
    )
    assert [c["worker_id"] for c in run["child_runs"]] == ["worker_01", "other"]
    child = run["child_runs"][0]
    assert child["worker_name"] == "kept-name"
    assert child["task"] == "kept task"
    assert child["status"] == "failed"
    assert child["custom"] == "kept"
    # empty/null fields filled from the worker
    assert child["session_id"] == "session_1"
    assert child["run_path"] == ".harn-runs/child.json"
    assert child["parent_stage_id"] == "run-1:delegate:1"
    assert child["mutation_scope"] == "read_only"


def test_same_worker_in_two_stages_is_one_child_appended_in_stage_order() -> None:
    run = normalize_record(
        run_record(
            stages=[
                stage("a", metadata={"worker": {"id": "w2", "name": "second"}}),
                stage("b", metadata={"worker": {"id": "w1", "name": "first"}}),
                stage("c", metadata={"worker": {"id": "w2", "task": "later task"}}),
            ]
        )
    )
    assert [c["worker_id"] for c in run["child_runs"]] == ["w2", "w1"]
    assert run["child_runs"][0]["task"] == "later task"  # filled: it was empty
    assert run["child_runs"][0]["worker_name"] == "second"
    assert summarize(run_record(stages=run["stages"]), "p").child_run_count == 2


# -- handoffs (§2.11) ------------------------------------------------------------------------------


def _handoff(hid: str, **fields: Any) -> dict[str, Any]:
    out = {"id": hid, "source_persona": "p", "target_persona_or_human": {"label": "t"}}
    out.update({"task": hid.upper(), "reason": "r", **fields})
    return out


def test_handoffs_synced_from_artifacts_sorted_and_mirrored() -> None:
    run = normalize_record(
        run_record(
            handoffs=[_handoff("handoff_b", created_at="1714460002")],
            artifacts=[
                {
                    "id": "artifact_handoff_a",
                    "kind": "handoff",
                    "data": _handoff("handoff_a", created_at="1714460001", task="A"),
                },
                {"id": "plain", "kind": "summary", "data": {"id": "not-a-handoff"}},
                # not a handoff by Harn's rule (no source_persona/target/task): left alone
                {"id": "loose", "kind": "handoff", "data": {"id": "loose_data", "task": "x"}},
            ],
        )
    )
    assert [h["id"] for h in run["handoffs"]] == ["handoff_a", "handoff_b"]
    assert run["handoffs"][0]["open_questions"] == []  # defaults filled
    by_id = {a["id"]: a for a in run["artifacts"]}
    assert set(by_id) == {"artifact_handoff_a", "plain", "loose", "artifact_handoff_b"}
    mirror = by_id["artifact_handoff_b"]
    assert mirror["kind"] == "handoff"
    assert mirror["priority"] == 85
    assert mirror["metadata"] == {
        "handoff_id": "handoff_b",
        "target_kind": "persona",
        "target_label": "t",
    }
    assert mirror["data"]["id"] == "handoff_b"
    assert by_id["artifact_handoff_a"]["data"]["task"] == "A"
    assert by_id["loose"]["data"] == {"id": "loose_data", "task": "x"}


def test_handoff_in_both_places_appears_once() -> None:
    run = normalize_record(
        run_record(
            handoffs=[_handoff("h1", task="old", created_at="1")],
            artifacts=[
                {"id": "artifact_h1", "kind": "handoff", "data": _handoff("h1", task="new")}
            ],
        )
    )
    assert [h["id"] for h in run["handoffs"]] == ["h1"]
    assert run["handoffs"][0]["task"] == "old"  # merge_handoffs: the listed one wins
    assert [a["id"] for a in run["artifacts"]] == ["artifact_h1"]
    assert run["artifacts"][0]["data"] == run["handoffs"][0]


def test_handoffs_sorted_by_parsed_time_across_formats() -> None:
    run = normalize_record(
        run_record(
            handoffs=[
                {"id": "late", "created_at": "2030-01-01T00:00:00Z"},
                {"id": "unknown", "created_at": "sometime"},
                {"id": "early", "created_at": "1714460000"},
            ]
        )
    )
    assert [h["id"] for h in run["handoffs"]] == ["early", "late", "unknown"]


# -- compaction projection (§2.9, §3.1) ----------------------------------------------------------------


def compaction_event(event_id: str, asset_id: Any = None, **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "mode": "manual",
        "strategy": "truncate",
        "archived_messages": 3,
        "estimated_tokens_before": 120,
        "estimated_tokens_after": 48,
    }
    if asset_id is not None:
        metadata["snapshot_asset_id"] = asset_id
    metadata.update(meta)
    return {"id": event_id, "kind": "compaction", "role": "system", "metadata": metadata}


def compaction_run() -> dict[str, Any]:
    stage_transcript = {
        "_type": "transcript",
        "id": "t-stage",
        "events": [
            {"id": "m1", "kind": "message", "text": "hi"},
            compaction_event("c-stage", "snapshot-1"),
        ],
        "assets": [{"_type": "transcript_asset", "id": "snapshot-1", "data": {"messages": []}}],
    }
    run_transcript = {
        "id": "t-run",
        "events": [
            compaction_event("c-run-missing", "snapshot-gone", archived_messages="7"),
            compaction_event("c-run-none", estimated_tokens_before=-5, instruction_mode="summary"),
        ],
        "assets": [{"id": "other"}],
    }
    return run_record(
        stages=[stage("act", transcript=stage_transcript), stage("plain")],
        transcript=run_transcript,
    )


def test_compaction_events_projected_from_stage_and_run_transcripts(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    run = normalize_record(compaction_run(), path)
    events = run["observability"]["compaction_events"]
    assert [e["id"] for e in events] == ["c-stage", "c-run-missing", "c-run-none"]
    stage_event, missing, none = events

    assert stage_event["transcript_id"] == "t-stage"
    assert stage_event["stage_id"] == "run-1:act:1" and stage_event["node_id"] == "act"
    assert stage_event["mode"] == "manual" and stage_event["strategy"] == "truncate"
    assert stage_event["archived_messages"] == 3
    assert stage_event["estimated_tokens_before"] == 120
    assert stage_event["estimated_tokens_after"] == 48
    assert stage_event["snapshot_asset_id"] == "snapshot-1"
    assert stage_event["snapshot_location"] == "run.stages[act].transcript.assets[snapshot-1]"
    assert stage_event["snapshot_path"] == str(path)
    assert stage_event["available"] is True

    assert missing["transcript_id"] == "t-run"
    assert missing["stage_id"] is None and missing["node_id"] is None
    assert (
        missing["archived_messages"] == 0
    )  # "7" is text: serde's as_u64 gives 0 (records.rs json_usize)
    assert missing["snapshot_location"] == "run.transcript.assets[snapshot-gone]"
    assert missing["available"] is False

    assert none["snapshot_asset_id"] is None
    assert none["snapshot_location"] == "run.transcript"
    assert none["available"] is False
    assert none["estimated_tokens_before"] == 0  # negative clamped
    assert none["instruction_mode"] == "summary"
    # 0.7.50/0.8.6 records have 13 fields; 0.8.x keys only where the source carries them.
    assert "instruction_mode" not in stage_event and "compaction_policy" not in stage_event
    assert len(stage_event) == 13


def test_compaction_snapshot_path_is_the_load_path() -> None:
    # records.rs load_run_record: refresh_run_observability(&mut run, Some(path)) passes the
    # load path to compaction_events_from_transcript, whatever persisted_path says.
    raw = compaction_run()
    raw["persisted_path"] = ".harn-runs/original.json"
    run = normalize_record(raw, Path("/moved/run.json"))
    events = run["observability"]["compaction_events"]
    assert {e["snapshot_path"] for e in events} == {"/moved/run.json"}
    # ...while transcript pointers carry the run's persisted_path.
    paths = {p["path"] for p in run["observability"]["transcript_pointers"]}
    assert paths == {".harn-runs/original.json"}


def test_load_run_exposes_compaction_events(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(compaction_run()))
    detail = load_run(path, root=tmp_path)
    assert [e["id"] for e in detail.compaction_events] == ["c-stage", "c-run-missing", "c-run-none"]
    assert detail.to_json()["compaction_events"] == detail.compaction_events
    assert [e["available"] for e in detail.compaction_events] == [True, False, False]


def test_stale_stored_compaction_events_are_replaced() -> None:
    raw = run_record(
        observability={"schema_version": 2, "compaction_events": [{"id": "stale"}]},
    )
    obs = normalize_record(raw)["observability"]
    assert obs["compaction_events"] == []
    assert obs["schema_version"] == OBSERVABILITY_SCHEMA_VERSION


def test_transcript_pointers() -> None:
    run = normalize_record(compaction_run())
    pointers = run["observability"]["transcript_pointers"]
    assert [p["id"] for p in pointers] == ["stage:run-1:act:1:transcript", "run:transcript"]
    assert pointers[0]["location"] == "run.stages[act].transcript"
    assert pointers[0]["kind"] == "embedded_transcript"
    assert pointers[1]["location"] == "run.transcript"


def test_verification_outcomes() -> None:
    run = normalize_record(
        run_record(
            stages=[
                stage("v1", kind="verify", status="completed", outcome="success"),
                stage("v2", status="completed", verification={"pass": False}),
                stage("v3", kind="verify", status="failed", visible_text="tests fail"),
                stage("plain", status="completed"),
            ]
        )
    )
    outcomes = run["observability"]["verification_outcomes"]
    assert [(o["node_id"], o["passed"]) for o in outcomes] == [
        ("v1", True),
        ("v2", False),
        ("v3", False),
    ]
    assert outcomes[1]["summary"] == '{"pass":false}'
    assert outcomes[2]["summary"] == "tests fail"


def test_deeply_nested_verification_does_not_escape_as_recursion_error(tmp_path: Path) -> None:
    # Just under the loader's nesting limit: deeper than orjson writes and than repr() recurses.
    depth = MAX_DEPTH - 10
    text = (
        '{"_type": "run_record", "id": "d", "stages": [{"node_id": "v", "kind": "verify", '
        '"verification": ' + "[" * depth + "]" * depth + "}]}"
    )
    path = tmp_path / "deep.json"
    path.write_text(text)
    detail = load_run(path)
    summary = detail.normalized["observability"]["verification_outcomes"][0]["summary"]
    assert isinstance(summary, str) and summary


# -- trace spans ----------------------------------------------------------------------------------------


def test_trace_span_parent_span_id_fallback() -> None:
    run = normalize_record(
        run_record(
            trace_spans=[
                {"span_id": 1, "kind": "pipeline"},
                "junk",
                {"span_id": 2, "parent_span_id": 1, "trace_id": "t"},
                {"span_id": 3, "parent_id": 2},
                {"span_id": 4, "parent_span_id": "3", "parent_id": 1},
            ]
        )
    )
    spans = run["trace_spans"]
    assert [(s["span_id"], s["parent_id"]) for s in spans] == [(1, None), (2, 1), (3, 2), (4, 3)]
    assert spans[1]["trace_id"] == "t"  # unknown keys kept


# -- failure summary (§1.3) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ([stage("a", status="completed", outcome="success")], None),
        ([], None),
        (
            [
                stage(
                    "verify",
                    status="failed",
                    outcome="verification_failed",
                    metadata={"error": "verification failed"},
                    attempts=[{"error": "provider timeout"}],
                )
            ],
            "verify failed: verification failed",
        ),
        (
            [
                stage(
                    "act",
                    status="failed",
                    outcome="error",
                    attempts=[{"error": "first"}, {"error": "provider timeout"}],
                )
            ],
            "act failed: provider timeout",
        ),
        (
            [
                stage(
                    "act",
                    status="failed",
                    outcome="error",
                    attempts=[{"error": "only earlier"}, {"error": None}],
                )
            ],
            "act failed: only earlier",
        ),
        (
            [stage("verify", status="failed", outcome="verification_failed")],
            "verify failed with verification_failed",
        ),
        ([stage("x", status="completed", outcome="error")], "x failed with error"),
        ([stage("x", status="cancelled", outcome="")], "x failed with "),
        (
            [stage("x", status="failed", outcome="error", metadata={"error": ""})],
            "x failed with error",
        ),
        (
            [stage("x", status="failed", metadata={"error": {"code": 1, "msg": "m"}})],
            "x failed: 2 fields",
        ),
        ([stage("x", status="failed", metadata={"error": [1, 2, 3]})], "x failed: 3 items"),
        ([stage("x", status="failed", metadata={"error": 42})], "x failed: 42"),
        (
            [
                stage("first", status="failed", metadata={"error": "one"}),
                stage("second", status="error", metadata={"error": "two"}),
                stage("third", status="completed", outcome="success"),
            ],
            "second failed: two",
        ),
        # "verification_failed" and "paused" are not failed-like words
        ([stage("v", status="completed", outcome="verification_failed")], None),
    ],
)
def test_failure_summary(stages: list[dict[str, Any]], expected: str | None) -> None:
    raw = run_record(stages=stages)
    assert derive.failure_summary(raw) == expected
    assert summarize(raw, "p.json").failure == expected
    assert derive.failure_summary(normalize_record(raw)) == expected


# -- duration (§1.3 portal rule) ------------------------------------------------------------------------------


def timed_stage(start: str, end: str | None, usage_ms: int | None = None) -> dict[str, Any]:
    out = stage("s", started_at=start, finished_at=end)
    if usage_ms is not None:
        out["usage"] = {"total_duration_ms": usage_ms}
    return out


T0 = "2026-04-22T00:00:00Z"
T2 = "2026-04-22T00:00:02Z"
T3 = "2026-04-22T00:00:03Z"
T10 = "2026-04-22T00:00:10Z"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # 1. usage total wins over everything
        (
            {
                "usage": {"total_duration_ms": 5000},
                "trace_spans": [{"start_ms": 0, "duration_ms": 90000}],
                "stages": [timed_stage(T0, T2)],
                "started_at": T0,
                "finished_at": T10,
            },
            5000,
        ),
        # usage given as text still counts
        ({"usage": {"total_duration_ms": "750"}}, 750),
        # 2. else the furthest trace span end
        (
            {
                "usage": {"total_duration_ms": 0},
                "trace_spans": [
                    {"start_ms": 100, "duration_ms": 400},
                    {"start_ms": 1000, "duration_ms": 50},
                    {"start_ms": 10, "duration_ms": 900},
                ],
                "stages": [timed_stage(T0, T2)],
                "started_at": T0,
                "finished_at": T10,
            },
            1050,
        ),
        # 3. else the stage sum: timestamps, falling back to stage usage
        (
            {
                "trace_spans": [{"start_ms": 0, "duration_ms": 0}],
                "stages": [
                    timed_stage(T0, T2),
                    timed_stage("garbage", "garbage", usage_ms=300),
                    timed_stage(T2, None, usage_ms=200),
                    timed_stage("x", "y"),
                ],
                "started_at": T0,
                "finished_at": T10,
            },
            2500,
        ),
        # 4. else wall clock of the run
        ({"stages": [timed_stage("x", "y")], "started_at": T0, "finished_at": T3}, 3000),
        ({"started_at": "2026-04-22T02:00:00+02:00", "finished_at": T3}, 3000),
        # nothing usable
        ({"started_at": "whenever", "finished_at": T3}, None),
        ({"started_at": T0, "finished_at": "later"}, None),
        ({"started_at": T0, "finished_at": None}, None),
        ({"started_at": T3, "finished_at": T0}, None),  # negative
        ({}, None),
    ],
)
def test_run_duration_rule_order(fields: dict[str, Any], expected: int | None) -> None:
    raw = run_record(**fields)
    assert derive.run_duration_ms(raw) == expected
    assert summarize(raw, "p.json").duration_ms == expected
    assert derive.run_duration_ms(normalize_record(raw)) == expected


def test_stage_duration() -> None:
    assert derive.stage_duration_ms(timed_stage(T0, T2)) == 2000
    assert derive.stage_duration_ms(timed_stage(T2, T0, usage_ms=5)) == 5
    assert derive.stage_duration_ms(timed_stage("x", None)) is None


# -- status groups and other derived fields ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "group"),
    [
        ("failed", "failed"),
        ("error", "failed"),
        ("cancelled", "failed"),
        ("complete", "completed"),
        ("completed", "completed"),
        ("success", "completed"),
        ("verified", "completed"),
        ("running", "active"),
        ("paused", "active"),
        ("", "active"),
        ("Failed", "active"),  # exact match, as the portal does
        ("something-new", "active"),
    ],
)
def test_status_group(status: str, group: str) -> None:
    assert derive.status_group(status) == group


def test_linked_session_ids_and_worker_ids() -> None:
    raw = run_record(
        child_runs=[{"worker_id": "w0", "session_id": "s-child"}],
        stages=[
            stage(
                "d",
                metadata={"worker": {"id": "w1", "audit": {"session_id": "s-worker"}}},
                transcript={"id": "s-stage"},
            ),
            stage("e", metadata={"worker": {"id": "w0"}}),
        ],
        transcript={"id": "s-run"},
        metadata={"mutation_session": {"session_id": "s-mut"}},
    )
    assert derive.worker_ids(raw) == ["w0", "w1"]
    assert derive.linked_session_ids(raw) == ["s-child", "s-worker", "s-stage", "s-run", "s-mut"]


def test_usage_of_defaults_and_drift() -> None:
    assert derive.usage_of(run_record()) == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_duration_ms": 0,
        "call_count": 0,
        "total_cost": 0.0,
        "models": [],
    }
    usage = derive.usage_of(run_record(usage={"input_tokens": "10", "models": ["a", 1]}))
    assert usage["input_tokens"] == 10 and usage["models"] == ["a", "1"]


def test_summary_counts_hitl_and_pending() -> None:
    raw = run_record(
        status="running",
        pending_nodes=["b", "c"],
        hitl_questions=[{"request_id": "q1"}, {"request_id": "q1"}, {"request_id": "q2"}],
        task="t" * 1000,
    )
    s = summarize(raw, "x.json")
    assert s.hitl_question_count == 2
    assert s.hitl_request_ids == ["q1", "q2"]
    assert s.pending_node_count == 2
    assert s.status_group == "active"
    assert len(s.task) == 240


# -- piecewise parsing of large documents ------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as hst  # noqa: E402

from harn_tui.core.format import jsonload  # noqa: E402

_json_values = hst.recursive(
    hst.none() | hst.booleans() | hst.integers(-(2**53), 2**53) | hst.floats(allow_nan=False, allow_infinity=False)
    | hst.text(alphabet=hst.characters(blacklist_categories=("Cs",)), max_size=8),
    lambda inner: hst.lists(inner, max_size=4) | hst.dictionaries(hst.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=_json_values, indent=hst.booleans())
def test_piecewise_decode_equals_orjson(value: Any, indent: bool) -> None:
    import orjson

    data = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)
    assert jsonload._decode_piecewise(data) == orjson.loads(data)


@pytest.mark.parametrize(
    "data",
    [b'{"a":[1,2', b'{"a":}', b"[1 2]", b'{"a":[1}]', b'{"a" 1}', b"[1,]", b'{"a":"x} ', b'[1] x'],
)
def test_piecewise_decode_rejects_what_orjson_rejects(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        jsonload._decode_piecewise(data)
    monkeypatch.setattr(jsonload, "PIECEWISE_BYTES", 0)
    with pytest.raises(LoadError):
        decode_json(data)


def test_piecewise_decode_never_builds_the_whole_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The big document is walked as bytes: no whole-document `decode` (a long GIL hold)."""
    import orjson

    doc = {"stages": [{"id": i, "text": "é" * 100} for i in range(2000)]}
    data = orjson.dumps(doc)
    monkeypatch.setattr(jsonload, "PIECEWISE_BYTES", 1024)
    seen: list[int] = []
    real = orjson.loads

    def spy(chunk: Any) -> Any:
        seen.append(len(chunk))
        return real(chunk)

    monkeypatch.setattr(jsonload.orjson, "loads", spy)
    assert decode_json(data) == doc
    assert seen and max(seen) < len(data) // 100
