"""The `<stem>-llm/llm_transcript.jsonl` sidecar (spec §1.2, §3.3): model turns, daemon events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.format.normalize import load_run
from harn_tui.core.format.sidecar import (
    daemon_events,
    iter_jsonl,
    model_turns,
    read_sidecar,
    sidecar_path,
)

# The spec's example lines, verbatim (§3.3).
SPEC_LINES = """\
{"type":"system_prompt","timestamp":"1714460000.120","span_id":3,"hash":1234,"content":"Be helpful"}
{"type":"message","timestamp":"1714460000.121","span_id":3,"iteration":1,"role":"user","content":"Do X","tool_calls":null,"tool_call_id":null,"name":null}
{"type":"provider_call_request","call_id":"call-1","iteration":1,"model":"mock","provider":"mock","timestamp":"1714460000.122","span_id":4}
{"type":"provider_call_response","call_id":"call-1","iteration":1,"model":"mock","text":"Done","input_tokens":10,"output_tokens":4,"tool_calls":[{"name":"read"}],"timestamp":"1714460001.010","span_id":4}
{"type":"daemon_event","timestamp":"1710000000.100","daemon_id":"daemon-1","name":"reviewer","kind":"spawned","persist_path":".harn/daemons/reviewer","payload_summary":"always-on reviewer"}
"""


def lines_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def msg(role: str, content: Any, iteration: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "iteration": iteration, "role": role, "content": content, **extra}


def request(call_id: Any, iteration: int = 1, **extra: Any) -> dict[str, Any]:
    out = {"type": "provider_call_request", "call_id": call_id, "iteration": iteration}
    out.update(extra)
    return out


def response(call_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "provider_call_response", "call_id": call_id, **extra}


def write_lines(path: Path, lines: list[dict[str, Any]], tail: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    path.write_bytes(body + tail)


# -- path naming -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("run.json", "run-llm"),
        ("abc.run.json", "abc.run-llm"),
        ("0196a0c2-5b1e-7000-8000-000000000000.json", "0196a0c2-5b1e-7000-8000-000000000000-llm"),
        ("portal-success.json", "portal-success-llm"),
    ],
)
def test_sidecar_path_uses_name_minus_last_extension(name: str, folder: str) -> None:
    root = Path("/runs/playground/job-1")
    assert sidecar_path(root / name) == root / folder / "llm_transcript.jsonl"


# -- model turns from the spec's lines ---------------------------------------------------------


def test_spec_example_gives_one_turn() -> None:
    turns = model_turns(lines_of(SPEC_LINES))
    assert len(turns) == 1
    turn = turns[0]
    assert turn["call_id"] == "call-1"
    assert turn["call_index"] == 1
    assert turn["model"] == "mock" and turn["provider"] == "mock"
    assert turn["iteration"] == 1
    assert turn["span_id"] == 4
    assert turn["system_prompt"] == "Be helpful"
    assert turn["kept_messages"] == 0
    assert turn["added_messages"] == 1
    assert turn["total_messages"] == 1
    assert [m["content"] for m in turn["messages_added"]] == ["Do X"]
    assert turn["messages_added"][0]["role"] == "user"
    assert turn["input_tokens"] == 10 and turn["output_tokens"] == 4
    assert turn["response_text"] == "Done"
    assert turn["tool_calls"] == ["read"]
    assert turn["response_tool_calls"] == [{"name": "read"}]
    assert turn["answered"] is True
    assert turn["summary"] == "kept 0 messages, added 1, then asked for read"


def test_added_messages_counted_per_request() -> None:
    lines = [
        {"type": "system_prompt", "content": "first prompt"},
        msg("user", "one"),
        request("c1", model="m1", provider="p"),
        response("c1", text="reply one", input_tokens="12", output_tokens=3.0),
        msg("assistant", "reply one"),
        msg("user", "two", iteration=2),
        {"type": "system_prompt", "content": "second prompt"},
        {"type": "tool_schemas", "schemas": [{"name": "read"}, {"name": "write"}, "junk"]},
        request("c2", iteration=2, model="m2"),
        response("c2", text="reply two", thinking="hmm", thinking_summary="thought"),
    ]
    first, second = model_turns(lines)
    assert (first["kept_messages"], first["added_messages"], first["total_messages"]) == (0, 1, 1)
    assert (second["kept_messages"], second["added_messages"], second["total_messages"]) == (
        1,
        2,
        3,
    )
    assert [m["content"] for m in second["messages_added"]] == ["reply one", "two"]
    assert first["system_prompt"] == "first prompt"
    assert second["system_prompt"] == "second prompt"
    assert first["tool_calls"] == []
    assert second["tool_calls"] == ["read", "write"]
    assert second["iteration"] == 2 and second["call_index"] == 2
    assert (first["input_tokens"], first["output_tokens"]) == (12, 3)
    assert first["summary"] == "kept 0 messages, added 1, then replied in text"
    assert second["thinking"] == "hmm" and second["thinking_summary"] == "thought"
    # portal/transcript.rs names the last tool whenever the turn has tool calls, and a turn
    # that replied in text still carries the offered schemas (Harn's rule, not "it called one")
    assert second["summary"] == "kept 1 messages, added 2, then asked for write"
    assert second["response_text"] == "reply two"


def test_response_tool_call_names_replace_schema_names() -> None:
    lines = [
        {"type": "tool_schemas", "schemas": [{"name": "read"}, {"name": "write"}]},
        request("c1"),
        response("c1", tool_calls=[{"name": "write", "arguments": {}}]),
    ]
    (turn,) = model_turns(lines)
    assert turn["tool_calls"] == ["write"]
    assert turn["summary"].endswith("then asked for write")


def test_unanswered_request_waits() -> None:
    (turn,) = model_turns([msg("user", "x"), request("c1", model="m")])
    assert turn["answered"] is False
    assert turn["input_tokens"] is None and turn["response_text"] is None
    assert turn["summary"] == "Waiting for model response"  # portal/transcript.rs


@pytest.mark.parametrize("call_id", [None, "", [], {}])
def test_request_without_call_id_is_ignored(call_id: Any) -> None:
    lines = [
        msg("user", "a"),
        request(call_id),
        msg("user", "b"),
        request("c1"),
        response("c1", text="ok"),
    ]
    turns = model_turns(lines)
    assert [t["call_id"] for t in turns] == ["c1"]
    # the ignored request did not reset the "added" window
    assert turns[0]["added_messages"] == 2


def test_response_for_unknown_call_is_ignored() -> None:
    turns = model_turns([request("c1"), response("other", text="x", input_tokens=5)])
    assert turns[0]["answered"] is False
    assert turns[0]["input_tokens"] is None


def test_response_fills_missing_model_and_provider() -> None:
    (turn,) = model_turns([request("c1"), response("c1", model="late", provider="prov")])
    assert turn["model"] == "late" and turn["provider"] == "prov"


def test_unknown_line_types_are_ignored() -> None:
    lines = [
        {"type": "routing_decision", "call_id": "c1", "selected_model": "x"},
        {"type": "brand_new_kind", "call_id": "c9"},
        {"no_type": True},
        msg("user", "a"),
        {"type": "interpreted_response", "call_id": "c1"},
        request("c1"),
        {"type": "feedback_injected", "content": "nudge"},
        response("c1", text="done"),
    ]
    (turn,) = model_turns(lines)
    assert turn["added_messages"] == 1
    assert turn["response_text"] == "done"


def test_message_defaults() -> None:
    (turn,) = model_turns([{"type": "message", "content": None}, request("c1")])
    added = turn["messages_added"][0]
    assert added["role"] == "user" and added["content"] == ""


# -- reading the file: bad lines and half-written tail ----------------------------------------------


def test_read_sidecar_skips_and_counts_unparseable_middle_line(tmp_path: Path) -> None:
    path = tmp_path / "llm_transcript.jsonl"
    good = lines_of(SPEC_LINES)
    body = "\n".join(json.dumps(line) for line in good[:2])
    body += '\n{"type": "message", "content": BROKEN\n\n   \n'
    body += "\n".join(json.dumps(line) for line in good[2:]) + "\n"
    path.write_text(body)
    read = read_sidecar(path)
    assert read.skipped == 1
    assert read.partial_tail is False
    assert len(read.lines) == len(good)
    assert len(model_turns(read.lines)) == 1
    assert read.lines == good


def test_read_sidecar_drops_half_written_last_line(tmp_path: Path) -> None:
    path = tmp_path / "llm_transcript.jsonl"
    good = lines_of(SPEC_LINES)
    write_lines(path, good, tail=b'{"type":"provider_call_request","call_id":"call-2","it')
    read = read_sidecar(path)
    assert read.partial_tail is True
    assert read.skipped == 0
    assert read.lines == good
    assert [t["call_id"] for t in model_turns(read.lines)] == ["call-1"]


def test_complete_unterminated_last_line_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "llm_transcript.jsonl"
    path.write_bytes(b'{"type":"message","content":"a"}\n{"type":"message","content":"b"}')
    read = read_sidecar(path)
    assert [line["content"] for line in read.lines] == ["a", "b"]
    assert read.partial_tail is False


def test_non_object_lines_count_as_skipped(tmp_path: Path) -> None:
    path = tmp_path / "llm_transcript.jsonl"
    path.write_bytes(b'[1,2]\n"text"\n{"type":"message"}\n')
    read = read_sidecar(path)
    assert read.skipped == 2
    assert len(read.lines) == 1


def test_missing_sidecar_is_empty(tmp_path: Path) -> None:
    read = read_sidecar(tmp_path / "nope" / "llm_transcript.jsonl")
    assert read.lines == [] and read.skipped == 0 and read.error is None


def test_unreadable_sidecar_reports_error(tmp_path: Path) -> None:
    folder = tmp_path / "llm_transcript.jsonl"
    folder.mkdir()  # a directory where the file should be
    read = read_sidecar(folder)
    assert read.lines == []
    assert read.error and read.error.startswith("cannot read sidecar")


def test_iter_jsonl_marks_only_last_unterminated_line() -> None:
    items = list(iter_jsonl(b'{"a":1}\nxx\n{"b":'))
    assert items == [({"a": 1}, False), (None, False), (None, True)]


# -- daemon events ----------------------------------------------------------------------------------


def test_daemon_events_from_spec_line() -> None:
    events = daemon_events(lines_of(SPEC_LINES))
    assert events == [
        {
            "daemon_id": "daemon-1",
            "name": "reviewer",
            "kind": "spawned",
            "timestamp": "1710000000.100",
            "persist_path": ".harn/daemons/reviewer",
            "payload_summary": "always-on reviewer",
        }
    ]


def test_daemon_event_defaults_and_extra_keys_dropped() -> None:
    events = daemon_events(
        [
            {"type": "daemon_event", "daemon_id": "d2", "span_id": 9, "extra": 1},
            {"type": "daemon_event", "daemon_id": "d3", "kind": "resumed", "name": 5},
            {"type": "message", "daemon_id": "not-a-daemon"},
        ]
    )
    assert [e["daemon_id"] for e in events] == ["d2", "d3"]
    first, second = events
    assert first["kind"] == "spawned"  # default kind
    assert first["payload_summary"] is None and first["timestamp"] == ""
    assert "span_id" not in first and "type" not in first and "extra" not in first
    assert second["kind"] == "resumed" and second["name"] == "5"


# -- through load_run -------------------------------------------------------------------------------


def test_load_run_reads_sidecar_next_to_run_file(tmp_path: Path) -> None:
    run_file = tmp_path / "abc.run.json"
    run_file.write_text(json.dumps({"_type": "run_record", "id": "r", "workflow_id": "w"}))
    sidecar = tmp_path / "abc.run-llm" / "llm_transcript.jsonl"
    sidecar.parent.mkdir()
    spec = SPEC_LINES.splitlines(keepends=True)
    # an unparseable line in the middle, and a half-written line at the end
    sidecar.write_text("".join(spec[:2]) + "not json\n" + "".join(spec[2:]) + '{"type":"mess')
    detail = load_run(run_file, root=tmp_path)
    assert detail.sidecar == sidecar
    assert detail.sidecar_available is True
    assert [t["call_id"] for t in detail.model_turns] == ["call-1"]
    assert detail.model_turns[0]["added_messages"] == 1
    assert [d["daemon_id"] for d in detail.daemon_events] == ["daemon-1"]
    assert detail.normalized["observability"]["daemon_events"] == detail.daemon_events
    assert detail.sidecar_note == "1 sidecar line(s) could not be parsed"
    pointer = detail.normalized["observability"]["transcript_pointers"][-1]
    assert pointer["id"] == "run:llm_transcript"
    assert pointer["path"] == str(sidecar) and pointer["available"] is True
    doc = detail.to_json()
    assert doc["model_turns"][0]["response_text"] == "Done"
    assert doc["daemon_events"][0]["name"] == "reviewer"


def test_sidecar_of_another_run_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"_type": "run_record", "id": "r"}))
    other = tmp_path / "other-llm" / "llm_transcript.jsonl"
    write_lines(other, lines_of(SPEC_LINES))
    detail = load_run(tmp_path / "run.json")
    assert detail.model_turns == [] and detail.daemon_events == []
    assert detail.sidecar_available is False


def test_provider_raw_capture_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # crates/harn-cli/tests/fixtures/prefix_stability/stable-agent-loop (8cfd9b36), verbatim
    import json
    import shutil
    from pathlib import Path

    from harn_tui.core.format.normalize import load_run

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "harn" / "more" / "later-prefix"
    shutil.copytree(fixture, tmp_path / "root")
    run = tmp_path / "root" / "stable-agent-loop.json"
    run.write_text("{}")
    detail = load_run(run)
    captures = detail.raw_captures
    assert [c["path"] for c in captures] == [f"raw-provider/turn-{i}-request.json" for i in range(3)]
    assert {c["capture"] for c in captures} == {"request"}
    folder = tmp_path / "root" / "stable-agent-loop-llm"
    assert captures[0]["file"] == str(folder / "raw-provider" / "turn-0-request.json")
    assert detail.to_json()["raw_captures"] == captures
    # a capture naming its call id goes with that model turn; a path leaving the folder is not opened
    lines = [
        {"type": "provider_call_request", "call_id": "c1", "model": "m"},
        {"type": "provider_raw_capture", "call_id": "c1", "iteration": 1, "attempt": 2,
         "provider": "p", "model": "m", "capture": "response", "path": "raw-provider/c1.json"},
        {"type": "provider_raw_capture", "call_id": "c1", "capture": "request", "path": "../../etc/passwd"},
    ]  # fmt: skip
    sidecar = folder / "llm_transcript.jsonl"
    sidecar.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    detail = load_run(run)
    (turn,) = detail.model_turns
    assert [c["capture"] for c in turn["raw_captures"]] == ["response", "request"]
    assert turn["raw_captures"][0]["attempt"] == 2
    assert turn["raw_captures"][0]["file"] == str(folder / "raw-provider" / "c1.json")
    assert turn["raw_captures"][1]["file"] is None
# -- large sidecars: line-offset index, messages read on demand -------------------------------


def _conversation(n: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [{"type": "system_prompt", "content": "sys"}]
    for i in range(n):
        lines.append(msg("user", f"question {i} " + "é" * (i % 7), iteration=i, name=f"n{i}"))
        lines.append(msg("tool", {"parts": [i]}, iteration=i, tool_call_id=f"t{i}"))
        lines.append(request(f"c{i}", iteration=i, model="m"))
        if i % 3:
            lines.append(response(f"c{i}", text=f"answer {i}", input_tokens=i))
    return lines


@pytest.mark.parametrize("tail", [b"", b'{"type":"mess', b"not json\n"])
def test_indexed_sidecar_gives_the_same_turns_as_a_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: bytes
) -> None:
    from harn_tui.core.format import sidecar as sc

    path = tmp_path / "run-llm" / "llm_transcript.jsonl"
    lines = [*_conversation(40), lines_of(SPEC_LINES)[-1]]
    write_lines(path, lines, tail)
    whole = read_sidecar(path)
    monkeypatch.setattr(sc, "LAZY_BYTES", 0)
    indexed = sc.load_sidecar(path)
    assert isinstance(indexed.model_turns[5]["messages_added"], sc.SidecarMessages)
    assert indexed.model_turns == model_turns(whole.lines)
    assert indexed.daemon_events == daemon_events(whole.lines)
    assert (indexed.skipped, indexed.partial_tail) == (whole.skipped, whole.partial_tail)
    added = indexed.model_turns[3]["messages_added"]
    assert added[-1] == added[1] and added[0]["name"] == "n3" and added[:1] == [added[0]]
    with pytest.raises(IndexError):
        added[2]


def test_indexed_sidecar_keeps_messages_on_disk_not_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Message lines are re-read when shown: replacing the file on disk does not change them
    (the index pins the version it read), and nothing of their content is held meanwhile."""
    from harn_tui.core.format import sidecar as sc

    path = tmp_path / "run-llm" / "llm_transcript.jsonl"
    write_lines(path, _conversation(5))
    monkeypatch.setattr(sc, "LAZY_BYTES", 0)
    turns = sc.load_sidecar(path).model_turns
    reads: list[int] = []
    real = sc.os.pread
    monkeypatch.setattr(sc.os, "pread", lambda fd, n, at: reads.append(at) or real(fd, n, at))
    replaced = path.with_suffix(".new")
    write_lines(replaced, [msg("user", "other")] * 20)
    replaced.replace(path)
    assert reads == []
    assert [m["content"] for m in turns[2]["messages_added"]] == ["question 2 éé", {"parts": [2]}]
    assert len(reads) == 2


def test_show_json_of_an_indexed_sidecar_lists_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orjson

    from harn_tui.core.format import sidecar as sc

    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps({"_type": "run_record", "id": "r", "workflow_id": "w"}))
    write_lines(tmp_path / "run-llm" / "llm_transcript.jsonl", _conversation(3))
    monkeypatch.setattr(sc, "LAZY_BYTES", 0)
    doc = orjson.loads(orjson.dumps(load_run(run_file).to_json()))
    assert doc["model_turns"][1]["messages_added"][0]["content"] == "question 1 é"


@pytest.mark.parametrize("tail", [b"", b"\n", b'{"type": "x", "te'])
def test_both_readers_read_the_same_lines_whatever_the_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: bytes
) -> None:
    from harn_tui.core.format import sidecar as sc

    path = tmp_path / "run-llm" / "llm_transcript.jsonl"
    write_lines(path, [*_conversation(12), lines_of(SPEC_LINES)[-1]], tail)
    whole, loaded = read_sidecar(path), sc.load_sidecar(path)
    monkeypatch.setattr(sc, "LAZY_BYTES", 0)
    monkeypatch.setattr(sc, "CHUNK_BYTES", 7)
    small = read_sidecar(path)
    assert (small.lines, small.skipped, small.partial_tail) == (
        whole.lines, whole.skipped, whole.partial_tail)
    indexed = sc.load_sidecar(path)  # message lines re-read from their recorded offsets
    assert indexed.model_turns == loaded.model_turns == model_turns(whole.lines)
    assert indexed.daemon_events == loaded.daemon_events
    assert (indexed.skipped, indexed.partial_tail) == (loaded.skipped, loaded.partial_tail)
