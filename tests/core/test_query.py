"""The query language over run summaries: fields, operators, units, errors, completion
(saved queries: tests/core/test_saved_queries.py)."""

from __future__ import annotations

from typing import Any

import pytest

from harn_tui.core.analysis.query import (
    FIELDS,
    QueryError,
    apply_completion,
    complete,
    filter_listed,
    filter_runs,
    parse_duration_ms,
    parse_number,
    parse_query,
    tokenize,
    vocabulary,
)
from harn_tui.core.format.errors import UsageError
from harn_tui.core.index.summary import RunSummary, broken

NOW = 1_795_262_400_000  # 2026-11-21T12:00:00Z
HOUR = 3_600_000
DAY = 24 * HOUR


def run(name: str, **kw: Any) -> RunSummary:
    usage = {
        "input_tokens": kw.pop("tin", 0),
        "output_tokens": kw.pop("tout", 0),
        "call_count": kw.pop("calls", 0),
        "models": kw.pop("models", []),
        "total_cost": kw.pop("cost", 0.0),
    }
    status = kw.pop("status", "completed")
    group = {"failed": "failed", "error": "failed", "cancelled": "failed", "running": "active"}
    kw.setdefault("status_group", group.get(status, "completed"))
    kw.setdefault("started_at_ms", NOW - HOUR)
    return RunSummary(
        path=kw.pop("path", f"runs/{name}.json"),
        id=kw.pop("id", name),
        workflow_id=kw.pop("workflow_id", kw.get("workflow_name", "wf")),
        status=status,
        usage=usage,
        **kw,
    )


RUNS = [
    run("a", workflow_name="deploy", status="failed", tin=40_000, tout=20_000, calls=12,
        models=["claude-sonnet-4"], skills=["review"], hitl_question_count=2, cost=1.25,
        stage_count=5, child_run_count=2, duration_ms=90_000, last_node_id="verify",
        failure="tool call failed: timeout", task="ship the two words release",
        started_at_ms=NOW - 30 * 60_000, pending_node_count=1, parent_run_id="root-1"),
    run("b", workflow_name="deploy", status="completed", tin=1_000, tout=500, calls=2,
        models=["gpt-5"], skills=["search"], duration_ms=5 * 60_000, stage_count=2,
        last_node_id="done", task="words two", started_at_ms=NOW - 3 * HOUR),
    run("c", workflow_name="triage", workflow_id="triage-v2", status="error",
        tin=2_000_000, tout=0, models=["claude-opus-4", "claude-sonnet-4"], skills=[],
        hitl_question_count=0, duration_ms=2 * HOUR, started_at_ms=NOW - 2 * DAY),
    run("d", workflow_name="triage", status="running", duration_ms=None, started_at_ms=None),
    broken("runs/bad.json", "not valid JSON at line 1"),
]


def ids(text: str, runs: list[RunSummary] = RUNS) -> list[str]:
    return [s.id or s.path for s in filter_runs(runs, text, NOW)]


# -- tokenizer ------------------------------------------------------------------


def test_tokenize_quotes_and_escapes() -> None:
    tokens = tokenize('task~"two words" path~\'a b\' x="say \\"hi\\"" bare')
    assert [t.plain for t in tokens] == ["task~two words", "path~a b", 'x=say "hi"', "bare"]
    assert tokens[0].raw == 'task~"two words"'
    assert tokenize("   ") == []


def test_unterminated_quote_is_an_error_naming_the_term() -> None:
    with pytest.raises(QueryError, match="unterminated quote in 'task~\"two"):
        parse_query('status=failed task~"two words')


# -- every field and operator ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["a", "b", "c", "d", "runs/bad.json"]),
        ("status=failed", ["a", "c"]),  # the group
        ("status=error", ["c"]),  # an exact status
        ("status=FAILED", ["a", "c"]),
        ("status!=failed", ["b", "d", "runs/bad.json"]),
        ("status=active", ["d"]),
        ("status=completed", ["b"]),
        ("status=broken", ["runs/bad.json"]),
        ("status~run", ["d"]),
        ("status!~e", ["d", "runs/bad.json"]),
        ("workflow=deploy", ["a", "b"]),
        ("workflow=Triage-V2", ["c"]),  # the workflow id too
        ("wf~tri", ["c", "d"]),
        ("workflow!=deploy", ["c", "d", "runs/bad.json"]),
        ("id=b", ["b"]),
        ("id!~a", ["b", "c", "d", "runs/bad.json"]),
        ("path~bad", ["runs/bad.json"]),
        ("task~\"two words\"", ["a"]),
        ("task!~two", ["c", "d", "runs/bad.json"]),
        ("node=verify", ["a"]),
        ("node~o", ["b"]),
        ("failure~timeout", ["a"]),
        ("failure=", ["b", "c", "d", "runs/bad.json"]),
        ("parent=root-1", ["a"]),
        ("model~sonnet", ["a", "c"]),
        ("model=gpt-5", ["b"]),
        ("model=gpt", []),
        ("model!~sonnet", ["b", "d", "runs/bad.json"]),
        ("model!=claude-opus-4", ["a", "b", "d", "runs/bad.json"]),
        ("skill=review", ["a"]),
        ("skills~sea", ["b"]),
        ("skill!=review", ["b", "c", "d", "runs/bad.json"]),
        ("tokens>50k", ["a", "c"]),
        ("tokens>=60k", ["a", "c"]),
        ("tokens>60k", ["c"]),
        ("tokens=1.5k", ["b"]),
        ("tokens!=0", ["a", "b", "c"]),
        ("tokens<1.5k", ["d", "runs/bad.json"]),
        ("tokens<=1.5k", ["b", "d", "runs/bad.json"]),
        ("tokens>1.5m", ["c"]),
        ("in>=40k", ["a", "c"]),
        ("out>10k", ["a"]),
        ("cost>1", ["a"]),
        ("cost<$1.25", ["b", "c", "d", "runs/bad.json"]),
        ("cost<=$1.25", ["a", "b", "c", "d", "runs/bad.json"]),
        ("calls>=12", ["a"]),
        ("stages=2", ["b"]),
        ("children>0", ["a"]),
        ("hitl>0", ["a"]),
        ("pending>0", ["a"]),
        ("duration>90s", ["b", "c"]),
        ("duration>=90s", ["a", "b", "c"]),
        ("duration<=5m", ["a", "b"]),
        ("duration>1h30m", ["c"]),
        ("duration=2h", ["c"]),
        ("duration>30", ["a", "b", "c"]),  # bare number: seconds
        ("duration!=2h", ["a", "b"]),  # runs without a duration never match
        ("broken=true", ["runs/bad.json"]),
        ("broken=no", ["a", "b", "c", "d"]),
        ("broken!=true", ["a", "b", "c", "d"]),
        # bare words: the `ls -q` substring search
        ("DEPLOY", ["a", "b"]),
        ("sonnet failed", ["a"]),
        ('"tool call"', ["a"]),
        ('"a=b"', []),  # a quoted term is text, not a field
        # AND of everything
        ("status=failed workflow=deploy tokens>50k hitl>0 model~sonnet skill=review since=2h", ["a"]),
    ],
)
def test_fields_and_operators(text: str, expected: list[str]) -> None:
    assert ids(text) == expected
    query = parse_query(text)
    assert [s.id or s.path for s in RUNS if query.matches(s, NOW)] == expected


def test_since_is_relative_to_now_ms() -> None:
    assert ids("since=2h") == ["a"]
    assert ids("since=4h") == ["a", "b"]
    assert ids("since=3d") == ["a", "b", "c"]
    query = parse_query("since=2h")
    b = RUNS[1]  # started 3 h before NOW
    assert not query.matches(b, NOW)
    assert query.matches(b, NOW - 2 * HOUR)  # evaluated two hours earlier, it is recent
    assert ids("since=today") == ["a", "b"]  # NOW is noon UTC
    assert ids("since=2026-11-19") == ["a", "b", "c"]
    with pytest.raises(QueryError, match="since takes ="):
        parse_query("since>2h")


def test_started_dates_are_periods() -> None:
    assert ids("started=2026-11-21") == ["a", "b"]
    assert ids("started>2026-11-20") == ["a", "b"]  # after the whole day
    assert ids("started>2026-11-19") == ["a", "b"]
    assert ids("started>=2026-11-19") == ["a", "b", "c"]
    assert ids("started<2026-11-21") == ["c"]
    assert ids("started<=2026-11-19") == ["c"]  # up to the end of that day
    assert ids("started!=2026-11-21") == ["c"]  # unparsed starts never match
    assert ids("started>=2026-11-21T11") == ["a"]
    assert ids("started<2026-11-21T11:00:00Z") == ["b", "c"]
    assert ids("started>2h") == ["a"]  # a duration means that long before now
    assert ids("started<2h") == ["b", "c"]
    assert ids("started=yesterday") == []


def test_number_and_duration_units() -> None:
    assert parse_number("50k") == 50_000
    assert parse_number("1.5m") == 1_500_000
    assert parse_number("1_000") == 1000
    assert parse_number("$2", money=True) == 2
    assert parse_duration_ms("90s") == 90_000
    assert parse_duration_ms("5m") == 300_000
    assert parse_duration_ms("2h") == 7_200_000
    assert parse_duration_ms("1h30m") == 5_400_000
    assert parse_duration_ms("500ms") == 500
    assert parse_duration_ms("1d") == 86_400_000
    assert parse_duration_ms("1.5") == 1500
    for bad in ("", "k", "5x", "-1"):
        with pytest.raises(ValueError):
            parse_number(bad)
    for bad in ("", "h", "5q", "2h3"):
        with pytest.raises(ValueError):
            parse_duration_ms(bad)


# -- errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tokns>5", "unknown field 'tokns' in 'tokns>5' (did you mean tokens?); fields: status workflow"),
        ("colour=red", "unknown field 'colour' in 'colour=red'; fields: status workflow id path"),
        ("tokens>abc", "bad value in 'tokens>abc': not a count (e.g. 50k, 1.5m"),
        ("tokens>", "bad value in 'tokens>'"),
        ("cost>cheap", "bad value in 'cost>cheap': not a number"),
        ("duration>5q", "bad value in 'duration>5q': not a duration (e.g. 90s, 5m, 2h"),
        ("started>2026-13-01", "bad value in 'started>2026-13-01': not a time"),
        ("since=soon", "bad value in 'since=soon'"),
        ("broken=maybe", "bad value in 'broken=maybe': not true or false"),
        ("model>3", "bad operator in 'model>3': model takes = != ~ !~"),
        ("hitl~1", "bad operator in 'hitl~1': hitl takes = != > >= < <="),
        ("broken>1", "bad operator in 'broken>1': broken takes = !="),
        ("status=faild", "unknown status 'faild' (did you mean failed?): groups are active completed failed broken"),
        ("status!=activ", "unknown status 'activ' (did you mean active?)"),
        ("status=runing", "unknown status 'runing' (did you mean running?)"),
    ],
)
def test_errors_name_the_bad_term(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(f"status=failed {text} verify")
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.term == text
    assert isinstance(info.value, UsageError)


def test_unknown_field_lists_every_field() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("nope=1")
    for name in FIELDS:
        assert f" {name}" in str(info.value)


def test_hostile_term_in_an_error_is_escaped() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("nope=[bold]x[/]\x1b]0;t\x07")
    message = str(info.value)
    assert "\x1b" not in message and "\x07" not in message
    assert "'nope=[bold]x[/]\\x1b]0;t\\x07'" in message


def test_hostile_values_are_plain_data_not_code() -> None:
    for text in (
        'task~"__import__(\'os\')"',
        "id=t0_0",
        'task~"{c0}"',
        'task~"\'); import os; (\'"',
        "model~\x00",
        "model=\x00claude-sonnet-4",
    ):
        assert ids(text) == [], text
    evil = run("e", task="{c0} t0_0 __import__", models=["m\x00x"])
    assert ids('task~"{c0} t0_0"', [evil]) == ["e"]
    assert ids("model~\x00", [evil]) == ["e"]


def test_query_round_trips_to_text() -> None:
    text = 'status=failed task~"two words" verify model~"a\\"b"'
    query = parse_query(text)
    assert str(query) == text
    again = parse_query(str(query))
    assert [t.value for t in again.terms] == ["failed", "two words", "verify", 'a"b']
    assert parse_query("   ").is_empty
    assert parse_query("since=2h").needs_now and not parse_query("hitl>0").needs_now


def test_filter_listed_decodes_each_row() -> None:
    listed = [s.listing() for s in RUNS]
    assert [row.path for row in filter_listed(listed, "tokens>50k", NOW)] == ["runs/a.json", "runs/c.json"]
    assert len(filter_listed(listed, "", NOW)) == len(RUNS)


# -- completion --------------------------------------------------------------------


def test_complete_field_names_at_start_and_after_a_space() -> None:
    names = complete("", 0, RUNS)
    assert names[:3] == ["status=", "workflow=", "id="]
    assert "tokens>" in names and "since=" in names and "model~" in names
    assert complete("status=failed to", 16, RUNS) == ["tokens>"]
    assert complete("status=failed ", 14, RUNS) == names
    assert complete("st", 2, RUNS) == ["status=", "stages>", "started>"]
    assert complete("wf", 2, RUNS) == ["workflow="]  # by alias
    assert complete("zzz", 3, RUNS) == []


def test_complete_values_from_the_runs() -> None:
    assert complete("workflow=", 9, RUNS) == ["workflow=deploy", "workflow=triage"]
    assert complete("workflow=tr", 11, RUNS) == ["workflow=triage"]
    assert complete("status=f", 8, RUNS) == ["status=failed"]
    statuses = complete("status=", 7, RUNS)
    assert statuses[:4] == ["status=active", "status=completed", "status=failed", "status=broken"]
    assert {"status=error", "status=running"} <= set(statuses)
    assert complete("model~son", 9, RUNS) == ["model~claude-sonnet-4"]  # substring too
    assert complete("x model~", 8, RUNS)[0] == "model~claude-sonnet-4"  # most used first
    assert complete("skill!=re", 9, RUNS) == ["skill!=review"]
    assert complete("broken=", 7, RUNS) == ["broken=true", "broken=false"]
    assert complete("nope=", 5, RUNS) == []
    # the cursor decides which term completes
    assert complete("workflow=de status=failed", 11, RUNS) == ["workflow=deploy"]
    # values with spaces come back quoted
    spaced = [run("s", workflow_name="my flow")]
    assert complete('workflow="my', 12, spaced) == ['workflow="my flow"']
    assert complete("workflow=", 9, vocabulary(spaced)) == ['workflow="my flow"']


def test_apply_completion_replaces_the_term_at_the_cursor() -> None:
    assert apply_completion("status=f", 8, "status=failed") == ("status=failed", 13)
    text, cursor = apply_completion("workflow=de status=failed", 11, "workflow=deploy")
    assert text == "workflow=deploy status=failed" and cursor == 15
    assert apply_completion("x ", 2, "tokens>") == ("x tokens>", 9)


def test_status_values_are_closed_for_near_misses_and_open_otherwise() -> None:
    """Groups and Harn's own statuses are a closed set for typos; other statuses and
    workflow names stay open and simply match nothing (issue 9.11)."""
    for text in ("status=awaiting_review", "status=failed", "status=FAILED", "status=paused",
                 "status~faild", "workflow=faild", "workflow=no-such-workflow", "wf=deploi"):
        parse_query(text)  # no error


def test_workflow_double_equals_is_the_exact_shown_name() -> None:
    runs = [run("a", workflow_name="Deploy"), run("b", workflow_name="deploy"),
            run("c", workflow_name="x", workflow_id="Deploy")]
    assert [r.id for r in filter_runs(runs, "workflow==Deploy", NOW)] == ["a"]
    assert [r.id for r in filter_runs(runs, "wf==deploy", NOW)] == ["b"]
    assert [r.id for r in filter_runs(runs, "workflow=deploy", NOW)] == ["a", "b", "c"]
    with pytest.raises(QueryError, match=r"status takes = != ~ !~$"):
        parse_query("status==failed")
    assert complete("workflow==De", 12, runs) == ["workflow==Deploy", "workflow==deploy"]
