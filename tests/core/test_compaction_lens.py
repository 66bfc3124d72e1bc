"""Compaction lens core: context-size series, plot geometry, snapshot diffs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from harn_tui.core.analysis import compaction_lens as lens
from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.core.eventlog.attach import load_run_with_events
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.eventlog.sessions import SessionEvent
from harn_tui.core.format.normalize import load_run
from harn_tui.core.format.timestamps import format_iso


def _ts(ms: int) -> str:
    return format_iso(ms)


def _msg(role: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"role": role, "content": content, **extra}


BEFORE = [
    _msg("system", "You are careful."),
    _msg("user", "Fix the flaky test"),
    _msg("assistant", [{"type": "text", "text": "Reading the log"}],
         tool_calls=[{"id": "c1", "name": "read", "arguments": {"path": "a.rs"}}]),
    _msg("tool", "line 1\nline 2", tool_call_id="c1", name="read"),
    _msg("assistant", "The test races on the clock."),
]
AFTER = [
    _msg("system", "You are careful."),
    _msg("user", [{"type": "text", "text": "Summary: user asked to fix a flaky test; it races."}]),
    _msg("assistant", "The test races on the clock."),
]


def _compaction(event_id: str, mode: str, before: int, after: int, archived: int,
                asset: str | None) -> dict[str, Any]:
    return {"id": event_id, "kind": "compaction", "role": "system", "visibility": "internal",
            "text": "Transcript compacted", "blocks": [],
            "metadata": {"mode": mode, "strategy": "truncate" if mode == "manual" else "llm",
                         "archived_messages": archived, "estimated_tokens_before": before,
                         "estimated_tokens_after": after, "snapshot_asset_id": asset}}


def _run(tmp_path: Path, *, hostile: str = "", drop_asset: bool = False) -> Path:
    t0 = 1_760_000_000_000
    plan_tr = {
        "_type": "transcript", "version": 2, "id": "tr-plan", "summary": "Earlier: flaky test",
        "messages": AFTER + ([_msg("user", hostile)] if hostile else []),
        "events": [_compaction("cmp-manual", "manual", 40_000, 6_000, 3, "snap-1"),
                   _compaction("cmp-auto", "auto", 30_000, 5_000, 7, None)],
        "assets": [] if drop_asset else [
            {"_type": "transcript_asset", "id": "snap-1", "kind": "compaction_source_transcript",
             "data": {"_type": "transcript", "id": "tr-plan", "messages": BEFORE}}],
    }
    stages = [
        {"id": "r:plan:1", "node_id": hostile or "plan", "kind": "stage", "status": "completed",
         "started_at": _ts(t0), "finished_at": _ts(t0 + 10_000),
         "usage": {"input_tokens": 9000, "output_tokens": 10, "call_count": 3},
         "transcript": plan_tr},
        {"id": "r:gate:2", "node_id": "gate", "kind": "condition", "status": "completed",
         "started_at": _ts(t0 + 11_000), "finished_at": _ts(t0 + 11_500), "usage": None},
        {"id": "r:build:3", "node_id": "build", "kind": "stage", "status": "completed",
         "started_at": _ts(t0 + 12_000), "finished_at": _ts(t0 + 20_000),
         "usage": {"input_tokens": 4000, "output_tokens": 10, "call_count": 1}},
    ]
    record = {"_type": "run_record", "id": "r", "workflow_id": "w", "status": "completed",
              "started_at": _ts(t0), "finished_at": _ts(t0 + 21_000), "stages": stages}
    path = tmp_path / "r.json"
    path.write_bytes(orjson.dumps(record))
    return path


def test_series_orders_usage_and_compactions_along_the_stages(tmp_path: Path) -> None:
    detail = load_run(_run(tmp_path))
    points = lens.context_series(detail)
    shape = [(p.kind, p.node_id, p.tokens, p.before) for p in points]
    assert shape == [
        ("stage", "plan", 3000, None),            # 9000 input tokens over 3 calls
        ("compaction", "plan", 6000, 40_000),
        ("compaction", "plan", 5000, 30_000),
        ("stage", "build", 4000, None),           # the condition stage has no usage
    ]
    assert [p.seq for p in points] == [0, 1, 2, 3]
    assert points[1].archived == 3 and points[1].mode == "manual" and points[1].snapshot_available
    assert points[2].snapshot_available is False
    assert all(p.stage_index in (0, 2) for p in points)


def test_session_compactions_join_the_series_unless_already_reported(tmp_path: Path) -> None:
    detail = load_run(_run(tmp_path))
    t_build = 1_760_000_000_000 + 15_000
    dup = {"type": "transcript_compacted", "session_id": "tr-plan", "mode": "manual",
           "strategy": "truncate", "archived_messages": 3, "estimated_tokens_before": 40_000,
           "estimated_tokens_after": 6_000, "snapshot_asset_id": "snap-1"}
    new = {"type": "transcript_compacted", "session_id": "s-main", "mode": "auto",
           "strategy": "observation_mask", "archived_messages": 14,
           "estimated_tokens_before": 48_210, "estimated_tokens_after": 9_870,
           "snapshot_asset_id": None}
    detail.agent_sessions = {
        "tr-plan": [SessionEvent(1, t_build, dup, "transcript_compacted")],
        "s-main": [SessionEvent(2, t_build, new, "transcript_compacted")],
    }
    points = lens.context_series(detail)
    session = [p for p in points if p.source == "agent_event"]
    assert len(session) == 1, "the duplicate of a transcript compaction is dropped"
    assert session[0].before == 48_210 and session[0].after == 9_870
    assert session[0].node_id == "build", "placed in the stage running at its time"
    assert points.index(session[0]) == len(points) - 1
    diff = lens.snapshot_diff(detail, session[0])
    assert not diff.available and "agent session" in (diff.reason or "")


def test_worker_session_compactions_are_listed_but_not_plotted(tmp_path: Path) -> None:
    detail = load_run(_run(tmp_path))
    detail.normalized["child_runs"] = [
        {"worker_id": "w1", "worker_name": "scout", "parent_stage_id": "r:build:3",
         "session_id": "s-child"}]
    event = {"type": "transcript_compacted", "session_id": "s-child", "mode": "auto",
             "archived_messages": 2, "estimated_tokens_before": 10, "estimated_tokens_after": 5}
    detail.agent_sessions = {"s-child": [SessionEvent(1, None, event, "transcript_compacted")]}
    assert all(p.worker is None for p in lens.context_series(detail))
    workers = [p for p in lens.compactions(detail) if p.worker]
    assert [(p.worker, p.node_id, p.label) for p in workers] == [("scout", "build", "worker scout")]
    assert any(p.worker for p in lens.context_series(detail, include_workers=True))


def test_manual_snapshot_diff_archived_kept_added(tmp_path: Path) -> None:
    detail = load_run(_run(tmp_path))
    manual = lens.compactions(detail)[0]
    diff = lens.snapshot_diff(detail, manual)
    assert diff.available, diff.reason
    assert [m.role for m in diff.archived] == ["user", "assistant", "tool"]
    assert diff.archived[1].text == 'Reading the log\n[tool_call read] {"path": "a.rs"}'
    assert diff.archived[2].text == "(read) line 1\nline 2"
    assert [m.text for m in diff.kept] == ["You are careful.", "The test races on the clock."]
    assert [m.text for m in diff.added] == ["Summary: user asked to fix a flaky test; it races."]
    assert [r.op for r in diff.rows] == [" ", "-", "-", "-", "+", " "]
    assert diff.summary == "Earlier: flaky test"
    assert "snap-1" in diff.before_label and "as saved (3 messages)" in diff.after_label
    text = diff.render()
    assert "- [tool] (read) line 1\n-   line 2" in text
    assert "+ [user] Summary:" in text
    assert "3 archived (-), 1 added (+), 2 kept" in text
    # the record dict (detail.compaction_events) works as well as the Point
    again = lens.snapshot_diff(detail, detail.compaction_events[0])
    assert [r.op for r in again.rows] == [r.op for r in diff.rows]


def test_event_without_snapshot_is_unavailable_with_a_reason(tmp_path: Path) -> None:
    detail = load_run(_run(tmp_path))
    auto = lens.compactions(detail)[1]
    diff = lens.snapshot_diff(detail, auto)
    assert not diff.available
    assert diff.reason == "no snapshot recorded: only manual compactions keep one (this one is auto)"
    assert "diff unavailable: no snapshot recorded" in diff.render()
    assert diff.rows == [] and diff.archived == []


def test_missing_snapshot_asset_is_unavailable_with_a_reason(tmp_path: Path) -> None:
    detail = load_run(_run(tmp_path, drop_asset=True))
    diff = lens.snapshot_diff(detail, lens.compactions(detail)[0])
    assert not diff.available
    assert diff.reason == "snapshot asset snap-1 is not among the transcript's assets"


def test_next_snapshot_is_the_after_side_of_an_earlier_compaction() -> None:
    first = [_msg("user", "a"), _msg("assistant", "b"), _msg("user", "c")]
    second = [_msg("user", "summary of a b"), _msg("user", "c"), _msg("assistant", "d")]
    final = [_msg("user", "summary of everything")]
    transcript = {
        "id": "t", "messages": final,
        "events": [_compaction("c1", "manual", 10, 5, 2, "s1"),
                   _compaction("c2", "manual", 12, 3, 3, "s2")],
        "assets": [{"id": "s1", "data": {"messages": first}}, {"id": "s2", "data": second}],
    }
    run = {"stages": [], "transcript": transcript}
    record = {"id": "c1", "stage_id": None, "mode": "manual", "snapshot_asset_id": "s1"}
    diff = lens.snapshot_diff(SimpleNamespace(normalized=run), record)
    assert diff.available and "next compaction" in diff.after_label
    assert [m.text for m in diff.archived] == ["a", "b"]
    assert [m.text for m in diff.kept] == ["c"]
    assert [m.text for m in diff.added] == ["summary of a b", "d"]
    last = lens.snapshot_diff(SimpleNamespace(normalized=run), {**record, "id": "c2",
                                                                 "snapshot_asset_id": "s2"})
    assert [m.text for m in last.added] == ["summary of everything"] and not last.kept


def test_message_text_normalizes_blocks() -> None:
    content = [
        {"type": "output_text", "text": "hi"},
        {"type": "reasoning", "text": "think"},
        {"type": "tool_use", "name": "grep", "input": {"q": "x"}},
        {"type": "tool_result", "name": "grep", "content": [{"type": "text", "text": "found"}]},
        {"type": "image"},
        {"type": "document", "title": "spec.md"},
        {"type": "weird", "n": 1},
    ]
    assert lens.message_text({"role": "assistant", "content": content}).split("\n") == [
        "hi", "[reasoning] think", '[tool_call grep] {"q": "x"}', "[tool_result grep] found",
        "[image]", "[document spec.md]", '{"n": 1, "type": "weird"}',
    ]
    assert lens.messages_of("nope") is None
    assert lens.messages_of([{"content": "x"}, 3]) == [lens.Msg("?", "x", 0), lens.Msg("?", "3", 1)]


def test_plot_columns_and_fit() -> None:
    pts = [
        lens.Point(0, "stage", 100, 0, "s", "a", None, "a"),
        lens.Point(1, "compaction", 20, 0, "s", "a", None, "a", before=500, after=20),
        lens.Point(2, "call", 300, 1, "t", "b", None, "b"),
    ]
    cols = lens.plot_columns(pts)
    assert [(c.kind, c.value) for c in cols] == [("stage", 100), ("before", 500), ("after", 20),
                                                 ("call", 300)]
    fitted = lens.fit_columns(cols, 2)
    assert [(c.kind, c.value) for c in fitted] == [("before", 500), ("after", 300)]
    assert lens.fit_columns(cols, 10) == cols


@pytest.fixture(scope="module")
def gen_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("lens-corpus")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


def test_generated_runs_with_compactions(gen_corpus: Corpus) -> None:
    log = open_event_log(gen_corpus.backend, gen_corpus.event_log_path)
    seen_manual = seen_session = 0
    for run in gen_corpus.runs:
        detail = load_run_with_events(run.path, root=gen_corpus.root, event_log=log)
        points = lens.context_series(detail)
        assert [p.seq for p in points] == list(range(len(points)))
        for point in lens.compactions(detail):
            diff = lens.snapshot_diff(detail, point)
            assert diff.available == (point.mode == "manual" and point.snapshot_available), diff.reason
            if diff.available:
                seen_manual += 1
                assert diff.archived and diff.added
                assert len(diff.archived) + len(diff.kept) == len(lens.messages_of(
                    next(a for t in [s.get("transcript") or {} for s in detail.normalized["stages"]]
                         for a in t.get("assets", []) if a["id"] == point.event["snapshot_asset_id"]
                         )["data"]) or [])
            else:
                assert diff.reason
            seen_session += point.source == "agent_event"
    assert seen_manual >= 2 and seen_session >= 1


@pytest.mark.parametrize("limit", [lens.MATCHER_LIMIT, 0], ids=["difflib", "greedy"])
def test_align_rebuilds_the_after_side(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    import random

    monkeypatch.setattr(lens, "MATCHER_LIMIT", limit)
    rng = random.Random(5)
    for _ in range(200):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 30))]
        b = [rng.choice("abce") for _ in range(rng.randint(0, 30))]
        ops = lens.align(a, b)
        rebuilt: list[str] = []
        pos_a = pos_b = 0
        for op, a0, a1, b0, b1 in ops:
            assert (a0, b0) == (pos_a, pos_b), "opcodes are contiguous"
            if op == "equal":
                assert a[a0:a1] == b[b0:b1]
            rebuilt += b[b0:b1]
            pos_a, pos_b = a1, b1
        assert (pos_a, pos_b) == (len(a), len(b))
        assert rebuilt == b
    # common ends are always kept, whatever the matcher
    assert lens.align(list("xyzq"), list("xSq"))[0] == ("equal", 0, 1, 0, 1)
    assert lens.align(list("xyzq"), list("xSq"))[-1] == ("equal", 3, 4, 2, 3)


def test_diff_of_a_huge_repetitive_snapshot_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """difflib (quadratic or worse on repetitive input: minutes here) only ever sees a middle
    within MATCHER_LIMIT; larger ones are matched greedily."""
    sizes: list[int] = []
    real = lens.difflib.SequenceMatcher

    def spy(junk, a, b, autojunk=True):  # type: ignore[no-untyped-def]
        sizes.append(len(a) * len(b))
        return real(junk, a, b, autojunk=autojunk)

    monkeypatch.setattr(lens.difflib, "SequenceMatcher", spy)
    same = [_msg("tool", "ok")] * 20_000
    run = {"stages": [], "transcript": {
        "id": "t", "messages": [_msg("user", "summary"), *same[:10_000]],
        "events": [_compaction("c", "manual", 1, 1, 1, "s")],
        "assets": [{"id": "s", "data": same}]}}
    diff = lens.snapshot_diff(SimpleNamespace(normalized=run), {"id": "c", "stage_id": None,
                                                                "snapshot_asset_id": "s"})
    assert all(size <= lens.MATCHER_LIMIT for size in sizes), sizes
    assert (len(diff.archived), len(diff.kept), len(diff.added)) == (10_000, 10_000, 1)
