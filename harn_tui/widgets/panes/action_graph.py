"""Action graph pane: Harn's derived graph plus live `observability.action_graph` updates.

Rows are typed (run, trigger, predicate, stage, worker, dispatch, A2A hop, worker
enqueue, retry, approval, DLQ) and drawn as a tree from the entry node, each edge's
kind on its row; below, the planner rounds, verification outcomes and worker lineage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from harn_tui.core.analysis import action_graph as G
from harn_tui.core.format.derive import dicts, obj
from harn_tui.text import line
from harn_tui.widgets.panes.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.status import badge
from harn_tui.widgets.table import PaneTable

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

KIND_STYLE = {
    "run": "bold",
    "trigger": "magenta",
    "predicate": "yellow",
    "trigger_predicate": "yellow",
    "stage": "cyan",
    "worker": "blue",
    "dispatch": "green",
    "a2a_hop": "green",
    "worker_enqueue": "blue",
    "retry": "yellow",
    "approval": "bold yellow",
    "dlq": "bold red",
}


def graph_of(detail: RunDetail) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's derived graph merged with the live updates read from the event log."""
    obs = obj(detail.normalized.get("observability"))
    return G.merge(
        dicts(obs.get("action_graph_nodes")),
        dicts(obs.get("action_graph_edges")),
        detail.live_graph,
    )


def rounds_text(detail: RunDetail) -> Text:
    """Planner rounds, research facts and worker lineage, one block each."""
    obs = obj(detail.normalized.get("observability"))
    rounds = dicts(obs.get("planner_rounds"))
    out = Text()
    out.append(f"Planner rounds ({len(rounds)})", style="bold underline")
    out.append(f"  research facts {obs.get('research_fact_count', 0)}\n", style="dim")
    for planner in rounds:
        out.append_text(line(planner.get("node_id"), "bold cyan", 24))
        out.append(
            f"  {planner.get('iteration_count', 0)} iterations · {planner.get('llm_call_count', 0)} LLM calls"
            f" · {planner.get('tool_execution_count', 0)} tools ({planner.get('tool_rejection_count', 0)} rejected)"
            f" · {planner.get('intervention_count', 0)} interventions"
            f" · {planner.get('compaction_count', 0)} compactions\n"
        )
        tools = planner.get("tools_used")
        if isinstance(tools, list) and tools:
            out.append("  tools ", style="dim")
            out.append_text(line(", ".join(str(t) for t in tools), "", 100))
            out.append("\n")
        ledger = planner.get("task_ledger")
        if isinstance(ledger, dict):
            out.append("  task ledger ", style="dim")
            out.append_text(line(ledger.get("root_task") or "-", "", 60))
            out.append(
                f"  {len(dicts(ledger.get('deliverables')))} deliverables,"
                f" {ledger.get('blocking_count', 0)} blocking\n",
                style="dim",
            )
        for fact in planner.get("research_facts") or []:
            out.append("  • ", style="dim")
            out.append_text(line(fact, "", 100))
            out.append("\n")
    outcomes = dicts(obs.get("verification_outcomes"))
    if outcomes:  # Harn's graph has no verification node: its outcomes are listed here
        out.append(f"\nVerification ({len(outcomes)})\n", style="bold underline")
        for outcome in outcomes:
            passed = outcome.get("passed")
            mark, style = {True: ("✓ passed", "green"), False: ("✗ failed", "red")}.get(passed, ("? unknown", "yellow"))
            out.append_text(line(outcome.get("node_id"), "bold", 24))
            out.append(f"  {mark}  ", style=style)
            out.append_text(line(outcome.get("summary") or "", "dim", 80))
            out.append("\n")
    lineage = dicts(obs.get("worker_lineage"))
    out.append(f"\nWorker lineage ({len(lineage)})\n", style="bold underline")
    for worker in lineage:
        out.append_text(line(worker.get("worker_name"), "bold", 24))
        out.append(" ")
        out.append_text(badge(str(worker.get("status") or ""), None, 14))
        out.append("   stage ", style="dim")
        out.append_text(line(worker.get("parent_stage_id") or "-", "", 24))
        out.append("   session ", style="dim")
        out.append_text(line(worker.get("session_id") or "-", "", 20))
        out.append("   run ", style="dim")
        out.append_text(line(worker.get("run_path") or worker.get("run_id") or "-", "", 40))
        out.append("\n")
    return out


class ActionGraphPane(Pane):
    title = "Graph"

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.rows: list[G.GraphRow] = []
        self._stale = False

    def compose(self) -> ComposeResult:
        table = PaneTable(id="graph-table")
        table.styles.height = "auto"  # inline: the app's `DataTable { height: 1fr }` would win
        table.styles.max_height = "60%"
        table.add_columns("node", "kind", "status", "via", "facts")
        yield table
        yield Static(id="graph-note", classes="empty-note")
        with VerticalScroll(id="graph-rounds-box"):
            yield Static(id="graph-rounds")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#graph-table", DataTable)

    def show(self, detail: RunDetail) -> None:
        """Take a fresh detail; the rebuild waits until the pane is on screen."""
        super().show(detail)
        self._stale = True
        if self.on_screen():
            self._rebuild(detail)

    def on_show(self) -> None:
        if self._stale and self.detail is not None:
            self._rebuild(self.detail)

    def _rebuild(self, detail: RunDetail) -> None:
        self._stale = False
        nodes, edges = graph_of(detail)
        self.rows = G.tree_rows(nodes, edges)
        table = self.table
        key, cursor = table_cursor_key(table), table.cursor_row
        table.clear()
        for i, row in enumerate(self.rows):
            node = row.node
            kind = str(node.get("kind") or "")
            name = Text(no_wrap=True, end="")
            name.append(row.prefix.replace(" ", "\u00a0"), style="dim")  # kept: cells strip spaces
            if row.depth > G.MAX_INDENT:
                name.append(f"{row.depth}› ", style="dim")
            name.append_text(line(node.get("label") or node.get("id"), KIND_STYLE.get(kind, ""), 40))
            if row.repeat:
                name.append(" ↺", style="dim")
            edge = row.edge or {}
            via = line(
                " ".join(str(p) for p in (edge.get("kind"), edge.get("label")) if p), "dim", 24
            )
            table.add_row(
                name,
                line(G.NODE_KINDS.get(kind, kind), KIND_STYLE.get(kind, ""), 16),
                badge(str(node.get("status") or ""), None, 14),
                via,
                line(" · ".join(G.node_facts(node)), "", 60),
                key=f"{node.get('id')}#{i}" if row.repeat else str(node.get("id")),
            )
        restore_cursor(table, key, cursor)
        live = len(detail.live_graph)
        note = self.query_one("#graph-note", Static)
        note.update(
            "No action graph." if not self.rows
            else f"{len(nodes)} nodes, {len(edges)} edges"
            + (f" · {live} live update{'s' if live != 1 else ''} from the event log" if live else "")
        )  # fmt: skip
        self.query_one("#graph-rounds", Static).update(rounds_text(detail))

    def current(self) -> G.GraphRow | None:
        row = self.table.cursor_row
        return self.rows[row] if self.rows and 0 <= row < len(self.rows) else None

    def selection(self) -> tuple[str, Any] | None:
        row = self.current()
        if row is None:
            return None
        return f"action graph node {row.node.get('id')}", {"node": row.node, "via": row.edge}

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
