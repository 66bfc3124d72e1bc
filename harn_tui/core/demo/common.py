"""Shared vocabulary of the demo generators: workflows, ids, timestamps, prose and atomic writes."""

from __future__ import annotations

import os
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

BASE_MS = int(datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC).timestamp() * 1000)
TS_FORMATS = ("uuidv7", "rfc3339", "unix", "secs_millis", "unknown")
MODELS = ("claude-sonnet-4", "gpt-5-mini", "claude-haiku-4-5", "gpt-5")
PROVIDERS = {
    "claude-sonnet-4": "anthropic",
    "claude-haiku-4-5": "anthropic",
    "gpt-5-mini": "openai",
    "gpt-5": "openai",
}
PROVENANCE_SCHEMA = "harn-eventlog-provenance-v1"
HITL_QUESTIONS = "hitl.questions"
HITL_APPROVALS = "hitl.approvals"
HITL_ESCALATIONS = "hitl.escalations"
HITL_DUAL_CONTROL = "hitl.dual_control"
ACTION_GRAPH_TOPIC = "observability.action_graph"
LLM_TRANSCRIPT_TOPIC = "agent.transcript.llm"
AGENT_EVENTS_PREFIX = "observability.agent_events."

WORKFLOWS: dict[str, list[tuple[str, str]]] = {
    "deploy": [
        ("plan", "stage"),
        ("build", "execute"),
        ("test", "verify"),
        ("approve", "condition"),
        ("canary", "subagent"),
        ("deploy", "stage"),
        ("smoke", "verify"),
        ("report", "stage"),
    ],
    "review_captain": [
        ("fetch_pr", "stage"),
        ("triage_diff", "condition"),
        ("delegate", "subagent"),
        ("review", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
    "research": [
        ("plan", "stage"),
        ("research", "stage"),
        ("delegate", "subagent"),
        ("synthesize", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
    "merge_captain": [
        ("gate", "condition"),
        ("check_ci", "stage"),
        ("merge_plan", "stage"),
        ("act", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
    "triage": [
        ("classify", "condition"),
        ("research", "stage"),
        ("act", "stage"),
        ("verify", "verify"),
        ("report", "stage"),
    ],
}
TASKS = {
    "deploy": "Deploy api-gateway v2.14.0 to staging, run smoke tests and report",
    "review_captain": "Review PR #463: refactor event log compaction and add provenance checks",
    "research": "Collect the current state of OAuth device-flow support across our SDKs",
    "merge_captain": "Prepare a merge plan for PR #471 once CI is green and approvals are in",
    "triage": "Triage issue #1289: intermittent timeout in the sqlite event log reader",
}
ARTIFACT_KIND_BY_NODE = {
    "plan": "plan",
    "research": "summary",
    "synthesize": "summary",
    "act": "patch",
    "build": "command_result",
    "deploy": "command_result",
    "test": "test_result",
    "verify": "verification_result",
    "smoke": "verification_result",
    "review": "review_decision",
    "merge_plan": "plan",
    "report": "summary",
    "fetch_pr": "git_diff",
    "check_ci": "command_result",
    "notify": "worker_notification",
}
TOOLS = (
    ("read_file", "read"),
    ("search_code", "search"),
    ("run_command", "execute"),
    ("edit_file", "edit"),
    ("fetch_url", "fetch"),
    ("list_dir", "read"),
)
SKILLS = ("rust-debugging", "release-notes", "sqlite-tuning", "code-review")
ERRORS = (
    "provider timeout after 60000ms",
    "rate limited (429): retry after 2s",
    "tool execution failed: run_command exited with status 1",
    "schema validation failed: missing field `summary`",
)


def uuidv7(rng: random.Random, ms: int) -> str:
    """A UUIDv7 whose first 48 bits are ``ms`` (version 7, RFC 4122 variant)."""
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= rng.getrandbits(12) << 64
    value |= 0b10 << 62
    value |= rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def decode_uuidv7_ms(text: str) -> int:
    """Unix milliseconds encoded in a UUIDv7 string."""
    return int(text[0:8] + text[9:13], 16)


def rfc3339(ms: int) -> str:
    """RFC3339 UTC text; millis only when non-zero."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms % 1000:03d}Z" if ms % 1000 else f"{base}Z"


def unix_secs(ms: int) -> str:
    """Unix seconds as a decimal string (harn's historical ``now_rfc3339``)."""
    return str(ms // 1000)


def secs_millis(ms: int) -> str:
    """``"secs.millis"`` text used by the sidecar JSONL and daemon events."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def format_ts(rng: random.Random, ms: int, ts_format: str) -> str:
    """Format ``ms`` in one of :data:`TS_FORMATS`."""
    if ts_format == "uuidv7":
        return uuidv7(rng, ms)
    if ts_format == "rfc3339":
        return rfc3339(ms)
    if ts_format == "unix":
        return unix_secs(ms)
    if ts_format == "secs_millis":
        return secs_millis(ms)
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%a %b %d %H:%M:%S %Y")


def sanitize_topic_component(value: str) -> str:
    """Harn's per-character topic sanitization."""
    return "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in value)


def agent_events_topic(session_id: str) -> str:
    """Event-log topic holding a session's agent events."""
    return AGENT_EVENTS_PREFIX + sanitize_topic_component(session_id)


_SENTENCES = (
    "I read the failing test and the stack trace points at the reader loop.",
    "The sqlite reader pages by 256 rows and re-opens the connection on every poll.",
    "Let me check how the cursor is persisted between batches.",
    "The compaction path deletes rows with event_id <= before, so ids can start above 1.",
    "I will run the focused test suite before touching the retry policy.",
    "CI reports 3 failures in crates/harn-vm/tests/event_log.rs, all timeouts.",
    "The diff touches 4 files and adds a provenance hash check on append.",
    "Smoke tests passed against staging: 42 requests, p95 latency 180ms.",
    "The deploy manifest pins api-gateway to v2.14.0 and migrates one table.",
    "Reviewer asked for a rollback plan, which I have added to the report.",
    "No secrets or credentials appear in the changed files.",
    "The OAuth device flow is supported in the Rust and TypeScript SDKs only.",
    "Falling back to truncation because the summary model exceeded its budget.",
    "Verification failed: expected 0 failing tests, found 2.",
    "The worker finished and wrote its run record next to the parent run.",
    "Next I will summarize the findings and list open questions for the owner.",
)
_CODE = (
    "fn read_batch(&self, topic: &Topic, after: u64) -> Result<Vec<LogEvent>, LogError> {",
    "    let rows = stmt.query_map(params![topic.as_str(), after as i64, limit], decode)?;",
    "    for row in rows { events.push(row?); }",
    "test event_log::sqlite::reads_after_compaction ... FAILED",
    "error[E0308]: mismatched types: expected `u64`, found `i64`",
    "$ cargo test -p harn-vm event_log -- --nocapture",
    "   Compiling harn-vm v0.8.6 (/work/harn/crates/harn-vm)",
    "    Finished `test` profile [unoptimized + debuginfo] target(s) in 41.27s",
)
_POOL: str | None = None
_SYS_RNG = random.SystemRandom()


def _pool() -> str:
    global _POOL
    if _POOL is None:
        prng = random.Random(0xC0FFEE)
        parts: list[str] = []
        size = 0
        while size < 300_000:
            if prng.random() < 0.25:
                chunk = "\n".join(prng.choice(_CODE) for _ in range(prng.randint(2, 6))) + "\n"
            else:
                chunk = " ".join(prng.choice(_SENTENCES) for _ in range(prng.randint(2, 5)))
                chunk += "\n\n"
            parts.append(chunk)
            size += len(chunk)
        _POOL = "".join(parts)
    return _POOL


def text(rng: random.Random, n_chars: int) -> str:
    """Realistic prose/code text of about ``n_chars`` characters."""
    pool = _pool()
    n_chars = max(1, min(n_chars, len(pool) - 1))
    start = rng.randrange(0, len(pool) - n_chars)
    while start > 0 and pool[start - 1] not in " \n":
        start -= 1
    return pool[start : start + n_chars].strip() or "ok"


def sentence(rng: random.Random) -> str:
    return rng.choice(_SENTENCES)


def dumps_pretty(obj: Any) -> bytes:
    """Harn-style pretty JSON (2-space indent, trailing newline)."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Harn 0.8.x atomic write: hidden ``.<name>.<uuid>.tmp``, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuidv7(_SYS_RNG, time.time_ns() // 1_000_000)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def atomic_write_json(path: Path, obj: Any) -> None:
    """Pretty-print ``obj`` and write it atomically (harn 0.8.x style)."""
    atomic_write_bytes(Path(path), dumps_pretty(obj))
