"""Property tests: no JSON value and no byte string makes the loader raise anything but LoadError."""

from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harn_tui.core.format import schema as S
from harn_tui.core.format.errors import LoadError
from harn_tui.core.format.jsonload import decode_json
from harn_tui.core.format.normalize import load_run, normalize_record
from harn_tui.core.format.sidecar import daemon_events, model_turns
from harn_tui.core.index.discovery import FoundFile
from harn_tui.core.index.run_index import load_summary
from harn_tui.core.index.summary import RunSummary, summarize

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"
EXAMPLE_BYTES = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.json"))]

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Keys the loader looks at, at any level, so generated documents reach the deep code paths.
_SCHEMAS = (
    S.RUN,
    S.STAGE,
    S.ATTEMPT,
    S.CHILD_RUN,
    S.TRANSCRIPT,
    S.USAGE,
    S.ARTIFACT,
    S.HANDOFF,
    S.TRACE_SPAN,
    S.HITL_QUESTION,
    S.OBSERVABILITY,
    S.COMPACTION_EVENT,
    S.REPLAY_FIXTURE,
)
KNOWN_KEYS = sorted(
    set(itertools.chain.from_iterable(_SCHEMAS))
    | {
        "worker",
        "audit",
        "error",
        "summary",
        "state",
        "snapshot_asset_id",
        "parent_span_id",
        "mutation_session",
        "child_run_id",
        "child_run_path",
        "name",
        "skill_name",
        "type",
        "call_id",
        "content",
        "role",
        "schemas",
        "text",
        "thinking",
        "pass",
        "success",
    }
)
KNOWN_STRINGS = [
    "run_record",
    "compaction",
    "handoff",
    "skill_activated",
    "daemon_event",
    "message",
    "provider_call_request",
    "provider_call_response",
    "system_prompt",
    "tool_schemas",
    "failed",
    "error",
    "completed",
    "verify",
    "2026-04-22T00:00:00Z",
    "2026-04-22T02:00:00.5+02:00",
    "01964c1e-7a2b-7c3d-8e9f-0123456789ab",
    "1714460000",
    "1710000000.100",
    "call-1",
    "",
]

# Mostly known keys; a few odd ones (empty, control characters, non-ASCII) stand for the rest.
keys = st.sampled_from([*KNOWN_KEYS, "", "x", "\x00k", "ünknown", "\u202e"])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(KNOWN_STRINGS),
    st.text(max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)
run_like = st.builds(
    lambda base, extra: {**base, **extra},
    st.fixed_dictionaries({"_type": st.just("run_record")}),
    st.dictionaries(keys, json_values, max_size=6),
)
any_object = st.one_of(run_like, st.dictionaries(keys, json_values, max_size=4))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


@PROPERTY_SETTINGS
@given(
    st.one_of(run_like, any_object, json_values),
    st.lists(st.one_of(any_object, json_values), max_size=4),
    st.binary(max_size=12),
)
def test_any_json_never_raises_but_load_error(
    scratch: Path, value: Any, sidecar_lines: list[Any], tail: bytes
) -> None:
    """summarize, normalize_record and load_run (file + sidecar) on any JSON value."""
    if isinstance(value, dict):
        try:
            s = summarize(value, "run.json", 10, 20)
        except LoadError:
            pass
        else:
            assert isinstance(s, RunSummary)
            assert RunSummary.from_doc(s.to_doc()) == s  # the cache round trip holds
        try:
            run = normalize_record(value, Path("/runs/run.json"))
        except LoadError:
            pass
        else:
            assert list(run)[: len(S.RUN)] == list(S.RUN)
            assert isinstance(run["_type"], str)  # kept as the file has it, like Harn's load
            assert isinstance(run["observability"]["compaction_events"], list)
        dict_lines = [line for line in sidecar_lines if isinstance(line, dict)]
        assert all(turn["call_id"] for turn in model_turns(dict_lines))
        daemon_events(dict_lines)

    path = scratch / "run.json"
    path.write_bytes(_dump(value))
    sidecar = scratch / "run-llm" / "llm_transcript.jsonl"
    sidecar.parent.mkdir(exist_ok=True)
    sidecar.write_bytes(b"".join(_dump(line) + b"\n" for line in sidecar_lines) + tail)
    result = load_summary(FoundFile(path, "run.json", path.stat().st_size, 1))
    is_run = isinstance(value, dict) and value.get("_type") == "run_record"
    assert (result is not None) == (is_run or not isinstance(value, dict))
    try:
        detail = load_run(path, root=scratch)
    except LoadError:
        assert not is_run
        return
    assert detail.rel == "run.json"
    json.dumps(detail.to_json(), default=str)


@PROPERTY_SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_never_raise_but_load_error(scratch: Path, data: bytes) -> None:
    """decode_json, load_summary and load_run on any byte string."""
    try:
        decode_json(data)
    except LoadError as exc:
        assert exc.reason and "\n" not in exc.reason
    path = scratch / "bytes.json"
    path.write_bytes(data)
    result = load_summary(FoundFile(path, "bytes.json", len(data), 1))
    if result is not None:
        assert isinstance(result, RunSummary)
        assert result.path == "bytes.json"
        if result.broken:
            assert result.error and "\n" not in result.error
    with contextlib.suppress(LoadError):
        load_run(path)


@PROPERTY_SETTINGS
@given(
    st.sampled_from(range(len(EXAMPLE_BYTES))),
    st.integers(min_value=0, max_value=4000),
    st.binary(min_size=0, max_size=6),
    st.booleans(),
)
def test_damaged_real_examples_give_load_error_or_summary(
    scratch: Path, which: int, offset: int, patch: bytes, truncate: bool
) -> None:
    data = EXAMPLE_BYTES[which]
    offset %= len(data)
    damaged = data[:offset] if truncate else data[:offset] + patch + data[offset + len(patch) :]
    path = scratch / "damaged.json"
    path.write_bytes(damaged)
    try:
        decode_json(damaged)
    except LoadError as exc:
        assert exc.reason
    result = load_summary(FoundFile(path, "damaged.json", len(damaged), 1))
    assert result is None or isinstance(result, RunSummary)
    with contextlib.suppress(LoadError):
        load_run(path)


@pytest.mark.parametrize("depth", [250, 260, 600, 1000, 1020])
def test_deep_documents_at_every_level(scratch: Path, depth: int) -> None:
    """Nesting around orjson's write limit (255) and the read limit (1024) in every slot."""
    deep = "[" * depth + "1" + "]" * depth
    text = (
        '{"_type": "run_record", "id": "d", "metadata": {"worker": X}, '
        '"stages": [{"node_id": "v", "kind": "verify", "verification": X, "metadata": '
        '{"error": X, "worker": {"id": "w", "request": X}}, "transcript": {"id": "t", '
        '"events": [{"kind": "compaction", "metadata": {"compaction_policy": X}}]}}], '
        '"transcript": X, "usage": X, "trace_spans": [X]}'
    ).replace("X", deep)
    path = scratch / f"deep{depth}.json"
    path.write_text(text)
    result = load_summary(FoundFile(path, path.name, 1, 1))
    assert result is not None
    try:
        detail = load_run(path)
    except LoadError as exc:
        assert "nesting" in exc.reason
        assert depth > 1000
        return
    assert detail.normalized["child_runs"][0]["worker_id"] == "w"
