"""Command line: `harn-tui [ROOT]` opens the explorer; `ls` and `show` are headless.

Headless commands import only `harn_tui.core` (never Textual), so they start fast
and are safe to use in scripts. Exit codes: 0 ok, 1 load failure, 2 usage error
or run not found.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harn_tui import __version__
from harn_tui.core.format import clock
from harn_tui.core.format.errors import HarnTuiError, LoadError, UsageError

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog
    from harn_tui.core.index.summary import RunSummary

EXIT_OK, EXIT_LOAD, EXIT_USAGE = 0, 1, 2
SUBCOMMANDS = ("ls", "show", "grep", "serve")

DESCRIPTION = """\
harn-tui: explore Harn run records, follow live runs and replay agent sessions.

  harn-tui [ROOT]           open the explorer on a run directory (or one run file)
  harn-tui --demo [DIR]     open it on a generated demo with a run progressing live
  harn-tui ls [ROOT]        list runs (table, or --json)
  harn-tui show RUN         summarize one run (or --json for the normalized record)
  harn-tui grep PATTERN     find text in every run (prompts, tools, messages, HITL, events)
  harn-tui serve [ROOT]     the explorer in a browser on 127.0.0.1 (--port, --host)

ROOT defaults to $HARN_RUN_DIR, else ./.harn-runs. The event log is found by Harn's
rules ($HARN_STATE_DIR, $HARN_EVENT_LOG_BACKEND, $HARN_EVENT_LOG_SQLITE_PATH,
$HARN_EVENT_LOG_DIR) unless --events points at it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


ROOT_HELP = "run directory (default: $HARN_RUN_DIR or ./.harn-runs)"


def _add_root(parser: argparse.ArgumentParser, help: str = ROOT_HELP) -> None:
    parser.add_argument("root", nargs="?", metavar="ROOT", help=help)


def _add_events(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--events", metavar="PATH", help="events.sqlite, an events/ dir, or a .harn state root"
    )


def _add_no_cache(
    parser: argparse.ArgumentParser, help: str = "do not read or write the summary cache"
) -> None:
    parser.add_argument("--no-cache", action="store_true", help=help)


def build_tui_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harn-tui",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_root(parser, "run directory or a single run file")
    _add_events(parser)
    parser.add_argument(
        "--demo",
        nargs="?",
        const="",
        metavar="DIR",
        help="write a demo run root (to DIR, kept; else a temp dir, removed on exit) and open it",
    )
    parser.add_argument(
        "--poll",
        type=_positive_float,
        metavar="SECONDS",
        help="poll for changes every SECONDS instead of native file events",
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme (e.g. textual-dark, nord)")
    _add_no_cache(parser)
    parser.add_argument("--version", action="version", version=f"harn-tui {__version__}")
    return parser


def build_ls_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harn-tui ls", description="List the runs under ROOT, newest first.")
    _add_root(parser)
    parser.add_argument(
        "--json", action="store_true", help="print a JSON array, one object per run file"
    )
    parser.add_argument("--status", choices=("failed", "completed", "active", "all"), default="all")
    parser.add_argument(
        "--workflow", metavar="NAME", help="only runs of this workflow (exact name)"
    )
    parser.add_argument("-q", "--query", metavar="TEXT", help="case-insensitive substring filter")
    parser.add_argument(
        "--where",
        metavar="QUERY",
        help="query, e.g. 'status=failed workflow=deploy tokens>50k hitl>0 model~sonnet since=2h'",
    )
    parser.add_argument("--sort", choices=("newest", "oldest", "duration"), default="newest")
    parser.add_argument("--limit", type=_positive_int, metavar="N")
    _add_events(parser)
    _add_no_cache(parser)
    return parser


def build_costs_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harn-tui costs",
        description="What the runs under ROOT cost: totals and one breakdown (llm_call spans, else run usage).",
    )
    _add_root(parser)
    parser.add_argument("--by", choices=("day", "workflow", "model", "provider"), default="model",
                        help="group by (default: model)")
    parser.add_argument("--where", metavar="QUERY", help="only runs matching the query, e.g. 'since=7d workflow=deploy'")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_no_cache(parser)
    return parser


def build_show_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harn-tui show", description="Show one run: a run file path, or a run id under ROOT."
    )
    parser.add_argument("run", metavar="RUN")
    parser.add_argument("--root", metavar="ROOT", help="run directory to find RUN in")
    _add_events(parser)
    parser.add_argument("--json", action="store_true", help="print the normalized record as JSON")
    return parser


def build_grep_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harn-tui grep",
        description=(
            "Find text in every run under ROOT, newest run first: words, \"exact phrases\","
            " prefixes (deploy*), substrings (*ploy*), in:FIELD and query terms"
            " (status=failed); case-insensitive."
        ),
    )
    parser.add_argument("pattern", metavar="PATTERN")
    _add_root(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per hit, per line")
    parser.add_argument("--in", dest="fields", metavar="FIELD",
                        help="only these fields: prompt tool error message hitl event other (a,b)")
    parser.add_argument("--where", metavar="QUERY", help="only runs matching this query")
    parser.add_argument("--limit", type=_positive_int, metavar="N", help="stop after N hits")
    parser.add_argument("--regex", action="store_true",
                        help="PATTERN is a regular expression (stopped after --timeout seconds)")
    parser.add_argument("--timeout", type=_positive_float, default=5.0, metavar="SECONDS",
                        help="time budget of a --regex search (default 5)")
    _add_events(parser)
    _add_no_cache(parser, "do not keep the search index (build a temporary one)")
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harn-tui serve",
        description="Serve the explorer in a browser (textual-serve), on 127.0.0.1 by default.",
    )
    _add_root(parser)
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="address to bind (default 127.0.0.1; 0.0.0.0 lets anyone who can reach the port read every run)",
    )
    parser.add_argument(
        "--public-url", metavar="URL",
        help="the address browsers use, e.g. behind a proxy (default http://HOST:PORT, this machine's name for 0.0.0.0)",
    )
    _add_events(parser)
    parser.add_argument("--poll", type=_positive_float, metavar="SECONDS", help="poll instead of native file events")
    return parser


def _port(text: str) -> int:
    value = _positive_int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "serve":
            from harn_tui.serve import serve

            return serve(build_serve_parser().parse_args(args[1:]))
        if args and args[0] == "ls":
            return cmd_ls(build_ls_parser().parse_args(args[1:]))
        if args and args[0] == "show":
            return cmd_show(build_show_parser().parse_args(args[1:]))
        if args and args[0] == "costs":
            return cmd_costs(build_costs_parser().parse_args(args[1:]))
        if args and args[0] == "grep":
            return cmd_grep(build_grep_parser().parse_args(args[1:]))
        return cmd_tui(build_tui_parser().parse_args(args))
    except UsageError as exc:
        _fail(exc.reason)
        return EXIT_USAGE
    except HarnTuiError as exc:
        _fail(exc.reason)
        return EXIT_LOAD
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK


def entry() -> None:
    """Console-script entry. Headless commands skip interpreter teardown once their output
    is flushed: freeing thousands of summaries one by one costs more than the listing."""
    args = sys.argv[1:]
    code = main(args)
    if args and args[0] in ("ls", "show", "costs", "grep"):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            _silence_stdout()
        os._exit(code)
    raise SystemExit(code)


def _fail(reason: str) -> None:
    sys.stderr.write(f"harn-tui: {reason}\n")


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


# -- shared helpers -------------------------------------------------------------


def resolve_root(arg: str | None) -> Path:
    """ROOT argument, else HARN_RUN_DIR, else ./.harn-runs."""
    from harn_tui.core.format.locations import absolute_path, run_root

    return absolute_path(arg if arg else run_root(os.environ, Path.cwd()))


def require_dir(root: Path) -> None:
    if not root.exists():
        hint = "" if os.environ.get("HARN_RUN_DIR") else " (pass ROOT or set HARN_RUN_DIR)"
        raise UsageError(f"no run directory at {root}{hint}")
    if not root.is_dir():
        raise UsageError(f"not a directory: {root}")


def open_log(events: str | None, run_root: Path | None = None) -> tuple[EventLog | None, str | None]:
    """The event log from --events, else Harn's rules for the project holding `run_root`
    (then the current folder); with no usable log, (None, one line saying so)."""
    from harn_tui.core.format.errors import EventLogError
    from harn_tui.core.format.locations import event_log_location, missing_event_log_note

    try:
        if events is None and event_log_location(os.environ, Path.cwd(), run_root) is None:
            # no log: skip importing the readers at all
            return None, missing_event_log_note(os.environ, Path.cwd(), run_root)
        from harn_tui.core.eventlog.opener import open_default_event_log

        log = open_default_event_log(Path(events) if events else None, os.environ, Path.cwd(), run_root)
        return log, None
    except EventLogError as exc:
        if events:
            raise UsageError(f"--events: {exc.reason}") from None
        return None, f"event log unreadable: {exc.reason}; pass --events PATH to read another"


def cache_dir_for(no_cache: bool) -> Path | None:
    if no_cache:
        return None
    from harn_tui.core.format.locations import cache_dir

    return cache_dir(os.environ)


# -- ls -------------------------------------------------------------------------


def cmd_ls(args: argparse.Namespace) -> int:
    import gc

    from harn_tui.core.index.run_index import RunIndex, select

    gc.disable()  # a short-lived process building many small acyclic objects
    where = None
    if args.where:
        from harn_tui.core.analysis.query import parse_query

        where = parse_query(args.where)
    root = resolve_root(args.root)
    if root.is_file():  # ROOT may be one run file
        listed = RunIndex(root.parent).listing_of_file(root)
        if not listed:
            raise LoadError(f"{root}: not a run record (no _type \"run_record\")")
    else:
        require_dir(root)
        if where is not None and where.text_sets:  # text~"...": resolved by the full-text index
            from harn_tui.core.search.engine import open_index, paths_matching

            search_index = open_index(root, cache_dir_for(args.no_cache))
            try:
                search_index.sync()
                where.bind_text(lambda needle: paths_matching(search_index.conn, needle))
            finally:
                search_index.close()
        listed = RunIndex(root, cache_dir=cache_dir_for(args.no_cache)).scan_listing()
    log, log_error = open_log(args.events, root.parent if root.is_file() else root)
    try:
        if log is not None:
            listed, log_error = merge_log_hitl_listing(listed, log)
    finally:
        if log is not None:
            log.close()
    if where is not None and not where.is_empty:

        from harn_tui.core.analysis.query import filter_listed

        listed = filter_listed(listed, where, clock.now_ms())
    if args.status != "all" or args.workflow or (args.query or "").strip():
        from harn_tui.core.analysis.query import filter_controls

        listed = filter_controls(listed, args.status, args.workflow, args.query)
    chosen = select(listed, sort=args.sort, limit=args.limit)
    if args.json:
        # Written piece by piece (the documents are slices of the cache file): joining
        # 100,000 documents first would copy them twice more.
        out = sys.stdout.buffer
        if chosen:
            pieces: list[Any] = [b",\n"] * (2 * len(chosen) + 1)
            pieces[0], pieces[-1] = b"[\n", b"\n]\n"
            pieces[1::2] = [run.doc for run in chosen]
            out.writelines(pieces)
        else:
            out.write(b"[]\n")
        sys.stdout.flush()
    else:
        from harn_tui.core.index.summary import RunSummary

        whole = not sys.stdout.isatty()  # piped: whole ids and paths, for scripts
        sys.stdout.write(format_table([RunSummary.of_row(run) for run in chosen], whole=whole))
    if log_error:
        _fail(log_error if log is None else f"event log: {log_error}")
    return EXIT_OK


# -- costs ----------------------------------------------------------------------


def cmd_costs(args: argparse.Namespace) -> int:
    """Totals and one breakdown of the runs matching --where (the run list's `$` screen)."""

    from harn_tui.core.analysis.costs import build_cost_report
    from harn_tui.core.index.run_index import RunIndex
    from harn_tui.core.index.summary import RunSummary

    where = None
    if args.where:
        from harn_tui.core.analysis.query import parse_query

        where = parse_query(args.where)
    root = resolve_root(args.root)
    require_dir(root)
    listed = RunIndex(root, cache_dir=cache_dir_for(args.no_cache)).scan_listing()
    if where is not None and not where.is_empty:
        from harn_tui.core.analysis.query import filter_listed

        listed = filter_listed(listed, where, clock.now_ms())
    report = build_cost_report(RunSummary.of_row(run) for run in listed if not run.broken)
    if args.json:
        write_json(report.to_json(args.by))
        return EXIT_OK
    from harn_tui.core.format.numbers import fmt_count, fmt_tokens, fmt_usd
    from harn_tui.core.format.plural import noun

    s = report.summary
    out = [
        f"total {fmt_usd(s.cost_usd)}  {fmt_count(s.call_count)} {noun(s.call_count, 'call')}  "
        f"{fmt_tokens(s.input_tokens)} in / {fmt_tokens(s.output_tokens)} out  {fmt_count(s.run_count)} {noun(s.run_count, 'run')}",
        "",
        f"{args.by.upper():<32} {'COST':>10} {'CALLS':>8} {'IN':>7} {'OUT':>7} {'RUNS':>6}",
    ]
    from harn_tui.core.format.textsafe import one_line

    for key, t in report.ranked(args.by):
        name = one_line(key)[:32]
        out.append(
            f"{name:<32} {fmt_usd(t.cost_usd):>10} {fmt_count(t.call_count):>8} "
            f"{fmt_tokens(t.input_tokens):>7} {fmt_tokens(t.output_tokens):>7} {fmt_count(t.run_count):>6}"
        )
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def merge_log_hitl_listing(listed: list[Any], log: EventLog) -> tuple[list[Any], str | None]:
    """Count HITL questions asked in the event log into the listing rows."""
    import orjson

    from harn_tui.core.eventlog.hitl import QuestionIndex

    questions = QuestionIndex()
    try:
        questions.poll(log)
    except HarnTuiError as exc:
        return listed, exc.reason
    out = []
    for run in listed:
        count = questions.request_count(run.id, run.hitl_request_ids)
        if count is not None:
            doc = orjson.loads(run.doc)
            doc["hitl_question_count"] = count
            run = run._replace(doc=orjson.dumps(doc))
        out.append(run)
    return out, None


def write_json(value: Any) -> None:
    import orjson

    try:
        data = orjson.dumps(
            value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str
        )
    except TypeError:  # nested deeper than orjson writes (it stops at 255 levels)
        data = _dumps_deep(value)
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.flush()


def _dumps_deep(value: Any) -> bytes:
    """Indented JSON for documents nested deeper than orjson allows (up to the loader's limit)."""
    import json

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        return json.dumps(value, indent=2, default=str).encode()
    except (RecursionError, ValueError, TypeError):
        raise LoadError("record is nested too deeply to print as JSON") from None
    finally:
        sys.setrecursionlimit(limit)


STATUS_SYMBOLS = {"completed": "✓", "failed": "✗", "active": "●", "broken": "!"}


def format_table(runs: list[RunSummary], *, whole: bool = False) -> str:
    """An aligned, plain-text table (no colour, control characters escaped). `whole`
    keeps ids and paths whole (output that is not a terminal); else they are cut to fit."""
    from harn_tui.core.format.textsafe import one_line
    from harn_tui.core.format.timestamps import format_duration, format_iso

    headers = (
        "",
        "STATUS",
        "WORKFLOW",
        "RUN",
        "STARTED",
        "DURATION",
        "STAGES",
        "CHILD",
        "HITL",
        "TOKENS IN/OUT",
        "FAILURE / PATH",
    )
    rows = []
    for r in runs:
        if r.broken:
            rows.append(
                (
                    "!",
                    "broken",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    one_line(f"{r.path}: {r.error}", None if whole else 90),
                )
            )
            continue
        started = (
            format_iso(r.started_at_ms)
            if r.started_at_ms is not None
            else one_line(r.started_at, 19)
        )
        tokens = (
            f"{r.input_tokens}/{r.output_tokens}" if (r.input_tokens or r.output_tokens) else ""
        )
        tail = r.failure or r.path
        rows.append(
            (
                STATUS_SYMBOLS.get(r.status_group, "?"),
                one_line(r.status, 12),
                one_line(r.workflow_name, 24),
                one_line(r.id, None if whole else 38),
                started,
                format_duration(r.duration_ms),
                str(r.stage_count),
                str(r.child_run_count),
                str(r.hitl_question_count),
                tokens,
                one_line(tail, None if whole and not r.failure else 70),
            )
        )
    if not rows:
        return "no runs\n"
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


# -- show -----------------------------------------------------------------------


def find_run(run: str, root_arg: str | None) -> tuple[Path, Path]:
    """(run file, root) for a path or a run id; UsageError when not found."""
    from harn_tui.core.format.locations import absolute_path

    candidate = Path(run)
    if candidate.is_file():
        candidate = absolute_path(candidate)
        root = absolute_path(root_arg) if root_arg else candidate.parent
        return candidate, root
    root = resolve_root(root_arg)
    if root.is_file():  # ROOT may be one run file: look RUN up beside it
        root = root.parent
    if not root.is_dir():
        raise UsageError(f"no run file {run!r} and no run directory at {root} to look it up in")
    from harn_tui.core.index.run_index import RunIndex

    index = RunIndex(root, cache_dir=cache_dir_for(False))
    index.scan()
    from harn_tui.core.format.textsafe import one_line
    from harn_tui.core.index.run_index import ambiguity

    matches = index.find_prefix(run)
    if not matches:
        raise UsageError(f"no run with id, id prefix or path {run!r} under {root}")
    several = ambiguity(run, matches)
    if several:
        raise UsageError(one_line(several))
    best = max(matches, key=lambda s: (s.mtime_ns, s.path))
    return root / best.path, root


def cmd_show(args: argparse.Namespace) -> int:
    from harn_tui.core.eventlog.attach import load_run_with_events

    path, root = find_run(args.run, args.root)
    log, log_error = open_log(args.events, root)
    try:
        from harn_tui.core.eventlog.sessions import legacy_session_dirs

        try:
            detail = load_run_with_events(
                path, root=root, event_log=log, legacy_dirs=legacy_session_dirs(None, log)
            )
        except LoadError as exc:
            raise LoadError(f"{path}: {exc.reason}") from None
        if args.json:
            from harn_tui.core.analysis.report import run_json

            write_json(run_json(detail))
        else:
            from harn_tui.core.analysis.report import render_text

            sys.stdout.write(render_text(detail))
    finally:
        if log is not None:
            log.close()
    if log_error:
        _fail(log_error)
    return EXIT_OK


# -- grep -----------------------------------------------------------------------


def cmd_grep(args: argparse.Namespace) -> int:
    import gc

    from harn_tui.core.search.engine import search

    gc.disable()
    root = resolve_root(args.root)
    require_dir(root)
    log, log_error = open_log(args.events)
    cache = cache_dir_for(args.no_cache)
    try:
        result = search(root, args.pattern, cache_dir=cache, log=log, fields=args.fields,
                        where=args.where, regex=args.regex, limit=args.limit,
                        regex_seconds=args.timeout)
    finally:
        if log is not None:
            log.close()
    out = sys.stdout
    if args.json:
        import orjson

        buf = sys.stdout.buffer
        for hit in result.hits:
            buf.write(orjson.dumps(hit.to_json()) + b"\n")
        buf.flush()
    else:
        out.write("".join(format_hit(hit) + "\n" for hit in result.hits))
        out.flush()
        if not result.hits and not result.timed_out:
            _fail("no matches")
    if log_error:
        _fail(f"event log: {log_error}")
    if result.timed_out:
        _fail(result.timed_out)
        return EXIT_LOAD
    return EXIT_OK


def format_hit(hit: Any) -> str:
    """`RUN  PATH  LOCATION [FIELD]: snippet` with each match between « and »."""
    from harn_tui.core.format.textsafe import one_line

    more = f" (+{hit.more} more)" if hit.more else ""
    shown = "".join(f"«{part}»" if match else part for part, match in hit.marked_segments())
    return (f"{one_line(hit.run_id or '-', 40)}  {one_line(hit.path, 80)}  "
            f"{one_line(hit.describe(), 80)}{more} [{hit.field}]: {shown}")


# -- the explorer -----------------------------------------------------------------


def cmd_tui(args: argparse.Namespace) -> int:
    from harn_tui.launch import launch

    return launch(args)
