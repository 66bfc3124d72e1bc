"""Command-palette provider: jump to a run by id or workflow, change filters and sort."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from harn_tui.text import label


class RunCommands(Provider):
    """Runs (by workflow and id) and the run-list filters, in the palette."""

    def _commands(self) -> list[tuple[str, Any, str]]:
        app: Any = self.app
        out: list[tuple[str, Any, str]] = []
        for status in ("all", "active", "completed", "failed"):
            out.append((f"Filter: {status} runs", partial(self._set, "status_filter", status), "Run list status filter"))
        for sort in ("newest", "oldest", "duration"):
            out.append((f"Sort: {sort}", partial(self._set, "sort", sort), "Run list order"))
        names = sorted({r.workflow_name for r in app.runs.values() if r.workflow_name})
        out.append(("Workflow: all", partial(self._set, "workflow_filter", None), "Show every workflow"))
        for name in names:
            out.append((f"Workflow: {name}", partial(self._set, "workflow_filter", name), "Only this workflow"))
        out.append(("Help: keys", app.action_help, "Every key binding"))
        out.append(("Search all runs…", app.action_search, 'Full text of every run: words, "phrases", deploy*, *sub*, in:tool (ctrl+f)'))
        out.append(("HITL inbox", app.action_inbox, "Every HITL question, approval, dual-control and escalation across runs"))
        out.append(("Costs: the runs shown, by model", partial(self._runs_action, "costs"), "Totals, trends by day and workflow, breakdowns by model / provider (key $)"))
        out.append(("Costs: last 7 days by model", partial(self._costs, "7d"), "What last week cost, per model"))
        out.append(("Trigger dead letters", partial(self._runs_action, "dlq"), "The event log's trigger DLQ grouped by error class (key D)"))
        out.append(("Query runs…", partial(self._runs_action, "focus_query"), "status=failed tokens>50k model~sonnet since=2h …"))
        out.append(("Saved queries", partial(self._runs_action, "saved_queries"), "Apply, save or delete saved queries"))
        out.append(("Run: compaction lens", partial(self._run_pane, "lens"), "Context size over time, compactions, snapshot diffs (key 7)"))
        from harn_tui.screens.run import RunScreen

        if isinstance(app.screen, RunScreen):
            out.append(("Compare: this run with the previous run", app.screen.action_compare, "Stage, tool-call, usage and turn differences; first divergence"))
            out.append(("Run: overview (insights, policy, replay & eval, artifacts, story, activity)", app.screen.action_overview, "The portal's run-level views (key O)"))
            out.append(("Run: next failure", app.screen.action_next_error, "Failed stage, attempt error, failed tool call or error event (key e)"))
            out.append(("Run: raw file", app.screen.action_raw_run, "The run file's bytes parsed as JSON, nothing added (R)"))
            out.append(("Run: normalized record", app.screen.action_normalized_run, "Harn's defaults filled in, plus derived keys (J)"))
            out.append(("Run: read-only copy in $EDITOR", app.screen.action_editor, "A temporary copy outside the run root; the run file is never touched (ctrl+e)"))
        out.append(("Run: waterfall timeline", partial(self._run_pane, "waterfall"), "Stages and trace spans as nested bars (key 8)"))
        out.append(("Run: action graph", partial(self._run_pane, "graph"), "Harn's action graph as a tree, planner rounds, worker lineage (key 9)"))
        from harn_tui.widgets.scrubber import palette_commands

        out += palette_commands(app)
        return out

    def _run_list(self) -> Any:
        """Back to the run list (closing the screens above it); the list, or None."""
        from harn_tui.screens.runs import RunsScreen

        app: Any = self.app
        while not isinstance(app.screen, RunsScreen) and len(app.screen_stack) > 2:
            app.pop_screen()
        return app.screen if isinstance(app.screen, RunsScreen) else None

    def _runs_action(self, action: str) -> None:
        if (runs := self._run_list()) is not None:
            getattr(runs, f"action_{action}")()

    def _costs(self, range_key: str) -> None:
        from harn_tui.screens.costs import CostsScreen

        if (runs := self._run_list()) is not None:
            self.app.push_screen(CostsScreen(runs, range_key=range_key))

    def _run_pane(self, pane: str) -> None:
        from harn_tui.screens.run import RunScreen

        if isinstance(self.app.screen, RunScreen):
            self.app.screen.action_pane(pane)

    def _set(self, attr: str, value: Any) -> None:
        if (runs := self._run_list()) is not None:
            setattr(runs, attr, value)

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    def _id_prefix_hit(self, query: str) -> Hit | None:
        """A run id prefix: one run is opened directly; several are named (and listed)."""
        from harn_tui.core.index.run_index import ambiguity, match_runs

        app: Any = self.app
        text = query.strip()
        if len(text) < 3 or " " in text:
            return None
        matches = match_runs(list(app.runs.values()), text)
        if not matches:
            return None
        several = ambiguity(text, matches, shown=3)
        if several is None:
            run = max(matches, key=lambda s: (s.mtime_ns, s.path))
            return Hit(
                1.0,
                label(("Open run ", "dim"), (run.workflow_name, "bold"), (f" {run.id}", "")),
                partial(app.open_run, run),
                text=f"Open run {run.id}",
                help=f"the one run whose id starts with {text!r} · {run.status} · {run.path}",
            )
        return Hit(
            1.0,
            label((several, "")),
            partial(self._runs_query, f"id~{text}"),
            text=several,
            help="list them in the run list (query id~…)",
        )

    def _runs_query(self, text: str) -> None:
        from harn_tui.widgets.query_bar import QueryBar

        if (runs := self._run_list()) is not None:
            runs.query_one(QueryBar).value = text

    async def search(self, query: str) -> Hits:
        app: Any = self.app
        prefix = self._id_prefix_hit(query)
        if prefix is not None:
            yield prefix
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        for run in list(app.runs.values())[:20000]:
            if run.broken:
                continue
            text = f"Open run {run.workflow_name} {run.id}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    label(("Open run ", "dim"), (run.workflow_name, "bold"), (f" {run.id}", "")),
                    partial(app.open_run, run),
                    text=text,
                    help=f"{run.status} · {run.path}",
                )
