"""Fuzzing line- and row-shaped inputs: sidecar JSONL, file-backend topics, SQLite rows.

Every input gives parsed lines/events (bad ones skipped or carrying a `raw_error`) or a
one-line EventLogError; the consumers (model turns, daemon events, sessions, HITL) never
raise on what the readers return.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import orjson
import pytest
from hostiletools import (
    DEEP,
    assert_one_line_reason,
    field_paths,
    flip_bytes,
    nested,
    swap_for,
    with_value,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from harn_tui.cli import _dumps_deep
from harn_tui.core.demo.transcripts import agent_event_payload, agent_session_stream, sidecar_lines
from harn_tui.core.eventlog import hitl, sessions
from harn_tui.core.eventlog.files import FileEventLog
from harn_tui.core.eventlog.protocol import agent_events_topic
from harn_tui.core.eventlog.sqlite import SqliteEventLog
from harn_tui.core.format.errors import EventLogError, HarnTuiError
from harn_tui.core.format.sidecar import daemon_events, model_turns, read_sidecar

ODD_LINES = [
    b"\xef\xbb\xbf" + b'{"type":"message","role":"user","content":"bom"}',
    b'{"type":"message","content":NaN}',
    b'{"type":"message","content":Infinity}',
    b'{"type":"message","type":"provider_call_request","call_id":"dup","call_id":"c"}',
    b'{"type":"message","content":"\xff\xfe bad utf8"}',
    b'{"type":"message","content":"\\ud800"}',
    b"[1,2,3]",
    b'"just a string"',
    b"null",
    b"\x00\x00\x00",
    nested(2000).encode(),
    b'{"type":"message","content":' + nested(1100, "dict").encode() + b"}",
    b'{"type":"provider_call_response","call_id":"c","input_tokens":1e999}',
    b'{"type":"provider_call_response","call_id":"c","input_tokens":123456789012345678901234567890}',
]


def _sidecar_bytes(seed: int = 3) -> bytes:
    lines = sidecar_lines(random.Random(seed), 1_776_945_600_000, iterations=2)
    return b"".join(orjson.dumps(x) + b"\n" for x in lines)


def _consume_sidecar(path: Path) -> None:
    out = read_sidecar(path)
    if out.error:
        assert_one_line_reason(out.error)
    turns = model_turns(out.lines)
    daemon_events(out.lines)
    as_json(turns)


def as_json(value: object) -> bytes:
    """Serialize as `show --json` does (orjson, else the deep/big-int fallback)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str)
    except TypeError:
        return _dumps_deep(value)


# --------------------------------------------------------------------------- sidecar


def test_sidecar_truncated_at_sampled_offsets(tmp_path: Path) -> None:
    data = _sidecar_bytes()
    path = tmp_path / "llm_transcript.jsonl"
    offsets = range(len(data) + 1) if DEEP else range(0, len(data) + 1, max(len(data) // 300, 1))
    for n in offsets:
        path.write_bytes(data[:n])
        out = read_sidecar(path)
        assert out.skipped == 0, f"a truncation at {n} counted a complete line as bad"
        _consume_sidecar(path)


@settings(settings.get_profile("hostile"))
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 20))
def test_sidecar_byte_flips(seed: int, count: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("sc") / "llm_transcript.jsonl"
    path.write_bytes(flip_bytes(_sidecar_bytes(), random.Random(seed), count))
    _consume_sidecar(path)


def test_sidecar_type_swaps_of_every_field_of_every_line(tmp_path: Path) -> None:
    lines = sidecar_lines(random.Random(4), 1_776_945_600_000, iterations=1)
    path = tmp_path / "llm_transcript.jsonl"
    for li, line in enumerate(lines):
        for n, field in enumerate(field_paths(line)[1:]):
            old = line
            for step in field:
                old = old[step]
            bad = with_value(line, field, swap_for(old, n + li))
            body = [*lines[:li], bad, *lines[li + 1 :]]
            path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in body))
            _consume_sidecar(path)


def test_sidecar_odd_lines_are_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "llm_transcript.jsonl"
    good = _sidecar_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n".join(ODD_LINES) + b"\n" + good)
    out = read_sidecar(path)
    assert out.lines and out.skipped >= 5
    _consume_sidecar(path)
    path.write_bytes(b"\n".join(ODD_LINES))
    _consume_sidecar(path)


def test_sidecar_that_is_a_directory_or_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "llm_transcript.jsonl"
    path.mkdir()
    out = read_sidecar(path)
    assert out.error is not None
    assert_one_line_reason(out.error)


# --------------------------------------------------------------------------- file backend


def _file_log(tmp_path: Path, lines: list[bytes]) -> tuple[FileEventLog, str]:
    topics = tmp_path / "events" / "topics"
    topics.mkdir(parents=True, exist_ok=True)
    topic = agent_events_topic("s1")
    (topics / f"{topic}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (topics / "hitl.questions.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return FileEventLog(tmp_path / "events"), topic


def _stream_lines() -> list[bytes]:
    events = agent_session_stream(random.Random(2), "s1", turns=2)
    out = []
    ms = 1_776_945_600_000
    for i, (event, gap) in enumerate(events, 1):
        ms += gap
        kind = event["type"]
        event.setdefault("audit", {"run_id": "run-1"})
        payload = agent_event_payload("s1", event, ms)
        out.append(orjson.dumps({"id": i, "event": {"kind": kind, "payload": payload,
                                                    "headers": {"session_id": "s1"},
                                                    "occurred_at_ms": ms}}))
    return out


def _consume_log(log: object, topic: str) -> None:
    try:
        for name in log.topics():  # type: ignore[attr-defined]
            for ev in log.iter_topic(name, page=7):  # type: ignore[attr-defined]
                if ev.raw_error:
                    assert_one_line_reason(ev.raw_error)
            log.last_event_id(name)  # type: ignore[attr-defined]
        sessions.load_session_events(log, "s1")  # type: ignore[arg-type]
        sessions.session_ids_in_log(log)  # type: ignore[arg-type]
        sessions.sessions_for_run(log, "run-1", ["s1"])  # type: ignore[arg-type]
        tracker = sessions.RunSessionsTracker("run-1", ["s1"])
        tracker.poll(log)  # type: ignore[arg-type]
        hitl.questions_by_run(log)  # type: ignore[arg-type]
        hitl.request_states(log)  # type: ignore[arg-type]
        hitl.QuestionIndex().poll(log)  # type: ignore[arg-type]
    except HarnTuiError as exc:
        assert_one_line_reason(exc.reason)


def test_stream_fixture_is_realistic() -> None:
    assert len(_stream_lines()) > 10


def test_file_topic_lines_truncated_flipped_and_odd(tmp_path: Path) -> None:
    lines = _stream_lines()
    data = b"\n".join(lines) + b"\n"
    rng = random.Random(9)
    offsets = range(len(data)) if DEEP else sorted(rng.sample(range(len(data)), 40))
    for i, n in enumerate(offsets):
        log, topic = _file_log(tmp_path / f"t{i}", [data[:n]])
        _consume_log(log, topic)
    for i in range(200 if DEEP else 25):
        log, topic = _file_log(tmp_path / f"f{i}", [flip_bytes(data, rng, 1 + i % 10)])
        _consume_log(log, topic)
    log, topic = _file_log(tmp_path / "odd", [*lines[:3], *ODD_LINES, *lines[3:]])
    _consume_log(log, topic)
    assert len(log.read(topic, limit=10_000)) == len(lines)


def test_file_topic_type_swaps_of_every_field(tmp_path: Path) -> None:
    lines = [orjson.loads(x) for x in _stream_lines()[:6]]
    for li, line in enumerate(lines):
        paths = field_paths(line, list_items=1)[1:]
        for n, field in enumerate(paths if DEEP else paths[:: 2]):
            old = line
            for step in field:
                old = old[step]
            bad = with_value(line, field, swap_for(old, n))
            body = [orjson.dumps(x) for x in [*lines[:li], bad, *lines[li + 1 :]]]
            log, topic = _file_log(tmp_path / f"s{li}-{n}", body)
            _consume_log(log, topic)


# --------------------------------------------------------------------------- sqlite rows


def _db(tmp_path: Path, rows: list[tuple], *, schema: str | None = None) -> Path:
    path = tmp_path / "events.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(schema or (
        "CREATE TABLE events (topic, event_id, kind, payload, headers, occurred_at_ms);"
        "CREATE TABLE topic_heads (topic, last_id);"
    ))
    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


TOPIC = agent_events_topic("s1")
HDR = '{"session_id":"s1"}'
GOOD_PAYLOAD = orjson.dumps(agent_event_payload(
    "s1", {"type": "agent_message_chunk", "session_id": "s1", "content": "hi"}, 1))
ODD_VALUES = [None, 0, -1, 2**63 - 1, 1.5, float("nan"), float("inf"), "", "x", "12", "1e3",
              b"", b"\xff\xfe", b"\x00", "[]", "{}", "null", "NaN", "{\"a\":1,\"a\":2}",
              "\ufeff{}", nested(1500), "[1,2", "\"s\"", b"{\"session_id\":\"s1\"}"]


@pytest.mark.parametrize("column", ["topic", "event_id", "kind", "payload", "headers", "occurred_at_ms"])
def test_sqlite_wrong_types_in_every_column(column: str, tmp_path: Path) -> None:
    names = ["topic", "event_id", "kind", "payload", "headers", "occurred_at_ms"]
    base = [TOPIC, 1, "agent_message_chunk", GOOD_PAYLOAD, '{"session_id":"s1"}', 1]
    rows = []
    for i, value in enumerate(ODD_VALUES):
        row = list(base)
        row[names.index(column)] = value
        if column != "event_id":
            row[1] = i + 1
        rows.append(tuple(row))
    rows.append((TOPIC, 10_000, "agent_message_chunk", GOOD_PAYLOAD, '{"session_id":"s1"}', 2))
    path = _db(tmp_path, rows)
    with SqliteEventLog(path) as log:
        _consume_log(log, TOPIC)
        got = log.read(TOPIC, limit=100_000)
        for ev in got:
            assert isinstance(ev.headers, dict) and isinstance(ev.event_id, int)
            assert isinstance(ev.kind, str) and isinstance(ev.occurred_at_ms, int)
            if ev.raw_error:
                assert_one_line_reason(ev.raw_error)
        if column in ("payload", "headers"):
            assert any(ev.raw_error for ev in got), "bad JSON must be flagged"
        if column not in ("topic", "event_id"):
            assert any(ev.event_id == 10_000 for ev in got), "one bad row hid the good ones"


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE TABLE events (topic, event_id);",
        "CREATE TABLE other (x);",
        "CREATE VIEW events AS SELECT 1 AS topic;",
        "",
    ],
)
def test_sqlite_wrong_schema(schema: str, tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    conn = sqlite3.connect(path)
    if schema:
        conn.executescript(schema)
    conn.commit()
    conn.close()
    try:
        with SqliteEventLog(path) as log:
            _consume_log(log, TOPIC)
    except EventLogError as exc:
        assert_one_line_reason(exc.reason)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a database", b"SQLite format 3\x00" + b"\x00" * 100, b"SQLite format 3\x00" + b"\xff" * 4000],
)
def test_sqlite_file_that_is_not_a_database(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    path.write_bytes(content)
    try:
        with SqliteEventLog(path) as log:
            _consume_log(log, TOPIC)
    except EventLogError as exc:
        assert_one_line_reason(exc.reason)


def test_sqlite_database_truncated_and_flipped(tmp_path: Path) -> None:
    rows = [(TOPIC, i, "agent_message_chunk", GOOD_PAYLOAD, '{"session_id":"s1"}', i)
            for i in range(1, 400)]
    good = _db(tmp_path / "good", rows) if (tmp_path / "good").mkdir() is None else None
    assert good is not None
    data = good.read_bytes()
    rng = random.Random(1)
    for i in range(60 if DEEP else 12):
        target = tmp_path / f"bad{i}"
        target.mkdir()
        path = target / "events.sqlite"
        if i % 2:
            path.write_bytes(data[: rng.randrange(len(data))])
        else:
            path.write_bytes(flip_bytes(data, rng, 1 + i))
        try:
            with SqliteEventLog(path) as log:
                _consume_log(log, TOPIC)
        except EventLogError as exc:
            assert_one_line_reason(exc.reason)


def test_regression_non_integer_event_ids_never_loop_the_pager(tmp_path: Path) -> None:
    """Found by this suite: a text/real/inf event_id made `iter_topic` re-read forever
    (the cursor went back to 0), and `_as_int(inf)` raised OverflowError."""
    odd_ids = ["x", "12", 1.5, float("inf"), b"\x01", None, "1e999"]
    rows = [(TOPIC, v, "k", GOOD_PAYLOAD, HDR, float("inf")) for v in odd_ids]
    rows += [(TOPIC, i, "k", GOOD_PAYLOAD, HDR, i) for i in range(1, 6)]
    path = _db(tmp_path, rows)
    with SqliteEventLog(path) as log:
        for page in (1, 2, 1024):
            got = [ev.event_id for ev in log.iter_topic(TOPIC, page=page)]
            assert got == [1, 2, 3, 4, 5]
        assert log.last_event_id(TOPIC) == 5
        tracker = sessions.RunSessionsTracker("run-1", ["s1"])
        tracker.poll(log)
        tracker.poll(log)
        assert [e.event_id for e in tracker.result()["s1"]] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("odd_type", [["tool_call"], {"k": "v"}, 7, None, True])
def test_regression_agent_event_type_that_is_not_a_string(odd_type: object, tmp_path: Path) -> None:
    """Found by the deep type-swap fuzz: an agent event whose `type` is a list made
    `sessions_for_run` raise TypeError (unhashable) in `_audit_run_id`."""
    from harn_tui.core.analysis.timeline import build_timeline

    lines = [orjson.loads(x) for x in _stream_lines()]
    for line in lines:
        line["event"]["payload"]["event"]["type"] = odd_type
    log, topic = _file_log(tmp_path, [orjson.dumps(x) for x in lines])
    _consume_log(log, topic)
    found = sessions.sessions_for_run(log, "run-1", ["s1"])
    assert len(found["s1"]) == len(lines)
    build_timeline(found["s1"])
