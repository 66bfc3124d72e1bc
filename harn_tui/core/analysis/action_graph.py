"""The action graph as the portal shows it: derived nodes plus live updates, drawn as a tree.

The run's own graph is `observability.action_graph_nodes/edges` (recomputed on load,
:mod:`harn_tui.core.format.observability`). Harn's trigger dispatcher and every run save also
append `action_graph_update` records to the event-log topic `observability.action_graph`
(approval, dispatch, A2A hop, worker enqueue, retry and DLQ nodes come only from there).
The portal's live stream keeps the records whose `trace_id` or `run_id` (header or
payload) is the run's, and merges them: nodes by id (fields replaced, metadata merged),
edges appended unless the same (from, to, kind, label) is already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.errors import HarnTuiError

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog

TOPIC = "observability.action_graph"
#: Tree levels drawn as indentation; deeper rows keep this indent (GraphRow.depth is exact).
MAX_INDENT = 16

#: Node kinds Harn emits, with the portal's eyebrow label (RunDetail.tsx `actionNodeEyebrow`).
NODE_KINDS: dict[str, str] = {
    "run": "Run",
    "trigger": "Inbound trigger",
    "predicate": "Predicate gate",
    "trigger_predicate": "Predicate gate",
    "stage": "Stage",
    "worker": "Worker",
    "dispatch": "Local dispatch",
    "a2a_hop": "A2A hop",
    "worker_enqueue": "Worker enqueue",
    "retry": "Retry",
    "approval": "Approval gate",
    "dlq": "DLQ",
}


def trace_id_of(nodes: list[dict[str, Any]]) -> str | None:
    """The portal's stream key: the first node's trace id."""
    for node in nodes:
        if isinstance(node.get("trace_id"), str) and node["trace_id"]:
            return str(node["trace_id"])
    return None


def matches(headers: dict[str, str], payload: Any, run_id: str, trace_id: str | None) -> bool:
    """The portal's filter (portal/handlers/runs.rs `action_graph_stream_handler`)."""
    payload = obj(payload)
    if trace_id is not None and (
        headers.get("trace_id") == trace_id or payload.get("trace_id") == trace_id
    ):
        return True
    return bool(run_id) and (headers.get("run_id") == run_id or payload.get("run_id") == run_id)


class LiveGraph:
    """Incremental reader of one run's `action_graph_update` records."""

    def __init__(self, run_id: str, trace_id: str | None) -> None:
        self.run_id = run_id
        self.trace_id = trace_id
        self.after = 0
        self.updates: list[dict[str, Any]] = []

    def poll(self, log: EventLog) -> bool:
        """Read what is new on the topic; True when a matching update arrived."""
        try:
            if TOPIC not in log.topics():
                return False
            found = False
            for event in log.iter_topic(TOPIC, after=self.after):
                self.after = max(self.after, event.event_id)
                if event.kind != "action_graph_update":
                    continue
                if not matches(event.headers, event.payload, self.run_id, self.trace_id):
                    continue
                observability = obj(obj(event.payload).get("observability"))
                if observability:
                    self.updates.append(observability)
                    found = True
            return found
        except HarnTuiError:
            return False


def merge(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], updates: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The portal's `mergeActionGraphNodes` / `mergeActionGraphEdges` over every update."""
    merged: dict[str, dict[str, Any]] = {}
    for node in dicts(nodes):
        merged[str(node.get("id"))] = node
    out_edges = list(dicts(edges))
    seen = {_edge_key(e) for e in out_edges}
    for update in updates:
        for node in dicts(update.get("action_graph_nodes")):
            key = str(node.get("id"))
            previous = merged.get(key, {})
            meta = {**obj(previous.get("metadata")), **obj(node.get("metadata"))}
            merged[key] = {**previous, **node, "metadata": meta}
        for edge in dicts(update.get("action_graph_edges")):
            key = _edge_key(edge)
            if key not in seen:
                seen.add(key)
                out_edges.append(edge)
    return list(merged.values()), out_edges


def _edge_key(edge: dict[str, Any]) -> tuple[str, str, str, str]:
    label = edge.get("label")
    return (
        str(edge.get("from_id")),
        str(edge.get("to_id")),
        str(edge.get("kind")),
        str(label or ""),
    )


@dataclass(slots=True)
class GraphRow:
    """One line of the tree: a node reached over an edge (None for a root)."""

    depth: int
    node: dict[str, Any]
    edge: dict[str, Any] | None
    prefix: str
    repeat: bool = False


def tree_rows(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> list[GraphRow]:
    """Nodes as a tree from the entry (the run node, then any node nothing points at).

    A node reached a second time is shown once more as a `repeat` row (cycles and
    joins stay visible without looping); nodes no edge reaches follow at the top level.
    """
    by_id = {str(n.get("id")): n for n in dicts(nodes)}
    children: dict[str, list[dict[str, Any]]] = {}
    targeted: set[str] = set()
    for edge in dicts(edges):
        src, dst = str(edge.get("from_id")), str(edge.get("to_id"))
        if dst in by_id:
            children.setdefault(src, []).append(edge)
            targeted.add(dst)
    roots = [nid for nid, n in by_id.items() if n.get("kind") == "run" and nid not in targeted]
    roots += [nid for nid in by_id if nid not in targeted and nid not in roots]
    rows: list[GraphRow] = []
    visited: set[str] = set()

    def walk(start: str) -> None:
        # Iterative depth-first walk (a chain of 50,000 stages must not hit the recursion limit).
        stack: list[tuple[str, dict[str, Any] | None, int, str, bool]] = [(start, None, 0, "", True)]
        while stack:
            nid, edge, depth, lead, last = stack.pop()
            branch = "" if edge is None else ("└─ " if last else "├─ ")
            if nid in visited:
                rows.append(GraphRow(depth, by_id[nid], edge, lead + branch, repeat=True))
                continue
            visited.add(nid)
            rows.append(GraphRow(depth, by_id[nid], edge, lead + branch))
            kids = children.get(nid, [])
            inner = lead if edge is None else lead + ("   " if last else "│  ")
            if len(inner) > MAX_INDENT * 3:  # deep chains: the depth shows in the row, not the indent
                inner = lead
            for i in range(len(kids) - 1, -1, -1):
                stack.append((str(kids[i].get("to_id")), kids[i], depth + 1, inner, i == len(kids) - 1))

    for root in roots:
        if root not in visited:
            walk(root)
    for nid in by_id:  # only nodes inside a cycle with no way in are left
        if nid not in visited:
            walk(nid)
    return rows


def node_facts(node: dict[str, Any]) -> list[str]:
    """Short facts per kind, as the portal's `actionNodeFacts` picks them."""
    meta = obj(node.get("metadata"))
    kind = node.get("kind")
    facts: list[str] = []

    def text(key: str) -> str | None:
        value = meta.get(key)
        return value if isinstance(value, str) and value else None

    def number(key: str) -> float | None:
        value = meta.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    if kind == "trigger":
        if text("provider") and text("event_kind"):
            facts.append(f"{text('provider')}:{text('event_kind')}")
        if text("signature_status"):
            facts.append(f"signature {text('signature_status')}")
    elif kind in ("predicate", "trigger_predicate"):
        if isinstance(meta.get("result"), bool):
            facts.append("passed" if meta["result"] else "blocked")
        if number("cost_usd") is not None:
            facts.append(f"${number('cost_usd'):.4f}")
        if number("latency_ms") is not None:
            facts.append(f"{number('latency_ms'):g} ms")
    elif kind in ("dispatch", "a2a_hop", "worker_enqueue"):
        target = (
            f"queue {text('queue_name')}" if text("queue_name")
            else f"agent {text('target_agent')}" if text("target_agent")
            else text("target_uri")
        )  # fmt: skip
        if target:
            facts.append(target)
        if number("attempt") is not None:
            facts.append(f"attempt {number('attempt'):g}")
        if text("task_id"):
            facts.append(f"task {text('task_id')}")
    elif kind == "retry":
        if number("delay_ms") is not None:
            facts.append(f"delay {number('delay_ms'):g} ms")
    elif kind == "approval":
        reviewers = meta.get("reviewers")
        for value in (text("request_id"), text("reason")):
            if value:
                facts.append(value)
        if isinstance(reviewers, list) and reviewers and isinstance(reviewers[0], str):
            facts.append(f"reviewer {reviewers[0]}")
    elif kind == "dlq":
        if number("attempt_count") is not None:
            facts.append(f"{number('attempt_count'):g} attempts")
    elif kind == "stage" or kind == "worker":
        for key in ("stage_kind", "branch", "worker_id", "task"):
            if text(key):
                facts.append(f"{key.replace('_', ' ')} {text(key)}")
    return facts
