"""Search queries over the full-text index: parse, find candidates, verify, snippet.

Syntax (terms separated by spaces, all must hold in the same piece of text):

* ``word`` a whole word; ``deploy*`` a word starting with ``deploy``;
* ``"exact phrase"`` the words in that order (case-insensitive);
* ``*ploy*`` (or ``*ploy`` / ``text~"a b"``) a substring anywhere;
* ``in:prompt`` (``tool error message hitl event other``, comma-separated) scopes
  the fields searched;
* any query-language term (``status=failed workflow=deploy``) filters the runs;
* with ``regex=True`` the whole pattern is one Python regular expression, run on
  the candidate texts the index returns for its longest literal (or on every
  text when it has none), bounded in time (`RegexTimeout`).

Every match is verified on the stored text, so a hit is never a false positive of
the index. Case-insensitive throughout. Pure: no Textual, no Rich.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harn_tui.core.format.errors import UsageError
from harn_tui.core.format.textsafe import one_line, utf8_clean
from harn_tui.core.search.extract import FIELDS, Location, describe, parse_location
from harn_tui.core.search.store import SHIFT, TOPIC_PREFIX, fs_rel, locations

__all__ = ["Hit", "RegexTimeout", "SearchQuery", "parse_search", "run_search"]

SNIPPET_BEFORE = 40
SNIPPET_WIDTH = 160
DEFAULT_REGEX_SECONDS = 5.0

_WORD = re.compile(r"[^\W_]+")
#: `field OP value` (as in core.query, kept here so a plain search never imports it)
_KEY_OP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(!=|!~|>=|<=|=|~|>|<)")


class RegexTimeout(UsageError):
    """A regular expression ran past its time budget (the hits so far are kept)."""


@dataclass(frozen=True)
class Term:
    kind: str  # word | prefix | phrase | substring | regex
    text: str


@dataclass
class SearchQuery:
    text: str
    terms: list[Term]
    fields: tuple[str, ...] = ()
    where: str = ""
    matchers: list[Callable[[str], tuple[int, int] | None]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.terms


@dataclass
class Hit:
    """One verified match: where it is and a one-line snippet with the match marked."""

    run_id: str
    path: str
    loc: str
    field: str
    text: str
    start: int
    end: int
    started_ms: int | None
    topic: str = ""
    more: int = 0  # other places holding the same text
    #: every match shown in the snippet: each term's, in text order ((start, end) when empty)
    marks: tuple[tuple[int, int], ...] = ()

    @property
    def location(self) -> Location:
        return parse_location(self.loc)

    def describe(self) -> str:
        return describe(self.location, self.topic)

    def snippet(self, width: int = SNIPPET_WIDTH, before: int = SNIPPET_BEFORE) -> tuple[str, int, int]:
        """(escaped one-line snippet, match start, match end) within the snippet: about
        `before` characters of context, then the first match, then what fits in `width`."""
        text, marks = self.marked_snippet(width, before)
        return text, marks[0][0], marks[0][1]

    def marked_snippet(self, width: int = SNIPPET_WIDTH,
                       before: int = SNIPPET_BEFORE) -> tuple[str, list[tuple[int, int]]]:
        """Like `snippet`, with every match that fits in `width` marked (each term's, not
        only the first's): (escaped one-line snippet, [(start, end), ...] within it)."""
        text = self.text
        lo = max(0, self.start - before)
        while lo > 0 and lo > self.start - before - 15 and not text[lo - 1].isspace():
            lo -= 1
        out = ("…" if lo > 0 else "") + one_line(text[lo:self.start])
        marks: list[tuple[int, int]] = []
        pos = self.start
        for a, b in _joined(text, self.marks or ((self.start, self.end),)):
            if a < pos:
                continue  # inside the one before
            if marks and a - pos + len(out) >= width:
                break  # this one and the rest are past what is shown
            out += one_line(text[pos:a])
            mid = one_line(text[a:b])
            marks.append((len(out), len(out) + len(mid)))
            out += mid
            pos = b
        room = max(0, width - len(out))
        rest = text[pos:pos + room + 1]
        post = one_line(rest)
        if len(post) > room or pos + len(rest) < len(text):
            post = post[: max(0, room - 1)] + "…"
        return out + post, marks

    def marked_segments(self, width: int = SNIPPET_WIDTH,
                        before: int = SNIPPET_BEFORE) -> list[tuple[str, bool]]:
        """The marked snippet as (text, is a match) pieces, in order (for drawing it)."""
        snippet, marks = self.marked_snippet(width, before)
        out: list[tuple[str, bool]] = []
        pos = 0
        for a, b in marks:
            out += [(snippet[pos:a], False), (snippet[a:b], True)]
            pos = b
        out.append((snippet[pos:], False))
        return out

    def to_json(self) -> dict[str, Any]:
        snippet, a, b = self.snippet()
        loc = self.location.to_json()
        loc["text"] = self.describe()
        if self.topic:
            loc["topic"] = self.topic
        return {
            "run_id": self.run_id,
            "path": utf8_clean(self.path),
            "location": loc,
            "field": self.field,
            "snippet": snippet,
            "match_start": a,
            "match_end": b,
        }


def _joined(text: str, marks: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Marks in order, those next to each other (only a space or two between) as one: the
    words of `quota exceeded` read as one highlighted phrase."""
    out: list[tuple[int, int]] = []
    for a, b in marks:
        if out and a - out[-1][1] <= 2 and not text[out[-1][1]:a].strip():
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


# -- parsing ----------------------------------------------------------------------


def _scope(value: str) -> tuple[str, ...]:
    names = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    bad = [n for n in names if n not in FIELDS]
    if bad or not names:
        raise UsageError(f"unknown field in:{one_line(value, 40)}; fields: {' '.join(FIELDS)}")
    return names


def parse_search(text: str, *, regex: bool = False, fields: str | None = None) -> SearchQuery:
    """Parse a search; UsageError (QueryError) for a bad term or regex."""
    scope: tuple[str, ...] = _scope(fields) if fields else ()
    if regex:
        try:
            compiled = re.compile(text, re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise UsageError(f"bad regular expression: {exc}") from None
        if compiled.search("") is not None:
            raise UsageError("the regular expression matches empty text; make it require something")
        q = SearchQuery(text, [Term("regex", text)], scope)
        q.matchers = [_regex_matcher(compiled)]
        return q
    # the query language is imported only when a search is parsed (it is not needed at start-up)
    from harn_tui.core.analysis.query import tokenize

    terms: list[Term] = []
    where: list[str] = []
    for token in tokenize(text):
        plain, raw = token.plain, token.raw
        if raw.lower().startswith("in:") and token.quoted_at >= 3:
            scope = scope + _scope(plain[3:])
            continue
        m = _KEY_OP.match(plain)
        if m is not None and m.end() <= token.quoted_at:
            key = m.group(1).lower()
            if key == "text" and m.group(2) == "~":
                if plain[m.end():]:
                    terms.append(Term("substring", plain[m.end():]))
                continue
            from harn_tui.core.analysis.query import _LOOKUP

            if key in _LOOKUP:
                where.append(raw)
                continue
        if token.quoted_at == 0 and raw[:1] in "\"'":
            if _WORD.search(plain):
                terms.append(Term("phrase", plain))
            elif plain:
                terms.append(Term("substring", plain))
            continue
        if len(plain) > 1 and plain.startswith("*"):
            body = plain.strip("*")
            if body:
                terms.append(Term("substring", body))
            continue
        if plain.endswith("*") and _WORD.fullmatch(plain.rstrip("*")):
            terms.append(Term("prefix", plain.rstrip("*")))
            continue
        if _WORD.fullmatch(plain):
            terms.append(Term("word", plain))
        elif plain:
            terms.append(Term("phrase", plain) if _WORD.search(plain) else Term("substring", plain))
    if where:
        from harn_tui.core.analysis.query import parse_query

        parse_query(" ".join(where))  # validate now
    q = SearchQuery(text, terms, tuple(dict.fromkeys(scope)), " ".join(where))
    q.matchers = [_matcher(t) for t in terms]
    return q


def _bounded(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)


def _phrase_body(text: str) -> str:
    # words in order, anything that is not a word between them (like the index sees it)
    words = _WORD.findall(text)
    return r"[\W_]+".join(re.escape(w) for w in words)


def _matcher(term: Term) -> Callable[[str], tuple[int, int] | None]:
    if term.kind == "word":
        pattern = _bounded(re.escape(term.text))
    elif term.kind == "prefix":
        pattern = re.compile(rf"(?<![^\W_]){re.escape(term.text)}[^\W_]*", re.IGNORECASE)
    elif term.kind == "phrase":
        exact = _bounded(re.escape(term.text).replace(r"\ ", r"\s+"))
        loose = _bounded(_phrase_body(term.text))

        def phrase(text: str) -> tuple[int, int] | None:
            m = exact.search(text) or loose.search(text)
            return m.span() if m else None

        return phrase
    else:
        needle = term.text.casefold()
        simple = needle == term.text.lower()

        def substring(text: str) -> tuple[int, int] | None:
            hay = text.lower() if simple else text.casefold()
            i = hay.find(needle)
            if i < 0:
                return None
            if len(hay) != len(text):  # casefold changed lengths: find the span in the original
                m = re.search(re.escape(term.text), text, re.IGNORECASE)
                return m.span() if m else (0, 0)
            return i, i + len(needle)

        return substring

    def search(text: str) -> tuple[int, int] | None:
        m = pattern.search(text)
        return m.span() if m else None

    return search


def _regex_matcher(compiled: re.Pattern[str]) -> Callable[[str], tuple[int, int] | None]:
    def search(text: str) -> tuple[int, int] | None:
        m = compiled.search(text)
        return m.span() if m else None

    return search


# -- candidates -----------------------------------------------------------------------


def _fts_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _regex_literal(pattern: str) -> str:
    """The longest literal run the regex requires at its top level ('' if none)."""
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - Python < 3.11 layout
        import sre_parse  # type: ignore[no-redef]
    from re._constants import LITERAL  # type: ignore[import-not-found]

    try:
        parsed = sre_parse.parse(pattern)
    except Exception:
        return ""
    best, run = "", []
    for op, arg in list(parsed):
        if op is LITERAL:
            run.append(chr(arg))
            continue
        text = "".join(run)
        best = text if len(text) > len(best) else best
        run = []
    text = "".join(run)
    return text if len(text) > len(best) else best


def _match_expr(conn: sqlite3.Connection, query: SearchQuery) -> str:
    """The FTS5 MATCH expression for the word, prefix and phrase terms ('' = none)."""
    groups: list[str] = []
    for term in query.terms:
        if term.kind == "word":
            groups.append(_fts_quote(term.text.lower()))
        elif term.kind == "prefix":
            groups.append(_fts_quote(term.text.lower()) + "*")
        elif term.kind == "phrase":
            words = [w.lower() for w in _WORD.findall(term.text)]
            groups.append(_fts_quote(" ".join(words)))
    return " AND ".join(groups)


_LIKE_SPECIAL = re.compile(r"[%_\\]")


def _substring_rowids(conn: sqlite3.Connection, fragment: str) -> set[int] | None:
    """Rowids of the texts that may contain `fragment` (the trigram index; None = no
    narrowing, for fragments under 3 characters)."""
    runs = [r for r in _LIKE_SPECIAL.split(fragment) if len(r) >= 3]
    if not runs:
        return None
    needle = max(runs, key=len)
    rows = conn.execute("SELECT rowid FROM tri WHERE c0 LIKE ?", (f"%{needle}%",)).fetchall()
    return {r[0] for r in rows}


def _candidates(conn: sqlite3.Connection, query: SearchQuery) -> list[int]:
    """Rowids every term may hold in: the word index, intersected with the trigram index for
    each substring (or a regex's longest literal); every text when nothing narrows."""
    found: set[int] | None = None
    expr = _match_expr(conn, query)
    if expr:
        found = {r[0] for r in conn.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (expr,))}
    for term in query.terms:
        if term.kind not in ("substring", "regex"):
            continue
        fragment = _regex_literal(term.text) if term.kind == "regex" else term.text
        if not fragment or (found is not None and not found):
            continue
        rowids = _substring_rowids(conn, fragment)
        if rowids is not None:
            found = rowids if found is None else found & rowids
    if found is None:
        return [r[0] for r in conn.execute("SELECT rowid FROM docs")]
    return list(found)


# -- running ------------------------------------------------------------------------


@dataclass
class _Files:
    started: dict[int, int | None]
    rel: dict[int, str]
    run_id: dict[int, str]
    session_run: dict[str, int]


def _file_rows(conn: sqlite3.Connection, fids: set[int]) -> list[tuple[Any, ...]]:
    """The files rows of the candidates; every row when an event-log topic is among them
    (its run is found through the sessions the run files link)."""
    columns = "SELECT id, rel, run_id, started_ms, sessions FROM files"
    if len(fids) > 2000:
        return conn.execute(columns).fetchall()
    ids = sorted(fids)
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows += conn.execute(f"{columns} WHERE id IN ({','.join('?' * len(chunk))})",
                             chunk).fetchall()
    if any(r[1].startswith(TOPIC_PREFIX) for r in rows):
        return conn.execute(columns).fetchall()
    return rows


def _files(conn: sqlite3.Connection, fids: set[int]) -> _Files:
    started: dict[int, int | None] = {}
    rel: dict[int, str] = {}
    run_id: dict[int, str] = {}
    session_run: dict[str, int] = {}
    topics: list[tuple[int, str]] = []
    for fid, stored, rid, ms, sessions in _file_rows(conn, fids):
        rel[fid] = path = fs_rel(stored)
        if path.startswith(TOPIC_PREFIX):
            topics.append((fid, sessions or ""))
            continue
        started[fid], run_id[fid] = ms, rid or ""
        if rid:
            session_run.setdefault("run:" + rid, fid)
        for sid in (sessions or "").split("\n"):
            if sid:
                session_run.setdefault(sid, fid)
    for fid, sessions in topics:
        owner = next((session_run[s] for s in sessions.split("\n") if s in session_run), None)
        started[fid] = started.get(owner) if owner is not None else None
        run_id[fid] = run_id.get(owner, "") if owner is not None else ""
        if owner is not None:
            session_run["\x00topic:" + str(fid)] = owner
    return _Files(started, rel, run_id, session_run)


def run_search(
    conn: sqlite3.Connection,
    query: SearchQuery,
    *,
    allowed: set[str] | None = None,
    limit: int | None = None,
    deadline: float | None = None,
) -> Iterator[Hit]:
    """Verified hits, newest run first (then in file order).

    `allowed` restricts to these run paths (a `--where` filter); `deadline` (a
    `time.monotonic()` value) bounds the verification and raises RegexTimeout.
    """
    if query.is_empty:
        return
    rowids = _candidates(conn, query)
    scope = query.fields
    files = _files(conn, {r >> SHIFT for r in rowids})

    def owner(fid: int) -> int:
        return files.session_run.get("\x00topic:" + str(fid), fid)

    def path_of(fid: int) -> str:
        return files.rel.get(owner(fid), "")

    if allowed is not None:
        rowids = [r for r in rowids if path_of(r >> SHIFT) in allowed]
    rowids.sort(key=lambda r: (-(files.started.get(r >> SHIFT) or 0), path_of(r >> SHIFT),
                               r >> SHIFT, r))
    count = 0
    cache: dict[Any, Any] = {}
    fetch = "SELECT text, field FROM docs WHERE rowid = ?"
    for i, rowid in enumerate(rowids):
        if deadline is not None and i % 16 == 0 and time.monotonic() > deadline:
            raise RegexTimeout("search stopped: the pattern took too long")
        row = conn.execute(fetch, (rowid,)).fetchone()
        if row is None:
            continue
        text, fld = row
        if scope and fld not in scope:
            continue
        marks = _verify(query, text)
        if marks is None:
            continue
        fid = rowid >> SHIFT
        locs = locations(conn, rowid, cache)
        rel = files.rel.get(fid, "")
        topic = rel[len(TOPIC_PREFIX):] if rel.startswith(TOPIC_PREFIX) else ""
        yield Hit(
            run_id=files.run_id.get(fid, ""),
            path=path_of(fid) if not topic or owner(fid) != fid else "events:" + topic,
            loc=locs[0] if locs else "r",
            field=fld,
            text=text,
            start=marks[0][0],
            end=marks[0][1],
            started_ms=files.started.get(fid),
            topic=topic,
            more=max(0, len(locs) - 1),
            marks=marks,
        )
        count += 1
        if limit is not None and count >= limit:
            return


#: further matches of each term marked after its first, within this many characters
MARK_REACH = 2 * SNIPPET_WIDTH
MARKS_PER_TERM = 8


def _verify(query: SearchQuery, text: str) -> tuple[tuple[int, int], ...] | None:
    """None unless every term matches `text`; else the matches to mark, in text order
    (each term's first, and its next few within reach of the snippet)."""
    firsts: list[tuple[int, int]] = []
    for matcher in query.matchers:
        span = matcher(text)
        if span is None:
            return None
        firsts.append(span)
    lo = min(a for a, _b in firsts)
    marks = set(firsts)
    for matcher, (_a, b) in zip(query.matchers, firsts, strict=True):
        window = text[b:lo + MARK_REACH]
        at = 0
        for _ in range(MARKS_PER_TERM):
            span = matcher(window[at:]) if at < len(window) else None
            if span is None or span[1] == span[0]:
                break
            marks.add((b + at + span[0], b + at + span[1]))
            at += span[1]
    return tuple(sorted(marks))
