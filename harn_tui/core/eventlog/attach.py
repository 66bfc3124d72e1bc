"""One run's HITL requests and agent sessions, merged from the event log into its RunDetail.

`RunAttacher` is the one implementation of that merge (spec §2.8, §5.1): HITL questions
from ``hitl.questions`` join the run file's (the log's value wins), every HITL request's
state is folded, and the run's agent sessions are read from their topics, plus linked
sessions only found as legacy ``event_log-<session>.jsonl`` files. It is incremental:
kept across calls (the run screen's live refreshes) it reads only rows appended since
the previous call. `attach_run` and `load_run_with_events` are the one-shot uses (`show`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from harn_tui.core.eventlog import hitl
from harn_tui.core.eventlog.sessions import RunSessionsTracker, legacy_sessions
from harn_tui.core.format import derive
from harn_tui.core.format import schema as S
from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.format.normalize import RunDetail, load_run

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog

__all__ = ["RunAttacher", "attach_run", "load_run_with_events"]


class RunAttacher:
    """Merges the event log's view of one run into its RunDetail, reading only what is new.

    ``questions`` may be an index shared with other readers of the same log (the App's);
    ``log_error`` is reported when there is no log (why it could not be opened).
    ``legacy_dirs`` are searched for linked sessions the log does not have.
    Not thread-safe: the caller serializes `attach` calls.
    """

    def __init__(
        self,
        log: EventLog | None,
        *,
        legacy_dirs: Iterable[Path] = (),
        questions: hitl.QuestionIndex | None = None,
        log_error: str | None = None,
        with_sessions: bool = True,
    ) -> None:
        self.log = log
        self.legacy_dirs = list(legacy_dirs)
        self.questions = questions if questions is not None else hitl.QuestionIndex()
        self.log_error = log_error
        self.with_sessions = with_sessions
        self.sessions: RunSessionsTracker | None = None
        self._states: dict[str, hitl.HitlRequestState] = {}
        self._state_heads: tuple[int, ...] | None = None

    @property
    def more(self) -> bool:
        """The last limited `attach` left session rows unread (call again for the next page)."""
        return self.sessions is not None and self.sessions.more

    def attach(self, detail: RunDetail, limit: int | None = None) -> bool:
        """Merge into `detail`; with `limit`, read at most that many new rows per session.

        False when the log could not be read (`detail.event_log_error` says why).
        """
        ok = True
        if self.log is None:
            detail.event_log_error = self.log_error
        else:
            try:
                self._attach_log(detail, self.log, limit)
            except HarnTuiError as exc:
                detail.event_log_error = exc.reason
                ok = False
        self._attach_legacy(detail)
        return ok

    def _attach_log(self, detail: RunDetail, log: EventLog, limit: int | None) -> None:
        run_id = detail.record.id
        asked = self.questions.poll_and_get(log, run_id) if run_id else []
        detail.normalized["hitl_questions"] = [
            S.fill(q, S.HITL_QUESTION)
            for q in hitl.merge_questions(detail.normalized["hitl_questions"], asked)
        ]
        detail.hitl_states = self._request_states(log)
        if not self.with_sessions:
            return
        linked = derive.linked_session_ids(detail.normalized)
        if self.sessions is None or self.sessions.run_id != run_id:
            self.sessions = RunSessionsTracker(run_id, linked)
        else:
            self.sessions.add_candidates(linked)
        self.sessions.poll(log, limit=limit)
        detail.agent_sessions = self.sessions.result()

    def _request_states(self, log: EventLog) -> dict[str, hitl.HitlRequestState]:
        """The folded HITL states, re-folded only when a HITL topic gained rows."""
        heads = tuple(log.last_event_id(topic) for topic in hitl.HITL_TOPICS)
        if heads != self._state_heads:
            self._states = hitl.request_states(log)
            self._state_heads = heads
        return self._states

    def _attach_legacy(self, detail: RunDetail) -> None:
        """Linked sessions that only exist as legacy `event_log-<session>.jsonl` files."""
        if not (self.with_sessions and self.legacy_dirs):
            return
        missing = [
            s
            for s in derive.linked_session_ids(detail.normalized)
            if s not in detail.agent_sessions
        ]
        found = legacy_sessions(self.legacy_dirs, missing)
        if found:
            detail.agent_sessions = dict(sorted({**detail.agent_sessions, **found}.items()))


def attach_run(
    detail: RunDetail,
    log: EventLog | None,
    *,
    legacy_dirs: Iterable[Path] = (),
    with_sessions: bool = True,
    log_error: str | None = None,
) -> RunDetail:
    """One-shot `RunAttacher.attach` (returns `detail`, merged in place)."""
    attacher = RunAttacher(
        log, legacy_dirs=legacy_dirs, with_sessions=with_sessions, log_error=log_error
    )
    attacher.attach(detail)
    return detail


def load_run_with_events(
    path: Path,
    *,
    root: Path | None = None,
    event_log: EventLog | None = None,
    legacy_dirs: Iterable[Path] = (),
    with_sessions: bool = True,
) -> RunDetail:
    """`load_run`, then the event log's HITL and sessions merged in (`show`'s view)."""
    detail = load_run(path, root=root)
    return attach_run(detail, event_log, legacy_dirs=legacy_dirs, with_sessions=with_sessions)
