"""The run list's `s` / `w` / `/` controls and `ls --status/--workflow/-q` are queries in the
query language (one filter implementation): each keeps exactly the rows the controls' own
rule kept before they became queries (issue 10.5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harn_tui.core.analysis.query import controls_query, filter_controls, parse_query
from harn_tui.core.demo.corpus import write_demo
from harn_tui.core.index.run_index import RunIndex
from harn_tui.core.index.summary import RunSummary


def former_rule(s: RunSummary, status: str, workflow: str | None, text: str | None) -> bool:
    """The controls' own filter before issue 10.5, kept here as the oracle."""
    if status != "all" and s.status_group != status:
        return False
    if s.broken and status != "all":
        return False
    if workflow and s.workflow_name != workflow:
        return False
    return not (text and text.strip().lower() not in s.search_text())


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> list[RunSummary]:
    root = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(root, seed=3)
    runs = RunIndex(root).scan()
    assert any(r.broken for r in runs) and len({r.workflow_name for r in runs}) > 2
    return runs


FILTER_TEXTS = ["", "  ", "deploy", "FAILED", "json", "a", "  review ", "no such text",
                'say "hi"', "status=failed", "x\\y", "two words"]


@pytest.mark.parametrize("status", ["all", "active", "completed", "failed"])
@pytest.mark.parametrize("text", FILTER_TEXTS)
def test_status_and_text_match_the_former_rule(demo_runs: list[RunSummary], status: str, text: str) -> None:
    expected = [r.path for r in demo_runs if former_rule(r, status, None, text)]
    assert [r.path for r in filter_controls(demo_runs, status, None, text)] == expected


def test_each_status_group_and_workflow_keep_what_they_kept(demo_runs: list[RunSummary]) -> None:
    names = sorted({r.workflow_name for r in demo_runs if r.workflow_name})
    for status in ("all", "active", "completed", "failed"):
        expected = [r.path for r in demo_runs if former_rule(r, status, None, None)]
        assert [r.path for r in filter_controls(demo_runs, status)] == expected
        assert status == "all" or expected  # every group is non-empty in the demo
    for name in names:
        for status in ("all", "failed"):
            expected = [r.path for r in demo_runs if former_rule(r, status, name, "e")]
            assert [r.path for r in filter_controls(demo_runs, status, name, "e")] == expected
        assert filter_controls(demo_runs, workflow=name)


def test_controls_render_as_query_terms() -> None:
    assert controls_query() == ""
    assert controls_query("failed") == "status=failed"
    assert controls_query("all", "deploy") == "workflow==deploy"
    assert controls_query("active", "my flow", " two words ") == 'status=active workflow=="my flow" "two words"'
    query = parse_query(controls_query("all", None, 'a=b "q"'))
    assert [t.field for t in query.terms] == [""]  # filter text is always the substring search
    assert query.terms[0].value == 'a=b "q"'


def summary(path: str, **kw: object) -> RunSummary:
    return RunSummary(path=path, status_group=str(kw.pop("group", "completed")), **kw)  # type: ignore[arg-type]


def test_workflow_control_is_exact_on_the_shown_name() -> None:
    runs = [summary("a", workflow_name="Deploy"), summary("b", workflow_name="deploy"),
            summary("c", workflow_name="Deploy-x"), summary("d", workflow_name="x", workflow_id="Deploy")]
    assert [r.path for r in filter_controls(runs, workflow="Deploy")] == ["a"]
    assert [r.path for r in filter_controls(runs, workflow="Dep")] == []
    # the typed `workflow=` stays case-insensitive on name or id
    assert [r.path for r in filter_controls(runs, text=None) if parse_query("workflow=deploy").matches(r, 0)] == [
        "a", "b", "d"]


def test_ls_rows_filter_without_decoding(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    write_demo(root, seed=3)
    index = RunIndex(root)
    runs = {r.path: r for r in index.scan()}
    listed = index.scan_listing()
    for status, text in (("failed", None), ("all", "deploy"), ("completed", "json")):
        expected = sorted(p for p, r in runs.items() if former_rule(r, status, None, text))
        assert sorted(row.path for row in filter_controls(listed, status, None, text)) == expected
