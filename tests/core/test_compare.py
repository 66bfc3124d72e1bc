"""`harn_tui.core.analysis.compare`: baseline choice, alignment, stage/tool/usage/turn diffs, divergence."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.analysis import compare as C
from harn_tui.core.eventlog.sessions import SessionEvent
from harn_tui.core.format.normalize import RunDetail, normalize_record
from harn_tui.core.index.summary import RunSummary, broken

T0 = 1_790_000_000_000  # ms; every run below starts at its own T0 + offset


def iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def stage(node: str, start_s: int, end_s: int, *, t0: int = T0, status: str = "completed",
          outcome: str = "success", text: str = "done", tokens: int = 100) -> dict[str, Any]:
    return {
        "_type": "stage", "id": f"stage-{node}-{random.random()}", "node_id": node,
        "kind": "stage", "status": status, "outcome": outcome, "branch": "success",
        "started_at": iso(t0 + start_s * 1000), "finished_at": iso(t0 + end_s * 1000),
        "visible_text": text, "usage": {"input_tokens": tokens, "output_tokens": tokens // 10},
    }


def recording(tool: str, args_hash: str, result: str, at_s: int, *, t0: int = T0) -> dict[str, Any]:
    return {
        "tool_name": tool, "tool_use_id": f"toolu_{random.getrandbits(40):x}",
        "args_hash": args_hash, "result": result, "is_rejected": False, "duration_ms": 40,
        "iteration": 1, "timestamp": f"{(t0 + at_s * 1000) / 1000:.3f}",
    }


def run(t0: int = T0, **overrides: Any) -> dict[str, Any]:
    """A three-stage deploy run starting at `t0` (ids differ per call, like real runs)."""
    record: dict[str, Any] = {
        "_type": "run_record", "id": f"run-{random.getrandbits(40):x}", "workflow_id": "deploy",
        "status": "completed", "started_at": iso(t0), "finished_at": iso(t0 + 60_000),
        "stages": [stage("plan", 0, 10, t0=t0), stage("build", 10, 20, t0=t0),
                   stage("verify", 20, 30, t0=t0)],
        "tool_recordings": [recording("read_file", "aaaaaaaaaaaaaaaa", "fn main() {}", 2, t0=t0),
                            recording("run_command", "bbbbbbbbbbbbbbbb", "ok", 12, t0=t0)],
        "usage": {"input_tokens": 1000, "output_tokens": 100, "call_count": 4,
                  "total_cost": 0.5, "total_duration_ms": 60_000, "models": ["m"]},
    }
    record.update(overrides)
    return record


def turn(n: int, at_ms: int, text: str, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "call_id": f"call-{random.getrandbits(30)}", "call_index": n, "model": "m",
        "timestamp": f"{at_ms / 1000:.3f}", "response_ms": 100,
        "messages_added": [{"role": "user", "content": f"step {n}"}],
        "response_text": text, "response_tool_calls": calls or [],
        "input_tokens": 10, "output_tokens": 2,
    }


def detail(raw: dict[str, Any], *, turns: list[dict[str, Any]] | None = None,
           sessions: dict[str, list[SessionEvent]] | None = None) -> RunDetail:
    return RunDetail(
        path=Path(f"{raw['id']}.json"), rel=f"{raw['id']}.json", raw=raw,
        normalized=normalize_record(copy.deepcopy(raw)), compaction_events=[], daemon_events=[],
        model_turns=turns or [], sidecar=Path("missing"), sidecar_available=False,
        agent_sessions=sessions or {},
    )


def session(t0: int, calls: list[tuple[str, Any, str, Any, int]]) -> dict[str, list[SessionEvent]]:
    """One agent session: (tool, raw_input, status, raw_output, at_s) per call."""
    sid = f"session-{random.getrandbits(30)}"
    events: list[SessionEvent] = []
    for tool, raw_input, status, output, at_s in calls:
        call_id = f"tc_{random.getrandbits(30)}"
        at = t0 + at_s * 1000
        events.append(SessionEvent(len(events) + 1, at, {
            "type": "tool_call", "session_id": sid, "tool_call_id": call_id, "tool_name": tool,
            "status": "pending", "raw_input": raw_input}, "tool_call"))
        events.append(SessionEvent(len(events) + 1, at + 500, {
            "type": "tool_call_update", "session_id": sid, "tool_call_id": call_id,
            "tool_name": tool, "status": status, "raw_output": output, "error": None},
            "tool_call_update"))
    return {sid: events}


# -- identical runs --------------------------------------------------------------


def test_identical_runs_have_no_divergence() -> None:
    base = run()
    later = T0 + 86_400_000  # the same run a day later, with fresh ids everywhere
    other = run(t0=later)
    for s_b, s_a in zip(other["stages"], base["stages"], strict=True):
        s_b["visible_text"] = s_a["visible_text"]
    turns_a = [turn(1, T0 + 1000, "hello", [{"id": "x1", "name": "read", "arguments": {"p": 1}}])]
    turns_b = [turn(1, later + 1000, "hello", [{"id": "y2", "name": "read", "arguments": {"p": 1}}])]
    a = detail(base, turns=turns_a, sessions=session(T0, [("grep", {"q": "x", "n": 1}, "completed", "hit", 3)]))
    b = detail(other, turns=turns_b, sessions=session(later, [("grep", {"n": 1, "q": "x"}, "completed", "hit", 3)]))
    result = C.compare(a, b)
    assert result.first_divergence is None
    assert [r.state for r in result.stage_diffs] == [C.SAME] * 3
    assert [r.state for r in result.tool_diffs] == [C.SAME] * 3
    assert set(result.tool_sources) == {"recording", "session"}
    assert [r.state for r in result.turn_diffs] == [C.SAME]
    assert result.turn_source == "sidecar"
    assert all(d.delta == 0 for _, _, d in result.usage_delta.rows())
    assert all(result.changed(kind) == 0 for kind in ("stage", "tool", "turn"))


def test_a_run_compared_with_itself_is_identical() -> None:
    a = detail(run(), turns=[turn(1, T0 + 500, "x")])
    assert C.compare(a, a).first_divergence is None


def test_every_section_reads_its_rows_the_same_way() -> None:
    base = run()
    current = run()
    current["stages"][2].update(status="failed")
    current["stages"].append(stage("deploy", 40, 50))
    turns_a = [turn(1, T0 + 1000, "hello"), turn(2, T0 + 2000, "again")]
    turns_b = [turn(1, T0 + 1000, "hi")]
    result = C.compare(detail(current, turns=turns_a), detail(base, turns=turns_b))
    for kind in ("stage", "tool", "turn"):
        rows = result.rows(kind)
        assert rows and all(isinstance(r, C.DiffRow) for r in rows)
        for r in rows:
            assert r.differs == (r.state != C.SAME)
            tail = {C.SAME: " same", C.ONLY_A: " only in A", C.ONLY_B: " only in B"}.get(r.state)
            assert r.describe() == (r.name() + tail if tail else f"{r.name()}: {r.changed_text()}")
    assert [r.describe() for r in result.turn_diffs] == [
        "turn 1: response text differ", "turn 2 only in A"]
    assert result.stage_diffs[-1].describe() == "stage deploy only in A"


# -- stages ----------------------------------------------------------------------


def test_stage_outcome_change_is_a_difference() -> None:
    base = run()
    current = run()
    current["stages"][2].update(status="failed", outcome="verification_failed")
    result = C.compare(detail(current), detail(base))
    rows = result.stage_diffs
    assert [r.node_id for r in rows] == ["plan", "build", "verify"]
    assert [r.state for r in rows] == [C.SAME, C.SAME, C.CHANGED]
    assert rows[2].changes == ("status", "outcome")
    assert rows[2].a is not None and rows[2].a.outcome == "verification_failed"
    assert rows[2].b is not None and rows[2].b.outcome == "success"
    div = result.first_divergence
    assert div is not None and (div.kind, div.index) == ("stage", 2)
    assert "verification_failed" in div.description and "verify" in div.description
    assert div.offset_ms == 30_000  # when the changed stage finished


def test_stages_align_by_node_occurrence_and_missing_ones_show() -> None:
    base = run()
    current = run()
    # A retried verify (two occurrences) and has an extra deploy stage; B lacks both.
    current["stages"] += [stage("verify", 30, 40, outcome="retry"), stage("deploy", 40, 50)]
    base["stages"].insert(1, stage("lint", 5, 9))
    result = C.compare(detail(current), detail(base))
    keys = [(r.node_id, r.occurrence, r.state) for r in result.stage_diffs]
    assert keys == [
        ("plan", 1, C.SAME), ("lint", 1, C.ONLY_B), ("build", 1, C.SAME), ("verify", 1, C.SAME),
        ("verify", 2, C.ONLY_A), ("deploy", 1, C.ONLY_A),
    ]
    div = result.first_divergence
    assert div is not None and (div.kind, div.index) == ("stage", 1)
    assert "only in B" in div.description


def test_align_pairs_every_index_once() -> None:
    rng = random.Random(4)
    for _ in range(300):
        a = rng.sample(range(12), rng.randint(0, 10))
        b = rng.sample(range(12), rng.randint(0, 10))
        pairs = C.align(a, b)
        assert sorted(i for i, _ in pairs if i is not None) == list(range(len(a)))
        assert sorted(j for _, j in pairs if j is not None) == list(range(len(b)))
        for i, j in pairs:
            if i is not None and j is not None:
                assert a[i] == b[j]
            elif i is not None:
                assert a[i] not in b
            else:
                assert b[j] not in a  # type: ignore[index]
        assert [i for i, _ in pairs if i is not None] == list(range(len(a)))  # A's order kept


# -- tool calls ------------------------------------------------------------------


def test_same_tool_and_args_with_a_different_result() -> None:
    base = run()
    current = run()
    current["tool_recordings"][1]["result"] = "error: exit status 1"
    result = C.compare(detail(current), detail(base))
    rows = result.tool_diffs
    assert [(r.tool, r.state) for r in rows] == [("read_file", C.SAME), ("run_command", C.CHANGED)]
    assert rows[1].changes == ("result",)
    assert rows[1].args == "bbbbbbbbbbbbbbbb"
    div = result.first_divergence
    assert div is not None and (div.kind, div.index) == ("tool", 1)
    assert "run_command" in div.description and "result differs" in div.description


def test_session_tool_calls_compare_args_as_json_and_status() -> None:
    current = detail(run(tool_recordings=[]), sessions=session(T0, [
        ("edit_file", {"path": "a.rs", "line": 3}, "failed", None, 4),
        ("read_file", {"path": "b.rs"}, "completed", {"text": "x"}, 5),
    ]))
    base = detail(run(tool_recordings=[]), sessions=session(T0, [
        ("edit_file", {"line": 3, "path": "a.rs"}, "completed", "ok", 4),
        ("read_file", {"path": "c.rs"}, "completed", {"text": "x"}, 5),
    ]))
    result = C.compare(current, base)
    states = [(r.tool, r.args, r.state) for r in result.tool_diffs]
    assert states[0] == ("edit_file", '{"line":3,"path":"a.rs"}', C.CHANGED)
    assert result.tool_diffs[0].changes == ("status", "result")
    assert sorted(s[2] for s in states[1:]) == [C.ONLY_A, C.ONLY_B]  # different args: no pair
    div = result.first_divergence
    assert div is not None and (div.kind, div.index) == ("tool", 0)
    assert div.offset_ms == 4_500  # when the result arrived


def test_a_source_only_one_run_has_is_ignored() -> None:
    current = detail(run(), sessions=session(T0, [("grep", {"q": 1}, "completed", "hit", 1)]))
    base = detail(run(tool_recordings=[]), sessions=session(T0, [("grep", {"q": 1}, "completed", "hit", 1)]))
    result = C.compare(current, base)
    assert result.tool_sources == ("session",)
    assert [r.state for r in result.tool_diffs] == [C.SAME]
    # ...but a run with no tool calls at all against one with some does differ.
    none = detail(run(tool_recordings=[]))
    assert [r.state for r in C.compare(current, none).tool_diffs] == [C.ONLY_A] * 3


# -- usage -----------------------------------------------------------------------


def test_usage_deltas_are_a_minus_b() -> None:
    current = run(usage={"input_tokens": 1500, "output_tokens": 90, "call_count": 6,
                         "total_cost": 0.75, "total_duration_ms": 45_000})
    base = run()
    delta = C.compare(detail(current), detail(base)).usage_delta
    assert (delta.input_tokens.a, delta.input_tokens.b, delta.input_tokens.delta) == (1500, 1000, 500)
    assert delta.input_tokens.ratio == pytest.approx(0.5)
    assert delta.output_tokens.delta == -10
    assert delta.call_count.delta == 2
    assert delta.total_cost.delta == pytest.approx(0.25)
    assert delta.duration_ms.delta == -15_000
    assert [key for key, _, _ in delta.rows()] == [
        "input_tokens", "output_tokens", "call_count", "total_cost", "duration_ms"]
    assert C.Delta(5, 0).ratio is None and C.Delta(None, 3).delta is None


# -- turns -----------------------------------------------------------------------


def test_turn_text_change_in_the_sidecar() -> None:
    current = detail(run(), turns=[turn(1, T0 + 1000, "plan: read"), turn(2, T0 + 4000, "ship it")])
    base = detail(run(), turns=[turn(1, T0 + 1000, "plan: read"), turn(2, T0 + 4000, "roll back")])
    result = C.compare(current, base)
    assert result.turn_source == "sidecar"
    assert [r.state for r in result.turn_diffs] == [C.SAME, C.CHANGED]
    assert result.turn_diffs[1].changes == ("response",)
    div = result.first_divergence
    assert div is not None and (div.kind, div.index) == ("turn", 1)
    assert div.description == "turn 2: response text differ"
    assert div.offset_ms == 4_100  # the response arrived 100 ms after the request


def test_turns_fall_back_to_stage_transcripts() -> None:
    def with_transcript(reply: str) -> dict[str, Any]:
        record = run()
        record["stages"][1]["transcript"] = {
            "_type": "transcript", "id": f"t-{random.getrandbits(20)}", "messages": [
                {"role": "user", "content": "build it"},
                {"role": "assistant", "content": [{"type": "text", "text": "building"}],
                 "tool_calls": [{"id": f"c{random.getrandbits(20)}", "name": "sh",
                                 "arguments": {"cmd": "make"}}]},
                {"role": "tool", "tool_call_id": "c", "content": "ok"},
                {"role": "assistant", "content": reply},
            ]}
        return record

    # A has a sidecar, B does not: both fall back to the transcripts (like for like).
    current = detail(with_transcript("built"), turns=[turn(1, T0, "whatever")])
    base = detail(with_transcript("build failed"))
    result = C.compare(current, base)
    assert result.turn_source == "transcript"
    assert [(r.state, r.a.where if r.a else None) for r in result.turn_diffs] == [
        (C.SAME, "build"), (C.CHANGED, "build")]
    assert result.turn_diffs[1].changes == ("response",)
    assert result.turn_diffs[0].a is not None and '"name":"sh"' in result.turn_diffs[0].a.tool_calls
    assert C.compare(detail(run()), detail(run())).turn_source == "none"


# -- first divergence ------------------------------------------------------------


def test_first_divergence_is_the_earliest_difference() -> None:
    base = run()
    current = run()
    current["stages"][2]["outcome"] = "failed"  # stage verify, finished at +30 s
    current["tool_recordings"][1]["result"] = "boom"  # run_command at +12 s (+40 ms)
    turns_a = [turn(1, T0 + 1000, "same"), turn(2, T0 + 15_000, "A says")]
    turns_b = [turn(1, T0 + 1000, "same"), turn(2, T0 + 15_000, "B says")]
    result = C.compare(detail(current, turns=turns_a), detail(base, turns=turns_b))
    assert result.changed("stage") == 1 and result.changed("tool") == 1 and result.changed("turn") == 1
    div = result.first_divergence
    assert div is not None and (div.kind, div.index, div.offset_ms) == ("tool", 1, 12_040)

    # Make the turn differ earlier than the tool: now the turn comes first.
    turns_a[0]["response_text"] = "changed early"
    result = C.compare(detail(current, turns=turns_a), detail(base, turns=turns_b))
    div = result.first_divergence
    assert div is not None and (div.kind, div.index) == ("turn", 0)

    # Offsets count from each run's own start: B a week later changes nothing.
    later = run(t0=T0 + 7 * 86_400_000)
    later["stages"][0]["outcome"] = "skipped"  # plan finished at +10 s: earliest now
    result = C.compare(detail(current, turns=turns_a), detail(later))
    div = result.first_divergence
    assert div is not None and div.kind == "stage" and div.index == 0


def test_untimed_differences_come_after_timed_ones() -> None:
    current = run()
    base = run()
    for record in (current, base):
        for s in record["stages"]:
            s["started_at"] = s["finished_at"] = ""  # stages without times
    current["stages"][0]["outcome"] = "failed"
    current["tool_recordings"][1]["result"] = "boom"  # timed: +12 s
    div = C.compare(detail(current), detail(base)).first_divergence
    assert div is not None and (div.kind, div.index) == ("tool", 1)
    # With nothing timed, stages come first, then the earliest row.
    current["tool_recordings"] = base["tool_recordings"] = []
    current["stages"][2]["outcome"] = "failed"
    div = C.compare(detail(current), detail(base)).first_divergence
    assert div is not None and (div.kind, div.index, div.offset_ms) == ("stage", 0, None)


# -- baseline --------------------------------------------------------------------


def summary(path: str, workflow: str, start: int | None, **kw: Any) -> RunSummary:
    return RunSummary(path=path, id=path, workflow_id=workflow, workflow_name=workflow,
                      started_at_ms=start, **kw)


def test_default_baseline_is_the_previous_run_of_the_workflow() -> None:
    current = summary("c.json", "deploy", 5000)
    runs = [
        current,
        summary("old.json", "deploy", 1000),
        summary("prev.json", "deploy", 4000),
        summary("later.json", "deploy", 9000),
        summary("other.json", "triage", 4500),
        summary("nostart.json", "deploy", None),
        broken("bad.json", "truncated"),
    ]
    assert C.default_baseline(runs, current) == runs[2]
    assert [r.path for r in C.baseline_candidates(runs, current)] == [
        "later.json", "prev.json", "old.json", "nostart.json"]
    assert C.default_baseline(runs, runs[1]) is None  # the oldest has no previous run
    assert C.default_baseline(runs, summary("x.json", "deploy", None)) is None
    assert C.default_baseline(runs, summary("y.json", "", 9999)) is None


# -- naming a tool call: its arguments, never the recording's hash -----------------------


def test_divergence_names_a_recorded_tool_by_its_arguments_not_its_hash() -> None:
    def with_transcript(raw: dict[str, Any], result: str) -> dict[str, Any]:
        rec = raw["tool_recordings"][1]
        rec["result"] = result
        raw["transcript"] = {"_type": "transcript", "messages": [
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": rec["tool_use_id"], "name": "run_command",
                 "input": {"command": "cargo test --all", "timeout_s": 600}}]}]}
        return raw

    a = detail(with_transcript(run(), "ok"))
    b = detail(with_transcript(run(), "FAILED: 2 tests"))
    div = C.compare(a, b).first_divergence
    assert div is not None
    assert "run_command(command=cargo test --all, timeout_s=600)" in div.description
    assert "bbbbbbbb" not in div.description


def test_provider_tool_calls_and_json_argument_strings_are_read() -> None:
    raw = run()
    rec = raw["tool_recordings"][0]
    raw["stages"][0]["transcript"] = {"_type": "transcript", "messages": [
        {"role": "assistant", "tool_calls": [
            {"id": rec["tool_use_id"], "function": {"name": "read_file", "arguments": '{"path": "src/main.rs"}'}}]}]}
    args = C.call_arguments(detail(raw))
    assert C.abbreviate_args(args[rec["tool_use_id"]]) == "path=src/main.rs"


def test_unknown_arguments_say_so_instead_of_a_hash() -> None:
    a, b = detail(run()), detail(run(tool_recordings=[recording("read_file", "aaaaaaaaaaaaaaaa", "other", 2)]))
    div = C.compare(a, b).first_divergence
    assert div is not None and "aaaaaaaa" not in div.description
    assert "args not recorded" in div.description


def test_abbreviated_arguments_are_short_and_one_line() -> None:
    text = C.abbreviate_args({"content": "line one\nline two " + "x" * 200, "path": "a.py"})
    assert "\n" not in text and len(text) <= C.ARGS_WIDTH
    assert text.startswith("content=line one\\nline two")
