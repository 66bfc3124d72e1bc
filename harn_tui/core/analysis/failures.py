"""Why did this run fail: every failure point of a run, in reading order.

A failure point is a failed stage, an attempt's error, a failed child run, a failed
tool call or an error event of a linked agent session. `failure_points` lists them
so the run detail can jump from one to the next (`e`) and open a failed run on the
stage the portal's failure summary names (`portal_failure_stage`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harn_tui.core.format import derive
from harn_tui.core.format.schema import to_str

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

__all__ = ["FailurePoint", "failure_points", "portal_failure_stage", "stage_errors"]

#: Which pane shows each kind of point.
PANE_OF = {"stage": "stages", "attempt": "stages", "child": "children", "tool_call": "replay", "event": "replay"}


@dataclass(frozen=True, slots=True)
class FailurePoint:
    """One place where something failed, with where to show it."""

    kind: str  # stage | attempt | child | tool_call | event
    label: str
    message: str
    stage_index: int | None = None
    attempt_index: int | None = None
    child_index: int | None = None
    session: str | None = None
    row_index: int | None = None

    @property
    def pane(self) -> str:
        return PANE_OF[self.kind]


def _failed(stage: dict[str, Any]) -> bool:
    return (
        to_str(stage.get("status")) in derive.FAILED_STATUSES
        or to_str(stage.get("outcome")) in derive.FAILED_STATUSES
    )


def portal_failure_stage(run: dict[str, Any]) -> int | None:
    """Index of the stage the portal's failure summary names (the last failed-like one)."""
    stages = derive.dicts(run.get("stages"))
    for index in range(len(stages) - 1, -1, -1):
        if _failed(stages[index]):
            return index
    return None


def stage_errors(stage: dict[str, Any]) -> list[str]:
    """The stage's error texts: `metadata.error` first, then each attempt's error."""
    out: list[str] = []
    error = derive.obj(stage.get("metadata")).get("error")
    if error not in (None, ""):
        out.append(error if isinstance(error, str) else derive.compact(error))
    for attempt in derive.dicts(stage.get("attempts")):
        value = attempt.get("error")
        if value not in (None, ""):
            text = f"attempt {to_str(attempt.get('attempt')) or '?'}: {to_str(value)}"
            out.append(text)
    return out


def failure_points(detail: RunDetail) -> list[FailurePoint]:
    """Every failure point: stages (with their attempts), child runs, then agent sessions."""
    points: list[FailurePoint] = []
    run = detail.normalized
    for si, stage in enumerate(derive.dicts(run.get("stages"))):
        node = to_str(stage.get("node_id")) or f"stage {si + 1}"
        if _failed(stage):
            summary = derive.stage_failure(stage)
            points.append(FailurePoint("stage", f"stage {node}", summary, stage_index=si))
        for ai, attempt in enumerate(derive.dicts(stage.get("attempts"))):
            error = attempt.get("error")
            if error in (None, ""):
                continue
            number = to_str(attempt.get("attempt")) or str(ai + 1)
            points.append(
                FailurePoint("attempt", f"{node} attempt {number}", to_str(error), stage_index=si, attempt_index=ai)
            )
    for ci, child in enumerate(derive.dicts(run.get("child_runs"))):
        if to_str(child.get("status")) in derive.FAILED_STATUSES:
            name = to_str(child.get("worker_name")) or to_str(child.get("worker_id")) or f"child {ci + 1}"
            message = to_str(child.get("error")) or f"{name} {to_str(child.get('status'))}"
            points.append(FailurePoint("child", f"child run {name}", message, child_index=ci))
    points.extend(session_failures(detail))
    return points


def session_failures(detail: RunDetail) -> list[FailurePoint]:
    """Failed tool calls and error events of the run's agent sessions (timeline rows)."""
    from harn_tui.core.analysis.timeline import build_timeline

    out: list[FailurePoint] = []
    sessions = detail.agent_sessions if isinstance(detail.agent_sessions, dict) else {}
    for sid, events in sessions.items():
        for ri, row in enumerate(build_timeline(list(events))):
            item = row.item
            if not item.is_error:
                continue
            kind = "tool_call" if item.lane == "tool" else "event"
            what = "tool call" if kind == "tool_call" else "event"
            out.append(
                FailurePoint(kind, f"{what} in {sid}", item.title, session=sid, row_index=ri)
            )
    return out
