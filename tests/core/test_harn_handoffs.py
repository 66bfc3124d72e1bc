"""Handoff sync as Harn's `sync_run_handoffs` (harn-vm orchestration/handoffs.rs, e45362c)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from harn_tui.core.format import handoffs as H
from harn_tui.core.format.normalize import load_run, normalize_record

MORE = Path(__file__).resolve().parents[1] / "fixtures" / "harn" / "more"


def handoff(hid: str = "h1", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "_type": "handoff_artifact",
        "id": hid,
        "source_persona": "merge_captain",
        "target_persona_or_human": {"kind": "persona", "label": "review_captain"},
        "task": "Review",
        "reason": "Needed",
    }
    base.update(fields)
    return base


def run_with(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "_type": "run_record",
        "id": "r",
        "workflow_id": "wf",
        "status": "completed",
    }
    base.update(fields)
    return base


def test_orch_handoff_harn_assertions(tmp_path: Path) -> None:
    # normalize_run_record_materializes_typed_handoffs_from_artifacts
    shutil.copytree(MORE / "orch-handoff", tmp_path / "r")
    run = load_run(tmp_path / "r" / "run_handoff.json").normalized
    assert len(run["handoffs"]) == 1
    assert run["handoffs"][0]["source_persona"] == "merge_captain"
    assert H.display_name(run["handoffs"][0]["target_persona_or_human"]) == "review_captain"
    assert run["artifacts"][0]["metadata"]["handoff_id"] == "handoff_1"
    # updated in place, not duplicated; its id kept
    assert [a["id"] for a in run["artifacts"]] == ["artifact_handoff"]


def test_orch_handoff_receipt_harn_assertions(tmp_path: Path) -> None:
    # save_run_record_adds_run_receipt_link_to_handoff
    shutil.copytree(MORE / "orch-handoff-receipt", tmp_path / "r")
    path = tmp_path / "r" / "run.json"
    run = load_run(path).normalized
    assert len(run["handoffs"]) == 1
    assert any(
        link["kind"] == "run_receipt"
        and link["run_id"] == "run_handoff_receipt"
        and link["path"] == str(path)
        for link in run["handoffs"][0]["receipt_links"]
    )
    assert run["handoffs"][0]["parent_run_id"] == "run_handoff_receipt"
    assert run["handoffs"][0]["receipt_links"][0]["label"] == "wf"  # workflow name, else id
    mirror = run["artifacts"][0]
    assert mirror["id"] == "artifact_handoff_receipt"
    assert mirror["title"] == "Handoff to maintainer"
    assert mirror["priority"] == 85 and mirror["freshness"] == "fresh"
    assert mirror["relevance"] == 1.0 and mirror["source"] == "merge_captain"
    assert mirror["metadata"] == {
        "handoff_id": "handoff_receipt",
        "target_kind": "human",
        "target_label": "maintainer",
    }
    assert mirror["text"].startswith("<handoff>\n<source_persona>merge_captain</source_persona>")
    assert '<target kind="human">maintainer</target>' in mirror["text"]
    assert mirror["estimated_tokens"] == -(-len(mirror["text"].encode()) // 4)


def test_mirror_found_by_metadata_handoff_id_is_updated_in_place() -> None:
    artifacts = [
        {"id": "note", "kind": "summary", "text": "x"},
        {
            "id": "custom_mirror",
            "kind": "handoff",
            "title": "Kept title",
            "priority": 10,
            "metadata": {"handoff_id": "h1", "extra": 1},
            "data": {"id": "h1", "note": "stale copy"},
        },
    ]
    run = normalize_record(run_with(handoffs=[handoff(confidence=3)], artifacts=artifacts))
    assert [a["id"] for a in run["artifacts"]] == ["note", "custom_mirror"]
    mirror = run["artifacts"][1]
    assert mirror["title"] == "Kept title" and mirror["priority"] == 10
    assert mirror["metadata"] == {
        "extra": 1,
        "handoff_id": "h1",
        "target_kind": "persona",
        "target_label": "review_captain",
    }
    assert mirror["data"]["task"] == "Review"
    assert mirror["relevance"] == 1.0  # clamped confidence
    assert "<confidence>1.00</confidence>" in mirror["text"]


def test_mirror_found_by_data_id() -> None:
    artifacts = [{"id": "a1", "kind": "handoff", "data": handoff("h2", task="From artifact")}]
    run = normalize_record(run_with(handoffs=[handoff("h2", task="")], artifacts=artifacts))
    assert len(run["artifacts"]) == 1 and run["artifacts"][0]["id"] == "a1"
    assert run["handoffs"][0]["task"] == "From artifact"  # merge_handoffs fills empty fields


def test_merge_handoffs_left_wins_and_links_dedupe() -> None:
    link = {"kind": "", "run_id": "x", "label": " "}
    left = handoff("h", reason="left", receipt_links=[link], metadata={"k": "left"})
    right = handoff("h", reason="right", receipt_links=[link, {"kind": "other"}],
                    metadata={"k": "right", "r": 1}, blocked_on=["ci"])  # fmt: skip
    run = normalize_record(
        run_with(handoffs=[left], artifacts=[{"kind": "handoff", "data": right}])
    )
    merged = run["handoffs"][0]
    assert merged["reason"] == "left" and merged["blocked_on"] == ["ci"]
    assert merged["metadata"] == {"k": "left", "r": 1}
    assert [(lk["kind"], lk["run_id"], lk["label"]) for lk in merged["receipt_links"]] == [
        ("run_receipt", "x", None),
        ("other", None, None),
        ("run_receipt", "r", "wf"),
    ]


def test_normalize_trims_dedupes_and_clamps() -> None:
    raw = handoff(
        " h ",
        task="  t  ",
        open_questions=[" a", "a ", "", "b"],
        confidence=-2,
        target_persona_or_human={"kind": "robot", "id": " ", "label": "x"},
    )
    out = H.normalize(raw, "fallback")
    assert out["_type"] == "handoff_artifact" and out["task"] == "t"
    assert out["open_questions"] == ["a", "b"]
    assert out["confidence"] == 0.0
    assert out["target_persona_or_human"] == {"kind": "persona", "id": None, "label": "x"}
    assert H.normalize({}, "handoff_unnamed_1")["_type"] == "handoff_artifact"


def test_invalid_artifact_handoffs_are_not_merged() -> None:
    artifacts = [
        {"kind": "handoff", "data": handoff("bad", reason="")},  # reason required
        {"kind": "handoff", "data": handoff("bad2", task=7)},  # serde would not parse
        {"kind": "summary", "data": handoff("not_handoff_kind")},
    ]
    run = normalize_record(run_with(artifacts=artifacts))
    assert run["handoffs"] == []


def test_handoffs_sorted_by_parsed_created_at() -> None:
    # Harn compares the text ("10" < "2"); harn-tui's deliberate kindness parses the time.
    hs = [handoff("b", created_at="2"), handoff("a", created_at="10"), handoff("c", created_at="1")]
    run = normalize_record(run_with(handoffs=hs))
    assert [h["id"] for h in run["handoffs"]] == ["c", "b", "a"]


def test_show_json_has_no_duplicate_handoff(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(run_with(
        handoffs=[handoff("h1")],
        artifacts=[{"id": "m", "kind": "handoff", "metadata": {"handoff_id": "h1"}, "data": None}],
    )))  # fmt: skip
    run = load_run(path).normalized
    assert [a["id"] for a in run["artifacts"]] == ["m"]
