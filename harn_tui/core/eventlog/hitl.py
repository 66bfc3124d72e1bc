"""Human-in-the-loop requests as recorded in the event log (spec §2.8, §4.2)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harn_tui.core.eventlog.protocol import EventLog, LogEvent
from harn_tui.core.format.derive import obj
from harn_tui.core.format.schema import json_str

__all__ = [
    "HITL_TOPICS",
    "REQUEST_TOPICS",
    "HitlRequestState",
    "QuestionIndex",
    "belongs_to_run",
    "event_run_ids",
    "merge_questions",
    "questions_by_run",
    "request_states",
]

HITL_QUESTIONS_TOPIC = "hitl.questions"
HITL_RESPONSES_TOPIC = "hitl.responses"
HITL_TOPICS = (
    "hitl.questions",
    "hitl.approvals",
    "hitl.dual_control",
    "hitl.escalations",
    HITL_RESPONSES_TOPIC,
)

#: The topics where HITL requests are asked (responses come on these and hitl.responses).
REQUEST_TOPICS = ("hitl.questions", "hitl.approvals", "hitl.dual_control", "hitl.escalations")

_TOPIC_KIND = {
    "hitl.questions": "question",
    "hitl.approvals": "approval",
    "hitl.dual_control": "dual_control",
    "hitl.escalations": "escalation",
}
_REQUEST_KINDS = {
    "hitl.question_asked": "question",
    "hitl.approval_requested": "approval",
    "hitl.dual_control_requested": "dual_control",
    "hitl.escalation_issued": "escalation",
}
_ID_PREFIXES = (
    ("hitl_question_", "question"),
    ("hitl_approval_", "approval"),
    ("hitl_dual_control_", "dual_control"),
    ("hitl_escalation_", "escalation"),
)
_TERMINAL = frozenset(
    {"answered", "timed_out", "approved", "denied", "cancelled", "executed", "accepted"}
)


def _kind_from_request_id(request_id: str) -> str | None:
    for prefix, kind in _ID_PREFIXES:
        if request_id.startswith(prefix):
            return kind
    return None


# --------------------------------------------------------------------------- run questions


def event_run_ids(event: LogEvent) -> list[str]:
    """The runs a HITL request event belongs to: its header ``run_id`` and its payload
    ``run_id`` (Harn's own merge accepts either). The one rule for the run's HITL pane,
    its count in the list and the inbox."""
    payload = obj(event.payload)
    run_ids: list[str] = []
    for candidate in (event.headers.get("run_id"), json_str(payload.get("run_id"))):
        if candidate and candidate not in run_ids:
            run_ids.append(candidate)
    return run_ids


def _question_record(event: LogEvent) -> tuple[list[str], dict[str, Any]] | None:
    """(run ids, RunHitlQuestionRecord) for one ``hitl.question_asked`` event, or None."""
    payload = obj(event.payload)
    run_ids = event_run_ids(event)
    if not run_ids:
        return None
    request_id = json_str(payload.get("request_id"))
    if request_id is None:
        request_id = event.headers.get("request_id", "")
    prompt = json_str(obj(payload.get("payload")).get("prompt"), "")
    if not request_id or not prompt:
        return None
    record = {
        "request_id": request_id,
        "prompt": prompt,
        "agent": json_str(payload.get("agent"), ""),
        "trace_id": json_str(payload.get("trace_id")),
        "asked_at": json_str(payload.get("requested_at"), ""),
    }
    return run_ids, record


def questions_by_run(log: EventLog) -> dict[str, list[dict[str, Any]]]:
    """RunHitlQuestionRecords from ``hitl.questions``, keyed by run id (header and payload)."""
    index = QuestionIndex()
    index.poll(log)
    return {run_id: merge_questions([], list(recs.values())) for run_id, recs in index.by_run.items()}


class QuestionIndex:
    """HITL requests folded by run id, read incrementally (only rows after the last seen).

    `by_run` keeps the ``hitl.questions`` records (merged into a run's ``hitl_questions``
    as Harn's `merge_hitl_questions_from_active_log` does: that topic only); `request_ids` counts every request kind — questions, approvals,
    dual-control requests and escalations — by `event_run_ids`.
    """

    def __init__(self) -> None:
        self.cursor = 0  # hitl.questions (kept for callers that read it)
        self.cursors: dict[str, int] = {}
        self.by_run: dict[str, dict[str, dict[str, Any]]] = {}
        self.ids_by_run: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def poll(self, log: EventLog) -> set[str]:
        """Read rows appended since the last poll; return the run ids that gained requests."""
        with self._lock:
            return self._poll(log)

    def poll_and_get(self, log: EventLog, run_id: str) -> list[dict[str, Any]]:
        """Poll, then the questions asked for `run_id`."""
        with self._lock:
            self._poll(log)
            return list(self.by_run.get(run_id, {}).values())

    def _poll(self, log: EventLog) -> set[str]:
        changed: set[str] = set()
        for topic in REQUEST_TOPICS:
            after = self.cursors.get(topic, 0)
            for event in log.iter_topic(topic, after=after):
                after = max(after, event.event_id)
                if event.kind not in _REQUEST_KINDS:
                    continue
                request_id = _request_id(event)
                run_ids = event_run_ids(event)
                if request_id:
                    for run_id in run_ids:
                        self.ids_by_run.setdefault(run_id, set()).add(request_id)
                        changed.add(run_id)
                if event.kind != "hitl.question_asked" or topic != HITL_QUESTIONS_TOPIC:
                    continue  # a run's questions come from hitl.questions only (Harn's merge)
                found = _question_record(event)
                if found is None:
                    continue
                for run_id in found[0]:
                    self.by_run.setdefault(run_id, {})[found[1]["request_id"]] = found[1]
            self.cursors[topic] = after
        self.cursor = self.cursors.get(HITL_QUESTIONS_TOPIC, 0)
        return changed

    def request_ids(self, run_id: str) -> set[str]:
        """Every HITL request (of any kind) the event log ties to `run_id`."""
        with self._lock:
            return set(self.by_run.get(run_id, ())) | self.ids_by_run.get(run_id, set())

    def request_count(self, run_id: str, record_ids: Iterable[str]) -> int | None:
        """The run's HITL count with the event log's requests counted in: the distinct ids of
        the record and of the log (None when the log adds nothing to the record's count)."""
        asked = self.request_ids(run_id) if run_id else set()
        return len(set(record_ids) | asked) if asked else None


def merge_questions(
    existing: list[dict[str, Any]], from_log: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Merge by ``request_id`` (event-log value wins), sorted by (asked_at, request_id)."""
    merged: dict[str, dict[str, Any]] = {}
    for record in (*existing, *from_log):
        merged[str(record.get("request_id") or "")] = record

    def key(record: dict[str, Any]) -> tuple[str, str]:
        return (str(record.get("asked_at") or ""), str(record.get("request_id") or ""))

    return sorted(merged.values(), key=key)


# --------------------------------------------------------------------------- request states


@dataclass(slots=True)
class HitlRequestState:
    """The life of one HITL request, folded from its events.

    ``state``: pending | answered | timed_out | approved | denied | cancelled |
    executed | accepted. ``answer``: the question answer, the approval record,
    the dual-control action result or the escalation response, where recorded.
    """

    request_id: str
    kind: str
    topic: str
    state: str = "pending"
    answer: Any = None
    prompt: str = ""
    agent: str = ""
    run_id: str | None = None
    trace_id: str | None = None
    asked_at: str = ""
    asked_event_id: int | None = None
    #: Every run the request names (header and payload `run_id`, see `event_run_ids`).
    run_ids: tuple[str, ...] = ()
    resolved_at_ms: int | None = None
    resolved_at: str | None = None
    reviewer: str | None = None
    reason: str | None = None
    approvals: tuple[str, ...] = ()
    request: Any = None

    @property
    def resolved(self) -> bool:
        """True once the request reached a terminal state."""
        return self.state in _TERMINAL


def belongs_to_run(st: HitlRequestState, run_id: str) -> bool:
    """An event-log request belongs to a run when it names the run's id (header or
    payload `run_id`, see `event_run_ids`): the rule for a run's HITL pane, `show` and
    the inbox."""
    return bool(run_id) and (run_id == st.run_id or run_id in getattr(st, "run_ids", ()))


def _summary(inner: dict[str, Any]) -> str:
    for key in ("prompt", "action", "reason"):
        text = json_str(inner.get(key))
        if text:
            return text
    return ""


def _request_id(event: LogEvent) -> str | None:
    return event.headers.get("request_id") or json_str(obj(event.payload).get("request_id"))


def _resolve(
    st: HitlRequestState,
    event: LogEvent,
    state: str,
    answer: Any = None,
    at: str | None = None,
) -> None:
    # First terminal event wins, except that an approved dual-control request
    # later becomes "executed".
    if st.resolved and not (st.state == "approved" and state == "executed"):
        return
    payload = obj(event.payload)
    st.state = state
    st.answer = answer
    st.resolved_at_ms = event.occurred_at_ms or None
    st.resolved_at = at
    st.reviewer = json_str(payload.get("reviewer")) or st.reviewer
    st.reason = json_str(payload.get("reason")) or st.reason


def _apply(st: HitlRequestState, event: LogEvent) -> None:
    payload = obj(event.payload)
    kind = event.kind
    if kind in _REQUEST_KINDS:
        inner = obj(payload.get("payload"))
        st.prompt = _summary(inner)
        st.agent = json_str(payload.get("agent")) or st.agent
        st.run_id = json_str(payload.get("run_id")) or event.headers.get("run_id") or st.run_id
        st.run_ids = tuple(dict.fromkeys((*st.run_ids, *event_run_ids(event))))
        st.trace_id = json_str(payload.get("trace_id")) or event.headers.get("trace_id") or st.trace_id
        st.asked_at = json_str(payload.get("requested_at")) or st.asked_at
        st.asked_event_id = event.event_id
        st.request = payload.get("payload")
        return
    responded_at = json_str(payload.get("responded_at"))
    if kind == "hitl.timeout":
        _resolve(st, event, "timed_out", None, json_str(payload.get("timed_out_at")))
    elif kind.endswith("cancelled"):
        _resolve(st, event, "cancelled", None, responded_at)
    elif kind in ("hitl.approval_approved", "hitl.dual_control_approved"):
        _resolve(
            st,
            event,
            "approved",
            payload.get("record"),
            json_str(obj(payload.get("record")).get("approved_at")),
        )
    elif kind in ("hitl.approval_denied", "hitl.dual_control_denied"):
        _resolve(st, event, "denied", None, responded_at)
    elif kind == "hitl.dual_control_executed":
        _resolve(st, event, "executed", payload.get("result"), responded_at)
    elif kind == "hitl.escalation_accepted":
        state = "denied" if payload.get("accepted") is False else "accepted"
        _resolve(st, event, state, payload, responded_at)
    elif kind == "hitl.response_received":
        if st.kind == "question":
            _resolve(st, event, "answered", payload.get("answer"), responded_at)
        elif st.kind in ("approval", "dual_control"):
            if payload.get("approved") is True:
                reviewer = json_str(payload.get("reviewer"))
                if reviewer and reviewer not in st.approvals:
                    st.approvals = (*st.approvals, reviewer)
            elif payload.get("approved") is False:
                _resolve(st, event, "denied", None, responded_at)
        elif st.kind == "escalation" and payload.get("accepted") is True:
            _resolve(st, event, "accepted", payload, responded_at)


def request_states(
    log: EventLog, topics: Iterable[str] = HITL_TOPICS
) -> dict[str, HitlRequestState]:
    """Fold the HITL topics into one state per request id.

    Request kind comes from the topic (or the ``hitl_<kind>_`` id prefix for
    ``hitl.responses``). Response/terminal events seen without their request
    (e.g. compacted away) still yield a state.
    """
    states: dict[str, HitlRequestState] = {}
    for topic in topics:
        for event in log.iter_topic(topic):
            request_id = _request_id(event)
            if not request_id:
                continue
            kind = (
                _REQUEST_KINDS.get(event.kind)
                or _TOPIC_KIND.get(topic)
                or _kind_from_request_id(request_id)
            )
            if kind is None:
                continue
            st = states.get(request_id)
            if st is None:
                st = states[request_id] = HitlRequestState(request_id, kind, topic)
            _apply(st, event)
    return states
