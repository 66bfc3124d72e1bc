"""`harn-tui serve`: the same explorer in a browser, via textual-serve (loopback by default)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import socket
import sys
from pathlib import Path

from harn_tui.served import SERVED_ENV


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (nobody else can connect)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url(host: str, port: int, given: str | None = None) -> str:
    """The address browsers load the page, assets and websocket from.

    textual-serve builds every URL in the page from it, so a wildcard bind address
    (`0.0.0.0`, `::`) is replaced by this machine's host name, which a teammate can reach.
    """
    if given:
        return given.rstrip("/")
    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


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
    # textual-serve passes its environment on to each app process: they know they are served.
    os.environ[SERVED_ENV] = "1"
    url = public_url(args.host, args.port, getattr(args, "public_url", None))
    sys.stderr.write(f"harn-tui: serving on {url} (bound to {args.host}; ctrl+c to stop)\n")
    if not is_loopback(args.host):
        sys.stderr.write(
            "harn-tui: warning: anyone who can reach this port can read every run under the root"
            " (no authentication)\n"
        )
    sys.stderr.flush()
    Server(
        shlex.join(command), host=args.host, port=args.port, title="harn-tui", public_url=url
    ).serve()
    return 0
