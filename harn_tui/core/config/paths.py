"""Where the user's own settings live: the platform user config dir (``HARN_TUI_CONFIG_DIR`` overrides)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["config_dir"]


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``HARN_TUI_CONFIG_DIR`` else the platform user config dir for ``harn-tui``."""
    environ = os.environ if env is None else env
    value = (environ.get("HARN_TUI_CONFIG_DIR") or "").strip()
    if value:
        return Path(value).expanduser().absolute()
    from platformdirs import user_config_dir

    return Path(user_config_dir("harn-tui"))
