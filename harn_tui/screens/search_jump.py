"""Landing on a search hit inside a run, and `/` find-in-pane.

`jump(screen, hit)` picks the pane and row that hold the hit: the stage (stage
text), the HITL question, the model turn (sidecar lines), the replay event
(event-log records); anything else opens the record's JSON on the node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import DataTable

from harn_tui.core.search.extract import walk_strings

if TYPE_CHECKING:
    from harn_tui.core.search.query import Hit
    from harn_tui.screens.run import RunScreen


def _holds(value: Any, text: str) -> bool:
    probe = text[:200]
    return any(probe in s for _f, _p, s in walk_strings(value, "", "other"))


def json_path(value: Any, parts: tuple[str, ...]) -> tuple[Any, ...]:
    """The JSON view's path (keys and list indexes) for pointer parts, as far as it exists."""
    out: list[Any] = []
    node = value
    for part in parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            out.append(int(part))
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        else:
            break
    return tuple(out)


def _table_row(screen: RunScreen, pane: str, row: int) -> bool:
    screen.action_pane(pane)
    table = screen.query_one(f"#{pane}").query(DataTable).first()
    if row < table.row_count:
        table.move_cursor(row=row, animate=False)
        return True
    return False


def jump(screen: RunScreen, hit: Hit) -> str:
    """Show the hit's pane and row; returns the pane (or 'json') it landed on."""
    detail = screen.detail
    if detail is None:
        return ""
    loc = hit.location
    if loc.source == "event":
        replay: Any = screen.query_one("#replay")
        for sid, events in detail.agent_sessions.items():
            for j, ev in enumerate(events):
                if ev.event_id == loc.event_id:
                    screen.action_pane("replay")
                    if replay.session != sid:
                        replay._load(sid, keep=False)
                    for i, row in enumerate(replay.rows):
                        if j in row.indexes:
                            replay.timeline.cursor = i
                            break
                    return "replay"
        app: Any = screen.app  # not one of this run's sessions: show the event as indexed
        app.open_json({"topic": hit.topic, "event_id": loc.event_id, "pointer": loc.pointer,
                       "text": hit.text}, f"event #{loc.event_id}")
        return "event"
    if loc.source == "sidecar":
        turns: Any = screen.query_one("#turns")
        for i, turn in enumerate(detail.model_turns):
            if _holds(turn, hit.text):
                screen.action_pane("turns")
                turns.turn_list.cursor = i
                return "turns"
        screen.action_pane("turns")
        return "turns"
    if loc.source == "record":
        question = loc.index_after("hitl_questions")
        if question is not None and _table_row(screen, "hitl", question):
            return "hitl"
        child = loc.first_index_after("child_runs")
        if child is not None and _table_row(screen, "children", child):
            return "children"
        stage = loc.stage
        if stage is not None and _table_row(screen, "stages", stage):
            return "stages"
    app: Any = screen.app
    app.open_json(detail.raw, detail.rel)
    from harn_tui.screens.json_view import JsonScreen

    target = app.screen_stack[-1] if app.screen_stack else None
    if isinstance(target, JsonScreen):
        path = json_path(detail.raw, loc.parts)
        screen.call_after_refresh(_reveal_hit, target, path, hit)
    return "json"


def _reveal_hit(target: Any, path: tuple[Any, ...], hit: Hit) -> None:
    """Select the node, highlight the match in its label, and show the hit under the tree."""
    from harn_tui.screens.search import snippet_text

    target.reveal(path)
    node = target.tree.cursor_node
    if node is not None:
        label = target.tree.ensure_label(node)
        words = {hit.text[a:b] for a, b in hit.marks or ((hit.start, hit.end),)}
        label.highlight_words(sorted(words), "bold reverse", case_sensitive=False)
        target.tree.refresh()
    note = snippet_text(hit, 160)
    note.append(f"   ({hit.describe()})", style="dim")
    target.hit_note = note
    target._note(note)


def find_in_pane(screen: RunScreen, needle: str, step: int = 1) -> bool:
    """Move the current pane's cursor to the next row whose text holds `needle`."""
    pane: Any = screen.current_pane()
    if hasattr(pane, "find_text"):
        return bool(pane.find_text(needle, step))
    low = needle.lower()
    for table in pane.query(DataTable):
        if not table.display or not table.row_count:
            continue
        n = table.row_count
        start = table.cursor_row
        for k in range(1, n + 1):
            row = (start + k * step) % n
            cells = table.get_row_at(row)
            if any(low in (c.plain if hasattr(c, "plain") else str(c)).lower() for c in cells):
                table.move_cursor(row=row, animate=False)
                return True
    rows = getattr(pane, "rows", None) or getattr(pane, "turns", None)
    if rows:  # replay timeline rows / model turns: search their data
        items = pane.turns if getattr(pane, "turns", None) else [
            [pane.events[i].event for i in r.indexes] for r in pane.rows]
        listing = pane.turn_list if getattr(pane, "turns", None) else pane.timeline
        n = len(items)
        for k in range(1, n + 1):
            i = (listing.cursor + k * step) % n
            if any(low in s.lower() for _f, _p, s in walk_strings(items[i], "", "other")):
                listing.cursor = i
                return True
    return False
