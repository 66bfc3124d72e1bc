"""`RunSummary`: the small per-file row the run list and `ls` are built from."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

import orjson

from harn_tui.core.format import derive
from harn_tui.core.format.llm_usage import llm_rows
from harn_tui.core.index.listing import ENTRY_LEN, FIELDS, SUMMARY_VERSION, Listed

__all__ = ["ENTRY_LEN", "FIELDS", "SUMMARY_VERSION", "Listed", "RunSummary", "broken", "listing_entry", "summarize"]
from harn_tui.core.format.schema import str_list, to_str
from harn_tui.core.format.textsafe import utf8_clean
from harn_tui.core.format.timestamps import parse_ms

TASK_PREVIEW_CHARS = 240


@dataclass(slots=True)
class RunSummary:
    """One discovered run file: enough to list, sort, filter and search it."""

    path: str
    id: str = ""
    workflow_id: str = ""
    workflow_name: str = ""
    status: str = ""
    started_at: str = ""
    started_at_ms: int | None = None
    finished_at: str | None = None
    finished_at_ms: int | None = None
    duration_ms: int | None = None
    stage_count: int = 0
    child_run_count: int = 0
    hitl_question_count: int = 0
    failure: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    status_group: str = "active"
    last_node_id: str | None = None
    task: str = ""
    parent_run_id: str | None = None
    root_run_id: str | None = None
    pending_node_count: int = 0
    skills: list[str] = field(default_factory=list)
    hitl_request_ids: list[str] = field(default_factory=list)
    session_ids: list[str] = field(default_factory=list)
    size: int = 0
    mtime_ns: int = 0

    @property
    def broken(self) -> bool:
        return self.error is not None

    @property
    def input_tokens(self) -> int:
        return int(self.usage.get("input_tokens", 0) or 0)

    @property
    def output_tokens(self) -> int:
        return int(self.usage.get("output_tokens", 0) or 0)

    @property
    def cost_usd(self) -> float:
        """What the run cost: its `llm_call` spans, else its usage (see `core.costs`); a
        summary built without those rows says its usage's `total_cost`."""
        rows = self.usage.get("llm")
        if rows is None:
            return float(self.usage.get("total_cost") or 0.0)
        return sum(row[5] for row in rows if len(row) == 6)

    @property
    def models(self) -> list[str]:
        return list(self.usage.get("models") or [])

    def search_text(self) -> str:
        """What `-q` matches: workflow, status, path, last node, failure, models (lowercase)."""
        return " ".join(
            (
                self.workflow_name,
                self.status,
                self.path,
                self.last_node_id or "",
                self.failure or "",
                " ".join(self.models),
                self.error or "",
            )
        ).lower()

    def to_doc(self) -> bytes:
        """The summary as one compact JSON object (what `ls --json` prints per run).

        A file name's bytes that are not UTF-8 (surrogates in `path`) cannot be JSON: the
        document shows U+FFFD in their place, and the index keeps the real path beside it
        (`from_doc(doc, path)`)."""
        values = dict(zip(FIELDS, _getter(self), strict=True))
        try:
            return orjson.dumps(values)
        except TypeError:
            values["path"] = utf8_clean(self.path)
            return orjson.dumps(values)

    @classmethod
    def from_doc(cls, doc: bytes | str, path: str | None = None) -> RunSummary:
        """The summary a document holds; `path`, when given, is the file's real one."""
        summary = cls(**orjson.loads(doc))
        if path is not None and summary.path != path:
            summary.path = path
        return summary

    @classmethod
    def of_row(cls, row: Listed) -> RunSummary:
        """The summary of a listing row, with the row's real path (see `to_doc`)."""
        return cls.from_doc(row.doc, row.path)

    def listing(self) -> Listed:
        """The light listing row (sort and filter keys plus the JSON document)."""
        return Listed(self.path, self.mtime_ns, *listing_entry(self)[:-1], self.to_doc())


if tuple(f.name for f in fields(RunSummary)) != FIELDS:  # pragma: no cover - a dev error
    raise RuntimeError("harn_tui.core.index.listing.FIELDS is out of date with RunSummary")
_getter = attrgetter(*FIELDS)


def listing_entry(s: RunSummary) -> list[Any]:
    """What the cache keeps per run (the `Listed` fields after path and mtime)."""
    return [
        s.started_at_ms,
        s.duration_ms,
        s.status_group,
        s.workflow_name,
        s.id,
        s.search_text(),
        s.hitl_request_ids,
        s.error is not None,
        s.to_doc(),
    ]


def summarize(run: dict[str, Any], path: str, size: int = 0, mtime_ns: int = 0) -> RunSummary:
    """Build the summary of one parsed run record (raw dict from disk)."""
    started = to_str(run.get("started_at"))
    finished_raw = run.get("finished_at")
    finished = None if finished_raw is None else to_str(finished_raw)
    status = to_str(run.get("status"))
    workflow_id = to_str(run.get("workflow_id"))
    workflow_name = run.get("workflow_name")
    name = to_str(workflow_name) if workflow_name is not None else ""
    stored_hitl = [to_str(q.get("request_id")) for q in derive.dicts(run.get("hitl_questions"))]
    return RunSummary(
        path=path,
        id=to_str(run.get("id")),
        workflow_id=workflow_id,
        workflow_name=name or workflow_id,
        status=status,
        started_at=started,
        started_at_ms=parse_ms(started),
        finished_at=finished,
        finished_at_ms=parse_ms(finished),
        duration_ms=derive.run_duration_ms(run),
        stage_count=len(derive.dicts(run.get("stages"))),
        child_run_count=len(derive.worker_ids(run)),
        hitl_question_count=len(set(stored_hitl)),
        failure=derive.failure_summary(run),
        usage=_usage_summary(run),
        error=None,
        status_group=derive.status_group(status),
        last_node_id=derive.last_node_id(run),
        task=to_str(run.get("task"))[:TASK_PREVIEW_CHARS],
        parent_run_id=_opt_str(run.get("parent_run_id")),
        root_run_id=_opt_str(run.get("root_run_id")),
        pending_node_count=len(str_list(run.get("pending_nodes"))),
        skills=derive.skill_names(run),
        hitl_request_ids=sorted(set(stored_hitl)),
        session_ids=derive.linked_session_ids(run),
        size=size,
        mtime_ns=mtime_ns,
    )


def broken(path: str, reason: str, size: int = 0, mtime_ns: int = 0) -> RunSummary:
    """The row for a file that could not be loaded."""
    return RunSummary(
        path=path,
        error=reason,
        status="",
        status_group="broken",
        size=size,
        mtime_ns=mtime_ns,
        usage=_empty_usage(),
    )


def _usage_summary(run: dict[str, Any]) -> dict[str, Any]:
    usage = derive.usage_of(run)
    return {
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "call_count": usage["call_count"],
        "models": usage["models"],
        "total_cost": usage["total_cost"],
        "llm": llm_rows(run),
    }


def _empty_usage() -> dict[str, Any]:
    return {"input_tokens": 0, "output_tokens": 0, "call_count": 0, "models": [], "total_cost": 0.0, "llm": []}


def _opt_str(value: Any) -> str | None:
    return None if value is None else to_str(value) or None
