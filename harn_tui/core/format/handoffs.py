"""Harn's handoff sync, as `sync_run_handoffs` in harn-vm `orchestration/handoffs.rs` (e45362c).

Handoffs listed in `handoffs` and those carried by `handoff` artifacts are
normalized (`HandoffArtifact::normalize`), merged by id (`merge_handoffs`), sorted
by `created_at` (parsed; Harn compares the text), given the run's `run_receipt` link and
`parent_run_id`, and mirrored back into their artifact — found by
`metadata.handoff_id` or `data.id` and updated in place, else appended.

Two differences, both because a read-only viewer cannot invent values: a handoff
with no id is named `handoff_unnamed_<n>` (Harn: a fresh `handoff_<uuidv7>`), and a
missing `created_at` stays empty (Harn: the current time).
"""

from __future__ import annotations

import math
from typing import Any

from harn_tui.core.format.schema import json_int, json_number, json_str, str_items
from harn_tui.core.format.timestamps import sort_key

HANDOFF_TYPE = "handoff_artifact"
HANDOFF_KIND = "handoff"
RUN_RECEIPT = "run_receipt"

_STR_FIELDS = ("_type", "id", "source_persona", "task", "reason", "created_at")
_LIST_FIELDS = (
    "files_or_entities_touched",
    "open_questions",
    "blocked_on",
    "requested_capabilities",
    "allowed_side_effects",
)
_EVIDENCE_FIELDS = ("artifact_id", "kind", "label", "path", "uri")
_LINK_FIELDS = ("kind", "label", "run_id", "artifact_id", "path", "href")


def _blank_none(value: str | None) -> str | None:
    return None if value is not None and not value.strip() else value


def parses(value: Any) -> bool:
    """Whether serde would deserialize `value` as a HandoffArtifact (types of present keys)."""
    if not isinstance(value, dict):
        return False
    for key in _STR_FIELDS:
        if key in value and not isinstance(value[key], str):
            return False
    for key in _LIST_FIELDS:
        if key in value and not (
            isinstance(value[key], list) and all(isinstance(v, str) for v in value[key])
        ):
            return False
    if value.get("parent_run_id") is not None and not isinstance(value["parent_run_id"], str):
        return False
    target = value.get("target_persona_or_human", {})
    if not isinstance(target, dict) or ("kind" in target and not isinstance(target["kind"], str)):
        return False
    for key in ("id", "label"):
        if target.get(key) is not None and not isinstance(target[key], str):
            return False
    if value.get("confidence") is not None and json_number(value["confidence"]) is None:
        return False
    for key, fields in (("evidence_refs", _EVIDENCE_FIELDS), ("receipt_links", _LINK_FIELDS)):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return False
        for item in items:
            for field in fields:
                if item.get(field) is not None and not isinstance(item[field], str):
                    return False
            if key == "receipt_links" and "kind" in item and not isinstance(item["kind"], str):
                return False
    for key in ("budget_remaining", "deadline_checkback"):
        if value.get(key) is not None and not isinstance(value[key], dict):
            return False
    return isinstance(value.get("metadata", {}), dict)


def _string_list(values: list[str]) -> list[str]:
    """Harn's `normalize_string_list`: trimmed, blanks dropped, first of each kept."""
    seen: set[str] = set()
    out = []
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.add(value)
            out.append(value)
    return out


def normalize_link(link: Any) -> dict[str, Any]:
    """`HandoffReceiptLinkRecord::normalize`."""
    link = link if isinstance(link, dict) else {}
    kind = json_str(link.get("kind"), "")
    out: dict[str, Any] = {"kind": kind if kind.strip() else RUN_RECEIPT}
    for key in _LINK_FIELDS[1:]:
        out[key] = _blank_none(json_str(link.get(key)))
    return out


def _target(value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    kind = json_str(value.get("kind"), "").strip()
    return {
        "kind": kind if kind in ("human", "persona") else "persona",
        "id": _blank_none(json_str(value.get("id"))),
        "label": _blank_none(json_str(value.get("label"))),
    }


def display_name(target: dict[str, Any]) -> str:
    """`HandoffTargetRecord::display_name`: label, else id, else "unknown"."""
    return target.get("label") or target.get("id") or "unknown"


def normalize(raw: Any, fallback_id: str) -> dict[str, Any]:
    """`HandoffArtifact::normalize` of a handoff object, in Harn's field order."""
    raw = raw if isinstance(raw, dict) else {}
    budget = raw.get("budget_remaining")
    deadline = raw.get("deadline_checkback")
    confidence = json_number(raw.get("confidence"))
    return {
        "_type": json_str(raw.get("_type"), "") or HANDOFF_TYPE,
        "id": json_str(raw.get("id"), "") or fallback_id,
        "parent_run_id": json_str(raw.get("parent_run_id")),
        "source_persona": json_str(raw.get("source_persona"), "").strip(),
        "target_persona_or_human": _target(raw.get("target_persona_or_human")),
        "task": json_str(raw.get("task"), "").strip(),
        "reason": json_str(raw.get("reason"), "").strip(),
        "evidence_refs": [
            {key: json_str(item.get(key)) for key in _EVIDENCE_FIELDS}
            for item in raw.get("evidence_refs") or []
            if isinstance(item, dict)
        ],
        **{key: _string_list(str_items(raw.get(key))) for key in _LIST_FIELDS},
        "budget_remaining": {
            "tokens": json_int(budget.get("tokens")),
            "tool_calls": json_int(budget.get("tool_calls")),
            "dollars": json_number(budget.get("dollars")),
        }
        if isinstance(budget, dict)
        else None,
        "deadline_checkback": {
            "deadline": json_str(deadline.get("deadline")),
            "checkback_at": json_str(deadline.get("checkback_at")),
        }
        if isinstance(deadline, dict)
        else None,
        "confidence": min(max(confidence, 0.0), 1.0) if confidence is not None else None,
        "receipt_links": [normalize_link(link) for link in raw.get("receipt_links") or []],
        "created_at": json_str(raw.get("created_at"), ""),
        "metadata": dict(sorted((raw.get("metadata") or {}).items()))
        if isinstance(raw.get("metadata"), dict)
        else {},
    }


def _validated(value: dict[str, Any], fallback_id: str) -> dict[str, Any] | None:
    """`normalize_handoff_artifact_json`: parse, normalize, require the four fields."""
    if not parses(value):
        return None
    handoff = normalize(value, fallback_id)
    if (
        not handoff["source_persona"]
        or display_name(handoff["target_persona_or_human"]) == "unknown"
        or not handoff["task"]
        or not handoff["reason"]
    ):
        return None
    return handoff


def from_json(value: Any, fallback_id: str) -> dict[str, Any] | None:
    """`handoff_from_json_value`: a handoff, an artifact holding one, or an agent-state handoff."""
    if not isinstance(value, dict):
        return None
    kind = value.get("_type")
    if kind == HANDOFF_TYPE or all(
        k in value for k in ("source_persona", "target_persona_or_human", "task")
    ):
        return _validated(value, fallback_id)
    if kind == "artifact" or value.get("kind") == HANDOFF_KIND:
        nested = from_json(value["data"], fallback_id) if "data" in value else None
        return nested or _validated(value, fallback_id)
    if kind == "agent_state_handoff":
        for key in ("handoff", "summary"):
            if key in value:
                found = from_json(value[key], fallback_id)
                if found:
                    return found
    return None


def _links_merged(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`merge_receipt_links`: normalized, first of each (kind, run_id, artifact_id, path, href)."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for link in map(normalize_link, left + right):
        key = (link["kind"], link["run_id"], link["artifact_id"], link["path"], link["href"])
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


def merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """`merge_handoffs`: the left handoff's empty fields filled from the right one."""
    out = dict(left)
    if out["parent_run_id"] is None:
        out["parent_run_id"] = right["parent_run_id"]
    for key in ("source_persona", "task", "reason"):
        if not out[key]:
            out[key] = right[key]
    if display_name(out["target_persona_or_human"]) == "unknown":
        out["target_persona_or_human"] = right["target_persona_or_human"]
    for key in ("evidence_refs", *_LIST_FIELDS):
        if not out[key]:
            out[key] = right[key]
    for key in ("budget_remaining", "deadline_checkback", "confidence"):
        if out[key] is None:
            out[key] = right[key]
    out["receipt_links"] = _links_merged(out["receipt_links"], right["receipt_links"])
    out["metadata"] = dict(sorted({**right["metadata"], **out["metadata"]}.items()))
    return out


def _fmt_float(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def context_text(handoff: dict[str, Any]) -> str:
    """`handoff_context_text`: the `<handoff>` block Harn writes into the artifact text."""
    target = handoff["target_persona_or_human"]
    lines = [
        f"<source_persona>{handoff['source_persona']}</source_persona>",
        f'<target kind="{target["kind"]}">{display_name(target)}</target>',
        f"<task>{handoff['task']}</task>",
        f"<reason>{handoff['reason']}</reason>",
    ]
    for label in _LIST_FIELDS:
        if handoff[label]:
            lines += [f"<{label}>", *(f"- {item}" for item in handoff[label]), f"</{label}>"]
    if handoff["evidence_refs"]:
        lines.append("<evidence_refs>")
        for ref in handoff["evidence_refs"]:
            parts = [ref["label"]] if ref["label"] is not None else []
            for key in ("artifact_id", "path", "uri", "kind"):
                if ref[key] is not None:
                    parts.append(f"{key}={ref[key]}")
            lines.append(f"- {' | '.join(parts)}")
        lines.append("</evidence_refs>")
    budget = handoff["budget_remaining"]
    if budget is not None:
        tokens = "" if budget["tokens"] is None else str(budget["tokens"])
        calls = "" if budget["tool_calls"] is None else str(budget["tool_calls"])
        dollars = "" if budget["dollars"] is None else _fmt_float(budget["dollars"], 4)
        lines.append(
            f'<budget_remaining tokens="{tokens}" tool_calls="{calls}" dollars="{dollars}" />'
        )
    deadline = handoff["deadline_checkback"]
    if deadline is not None:
        lines.append(
            f'<deadline_checkback deadline="{deadline["deadline"] or ""}" '
            f'checkback_at="{deadline["checkback_at"] or ""}" />'
        )
    if handoff["confidence"] is not None:
        lines.append(f"<confidence>{_fmt_float(handoff['confidence'], 2)}</confidence>")
    return "<handoff>\n" + "\n".join(lines) + "\n</handoff>"


def artifact_record(handoff: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """`handoff_artifact_record` (then `ArtifactRecord::normalize`)."""
    old = existing or {}
    target_label = display_name(handoff["target_persona_or_human"])
    metadata = dict(old.get("metadata") or {})
    metadata.update(
        {
            "handoff_id": handoff["id"],
            "target_kind": handoff["target_persona_or_human"]["kind"],
            "target_label": target_label,
        }
    )
    text = context_text(handoff)
    return {
        "_type": "artifact",
        "id": old.get("id") or f"artifact_{handoff['id']}",
        "kind": HANDOFF_KIND,
        "title": old.get("title") if old.get("title") is not None else f"Handoff to {target_label}",
        "text": text,
        "data": handoff,
        "source": old.get("source") if old.get("source") is not None else handoff["source_persona"],
        "created_at": old.get("created_at") or "",
        "freshness": old.get("freshness") if old.get("freshness") is not None else "fresh",
        "priority": old.get("priority") if old.get("priority") is not None else 85,
        "lineage": list(old.get("lineage") or []),
        "relevance": handoff["confidence"] if handoff["confidence"] is not None else 1.0,
        "estimated_tokens": math.ceil(len(text.encode()) / 4),
        "stage": old.get("stage"),
        "metadata": dict(sorted(metadata.items())),
    }


def artifact_handoff_id(artifact: dict[str, Any]) -> str | None:
    """`metadata.handoff_id`, else `data.id`, of a `handoff` artifact."""
    if artifact.get("kind") != HANDOFF_KIND:
        return None
    handoff_id = (artifact.get("metadata") or {}).get("handoff_id")
    if isinstance(handoff_id, str):
        return handoff_id
    data = artifact.get("data")
    data_id = data.get("id") if isinstance(data, dict) else None
    return data_id if isinstance(data_id, str) else None


def receipt_link(run: dict[str, Any]) -> dict[str, Any]:
    """`receipt_link_for_run`: the run's own receipt (label = workflow name or id)."""
    label = run["workflow_name"] if run["workflow_name"] is not None else run["workflow_id"]
    return normalize_link(
        {"kind": RUN_RECEIPT, "label": label, "run_id": run["id"], "path": run["persisted_path"]}
    )


def sync_run_handoffs(run: dict[str, Any]) -> None:
    """Merge, sort, link and mirror the run's handoffs in place."""
    counter = iter(range(1, 1 << 30))

    def fresh_id() -> str:
        return f"handoff_unnamed_{next(counter)}"

    by_id: dict[str, dict[str, Any]] = {}
    for raw in run["handoffs"]:
        # Harn keys the map by the id before normalizing: all id-less handoffs share "".
        key = json_str(raw.get("id"), "") if isinstance(raw, dict) else ""
        by_id[key] = normalize(raw, fresh_id())
    for artifact in run["artifacts"]:
        if artifact.get("kind") != HANDOFF_KIND or artifact.get("data") is None:
            continue
        handoff = from_json(artifact["data"], fresh_id())
        if handoff is None:
            continue
        key = handoff["id"]
        by_id[key] = merge(by_id[key], handoff) if key in by_id else handoff

    index_by_id: dict[str, int] = {}
    for index, artifact in enumerate(run["artifacts"]):
        handoff_id = artifact_handoff_id(artifact)
        if handoff_id is not None:
            index_by_id[handoff_id] = index

    handoffs = [by_id[key] for key in sorted(by_id)]
    # Kinder than Harn (which compares the text): parsed time, then text; the same order
    # whenever the timestamps share one format, as those Harn writes do.
    handoffs.sort(key=lambda h: (sort_key(h["created_at"]), h["created_at"]))
    for handoff in handoffs:
        if handoff["parent_run_id"] is None:
            handoff["parent_run_id"] = run["id"]
        handoff["receipt_links"] = _links_merged(handoff["receipt_links"], [receipt_link(run)])
        index = index_by_id.get(handoff["id"])
        if index is not None:
            run["artifacts"][index] = artifact_record(handoff, run["artifacts"][index])
        else:
            run["artifacts"].append(artifact_record(handoff, None))
    run["handoffs"] = handoffs
