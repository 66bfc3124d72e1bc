"""The run overview: the portal's run-level views as one virtual list of sections.

Sections (in order): Insights, Failures, Policy & validation, Replay & eval, Artifacts,
Story, Activity, Transitions, Checkpoints. Each row carries an action the overview
screen performs on `enter` (jump to a pane, open a text or JSON view, copy a command).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text

from harn_tui.core.analysis import run_analysis as ra
from harn_tui.core.analysis.failures import failure_points
from harn_tui.core.analysis.story import build_story
from harn_tui.core.format.numbers import fmt_count, fmt_tokens
from harn_tui.core.format.timestamps import format_duration
from harn_tui.text import line
from harn_tui.widgets.virtual_list import KeyedList

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

SECTIONS = (
    ("insights", "Insights"),
    ("failures", "Failures"),
    ("policy", "Policy & validation"),
    ("replay", "Replay & eval"),
    ("artifacts", "Artifacts"),
    ("story", "Story"),
    ("activity", "Runtime activity"),
    ("transitions", "Transitions"),
    ("checkpoints", "Checkpoints"),
    ("skills", "Skills: timeline, tool loads, matcher"),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One overview line: a section header (`parts` empty) or an item."""

    section: str
    key: str
    parts: tuple[tuple[Any, str, int | None], ...] = ()
    #: ("pane", pane_id, payload) · ("failure", index) · ("text", title, body) ·
    #: ("json", title, value) · ("copy", text) · ("row", row_key) · None
    action: tuple[Any, ...] | None = None
    header: str = ""


def _item(section: str, key: str, *parts: tuple[Any, str, int | None], action: tuple[Any, ...] | None = None) -> Row:
    return Row(section, key, tuple(parts), action)


def _insights(detail: RunDetail, story: list[Any]) -> list[Row]:
    rows = []
    for i, ins in enumerate(ra.build_insights(detail.normalized, detail.model_turns, story)):
        action: tuple[Any, ...] | None = None
        if ins.target is not None:
            kind, value = ins.target
            if kind == "stage":
                action = ("pane", "stages", value)
            elif kind == "stages":
                action = ("pane", "stages", None)
            elif kind == "waterfall":
                action = ("pane", "waterfall", value)
            elif kind == "turn":
                action = ("pane", "turns", value)
            elif kind == "story":
                action = ("row", f"story:{value}")
        rows.append(_item("insights", f"insight:{i}", (ins.label, "bold", 20), (ins.value, "cyan", 40),
                          (ins.detail, "dim", None), action=action))
    return rows


def _failures(detail: RunDetail) -> list[Row]:
    return [
        _item("failures", f"failure:{i}", (p.label, "bold red", 30), (p.message, "red", None), action=("failure", i))
        for i, p in enumerate(failure_points(detail))
    ]


def _policy(detail: RunDetail) -> list[Row]:
    p = ra.build_policy_summary(detail.normalized)
    raw = detail.normalized.get("policy")
    act = ("json", "policy", raw)

    def listed(values: list[str]) -> str:
        return ", ".join(values) if values else "—"

    rows = [
        _item("policy", "policy:tools", ("allowed tools", "dim", 20), (listed(p.tools), "", None), action=act),
        _item("policy", "policy:caps", ("capabilities", "dim", 20), (listed(p.capabilities), "", None), action=act),
        _item("policy", "policy:roots", ("workspace roots", "dim", 20), (listed(p.workspace_roots), "", None), action=act),
        _item("policy", "policy:side", ("side-effect level", "dim", 20), (p.side_effect_level or "—", "", None), action=act),
        _item("policy", "policy:recursion", ("recursion limit", "dim", 20),
              (str(p.recursion_limit) if p.recursion_limit is not None else "—", "", None), action=act),
        _item("policy", "policy:constraints", ("tool-arg constraints", "dim", 20),
              (listed(p.tool_arg_constraints), "", None), action=act),
    ]
    validation = detail.normalized.get("metadata", {}).get("validation") if isinstance(
        detail.normalized.get("metadata"), dict) else None
    vact = ("json", "validation", validation)
    if p.validation_valid is None:
        rows.append(_item("policy", "policy:valid", ("validation", "dim", 20), ("no validation report", "dim", None)))
    else:
        rows.append(_item("policy", "policy:valid", ("validation", "dim", 20),
                          ("✓ valid" if p.validation_valid else "✗ invalid", "green" if p.validation_valid else "bold red", None),
                          action=vact))
        for i, error in enumerate(p.validation_errors):
            rows.append(_item("policy", f"policy:error:{i}", ("  error", "red", 20), (error, "red", None), action=vact))
        for i, warning in enumerate(p.validation_warnings):
            rows.append(_item("policy", f"policy:warn:{i}", ("  warning", "yellow", 20), (warning, "yellow", None), action=vact))
        rows.append(_item("policy", "policy:reachable", ("reachable nodes", "dim", 20),
                          (listed(p.reachable_nodes), "", None), action=vact))
    return rows


def _replay(detail: RunDetail, run_path: str) -> list[Row]:
    rows = [
        _item("replay", f"replay:cmd:{i}", ("copy", "dim", 20), (cmd, "bold green", None), action=("copy", cmd))
        for i, cmd in enumerate(ra.replay_commands(run_path))
    ]
    summary = ra.build_replay_summary(detail.normalized)
    if summary is None:
        rows.append(_item("replay", "replay:none", ("fixture", "dim", 20),
                          ("No replay fixture was saved with this run yet.", "dim", None)))
        return rows
    act = ("json", "replay fixture", detail.normalized.get("replay_fixture"))
    rows.append(_item("replay", "replay:fixture", ("fixture", "dim", 20), (summary["fixture_id"], "", 44),
                      (f"source run {summary['source_run_id']} · created {summary['created_at']} · expected "
                       f"{summary['expected_status']}", "dim", None), action=act))
    for i, s in enumerate(summary["stage_assertions"]):
        want = f"{s['expected_status']}/{s['expected_outcome']}"
        if s["expected_branch"]:
            want += f" → {s['expected_branch']}"
        extra = []
        if s["required_artifact_kinds"]:
            extra.append("artifacts " + ", ".join(s["required_artifact_kinds"]))
        if s["visible_text_contains"]:
            extra.append(f"text ∋ {s['visible_text_contains']!r}")
        rows.append(_item("replay", f"replay:stage:{i}", (f"  {s['node_id']}", "bold", 20), (want, "cyan", 36),
                          (" · ".join(extra), "dim", None), action=("json", f"assertion {s['node_id']}", s)))
    return rows


def _artifacts(detail: RunDetail) -> list[Row]:
    rows = []
    for i, a in enumerate(ra.build_artifacts(detail.normalized)):
        raw = a["raw"]
        body = raw.get("text")
        action = ("text", f"artifact {a['id']}", body) if isinstance(body, str) else ("json", f"artifact {a['id']}", raw)
        tokens = fmt_tokens(a["estimated_tokens"]) + " tok" if a["estimated_tokens"] is not None else ""
        meta = " · ".join(x for x in (a["kind"], a["stage"] or "", a["source"] or "", tokens,
                                       f"lineage {a['lineage_count']}" if a["lineage_count"] else "") if x)
        rows.append(_item("artifacts", f"artifact:{i}", (a["title"], "bold", 28), (meta, "cyan", 44),
                          (a["preview"], "dim", None), action=action))
    return rows


def _story(story: list[Any]) -> list[Row]:
    return [
        _item("story", f"story:{i}", (s.title, "bold", 24), (f"{s.role} · {s.source}", "dim", 22),
              (s.preview, "", None), action=("text", f"{s.title} · {s.role}", s.text))
        for i, s in enumerate(story)
    ]


def _activity(detail: RunDetail) -> list[Row]:
    rows = []
    for i, a in enumerate(ra.build_activities(detail.normalized)):
        when = f"+{format_duration(a.started_offset_ms) or '0ms'}"
        rows.append(_item("activity", f"activity:{i}", (when, "dim", 9), (a.label, "bold", 30),
                          (format_duration(a.duration_ms), "", 8), (a.stage_node_id or "—", "cyan", 14),
                          (a.summary, "dim", None), action=("json", a.label, a.raw)))
    return rows


def _transitions(detail: RunDetail) -> list[Row]:
    return [
        _item("transitions", f"transition:{i}", (f"{t['from_node_id'] or '∅'} → {t['to_node_id']}", "bold", 36),
              (t["branch"] or "", "italic", 16),
              (f"consumed {t['consumed_count']} · produced {t['produced_count']}", "dim", None),
              action=("json", f"transition {i + 1}", t["raw"]))
        for i, t in enumerate(ra.build_transitions(detail.normalized))
    ]


def _checkpoints(detail: RunDetail) -> list[Row]:
    return [
        _item("checkpoints", f"checkpoint:{i}", (c["reason"] or "checkpoint", "bold", 24),
              (f"ready {c['ready_count']} · completed {c['completed_count']}", "", 28),
              (f"last stage {c['last_stage_id']}" if c["last_stage_id"] else "", "dim", None),
              action=("json", f"checkpoint {i + 1}", c["raw"]))
        for i, c in enumerate(ra.build_checkpoints(detail.normalized))
    ]


def _skills(detail: RunDetail) -> list[Row]:
    from harn_tui.core.analysis.skill_events import extract

    ev = extract(detail.normalized)
    rows = []
    for i, sk in enumerate(ev.timeline):
        until = f"→{sk.deactivated_iteration}" if sk.deactivated_iteration is not None else "→…"
        score = f" score {sk.score:g}" if sk.score is not None else ""
        tools = f" · tools {', '.join(sk.allowed_tools)}" if sk.allowed_tools else ""
        rows.append(_item("skills", f"skill:{i}", ("★ " + sk.name, "bold yellow", 24),
                          (f"it {sk.activated_iteration}{until}{score}", "cyan", 22),
                          (f"{sk.reason}{tools} · {sk.scope}", "dim", None),
                          action=("json", f"skill {sk.name}", _asdict(sk))))
    for i, load in enumerate(ev.tool_loads):
        how = "/".join(x for x in (load.strategy, load.mode) if x)
        promoted = ", ".join(load.promoted) or "nothing"
        refs = f" (refs {', '.join(load.references)})" if load.references else ""
        rows.append(_item("skills", f"toolload:{i}", ("⌕ " + (load.query or "(no query)"), "bold", 30),
                          (f"[{how}]" if how else "", "dim", 14), (f"→ {promoted}{refs}", "green", None),
                          action=("json", f"tool load {i + 1}", _asdict(load))))
    for i, m in enumerate(ev.matches):
        ranked = " · ".join(f"{name} {score:g}" + (f" ({reason})" if reason else "") for name, score, reason in m.candidates)
        flags = f"{m.strategy}{' reassess' if m.reassess else ''}"
        rows.append(_item("skills", f"match:{i}", (f"matcher it {m.iteration}", "bold", 24), (flags, "dim", 22),
                          (ranked or "no candidates", "", None), action=("json", f"matcher it {m.iteration}", _asdict(m))))
    return rows


def _asdict(value: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(value)


def build_rows(detail: RunDetail, run_path: str) -> list[Row]:
    """Every section, each under a header row naming it and its count."""
    story = build_story(detail.normalized)
    parts = {
        "insights": _insights(detail, story),
        "failures": _failures(detail),
        "policy": _policy(detail),
        "replay": _replay(detail, run_path),
        "artifacts": _artifacts(detail),
        "story": _story(story),
        "activity": _activity(detail),
        "transitions": _transitions(detail),
        "checkpoints": _checkpoints(detail),
        "skills": _skills(detail),
    }
    rows: list[Row] = []
    for n, (section, title) in enumerate(SECTIONS, start=1):
        n %= 10  # the tenth section is key 0
        items = parts[section]
        count = "" if section in ("insights", "policy", "replay") else f" ({fmt_count(len(items))})"
        rows.append(Row(section, f"header:{section}", header=f"{n} {title}{count}"))
        rows.extend(items)
        if not items:
            rows.append(_item(section, f"none:{section}", ("none", "dim italic", None)))
    return rows


class OverviewList(KeyedList[Row]):
    """The overview's rows; headers are bold, items are columns cut to fit."""

    def row_key(self, row: Row) -> object:
        return row.key

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        row = self.rows[index]
        if row.header:
            out = Text("── ", style="bold cyan", no_wrap=True, end="")
            out.append(row.header, style="bold")
            out.append(" " + "─" * max(width - out.cell_len - 1, 0), style="cyan")
            return out
        out = Text("  ", no_wrap=True, end="")
        scale = min(width, 120) / 120  # fixed columns shrink on narrow terminals
        for value, style, fixed in row.parts:
            cells = max(int(fixed * scale), 6) if fixed else None
            room = width - out.cell_len
            if room <= 1:
                break
            cell = line(value, style, min(cells, room) if cells else room)
            if cells:
                cell.pad_right(max(min(cells, room) - cell.cell_len, 0))
            out.append_text(cell)
            out.append(" ")
        if row.action is not None and row.action[0] in ("pane", "failure", "row"):
            out.truncate(max(width - 2, 0))
            out.pad_right(max(width - 2 - out.cell_len, 0))
            out.append(" ›", style="dim")
        return out
