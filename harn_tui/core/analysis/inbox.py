"""The HITL inbox: every human-in-the-loop request across the run root and the event log.

Two sources are merged by ``request_id``:

* the ``hitl_questions`` stored in run files (the index keeps only their ids, so
  the files that have any are read here), and
* :func:`harn_tui.core.eventlog.hitl.request_states`, which folds every HITL topic
  (questions, approvals, dual-control, escalations, responses) into one state per
  request. Event-log values win over the run file's, as in Harn's own merge.

A question known only from a run file has state ``asked``: the file records that
it was asked, not how it ended (no event log, or its rows were compacted away).

Pure: no Textual or Rich here; the screen is ``harn_tui.screens.inbox``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.eventlog.hitl import HitlRequestState, belongs_to_run, request_states
from harn_tui.core.eventlog.protocol import EventLog
from harn_tui.core.format import derive
from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.format.jsonload import decode_json, read_bytes
from harn_tui.core.format.schema import to_str
from harn_tui.core.format.timestamps import parse_ms
from harn_tui.core.index.summary import RunSummary

__all__ = [
    "ASKED",
    "STATE_FILTERS",
    "InboxItem",
    "belongs_to_run",
    "build_inbox",
    "filter_inbox",
    "match_stage",
    "read_run_questions",
    "run_requests",
    "stage_that_asked",
]

#: The state of a question seen only in a run file (no outcome recorded anywhere).
ASKED = "asked"
#: What `s` cycles through on the inbox screen.
STATE_FILTERS = ("all", "pending", "resolved")
_TERMINAL = frozenset(
    {"answered", "timed_out", "approved", "denied", "cancelled", "executed", "accepted"}
)
RUN_FILE = "run file"
EVENT_LOG = "event log"


@dataclass(slots=True)
class InboxItem:
    """One HITL request as the inbox lists it.

    ``state``: pending | asked | answered | timed_out | approved | denied |
    cancelled | executed | accepted. ``run_path`` is the run file (relative to the
    root) that asked, or None when the run is not in the root.
    """

    request_id: str
    kind: str
    state: str
    prompt: str = ""
    agent: str = ""
    run_id: str | None = None
    run_path: str | None = None
    workflow: str = ""
    run_status: str = ""
    trace_id: str | None = None
    asked_at: str = ""
    asked_ms: int | None = None
    resolved_at: str | None = None
    resolved_ms: int | None = None
    answer: Any = None
    reviewer: str | None = None
    reason: str | None = None
    approvals: tuple[str, ...] = ()
    request: Any = None
    record: dict[str, Any] | None = None
    topic: str = ""
    sources: tuple[str, ...] = ()
    _search: str | None = field(default=None, repr=False, compare=False)

    @property
    def resolved(self) -> bool:
        """True once the request reached a terminal state."""
        return self.state in _TERMINAL

    @property
    def in_root(self) -> bool:
        return self.run_path is not None

    @property
    def run_label(self) -> str:
        """``workflow · run id``, or ``(run not in root)``."""
        if self.run_path is None:
            return "(run not in root)"
        name = self.workflow or "?"
        return f"{name} · {self.run_id}" if self.run_id else name

    def answer_text(self) -> str:
        """The answer (or approval record / result) as one string ("" when none)."""
        return _as_text(self.answer)

    def search_text(self) -> str:
        """What the `/` filter matches (lowercase; computed once, after the build)."""
        if self._search is not None:
            return self._search
        self._search = " ".join(
            (
                self.request_id,
                self.kind,
                self.state,
                self.prompt,
                self.agent,
                self.run_id or "",
                self.run_path or "",
                self.workflow,
                self.trace_id or "",
                self.reviewer or "",
                self.answer_text(),
                "" if self.in_root else "run not in root",
            )
        ).lower()
        return self._search

    def to_json(self) -> dict[str, Any]:
        """The item as a JSON value (the raw view)."""
        value = asdict(self)
        del value["_search"]
        value["approvals"] = list(self.approvals)
        value["sources"] = list(self.sources)
        return value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return str(value)


def _opt(value: Any) -> str | None:
    text = to_str(value)
    return text or None


# --------------------------------------------------------------------------- run files


def read_run_questions(path: Path) -> list[dict[str, Any]]:
    """The ``hitl_questions`` records of one run file (raises HarnTuiError if unreadable)."""
    run = decode_json(read_bytes(path))
    if not isinstance(run, dict):
        return []
    return derive.dicts(run.get("hitl_questions"))


def _runs_by_id(runs: Sequence[RunSummary]) -> dict[str, RunSummary]:
    """Run id -> summary; with several files for one id, the most recently written."""
    out: dict[str, RunSummary] = {}
    for run in runs:
        if run.broken or not run.id:
            continue
        seen = out.get(run.id)
        if seen is None or (run.mtime_ns, run.path) > (seen.mtime_ns, seen.path):
            out[run.id] = run
    return out


def _link(item: InboxItem, run: RunSummary) -> None:
    item.run_path = run.path
    item.run_id = item.run_id or run.id or None
    item.workflow = run.workflow_name
    item.run_status = run.status


# --------------------------------------------------------------------------- build


def build_inbox(
    runs: Iterable[RunSummary],
    root: Path,
    log: EventLog | None,
    *,
    errors: list[str] | None = None,
) -> list[InboxItem]:
    """Every HITL request in the run files under `root` and in `log`, newest first.

    Unreadable run files and an unreadable event log are skipped; their reasons
    are appended to `errors` when given.
    """
    runs = list(runs)
    by_id = _runs_by_id(runs)
    items: dict[str, InboxItem] = {}

    for run in sorted(runs, key=lambda r: r.path):
        if run.broken or not run.hitl_request_ids:
            continue
        try:
            questions = read_run_questions(Path(root) / run.path)
        except HarnTuiError as exc:
            if errors is not None:
                errors.append(f"{run.path}: {exc.reason}")
            continue
        for q in questions:
            item = _question_item(q)
            if item is None or item.request_id in items:
                continue
            _link(item, run)
            items[item.request_id] = item

    if log is not None:
        try:
            states = request_states(log)
        except HarnTuiError as exc:
            states = {}
            if errors is not None:
                errors.append(f"event log: {exc.reason}")
        for request_id, st in states.items():
            item = items.get(request_id)
            if item is None:
                item = items[request_id] = _state_item(st)
            else:
                _apply_state(item, st)
            if item.run_path is None:
                item.run_id = st.run_id or item.run_id
                for run_id in dict.fromkeys((item.run_id, *st.run_ids)):  # `belongs_to_run`
                    run = by_id.get(run_id or "")
                    if run is not None:
                        _link(item, run)
                        break
            elif st.run_id and item.run_id != st.run_id:
                item.run_id = st.run_id

    return sorted(items.values(), key=_newest_first)


def _question_item(q: dict[str, Any]) -> InboxItem | None:
    """A run file's `hitl_questions` record as an item (state `asked`), or None without an id."""
    request_id = to_str(q.get("request_id"))
    if not request_id:
        return None
    asked_at = to_str(q.get("asked_at"))
    return InboxItem(
        request_id=request_id,
        kind="question",
        state=ASKED,
        prompt=to_str(q.get("prompt")),
        agent=to_str(q.get("agent")),
        trace_id=_opt(q.get("trace_id")),
        asked_at=asked_at,
        asked_ms=parse_ms(asked_at),
        record=q,
        topic="hitl.questions",
        sources=(RUN_FILE,),
    )


def _state_item(st: HitlRequestState) -> InboxItem:
    item = InboxItem(request_id=st.request_id, kind=st.kind, state=st.state, topic=st.topic)
    item.run_id = st.run_id
    _apply_state(item, st)
    return item


def _apply_state(item: InboxItem, st: HitlRequestState) -> None:
    """Event-log values win over the run file's (as in Harn's own merge)."""
    item.kind = st.kind
    item.topic = st.topic
    item.state = st.state
    item.sources = (*item.sources, EVENT_LOG)
    item.prompt = st.prompt or item.prompt
    item.agent = st.agent or item.agent
    item.trace_id = st.trace_id or item.trace_id
    if st.asked_at:
        item.asked_at = st.asked_at
        item.asked_ms = parse_ms(st.asked_at)
    item.resolved_at = st.resolved_at
    item.resolved_ms = st.resolved_at_ms or parse_ms(st.resolved_at)
    item.answer = st.answer
    item.reviewer = st.reviewer
    item.reason = st.reason
    item.approvals = st.approvals
    item.request = st.request


def run_requests(
    questions: Iterable[dict[str, Any]], run_id: str, states: Mapping[str, HitlRequestState]
) -> list[InboxItem]:
    """One run's HITL requests by the inbox's rule: the questions in its file, plus every
    event-log request (question, approval, dual-control, escalation) that names the run;
    event-log values win. Oldest first (the pane's order; `follow` picks the newest)."""
    items: dict[str, InboxItem] = {}
    for q in questions:
        item = _question_item(q)
        if item is not None and item.request_id not in items:
            item.run_id = run_id or None
            items[item.request_id] = item
    for request_id, st in states.items():
        item = items.get(request_id)
        if item is not None:
            _apply_state(item, st)
        elif belongs_to_run(st, run_id):
            items[request_id] = _state_item(st)
    return sorted(items.values(), key=_oldest_first)


def _oldest_first(item: InboxItem) -> tuple[int, int, str]:
    if item.asked_ms is None:
        return (1, 0, item.request_id)
    return (0, item.asked_ms, item.request_id)


def _newest_first(item: InboxItem) -> tuple[int, int, str]:
    # Unknown ask times last; ties by request id (uuidv7 ids sort by time).
    if item.asked_ms is None:
        return (1, 0, item.request_id)
    return (0, -item.asked_ms, item.request_id)


# --------------------------------------------------------------------------- filter


def filter_inbox(
    items: Iterable[InboxItem], state: str = "all", query: str | None = None
) -> list[InboxItem]:
    """Items in `state` (all | pending | resolved) whose text contains every word of `query`."""
    if state not in STATE_FILTERS:
        raise ValueError(f"unknown state filter {state!r} (one of {', '.join(STATE_FILTERS)})")
    words = (query or "").lower().split()
    out = []
    for item in items:
        if state == "pending" and item.resolved:
            continue
        if state == "resolved" and not item.resolved:
            continue
        if words:
            text = item.search_text()
            if not all(w in text for w in words):
                continue
        out.append(item)
    return out


# --------------------------------------------------------------------------- stage


def match_stage(item: InboxItem, stages: Sequence[dict[str, Any]]) -> int | None:
    """Index of the stage that was running when `item` was asked, or None.

    A stage matches when its [started_at, finished_at] window holds the ask time
    (an unfinished stage is open-ended). Among several, one whose node id or
    metadata names the asking agent or trace wins, then the latest started.
    """
    asked = item.asked_ms
    if asked is None:
        return None
    best: tuple[int, int, int] | None = None
    for index, stage in enumerate(stages):
        start = parse_ms(stage.get("started_at"))
        if start is None or start > asked:
            continue
        end = parse_ms(stage.get("finished_at"))
        if end is not None and asked > end:
            continue
        meta = derive.obj(stage.get("metadata"))
        named = 0
        if item.agent and item.agent in (to_str(stage.get("node_id")), to_str(meta.get("agent"))):
            named = 1
        if item.trace_id and item.trace_id == to_str(meta.get("trace_id")):
            named = 1
        key = (named, start, index)
        if best is None or key > best:
            best = key
    return None if best is None else best[2]


def stage_that_asked(item: InboxItem, stages: Sequence[dict[str, Any]]) -> int | None:
    """The stage to show for `item`: the one running when it was asked (`match_stage`),
    else the latest stage started before the ask — one named like the asking agent first
    (a run paused on a request has often not recorded the asking stage yet) — else one
    named by the agent, else the first stage when it was asked before any started.
    None only without stages."""
    if not stages:
        return None
    index = match_stage(item, stages)
    if index is not None:
        return index
    asked = item.asked_ms
    starts = [parse_ms(stage.get("started_at")) for stage in stages]
    if asked is not None:
        before = [(start, i) for i, start in enumerate(starts) if start is not None and start <= asked]
        named = [(start, i) for start, i in before if _names_agent(stages[i], item.agent)]
        if named or before:
            return max(named or before)[1]
    for i, stage in enumerate(stages):
        if _names_agent(stage, item.agent):
            return i
    return 0 if asked is not None and any(s is not None for s in starts) else len(stages) - 1


def _names_agent(stage: dict[str, Any], agent: str) -> bool:
    if not agent:
        return False
    meta = derive.obj(stage.get("metadata"))
    return agent in (to_str(stage.get("node_id")), to_str(meta.get("agent")))
