"""Waterfall model: a run's stages and trace spans as nested, timed bars (pure, no UI).

`build_waterfall(detail)` returns a :class:`Waterfall` whose `rows` are ready to
draw top to bottom: a "Stages" group header followed by one bar per stage, then a
"Trace spans" group header followed by the span tree flattened depth first.

Time bases differ (spec §2.2): stage times are wall-clock timestamps, span
`start_ms` is process-relative. Each group is therefore laid out relative to its
own origin (the run start for stages, the earliest span for spans), so both groups
share one axis that starts at 0 ms.

Records are untrusted: span parents may point nowhere (orphans go to the top
level, marked), form loops (every span still appears exactly once, marked), or be
duplicated; stages may lack parseable times (they are then laid end to end by
`usage.total_duration_ms`). Nothing here raises on odd input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from harn_tui.core.format.gcpause import gc_paused
from harn_tui.core.format.records import RunRecord, TraceSpan
from harn_tui.core.format.schema import json_int, json_number, json_str, to_float, to_int, to_str
from harn_tui.core.format.timestamps import parse_ms

#: Group names (`Bar.group`).
STAGES = "stages"
SPANS = "spans"
#: `Bar.kind` of a group header row.
GROUP = "group"
#: `Bar.kind` of a stage row.
STAGE = "stage"

#: Row notes for span records whose parent link is broken.
ORPHAN = "orphan"
CYCLE = "cycle"


class Bar(NamedTuple):
    """One row of the waterfall (a named tuple: 50,000 of them build quickly)."""

    depth: int
    label: str
    kind: str
    start_ms: int
    duration_ms: int
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    #: The JSON behind the row: a span or stage dict, or (group header) the group's list.
    ref: Any = None
    group: str = SPANS
    #: Stable identity across reloads (`span:<id>#<n>`, `stage:<id>#<n>`, `group:<name>`).
    key: str = ""
    #: `orphan` / `cycle` for spans with broken parents; `status`: a stage's status.
    note: str = ""
    status: str = ""
    #: Span id and the parent it names (spans only).
    span_id: int | None = None
    parent_id: int | None = None
    #: Number of direct children (spans) or group members (headers).
    children: int = 0

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.duration_ms

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    @property
    def is_group(self) -> bool:
        return self.kind == GROUP


@dataclass
class Waterfall:
    """The flattened rows and the extent of the time axis (ms from each group's origin)."""

    rows: list[Bar]
    start: int
    end: int
    #: Largest tokens / cost of a non-header row per group (heat is relative to these).
    max_tokens: dict[str, int] = field(default_factory=dict)
    max_cost: dict[str, float] = field(default_factory=dict)
    #: How stages were placed: "timestamps", "durations" (laid end to end) or "mixed".
    stage_layout: str = ""

    @property
    def span(self) -> int:
        return max(self.end - self.start, 1)

    def heat(self, bar: Bar, metric: str = "tokens") -> float:
        """0..1: the bar's tokens (or cost) relative to the largest in its group."""
        if bar.is_group:
            return 0.0
        if metric == "cost":
            top = self.max_cost.get(bar.group, 0.0)
            return min(bar.cost / top, 1.0) if top > 0 and bar.cost > 0 else 0.0
        top_tokens = self.max_tokens.get(bar.group, 0)
        return min(bar.tokens / top_tokens, 1.0) if top_tokens > 0 and bar.tokens > 0 else 0.0

    def index_of(self, key: str) -> int | None:
        """The row index holding `key` (None when absent)."""
        for i, bar in enumerate(self.rows):
            if bar.key == key:
                return i
        return None


def _record(detail: Any) -> RunRecord:
    """A RunRecord view of a RunDetail, a RunRecord, or a normalized run dict."""
    if isinstance(detail, RunRecord):
        return detail
    normalized = getattr(detail, "normalized", None)
    if isinstance(normalized, dict):
        return RunRecord(normalized)
    if isinstance(detail, dict):
        return RunRecord.from_raw(detail)  # a raw or normalized run dict
    return RunRecord({})


def build_waterfall(detail: Any) -> Waterfall:
    """The waterfall of a run (a RunDetail, a RunRecord view or a run dict)."""
    with gc_paused():
        return _build(_record(detail))


def _build(record: RunRecord) -> Waterfall:
    stage_rows, layout = stage_bars(record)
    raw_spans = record.raw.get("trace_spans")
    span_rows = span_bars([s for s in raw_spans if isinstance(s, dict)] if isinstance(raw_spans, list) else [])
    rows: list[Bar] = []
    max_tokens: dict[str, int] = {}
    max_cost: dict[str, float] = {}
    headers: list[Bar] = []
    for group, title, members, refs in (
        (STAGES, "Stages", stage_rows, record.raw.get("stages")),
        (SPANS, "Trace spans", span_rows, record.raw.get("trace_spans")),
    ):
        if not members:
            continue
        start, end, tin, tout, cost, top_tokens, top_cost = _totals(members)
        header = Bar(
            depth=0, label=f"{title} ({len(members):,})", kind=GROUP, start_ms=start,
            duration_ms=end - start, tokens_in=tin, tokens_out=tout, cost=cost,
            ref=refs if isinstance(refs, list) else [], group=group, key=f"group:{group}",
            children=len(members),
        )
        headers.append(header)
        rows.append(header)
        rows.extend(members)
        max_tokens[group] = top_tokens
        max_cost[group] = top_cost
    start = min((b.start_ms for b in headers), default=0)
    end = max((b.end_ms for b in headers), default=0)
    return Waterfall(rows, start, max(end, start), max_tokens, max_cost, layout)


def _totals(members: list[Bar]) -> tuple[int, int, int, int, float, int, float]:
    """(start, end, tokens in, tokens out, cost, largest tokens, largest cost) in one pass."""
    start = end = members[0].start_ms
    tin = tout = top_tokens = 0
    cost = top_cost = 0.0
    for bar in members:
        b0, b1 = bar.start_ms, bar.start_ms + bar.duration_ms
        if b0 < start:
            start = b0
        if b1 > end:
            end = b1
        tin += bar.tokens_in
        tout += bar.tokens_out
        cost += bar.cost
        if bar.tokens_in + bar.tokens_out > top_tokens:
            top_tokens = bar.tokens_in + bar.tokens_out
        if bar.cost > top_cost:
            top_cost = bar.cost
    return start, end, tin, tout, cost, top_tokens, top_cost


# -- stages ---------------------------------------------------------------------


def stage_bars(record: RunRecord) -> tuple[list[Bar], str]:
    """One bar per stage, relative to the run start; unparseable times laid end to end."""
    stages = record.stages
    if not stages:
        return [], ""
    starts = [parse_ms(s.started_at) for s in stages]
    parsed = [ms for ms in starts if ms is not None]
    run_start = record.started_ms
    if parsed:
        origin = min(parsed)
        if run_start is not None and run_start <= origin:
            origin = run_start
    else:
        origin = 0
    bars: list[Bar] = []
    cursor = 0  # where the next unplaced stage goes: the end of the previous one
    seen: dict[str, int] = {}
    timed = 0
    for stage, start_ms in zip(stages, starts, strict=True):
        usage = stage.usage
        usage_ms = max(to_int(usage.total_duration_ms), 0) if usage is not None else 0
        end_ms = parse_ms(stage.finished_at)
        if start_ms is not None:
            timed += 1
            start = start_ms - origin
            duration = end_ms - start_ms if end_ms is not None and end_ms >= start_ms else usage_ms
        else:
            start, duration = cursor, usage_ms
        cursor = max(cursor, start + duration)
        ident = to_str(stage.id) or to_str(stage.node_id)
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        bars.append(Bar(
            depth=0,
            label=to_str(stage.node_id) or to_str(stage.id) or "(stage)",
            kind=STAGE,
            start_ms=start,
            duration_ms=duration,
            tokens_in=max(to_int(usage.input_tokens), 0) if usage is not None else 0,
            tokens_out=max(to_int(usage.output_tokens), 0) if usage is not None else 0,
            cost=max(to_float(usage.total_cost), 0.0) if usage is not None else 0.0,
            ref=stage.raw,
            group=STAGES,
            key=f"stage:{ident}#{n}",
            status=to_str(stage.status),
        ))
    layout = "timestamps" if timed == len(stages) else "durations" if timed == 0 else "mixed"
    return bars, layout


# -- spans ----------------------------------------------------------------------


def _span_usage(raw: dict[str, Any], meta: Any) -> tuple[int, int, float]:
    """(input tokens, output tokens, cost) of an `llm_call` span (zeros for other spans)."""
    if type(meta) is dict and meta:
        # Metadata is read as Harn (and the LLM usage table) reads it: JSON numbers only.
        tin = json_int(meta.get("input_tokens"), 0)
        tout = json_int(meta.get("output_tokens"), 0)
        cost = json_number(meta.get("cost_usd"), 0.0) or to_float(raw.get("cost_usd"))  # [later] on the span
    else:
        tin = tout = 0
        cost = to_float(raw.get("cost_usd"))
    return (tin if tin > 0 else 0), (tout if tout > 0 else 0), (cost if cost > 0 else 0.0)


def _span_label(name: str, kind: str, meta: Any) -> str:
    if kind == "tool_call" and isinstance(meta, dict):
        tool = json_str(meta.get("tool_name"), "")
        if tool and tool != name:
            return f"{name} · {tool}" if name else tool
    return name or kind or "(span)"


def _parent(raw: dict[str, Any]) -> int | None:
    """`TraceSpan.parent_id` (`parent_span_id`, else `parent_id`) with a fast path for ints."""
    value = raw.get("parent_span_id")
    if value is None:
        value = raw.get("parent_id")
    if value is None or type(value) is int:
        return value
    return TraceSpan(raw).parent_id


def span_bars(spans: list[TraceSpan] | list[dict[str, Any]]) -> list[Bar]:
    """The span tree flattened depth first (children by start), orphans and loops at the top."""
    n = len(spans)
    if not n:
        return []
    raws = [s.raw if isinstance(s, TraceSpan) else s for s in spans]
    ids = [to_int(r.get("span_id")) for r in raws]
    parents = [_parent(r) for r in raws]
    starts = [to_int(r.get("start_ms")) for r in raws]
    by_id: dict[int, int] = {}
    for i, sid in enumerate(ids):
        by_id.setdefault(sid, i)  # duplicate ids: children attach to the first
    # Visit spans in (start, id, position) order once, so every child list comes out sorted.
    ordered = sorted(range(n), key=list(zip(starts, ids, strict=True)).__getitem__)
    rank = [0] * n
    for r, i in enumerate(ordered):
        rank[i] = r
    children: list[list[int]] = [[] for _ in range(n)]
    roots: list[int] = []
    notes = [""] * n
    for i in ordered:
        parent = parents[i]
        if parent is None:
            roots.append(i)
            continue
        owner = by_id.get(parent)
        if owner is None:
            notes[i] = ORPHAN
            roots.append(i)
        elif owner == i:  # its own parent
            notes[i] = CYCLE
            roots.append(i)
        else:
            children[owner].append(i)

    origin = starts[ordered[0]]
    occurrences: dict[int, int] = {}
    keys = [""] * n
    for i, sid in enumerate(ids):
        k = occurrences.get(sid, 0)
        occurrences[sid] = k + 1
        keys[i] = f"span:{sid}#{k}"

    out: list[Bar] = []
    append = out.append
    visited = bytearray(n)

    def walk(root: int) -> None:
        stack = [(root, 0)]
        pop, push = stack.pop, stack.append
        while stack:
            i, d = pop()
            if visited[i]:
                continue
            visited[i] = 1
            raw = raws[i]
            meta = raw.get("metadata")
            kind = raw.get("kind")
            if type(kind) is not str:
                kind = to_str(kind)
            name = raw.get("name")
            if type(name) is not str:
                name = to_str(name)
            tin, tout, cost = _span_usage(raw, meta)
            kids = children[i]
            duration = to_int(raw.get("duration_ms"))
            append(Bar(  # positional: the hot loop of a 50,000-span run
                d, _span_label(name, kind, meta) if kind == "tool_call" or not name else name,
                kind or "span",
                starts[i] - origin, duration if duration > 0 else 0,
                tin, tout, cost, raw, SPANS, keys[i], notes[i], "", ids[i], parents[i], len(kids),
            ))
            for c in reversed(kids):
                if not visited[c]:
                    push((c, d + 1))

    for r in roots:
        walk(r)
    if len(out) < n:
        # What is left hangs off a parent loop: surface each loop at the top level,
        # entering it at the loop member reached by walking up from the earliest span.
        for i in ordered:
            if visited[i]:
                continue
            seen: set[int] = set()
            j = i
            while j not in seen:
                seen.add(j)
                parent = parents[j]
                owner = by_id.get(parent) if parent is not None else None
                if owner is None or visited[owner]:
                    break
                j = owner
            notes[j] = CYCLE
            walk(j)
    return out
