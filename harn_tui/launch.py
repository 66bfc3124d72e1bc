"""From parsed arguments to a running explorer: demo set-up, root resolution, exit code."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from harn_tui.core.format.errors import UsageError


def launch(args: argparse.Namespace) -> int:
    """Run the explorer; returns the process exit code."""
    from harn_tui.core.format.locations import absolute_path, cache_dir, run_root

    demo_dir: Path | None = None
    writer = None
    remove_demo = False
    if args.demo is not None:
        from harn_tui.core.demo.corpus import write_demo
        from harn_tui.core.demo.live import LiveDemoWriter

        if args.demo:
            demo_dir = Path(args.demo)
        else:
            demo_dir = Path(tempfile.mkdtemp(prefix="harn-tui-demo-"))
            remove_demo = True
        import time

        corpus = write_demo(demo_dir, base_ms=int(time.time() * 1000) - 15 * 60 * 1000)
        root = absolute_path(corpus.root)
        events: Path | None = absolute_path(corpus.state_dir)
        writer = LiveDemoWriter(corpus.root, corpus.state_dir)
    else:
        root = absolute_path(args.root) if args.root else absolute_path(run_root(os.environ, Path.cwd()))
        events = absolute_path(args.events) if args.events else None
        if events is not None and not events.exists():
            raise UsageError(f"--events: no such file or directory: {events}")
    run_file: Path | None = None
    if root.is_file():
        run_file, root = root, root.parent
    if args.theme:
        from textual.theme import BUILTIN_THEMES

        if args.theme not in BUILTIN_THEMES:
            import difflib

            names = ", ".join(sorted(BUILTIN_THEMES))
            close = difflib.get_close_matches(args.theme, list(BUILTIN_THEMES), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UsageError(f"unknown theme {args.theme!r} ({hint}choose from: {names})")
    from harn_tui.app import HarnTuiApp

    app = HarnTuiApp(
        root,
        run_file=run_file,
        events=events,
        cache_dir=None if args.no_cache else cache_dir(os.environ),
        poll=args.poll,
        theme=args.theme,
    )
    try:
        if writer is not None:
            writer.start()
        app.run()
    finally:
        if writer is not None:
            writer.stop()
        if remove_demo and demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
    return app.return_code or 0
