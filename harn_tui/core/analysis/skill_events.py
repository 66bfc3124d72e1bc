"""Skill observability (Harn portal `skill_events.rs`): skills, matcher decisions, tool loads.

Walks the run transcript's events, then each stage transcript's, in order: pairs
`skill_activated` / `skill_deactivated` into timeline entries (a `skill_scope_tools`
event narrows the open entry's tools), keeps each `skill_matched` ranking, and pairs
`tool_search_query` / `tool_search_result` by id into tool-load rows (a result without
its query still gets a row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.schema import json_int, json_number, str_list, to_str


@dataclass(slots=True)
class SkillSpan:
    name: str
    description: str
    activated_iteration: int
    deactivated_iteration: int | None
    score: float | None
    reason: str
    allowed_tools: list[str]
    scope: str


@dataclass(slots=True)
class SkillMatch:
    iteration: int
    strategy: str
    reassess: bool
    working_files: list[str]
    #: (name, score, reason)
    candidates: list[tuple[str, float, str]]
    scope: str = ""


@dataclass(slots=True)
class ToolLoad:
    query: str
    strategy: str
    mode: str
    tool_use_id: str | None
    promoted: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    scope: str = ""


@dataclass(slots=True)
class SkillEvents:
    timeline: list[SkillSpan] = field(default_factory=list)
    matches: list[SkillMatch] = field(default_factory=list)
    tool_loads: list[ToolLoad] = field(default_factory=list)
    active_skills: list[str] = field(default_factory=list)


def _name(meta: dict[str, Any]) -> str:
    """`metadata.name` (Harn's key), else `skill_name` (older writers)."""
    for key in ("name", "skill_name"):
        if isinstance(meta.get(key), str):
            return meta[key]
    return ""


def _events(run: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [("run", e) for e in dicts(obj(run.get("transcript")).get("events"))]
    for stage in dicts(run.get("stages")):
        scope = f"stage:{to_str(stage.get('node_id'))}"
        out += [(scope, e) for e in dicts(obj(stage.get("transcript")).get("events"))]
    return out


def _query_text(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("query"), str):
        return raw["query"]
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, separators=(",", ":")) if raw is not None else "null"


def extract(run: dict[str, Any]) -> SkillEvents:
    """Every skill and tool-search event of a run, folded as the portal folds them."""
    out = SkillEvents()
    open_skill: dict[str, int] = {}
    query_by_id: dict[str, int] = {}
    for scope, event in _events(run):
        kind = event.get("kind")
        meta = obj(event.get("metadata"))
        if kind == "skill_matched":
            candidates = [
                (to_str(c.get("name")), json_number(c.get("score"), 0.0), to_str(c.get("reason")))
                for c in dicts(meta.get("candidates"))
            ]
            out.matches.append(SkillMatch(
                json_int(meta.get("iteration"), 0), to_str(meta.get("strategy")), meta.get("reassess") is True,
                str_list(meta.get("working_files")), candidates, scope,
            ))
        elif kind == "skill_activated":
            entry = SkillSpan(
                _name(meta), to_str(meta.get("description")), json_int(meta.get("iteration"), 0), None,
                json_number(meta.get("score")), to_str(meta.get("reason")), str_list(meta.get("allowed_tools")), scope,
            )
            if entry.name not in out.active_skills:
                out.active_skills.append(entry.name)
            open_skill[entry.name] = len(out.timeline)
            out.timeline.append(entry)
        elif kind == "skill_deactivated":
            index = open_skill.pop(_name(meta), None)
            if index is not None:
                out.timeline[index].deactivated_iteration = json_int(meta.get("iteration"))
        elif kind == "skill_scope_tools":
            index = open_skill.get(_name(meta))
            tools = str_list(meta.get("allowed_tools"))
            if index is not None and tools:
                out.timeline[index].allowed_tools = tools
        elif kind == "tool_search_query":
            qid = to_str(meta.get("id"))
            if qid:
                query_by_id[qid] = len(out.tool_loads)
            out.tool_loads.append(ToolLoad(
                _query_text(meta.get("query")), to_str(meta.get("strategy")), to_str(meta.get("mode")),
                qid or None, scope=scope,
            ))
        elif kind == "tool_search_result":
            use_id = to_str(meta.get("tool_use_id"))
            promoted = str_list(meta.get("promoted"))
            refs = [to_str(r.get("tool_name")) for r in dicts(meta.get("tool_references"))
                    if isinstance(r.get("tool_name"), str)]
            index = query_by_id.pop(use_id, None)
            if index is not None:
                out.tool_loads[index].promoted = promoted
                out.tool_loads[index].references = refs
            else:
                out.tool_loads.append(ToolLoad("", "", "", use_id or None, promoted, refs, scope))
    return out
