"""Fuzzing run records: every result is a clean load or a one-line LoadError reason.

Covers: truncation of the real Harn examples at EVERY byte offset and of a generated full
record at sampled offsets (every offset under --deep), random byte flips (hypothesis),
type swaps at every field path of a generated record, huge values, nesting to and past
orjson's depth limit, invalid UTF-8, BOMs, NaN/Infinity literals and duplicate keys.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
import pytest
from hostiletools import (
    DEEP,
    EXAMPLES,
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
from harn_tui.core.analysis.report import render_text
from harn_tui.core.demo.records import make_run
from harn_tui.core.format.errors import LoadError
from harn_tui.core.format.jsonload import decode_json
from harn_tui.core.format.normalize import load_run
from harn_tui.core.index.discovery import stat_file
from harn_tui.core.index.run_index import load_summary
from harn_tui.core.index.summary import RunSummary

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def check_file(path: Path, *, full: bool = True) -> tuple[RunSummary | None, str | None]:
    """Summary + full load (+ the `show --json` document) of one file; never an exception."""
    summary = load_summary(stat_file(path, path.name))
    if summary is not None and summary.broken:
        assert_one_line_reason(summary.error)
    reason = None
    if full:
        try:
            detail = load_run(path)
            as_json(detail.to_json())
            render_text(detail)
        except LoadError as exc:
            reason = exc.reason
            assert_one_line_reason(reason)
    return summary, reason


def as_json(value: object) -> bytes:
    """What `show --json` prints (orjson, or the deep fallback past its 255 levels)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str)
    except TypeError:
        return _dumps_deep(value)


def generated_record(seed: int = 1, n_stages: int = 2) -> dict:
    return make_run(
        random.Random(seed), run_id="run-fuzz", workflow="fuzz", started_ms=1_776_945_600_000,
        n_stages=n_stages, status="failed", ts_format="uuidv7", with_children=1, hitl=1,
        compactions=1,
    )


@pytest.fixture(scope="module")
def record() -> dict:
    return generated_record()


def test_real_examples_are_read_as_they_are() -> None:
    assert len(EXAMPLE_FILES) == 3
    for path in EXAMPLE_FILES:
        summary, reason = check_file(path)
        assert reason is None and summary is not None and not summary.broken


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_truncation_of_a_real_record_at_every_byte_offset(example: Path, tmp_path: Path) -> None:
    data = example.read_bytes()
    target = tmp_path / "cut.json"
    outcomes = set()
    for n in range(len(data) + 1):
        target.write_bytes(data[:n])
        summary, reason = check_file(target)
        if n == len(data):
            assert reason is None
        elif data[:n].strip() and n < len(data.rstrip()):
            # every strict prefix of a JSON object is invalid and must say so in one line
            assert reason is not None, f"prefix of {n} bytes loaded"
            assert summary is not None and summary.broken
        outcomes.add((reason or "ok").split(" (")[0])
    assert outcomes <= {"ok", "empty file", "truncated JSON"}, outcomes


def test_truncation_of_a_generated_full_record(record: dict, tmp_path: Path) -> None:
    data = json.dumps(record, indent=2).encode()
    target = tmp_path / "cut.json"
    rng = random.Random(5)
    offsets = range(len(data)) if DEEP else sorted({*rng.sample(range(len(data)), 150), 0, 1, len(data) - 1})
    for n in offsets:
        target.write_bytes(data[:n])
        summary, _reason = check_file(target, full=(n % 3 == 0) or DEEP)
        assert summary is not None and summary.broken
        assert_one_line_reason(summary.error)


@settings(settings.get_profile("hostile"))
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 12), which=st.integers(0, 3))
def test_random_byte_flips(seed: int, count: int, which: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    sources = [p.read_bytes() for p in EXAMPLE_FILES]
    sources.append(json.dumps(generated_record(n_stages=1)).encode())
    data = flip_bytes(sources[which], random.Random(seed), count)
    target = tmp_path_factory.mktemp("flip") / "flip.json"
    target.write_bytes(data)
    check_file(target)


def test_type_swaps_at_every_field_path(record: dict, tmp_path: Path) -> None:
    paths = [p for p in field_paths(record)[1:] if p != ("_type",)]
    target = tmp_path / "swap.json"
    rounds = 4 if DEEP else 1
    assert len(paths) > 300
    for n, path in enumerate(paths):
        for r in range(rounds):
            old = record
            for step in path:
                old = old[step]
            doc = with_value(record, path, swap_for(old, n + r))
            target.write_bytes(orjson.dumps(doc))
            summary, reason = check_file(target, full=DEEP or n % 4 == 0)
            # a record with one odd field still loads (never broken for a type swap)
            assert reason is None, (path, reason)
            assert summary is not None and not summary.broken, (path, summary.error)


@pytest.mark.parametrize("swap", [None, "", 0, 1.5, [], {}, True, "x" * 50])
def test_top_level_identity_fields_swapped(swap: object, record: dict, tmp_path: Path) -> None:
    target = tmp_path / "ids.json"
    for key in ("id", "workflow_id", "workflow_name", "status", "started_at", "stages", "task"):
        target.write_bytes(orjson.dumps({**record, key: swap}))
        check_file(target)


def test_huge_values(record: dict, tmp_path: Path) -> None:
    target = tmp_path / "huge.json"
    big = "x" * (20_000_000 if DEEP else 2_000_000)
    cases = {
        "task": big,
        "workflow_name": big,
        "status": big,
        "id": big,
        "started_at": big,
        "stages": [record["stages"][0]] * (5000 if DEEP else 500),
        "metadata": {f"k{i}": i for i in range(50_000)},
    }
    for key, value in cases.items():
        target.write_bytes(orjson.dumps({**record, key: value}))
        summary, reason = check_file(target)
        assert reason is None and summary is not None and not summary.broken, key
    for text in ("1" + "0" * 400, "1e999", "-1e999", "123456789012345678901234567890"):
        target.write_text(json.dumps(record)[:-1] + f', "usage_big": {text}, "x": {text}' + "}")
        check_file(target)
        target.write_text(json.dumps({**record, "usage": None})[:-1] + f', "started_at": {text}' + "}")
        check_file(target)


@pytest.mark.parametrize("depth", [10, 500, 1000, 1022, 1023, 1024, 1025, 5000, 100_000])
@pytest.mark.parametrize("kind", ["list", "dict"])
def test_nesting_to_and_past_the_parser_limit(depth: int, kind: str, record: dict, tmp_path: Path) -> None:
    target = tmp_path / "deep.json"
    # nested inside the run's metadata (record depth 1 + metadata 1) and in a stage transcript
    for placeholder_at in ("metadata", "stage"):
        doc = dict(record)
        if placeholder_at == "metadata":
            doc["metadata"] = {"deep": "@@"}
            used = 2
        else:
            stage = dict(record["stages"][0])
            stage["transcript"] = {"messages": [{"role": "user", "content": "@@"}]}
            doc["stages"] = [stage]
            used = 6
        text = json.dumps(doc).replace('"@@"', nested(max(depth - used, 1), kind))
        target.write_text(text)
        _summary, reason = check_file(target)
        if depth > 1025:  # past orjson's 1024 levels (give or take the wrapper)
            assert reason is not None and "nesting too deep" in reason
    # bare nesting, no record around it
    target.write_text(nested(depth, kind))
    check_file(target)


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        (b'{"_type":"run_record","id":"a","workflow_id":"w","task":"caf\xe9 \xff\xfe"}', "invalid UTF-8"),
        (b'{"_type":"run_record","id":"\xed\xa0\x80"}', "invalid UTF-8"),
        (b'{"_type":"run_record","id":"a\\ud800b","workflow_id":"w"}', "invalid JSON"),
        (b"\xef\xbb\xbf" + b'{"_type":"run_record","id":"bom","workflow_id":"w"}', None),
        (b"\xef\xbb\xbf\xef\xbb\xbf{}", "invalid JSON"),
        (b'\xff\xfe{\x00"\x00}\x00', "binary"),
        (b'\xfe\xff\x00{\x00}', "binary"),
        (b'{"_type":"run_record","id":"n","workflow_id":"w","usage":{"input_tokens":NaN}}', "invalid JSON"),
        (b'{"_type":"run_record","id":"n","workflow_id":"w","x":Infinity}', "invalid JSON"),
        (b'{"_type":"run_record","id":"n","workflow_id":"w","x":-Infinity}', "invalid JSON"),
        (b'{"_type":"run_record","id":"d","id":"dup","workflow_id":"w","stages":[],"stages":{}}', None),
        (b'{"_type":"run_record","_type":"other"}', None),  # named: loads (Harn checks no _type)
        (b"\x00" * 64, "binary"),
        (b"   \n\t ", "empty"),
        (b"", "empty"),
        (b"[]", "not an object"),
        (b'"run_record"', "not an object"),
        (b"null", "not an object"),
        (b'{"_type":"run_record"}garbage', "invalid JSON"),
    ],
)
def test_encoding_and_literal_oddities(data: bytes, expect: str | None, tmp_path: Path) -> None:
    target = tmp_path / "odd.json"
    target.write_bytes(data)
    _summary, reason = check_file(target)
    if expect is None:
        assert reason is None
    else:
        assert reason is not None and expect in reason, reason


def test_decode_json_reasons_are_one_line_for_arbitrary_bytes() -> None:
    rng = random.Random(11)
    for _ in range(3000 if DEEP else 300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        try:
            decode_json(data)
        except LoadError as exc:
            assert_one_line_reason(exc.reason)


@settings(settings.get_profile("hostile"))
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
))
def test_arbitrary_json_in_any_top_level_field(value: object) -> None:
    """Any JSON value in any record key normalizes, summarizes and serializes."""
    from harn_tui.core.format.normalize import normalize_record
    from harn_tui.core.index.summary import summarize

    base = {"_type": "run_record", "id": "h", "workflow_id": "w"}
    for key in ("stages", "transcript", "usage", "child_runs", "hitl_questions", "metadata",
                "trace_spans", "artifacts", "policy", "execution", "replay_fixture"):
        doc = {**base, key: value}
        normalized = normalize_record(dict(doc))
        as_json(normalized)
        summarize(doc, "h.json")
