"""The query language over all runs: `status=failed workflow=deploy tokens>50k since=2h`.

Evaluated on `RunSummary` rows only (never a file read), so it filters the whole
index as fast as the run list redraws. The same syntax backs the TUI query bar
and `harn-tui ls --where '...'`.

Syntax
    * terms are separated by spaces and all must hold (AND);
    * a term is `FIELD OP VALUE` with OP one of `= != ~ !~ > >= < <=`
      (`~` is a case-insensitive substring, `!~` its negation);
    * double or single quotes keep spaces in a value (`task~"two words"`), with
      backslash escapes inside quotes; a quoted term (`"a=b"`) is always a bare word;
    * any other word is the `ls -q` search: a case-insensitive substring of the
      workflow, status, path, last node, failure, models and load error.

Values
    * counts accept `k` and `m` suffixes (`50k`, `1.5m`), cost accepts a `$` prefix;
    * durations accept `500ms 90s 5m 2h 1d 1w` and combinations (`1h30m`); a bare
      number is seconds;
    * times accept `2026-11-20`, `2026-11-20T10:30[:00][Z]` (UTC, like the
      explorer shows them), `today`, `yesterday` or a duration meaning "that long
      before now" (`started>2h`); a date is a period: `started=2026-11-20` is that
      whole day, `started>2026-11-20` after it, `started<=2026-11-20` up to its end;
    * `since=2h` means started within the last two hours of `now_ms`;
    * `status=` a group (`active completed failed broken`) matches the group, any
      other value the exact status;
    * `workflow==NAME` is exactly (case-sensitive) the workflow name the run list shows
      (what the run list's `w` control and `ls --workflow` build, see `controls_query`);
    * a run without a value (no duration, unparsed start) never matches a
      comparison on it.

This module is pure: no Textual, no Rich.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from harn_tui.core.format.errors import UsageError
from harn_tui.core.format.textsafe import one_line
from harn_tui.core.index.summary import RunSummary

__all__ = [
    "FIELDS",
    "OPERATORS",
    "Query",
    "QueryError",
    "apply_completion",
    "complete",
    "controls_query",
    "filter_controls",
    "filter_listed",
    "filter_runs",
    "parse_query",
    "tokenize",
    "vocabulary",
]


def _show(text: str) -> str:
    """A term as quoted in an error message: one safe line, cut."""
    return one_line(text, 60)


class QueryError(UsageError):
    """A query that cannot be parsed: the message names the bad term."""

    def __init__(self, reason: str, term: str = "") -> None:
        super().__init__(reason)
        self.term = term


#: Operators, longest first (so `!=` is not read as `!` then `=`).
OPERATORS: tuple[str, ...] = ("==", "!=", "!~", ">=", "<=", "=", "~", ">", "<")
STRING_OPS = ("=", "!=", "~", "!~")
ORDER_OPS = ("=", "!=", ">", ">=", "<", "<=")
EQUALITY_OPS = ("=", "!=")
STATUS_GROUPS = ("active", "completed", "failed", "broken")
#: The groups and the statuses Harn itself writes (spec §2.3); other statuses are an open
#: set and match exactly, but a near miss of one of these is a typo.
KNOWN_STATUSES = (*STATUS_GROUPS, "running", "paused", "complete", "success", "verified",
                  "error", "cancelled")

_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class FieldSpec:
    """One queryable field: how to read it from a summary and what it accepts.

    `expr` is the Python expression reading the value from a summary `s`; the
    query compiles every term into one generated function, so evaluating it over
    the whole index costs a few attribute reads per run. Only these fixed
    expressions and generated names ever reach `exec`: values from the query are
    passed as bound constants, never as source text.
    """

    name: str
    kind: str  # text | list | status | workflow | int | float | duration | time | since | bool
    help: str
    default_op: str
    expr: str
    aliases: tuple[str, ...] = ()

    @property
    def ops(self) -> tuple[str, ...]:
        if self.kind == "workflow":
            return (*STRING_OPS, "==")
        if self.kind in ("text", "list", "status"):
            return STRING_OPS
        if self.kind == "bool":
            return EQUALITY_OPS
        if self.kind == "since":
            return ("=",)
        if self.kind == "fulltext":
            return ("~", "!~")
        return ORDER_OPS

    @property
    def nullable(self) -> bool:
        return self.kind in ("duration", "time", "since")


def _usage(key: str) -> str:
    return f"(s.usage.get({key!r}) or 0)"


_FIELD_LIST: tuple[FieldSpec, ...] = (
    FieldSpec("status", "status", "status or group (active completed failed broken)", "=",
              "s.status"),
    FieldSpec("workflow", "workflow", "workflow name or id", "=",
              "(s.workflow_name, s.workflow_id)", ("wf",)),
    FieldSpec("id", "text", "run id", "=", "s.id"),
    FieldSpec("path", "text", "file path under the root", "~", "s.path"),
    FieldSpec("task", "text", "task text (first 240 chars)", "~", "s.task"),
    FieldSpec("node", "text", "last node id", "=", "(s.last_node_id or '')"),
    FieldSpec("failure", "text", "failure summary", "~", "(s.failure or '')"),
    FieldSpec("parent", "text", "parent run id (empty: top-level run)", "=",
              "(s.parent_run_id or '')"),
    FieldSpec("model", "list", "a model used", "~", "(s.usage.get('models') or ())", ("models",)),
    FieldSpec("skill", "list", "a skill activated", "=", "s.skills", ("skills",)),
    FieldSpec("tokens", "int", "input + output tokens", ">",
              f"({_usage('input_tokens')} + {_usage('output_tokens')})", ("tok",)),
    FieldSpec("in", "int", "input tokens", ">", _usage("input_tokens")),
    FieldSpec("out", "int", "output tokens", ">", _usage("output_tokens")),
    FieldSpec("cost", "float", "what the run cost, USD (the COST column)", ">", "s.cost_usd"),
    FieldSpec("calls", "int", "LLM call count", ">", _usage("call_count")),
    FieldSpec("stages", "int", "stage count", ">", "s.stage_count"),
    FieldSpec("children", "int", "child run count", ">", "s.child_run_count"),
    FieldSpec("hitl", "int", "HITL requests (questions, approvals, dual-control, escalations)", ">",
              "s.hitl_question_count"),
    FieldSpec("pending", "int", "pending node count", ">", "s.pending_node_count"),
    FieldSpec("duration", "duration", "run duration (90s 5m 2h)", ">", "s.duration_ms"),
    FieldSpec("started", "time", "start time (2026-11-20, 2h = 2 hours ago)", ">",
              "s.started_at_ms", ("start",)),
    FieldSpec("since", "since", "started within (2h) or since (2026-11-20)", "=",
              "s.started_at_ms"),
    FieldSpec("text", "fulltext", 'any text in the run (prompts, tools, messages): text~"…"', "~",
              "s.path"),
    FieldSpec("broken", "bool", "file could not be loaded (true/false)", "=",
              "(s.error is not None)"),
)

#: Every field by its canonical name, in documentation order.
FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _FIELD_LIST}
_LOOKUP: dict[str, FieldSpec] = {
    name: spec for spec in _FIELD_LIST for name in (spec.name, *spec.aliases)
}
FIELD_NAMES_TEXT = " ".join(FIELDS)

_KEY_OP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(==|!=|!~|>=|<=|=|~|>|<)")


# -- tokenizing ---------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One space-separated term: its source text, its text with quotes removed,
    where the first quoted character sits in `plain`, and its span in the query."""

    raw: str
    plain: str
    quoted_at: int
    start: int
    end: int


def tokenize(text: str, *, partial: bool = False) -> list[Token]:
    """Split a query on unquoted whitespace. An unterminated quote is an error
    unless `partial` (completion reads half-typed queries)."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        plain: list[str] = []
        quoted_at = -1
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == "\\" and i + 1 < n:
                    plain.append(text[i + 1])
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
                else:
                    plain.append(ch)
                i += 1
                continue
            if ch.isspace():
                break
            if ch in "\"'":
                quote = ch
                if quoted_at < 0:
                    quoted_at = len(plain)
                i += 1
                continue
            plain.append(ch)
            i += 1
        raw = text[start:i]
        if quote and not partial:
            raise QueryError(f"unterminated quote in '{_show(raw)}'", raw)
        joined = "".join(plain)
        out.append(Token(raw, joined, len(joined) if quoted_at < 0 else quoted_at, start, i))
    return out


# -- values -------------------------------------------------------------------

_NUMBER = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([kKmM]?)")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h|d|w)")
_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?(?:Z|[+-]00:?00)?"
)


def parse_number(value: str, *, money: bool = False) -> float:
    """`50k` -> 50000, `1.5m` -> 1500000, `1_000` -> 1000; ValueError otherwise."""
    text = value.strip().replace("_", "").replace(",", "")
    if money and text.startswith("$"):
        text = text[1:]
    m = _NUMBER.fullmatch(text)
    if not m:
        raise ValueError(value)
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return float(m.group(1)) * scale


def parse_duration_ms(value: str) -> int:
    """`90s`, `5m`, `2h`, `1h30m`, `500ms`; a bare number is seconds. ValueError otherwise."""
    text = value.strip().lower().replace(" ", "")
    if not text:
        raise ValueError(value)
    try:
        return round(float(text) * 1000)
    except ValueError:
        pass
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if not m:
            raise ValueError(value)
        total += float(m.group(1)) * _MS[m.group(2)]
        pos = m.end()
    return round(total)


def parse_time(value: str, now_ms: int) -> tuple[int, int]:
    """A moment as a half-open period `[lo, hi)` in Unix ms (UTC).

    A date is its whole day, `2026-11-20T10` that hour, and so on; `today` and
    `yesterday` are UTC days; a duration is that long before `now_ms` (a point).
    """
    text = value.strip()
    lowered = text.lower()
    if lowered in ("today", "yesterday"):
        day = datetime.fromtimestamp(now_ms / 1000, tz=UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        if lowered == "yesterday":
            day -= timedelta(days=1)
        lo = int(day.timestamp() * 1000)
        return lo, lo + _DAY_MS
    if lowered == "now":
        return now_ms, now_ms
    m = _DATE.fullmatch(text)
    if m:
        year, month, day_, hour, minute, second = m.groups()
        parts = [int(year), int(month), int(day_)]
        step = _DAY_MS
        for unit, ms in ((hour, 3_600_000), (minute, 60_000), (second, 1000)):
            if unit is None:
                break
            parts.append(int(unit))
            step = ms
        try:
            moment = datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]
        except ValueError:
            raise ValueError(value) from None
        lo = int(moment.timestamp() * 1000)
        return lo, lo + step
    point = now_ms - parse_duration_ms(text)
    return point, point


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "y", "1", "on"):
        return True
    if lowered in ("false", "no", "n", "0", "off"):
        return False
    raise ValueError(value)


# -- terms --------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One parsed term. `field` is empty for a bare word (the `-q` search)."""

    field: str
    op: str
    value: str
    raw: str

    def __str__(self) -> str:
        value = _quote(self.value)
        return f"{self.field}{self.op}{value}" if self.field else value


def _quote(value: str) -> str:
    if value and not any(ch.isspace() or ch in "\"'\\" for ch in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Compiled:
    """A term as a Python expression over `s` using the names `{c0}`, `{c1}`...,
    whose values `consts(now_ms)` gives (only relative times depend on now)."""

    expr: str
    consts: Callable[[int], tuple[Any, ...]]
    cost: int
    text: TextSet | None = None


@dataclass
class TextSet:
    """A `text~"..."` term: the run paths the full-text index found (None until bound)."""

    needle: str
    paths: frozenset[str] | None = None


def _fixed(*values: Any) -> Callable[[int], tuple[Any, ...]]:
    return lambda _now: values


_PY_OPS = {"=": "==", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}

_VALUE_HINTS = {
    "int": "not a count (e.g. 50k, 1.5m, 1200)",
    "float": "not a number (e.g. 0.5, $2, 1k)",
    "duration": "not a duration (e.g. 90s, 5m, 2h, 1h30m)",
    "time": "not a time (e.g. 2026-11-20, 2026-11-20T10:30, today, 2h)",
    "since": "not a time (e.g. 2h, 1d, today, 2026-11-20)",
    "bool": "not true or false",
    "fulltext": 'empty text (e.g. text~"permission denied")',
}


def _compile_term(term: Term) -> Compiled:
    if not term.field:
        return Compiled("{c0} in s.search_text()", _fixed(term.value.lower()), 5)
    spec = FIELDS[term.field]
    if term.op not in spec.ops:
        ops = " ".join(spec.ops)
        raise QueryError(
            f"bad operator in '{_show(term.raw)}': {spec.name} takes {ops}", term.raw
        )
    try:
        return _COMPILERS[spec.kind](spec, term.op, term.value)
    except QueryError as exc:  # a closed set's near miss: name the whole term
        raise QueryError(exc.reason, term.raw) from None
    except ValueError:
        hint = _VALUE_HINTS[spec.kind]
        raise QueryError(f"bad value in '{_show(term.raw)}': {hint}", term.raw) from None


def _string_expr(op: str, get: str) -> str:
    return {
        "=": f"{get}.lower() == {{c0}}",
        "!=": f"{get}.lower() != {{c0}}",
        "~": f"{{c0}} in {get}.lower()",
        "!~": f"{{c0}} not in {get}.lower()",
    }[op]


def _list_expr(op: str, get: str) -> str:
    test = "v.lower() == {c0}" if op in ("=", "!=") else "{c0} in v.lower()"
    found = f"any({test} for v in {get})"
    return found if op in ("=", "~") else f"not {found}"


def _joined_expr(op: str, get: str) -> str:
    """Like `_list_expr`, but one substring test over the NUL-joined values (faster;
    the needle is wrapped in NULs for `=` so it matches whole values only)."""
    if op in ("=", "!="):
        found = f"{{c0}} in ('\\x00' + '\\x00'.join({get}) + '\\x00').lower()"
    else:
        found = f"{{c0}} in '\\x00'.join({get}).lower()"
    return found if op in ("=", "~") else f"not {found}"


def _compile_text(spec: FieldSpec, op: str, raw: str) -> Compiled:
    return Compiled(_string_expr(op, spec.expr), _fixed(raw.lower()), 2)


def _compile_list(spec: FieldSpec, op: str, raw: str) -> Compiled:
    if op == "==":  # workflow==NAME: the shown name, exactly
        return Compiled("s.workflow_name == {c0}", _fixed(raw), 1)
    needle = raw.lower()
    if not needle or "\x00" in needle:
        return Compiled(_list_expr(op, spec.expr), _fixed(needle), 4)
    if op in ("=", "!="):
        needle = f"\x00{needle}\x00"
    return Compiled(_joined_expr(op, spec.expr), _fixed(needle), 4)


def _compile_status(spec: FieldSpec, op: str, raw: str) -> Compiled:
    needle = raw.lower()
    if op in EQUALITY_OPS and needle in STATUS_GROUPS:
        return Compiled(f"s.status_group {_PY_OPS[op]} {{c0}}", _fixed(needle), 0)
    if op in EQUALITY_OPS and needle not in KNOWN_STATUSES:
        close = difflib.get_close_matches(needle, KNOWN_STATUSES, n=1, cutoff=0.75)
        if close:  # a typo of a group or of a status Harn writes, not another status
            raise QueryError(
                f"unknown status '{_show(raw)}' (did you mean {close[0]}?): groups are "
                f"{' '.join(STATUS_GROUPS)}; status~TEXT matches any status containing TEXT",
                raw,
            )
    return Compiled(_string_expr(op, spec.expr), _fixed(needle), 2)


def _number_expr(spec: FieldSpec, op: str) -> str:
    test = f"{spec.expr} {_PY_OPS[op]} {{c0}}"
    return f"({spec.expr} is not None and {test})" if spec.nullable else test


def _compile_number(spec: FieldSpec, op: str, raw: str) -> Compiled:
    value: float = parse_number(raw, money=spec.kind == "float")
    cost = 3 if "usage" in spec.expr else 1
    return Compiled(_number_expr(spec, op), _fixed(value), cost)


def _compile_duration(spec: FieldSpec, op: str, raw: str) -> Compiled:
    return Compiled(_number_expr(spec, op), _fixed(parse_duration_ms(raw)), 1)


def _period_expr(op: str, get: str) -> str:
    """Compare a start time with the period [{c0}, {c1}) (`{c1}` is the exclusive end,
    at least {c0} + 1 so a point works too)."""
    test = {
        "=": f"{{c0}} <= {get} < {{c1}}",
        "!=": f"not {{c0}} <= {get} < {{c1}}",
        ">": f"{get} >= {{c1}}",
        ">=": f"{get} >= {{c0}}",
        "<": f"{get} < {{c0}}",
        "<=": f"{get} < {{c1}}",
    }[op]
    return f"({get} is not None and {test})"


def _period(raw: str) -> Callable[[int], tuple[Any, ...]]:
    parse_time(raw, 0)  # validate now; relative values are resolved per evaluation

    def consts(now_ms: int) -> tuple[int, int]:
        lo, hi = parse_time(raw, now_ms)
        return lo, max(hi, lo + 1)

    return consts


def _compile_fulltext(spec: FieldSpec, op: str, raw: str) -> Compiled:
    if not raw.strip():
        raise ValueError(raw)
    holder = TextSet(raw)
    test = "in" if op == "~" else "not in"
    return Compiled(f"{spec.expr} {test} {{c0}}", lambda _now: (holder.paths or frozenset(),), 6,
                    holder)


def _compile_time(spec: FieldSpec, op: str, raw: str) -> Compiled:
    return Compiled(_period_expr(op, spec.expr), _period(raw), 1)


def _compile_since(spec: FieldSpec, op: str, raw: str) -> Compiled:
    return Compiled(_period_expr(">=", spec.expr), _period(raw), 1)


def _compile_bool(spec: FieldSpec, op: str, raw: str) -> Compiled:
    want = parse_bool(raw) == (op == "=")
    return Compiled(f"{spec.expr} is {{c0}}", _fixed(want), 0)


_COMPILERS: dict[str, Callable[[FieldSpec, str, str], Compiled]] = {
    "text": _compile_text,
    "list": _compile_list,
    "workflow": _compile_list,
    "status": _compile_status,
    "int": _compile_number,
    "float": _compile_number,
    "duration": _compile_duration,
    "time": _compile_time,
    "since": _compile_since,
    "bool": _compile_bool,
    "fulltext": _compile_fulltext,
}


def _parse_token(token: Token) -> Term:
    m = _KEY_OP.match(token.plain)
    if m is None or m.end() > token.quoted_at:
        return Term("", "", token.plain, token.raw)
    key = m.group(1).lower()
    spec = _LOOKUP.get(key)
    if spec is None:
        close = difflib.get_close_matches(key, list(_LOOKUP), n=1, cutoff=0.6)
        hint = f" (did you mean {_LOOKUP[close[0]].name}?)" if close else ""
        raise QueryError(
            f"unknown field '{_show(m.group(1))}' in '{_show(token.raw)}'{hint}; fields: {FIELD_NAMES_TEXT}"
            f" (quote a term to search for it as text)",
            token.raw,
        )
    return Term(spec.name, m.group(2), token.plain[m.end():], token.raw)


# -- queries ------------------------------------------------------------------


@dataclass
class Query:
    """A parsed query: every term must hold. Empty matches every run."""

    text: str
    terms: list[Term]
    _compiled: list[Compiled] = field(repr=False, compare=False, default_factory=list)
    _code: Any = field(repr=False, compare=False, default=None)
    _bound_at: int | None = field(repr=False, compare=False, default=None)
    _bound: Callable[[RunSummary], bool] | None = field(repr=False, compare=False, default=None)

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms)

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def needs_now(self) -> bool:
        """True when the result may depend on the clock (`since=`, `started`)."""
        return any(t.field in ("since", "started") for t in self.terms)

    @property
    def text_sets(self) -> list[TextSet]:
        """The `text~` terms, which need the full-text index (see `bind_text`)."""
        return [c.text for c in self._compiled if c.text is not None]

    def bind_text(self, resolve: Callable[[str], Iterable[str]]) -> None:
        """Resolve every `text~` term to the run paths holding it; unbound terms match no run."""
        for holder in self.text_sets:
            holder.paths = frozenset(resolve(holder.needle))
        self._bound = None
        self._bound_at = None

    def predicate(self, now_ms: int) -> Callable[[RunSummary], bool]:
        """One function testing a summary against every term (relative times fixed at now_ms)."""
        if self._bound is not None and self._bound_at == now_ms:
            return self._bound
        if self._code is None:
            self._code = compile(_source(self._compiled), "<harn-tui query>", "exec")
        namespace: dict[str, Any] = {"__builtins__": {"any": any}}
        for i, term in enumerate(self._compiled):
            for k, value in enumerate(term.consts(now_ms)):
                namespace[f"t{i}_{k}"] = value
        exec(self._code, namespace)
        self._bound_at, self._bound = now_ms, namespace["match"]
        return self._bound  # type: ignore[return-value]

    def matches(self, summary: RunSummary, now_ms: int) -> bool:
        return bool(self.predicate(now_ms)(summary))


def _source(compiled: list[Compiled]) -> str:
    """`def match(s): return <term 0> and <term 1> ...` with each term's constants
    renamed `t<i>_<k>` (only field expressions and these names are in the source)."""
    parts = []
    for i, term in enumerate(compiled):
        names = {f"c{k}": f"t{i}_{k}" for k in range(4)}
        parts.append(f"({term.expr.format(**names)})")
    return f"def match(s):\n    return {' and '.join(parts) or 'True'}\n"


def parse_query(text: str) -> Query:
    """Parse a query; raises QueryError naming the first bad term."""
    terms = [_parse_token(token) for token in tokenize(text)]
    compiled = [_compile_term(term) for term in terms]
    # Cheap tests first (stable), so the costly ones run on fewer rows.
    compiled.sort(key=lambda c: c.cost)
    return Query(text, terms, compiled)


def _as_query(query: Query | str) -> Query:
    return query if isinstance(query, Query) else parse_query(query)


def filter_runs(runs: Iterable[RunSummary], text: Query | str, now_ms: int) -> list[RunSummary]:
    """The runs matching the query, in their given order."""
    query = _as_query(text)
    if query.is_empty:
        return list(runs)
    pred = query.predicate(now_ms)
    return [s for s in runs if pred(s)]


def filter_listed(listed: Iterable[Any], text: Query | str, now_ms: int) -> list[Any]:
    """For `ls --where`: filter `Listed` rows (decoding each row's summary document)."""
    query = _as_query(text)
    if query.is_empty:
        return list(listed)
    pred = query.predicate(now_ms)
    return [row for row in listed if pred(RunSummary.of_row(row))]


def _bare(text: str) -> str:
    """`text` as a quoted bare word: always the substring search, whatever it contains."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def controls_query(status: str = "all", workflow: str | None = None, text: str | None = None) -> str:
    """The run list's `s` / `w` / `/` controls (and `ls --status/--workflow/-q`) as a query.

    A status group is `status=GROUP`, a workflow `workflow==NAME` (the shown name, exactly),
    the filter text one quoted bare word (a case-insensitive substring of `search_text()`).
    """
    terms: list[str] = []
    if status != "all":
        terms.append(f"status={_quote(status)}")
    if workflow:
        terms.append(f"workflow=={_quote(workflow)}")
    needle = (text or "").strip()
    if needle:
        terms.append(_bare(needle))
    return " ".join(terms)


_Row = TypeVar("_Row")


def filter_controls(
    rows: Iterable[_Row], status: str = "all", workflow: str | None = None, text: str | None = None
) -> list[_Row]:
    """The rows the controls keep, in order. Their terms read only `status_group`,
    `workflow_name` and `search_text()`, so `ls` filters its `Listed` rows directly."""
    return filter_runs(rows, controls_query(status, workflow, text), 0)  # type: ignore[arg-type,return-value]


# -- completion ---------------------------------------------------------------

#: Fields whose values complete from the runs in view.
VALUE_FIELDS = ("status", "workflow", "model", "skill", "node")
MAX_COMPLETIONS = 50


def vocabulary(runs: Iterable[RunSummary]) -> dict[str, list[str]]:
    """Completion values per field, most frequent first (then alphabetical)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in VALUE_FIELDS}
    for s in runs:
        if s.status:
            counts["status"][s.status] += 1
        if s.workflow_name:
            counts["workflow"][s.workflow_name] += 1
        for model in s.usage.get("models") or ():
            counts["model"][str(model)] += 1
        for skill in s.skills:
            counts["skill"][skill] += 1
        if s.last_node_id:
            counts["node"][s.last_node_id] += 1
    out = {name: [v for v, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]
           for name, c in counts.items()}
    groups = list(STATUS_GROUPS)
    out["status"] = groups + [v for v in out["status"] if v not in groups]
    out["broken"] = ["true", "false"]
    out["since"] = ["1h", "2h", "1d", "7d", "today"]
    return out


def _current_token(text: str, cursor: int) -> tuple[int, str]:
    """(start, text up to the cursor) of the term the cursor is in."""
    cursor = max(0, min(cursor, len(text)))
    tokens = tokenize(text[:cursor], partial=True)
    start = tokens[-1].start if tokens and tokens[-1].end == cursor else cursor
    return start, text[start:cursor]


def complete(
    text: str,
    cursor: int,
    runs: Iterable[RunSummary] | Mapping[str, Sequence[str]],
) -> list[str]:
    """Candidates for the term under the cursor (each a whole term, quoted if needed).

    After a space (or at the start): field names with their usual operator
    (`status=`, `tokens>`); after `field OP`: values seen in `runs` (for status,
    workflow, model, skill, node) or the literal choices (`broken`, `since`).
    `runs` may be a `vocabulary(...)` mapping computed once for many keystrokes.
    """
    vocab = runs if isinstance(runs, Mapping) else vocabulary(runs)
    _start, partial = _current_token(text, cursor)
    token = tokenize(partial, partial=True)
    plain = token[0].plain if token else ""
    quoted_at = token[0].quoted_at if token else 0
    m = _KEY_OP.match(plain)
    if m is not None and m.end() <= quoted_at:
        spec = _LOOKUP.get(m.group(1).lower())
        if spec is None:
            return []
        prefix = plain[m.end():].lower()
        head = plain[: m.end()]
        values = vocab.get(spec.name, ())
        starts = [v for v in values if v.lower().startswith(prefix)]
        inside = [v for v in values if prefix and prefix in v.lower() and v not in starts]
        return [head + _quote(v) for v in (starts + inside)[:MAX_COMPLETIONS]]
    if quoted_at < len(plain) or "=" in plain or "~" in plain:
        return []
    needle = plain.lower()
    names = [spec.name + spec.default_op for spec in _FIELD_LIST if spec.name.startswith(needle)]
    aliases = [
        spec.name + spec.default_op
        for spec in _FIELD_LIST
        if not spec.name.startswith(needle) and any(a.startswith(needle) for a in spec.aliases)
    ]
    return names + aliases if needle else names


def apply_completion(text: str, cursor: int, candidate: str) -> tuple[str, int]:
    """Replace the term under the cursor with `candidate`: (new text, new cursor)."""
    start, _partial = _current_token(text, cursor)
    end = cursor
    while end < len(text) and not text[end].isspace():
        end += 1
    new = text[:start] + candidate + text[end:]
    return new, start + len(candidate)
