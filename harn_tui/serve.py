"""`harn-tui serve`: the same explorer in a browser, via textual-serve, on loopback."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def serve(args: argparse.Namespace) -> int:
    """Serve the explorer (one app process per browser tab) until interrupted."""
    from textual_serve.server import Server

    command = [sys.executable, "-m", "harn_tui"]
    if args.root:
        command.append(str(Path(args.root).resolve()))
    if args.events:
        command += ["--events", str(Path(args.events).resolve())]
    if args.poll:
        command += ["--poll", str(args.poll)]
    url = f"http://{args.host}:{args.port}"
    sys.stderr.write(f"harn-tui: serving on {url} (ctrl+c to stop)\n")
    sys.stderr.flush()
    Server(shlex.join(command), host=args.host, port=args.port, title="harn-tui").serve()
    return 0
