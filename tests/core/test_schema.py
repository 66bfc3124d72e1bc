"""Defaults-on records (spec §0, §6): every key filled, unknown keys kept, type drift coerced."""

from __future__ import annotations

import math

import pytest

from harn_tui.core.format import schema as S
from harn_tui.core.format.records import ChildRun, RunRecord, Stage, TraceSpan, Usage


def test_empty_run_has_every_key_with_its_default() -> None:
    run = S.fill({}, S.RUN)
    assert list(run) == list(S.RUN)
    # strings
    for key in ("_type", "id", "workflow_id", "task", "status", "started_at"):
        assert run[key] == ""
    # optional strings
    for key in ("workflow_name", "finished_at", "parent_run_id", "root_run_id", "persisted_path"):
        assert run[key] is None
    # lists of records and lists of strings
    for key in (
        "stages",
        "transitions",
        "checkpoints",
        "child_runs",
        "artifacts",
        "handoffs",
        "trace_spans",
        "tool_recordings",
        "hitl_questions",
        "pending_nodes",
        "completed_nodes",
    ):
        assert run[key] == []
    # optional records and "any" values
    for key in ("execution", "usage", "replay_fixture", "observability", "transcript"):
        assert run[key] is None
    # maps
    assert run["metadata"] == {}
    # a record that is always present: policy with its own defaults
    assert run["policy"] == {
        "tools": [],
        "capabilities": {},
        "workspace_roots": [],
        "side_effect_level": None,
        "recursion_limit": None,
        "tool_arg_constraints": [],
        "tool_annotations": {},
    }


@pytest.mark.parametrize(
    ("spec", "default"),
    [
        ("s", ""),
        ("s?", None),
        ("s:worker", "worker"),
        ("i", 0),
        ("i?", None),
        ("f", 0.0),
        ("f?", None),
        ("b", False),
        ("b?", None),
        ("a", None),
        ("m", {}),
        ("ls", []),
        ("la", []),
        (("l", S.USAGE), []),
        (("o", S.USAGE), None),
    ],
)
def test_default_for_every_field_kind(spec: S.Spec, default: object) -> None:
    out = S.fill({}, {"k": spec})
    assert out == {"k": default}
    # explicit null gives the same default
    assert S.fill({"k": None}, {"k": spec}) == {"k": default}


def test_always_present_record_is_filled_from_null() -> None:
    out = S.fill({"k": None}, {"k": ("O", S.USAGE)})
    assert out["k"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_duration_ms": 0,
        "call_count": 0,
        "total_cost": 0.0,
        "models": [],
    }


def test_optional_record_present_is_filled_absent_is_none() -> None:
    stage = S.fill({"usage": {"input_tokens": 3}}, S.STAGE)
    assert stage["usage"]["input_tokens"] == 3
    assert stage["usage"]["models"] == []
    assert S.fill({"usage": "nope"}, S.STAGE)["usage"] is None
    assert S.fill({"usage": [1, 2]}, S.STAGE)["usage"] is None


def test_values_present_are_kept() -> None:
    out = S.fill(
        {"id": "r1", "status": "failed", "workflow_name": "wf", "pending_nodes": ["a"]}, S.RUN
    )
    assert (out["id"], out["status"], out["workflow_name"], out["pending_nodes"]) == (
        "r1",
        "failed",
        "wf",
        ["a"],
    )


# -- unknown keys ---------------------------------------------------------------------


def test_unknown_keys_kept_at_every_level() -> None:
    raw = {
        "_type": "run_record",
        "future_top": {"x": 1},
        "persona_runtime": [{"a": 1}],
        "stages": [
            {
                "node_id": "n",
                "stage_extra": [1, 2],
                "attempts": [{"attempt": 1, "attempt_extra": True}],
                "usage": {"input_tokens": 1, "usage_extra": "u"},
            }
        ],
        "child_runs": [{"worker_id": "w", "child_extra": "c", "execution": {"grants": ["g"]}}],
        "trace_spans": [{"span_id": 1, "trace_id": "t", "links": []}],
        "policy": {"tools": [], "policy_extra": 5},
    }
    run = S.fill(raw, S.RUN)
    assert run["future_top"] == {"x": 1}
    assert run["persona_runtime"] == [{"a": 1}]
    stage = run["stages"][0]
    assert stage["stage_extra"] == [1, 2]
    assert stage["attempts"][0]["attempt_extra"] is True
    assert stage["usage"]["usage_extra"] == "u"
    child = run["child_runs"][0]
    assert child["child_extra"] == "c"
    assert child["execution"]["grants"] == ["g"]
    assert run["trace_spans"][0]["trace_id"] == "t"
    assert run["policy"]["policy_extra"] == 5


def test_unknown_keys_follow_known_keys() -> None:
    out = S.fill({"zzz": 1, "id": "x"}, S.RUN)
    keys = list(out)
    assert keys[: len(S.RUN)] == list(S.RUN)
    assert keys[-1] == "zzz"


def test_views_reach_unknown_keys_and_raw() -> None:
    run = RunRecord.from_raw({"id": "r", "brand_new": 7, "stages": [{"node_id": "a", "x": 1}]})
    assert run.unknown_keys() == {"brand_new": 7}
    assert run.raw["brand_new"] == 7
    assert run.stages[0].unknown_keys() == {"x": 1}


def test_fill_does_not_modify_its_input() -> None:
    raw = {"stages": [{"node_id": "a"}], "id": 5}
    S.fill(raw, S.RUN)
    assert raw == {"stages": [{"node_id": "a"}], "id": 5}


# -- type drift ----------------------------------------------------------------------------


def test_ints_as_text_and_floats() -> None:
    usage = S.fill(
        {
            "input_tokens": "12",
            "output_tokens": 7.9,
            "total_duration_ms": " 1500 ",
            "call_count": "3.0",
            "total_cost": "0.25",
            "models": ["m", 5, None, {"x": 1}, [1], 1.5, True],
        },
        S.USAGE,
    )
    assert usage["input_tokens"] == 12
    assert usage["output_tokens"] == 7
    assert usage["total_duration_ms"] == 1500
    assert usage["call_count"] == 3
    assert usage["total_cost"] == 0.25
    # scalars coerced to text, null and containers dropped
    assert usage["models"] == ["m", "5", "1.5", "true"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("abc", 0), ("", 0), ([], 0), ({}, 0), ("nan", 0), ("1e400", 0), (True, 1), (False, 0)],
)
def test_bad_ints_default(value: object, expected: int) -> None:
    assert S.fill({"n": value}, {"n": "i"})["n"] == expected


def test_optional_int_keeps_none_for_garbage() -> None:
    assert S.fill({"n": "abc"}, {"n": "i?"})["n"] is None
    assert S.fill({"n": "4"}, {"n": "i?"})["n"] == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), ("2.5", 2.5), ("inf", 0.0), (float("nan"), 0.0), ("x", 0.0), (None, 0.0)],
)
def test_floats(value: object, expected: float) -> None:
    out = S.fill({"f": value}, {"f": "f"})["f"]
    assert isinstance(out, float)
    assert out == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("FALSE", False),
        (1, True),
        (0, False),
        ("yes", False),
        (None, False),
        ([], False),
    ],
)
def test_bools(value: object, expected: bool) -> None:
    assert S.fill({"b": value}, {"b": "b"})["b"] is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12"), (1.5, "1.5"), (True, "true"), ({"a": 1}, ""), ([1], ""), (math.inf, "")],
)
def test_strings_from_other_types(value: object, expected: str) -> None:
    assert S.fill({"s": value}, {"s": "s"})["s"] == expected


def test_optional_string_from_container_is_none() -> None:
    assert S.fill({"s": {"a": 1}}, {"s": "s?"})["s"] is None
    assert S.fill({"s": 3}, {"s": "s?"})["s"] == "3"


def test_string_with_own_default_only_replaces_null() -> None:
    child = S.fill({"worker_name": None, "status": ""}, S.CHILD_RUN)
    assert child["worker_name"] == "worker"
    assert child["status"] == ""  # present (even empty) values are kept


def test_map_and_any_fields() -> None:
    stage = S.fill({"metadata": [1, 2], "verification": [1, 2], "transcript": "t"}, S.STAGE)
    assert stage["metadata"] == {}
    assert stage["verification"] == [1, 2]  # any JSON kept as is
    assert stage["transcript"] == "t"


# -- nested lists ------------------------------------------------------------------------------


def test_non_dict_items_in_record_lists_are_dropped() -> None:
    run = S.fill(
        {
            "stages": [{"node_id": "a"}, "junk", 5, None, [1], {"node_id": "b"}],
            "child_runs": "not a list",
            "hitl_questions": {"request_id": "x"},
        },
        S.RUN,
    )
    assert [s["node_id"] for s in run["stages"]] == ["a", "b"]
    assert run["child_runs"] == []
    assert run["hitl_questions"] == []


def test_nested_record_lists_are_filled_recursively() -> None:
    run = S.fill({"stages": [{"attempts": [{}, "x", {"attempt": "2"}]}]}, S.RUN)
    attempts = run["stages"][0]["attempts"]
    assert len(attempts) == 2
    assert attempts[0] == S.fill({}, S.ATTEMPT)
    assert attempts[1]["attempt"] == 2


def test_any_lists_keep_their_items() -> None:
    transcript = S.fill({"messages": [1, "two", {"role": "user"}], "events": "x"}, S.TRANSCRIPT)
    assert transcript["messages"] == [1, "two", {"role": "user"}]
    assert transcript["events"] == []


def test_fill_of_non_dict_is_all_defaults() -> None:
    for value in (None, 5, "s", [1, 2]):
        assert S.fill(value, S.USAGE) == S.fill({}, S.USAGE)


# -- typed views ----------------------------------------------------------------------------------


def test_views_expose_typed_fields() -> None:
    run = RunRecord.from_raw(
        {
            "id": "r",
            "workflow_id": "wf",
            "started_at": "2026-04-22T00:00:00Z",
            "stages": [{"node_id": "a", "usage": {"input_tokens": "5"}, "attempts": [{}]}],
            "child_runs": [{"worker_id": "w1"}],
            "usage": {"models": ["m"]},
        }
    )
    assert run.display_name == "wf"
    assert run.started_ms == 1776816000000
    assert run.finished_ms is None
    stage = run.stages[0]
    assert isinstance(stage, Stage)
    assert isinstance(stage.usage, Usage)
    assert stage.usage.input_tokens == 5
    assert len(stage.attempts) == 1
    assert stage.transcript is None
    child = run.child_runs[0]
    assert isinstance(child, ChildRun)
    assert child.worker_name == "worker"
    assert child.status == "completed"
    assert run.usage is not None and run.usage.models == ["m"]
    assert run.execution is None
    assert run.policy is not None and run.policy.tools == []


def test_display_name_prefers_workflow_name() -> None:
    assert RunRecord.from_raw({"workflow_id": "a", "workflow_name": "b"}).display_name == "b"


def test_trace_span_parent_span_id_then_parent_id() -> None:
    new = TraceSpan.from_raw({"span_id": 2, "parent_span_id": 1, "parent_id": 9})
    old = TraceSpan.from_raw({"span_id": 2, "parent_id": "1"})
    root = TraceSpan.from_raw({"span_id": 1})
    assert new.parent_id == 1
    assert old.parent_id == 1
    assert root.parent_id is None


def test_transcript_view_summary_state_and_assets() -> None:
    stage = Stage.from_raw(
        {
            "transcript": {
                "id": "t",
                "summary": "short",
                "state": "active",
                "assets": [{"id": "a1", "kind": "blob"}, "junk"],
            }
        }
    )
    transcript = stage.transcript
    assert transcript is not None
    assert transcript.summary == "short"
    assert transcript.state == "active"
    assert transcript.asset("a1") == {"id": "a1", "kind": "blob"}
    assert transcript.asset("nope") is None
    assert transcript.messages == []
