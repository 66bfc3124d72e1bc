"""The parsing pools: beside a UI their workers run at a lower priority, headless at normal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harn_tui.core.index.pool import BACKGROUND_NICENESS, parse_pool


def _niceness() -> int:
    return os.nice(0)


def test_background_pool_workers_are_niced() -> None:
    base = os.nice(0)
    with parse_pool(1, background=True) as pool:
        assert pool.submit(_niceness).result() == min(base + BACKGROUND_NICENESS, 19)
    with parse_pool(1) as pool:
        assert pool.submit(_niceness).result() == base


def test_a_pool_started_while_another_thread_imports_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork taken while another thread holds an import lock leaves it held in the child:
    the worker would wait for ever (the explorer's text index did)."""
    import importlib
    import sys
    import threading
    import types
    from concurrent.futures import TimeoutError as FutureTimeout

    (tmp_path / "slow_import_mod.py").write_text(
        "import sys\ngate = sys.modules.get('slow_import_gate')\n"
        "if gate is not None:\n    gate.EVENT.wait(10)\nVALUE = 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    gate = types.ModuleType("slow_import_gate")
    gate.EVENT = threading.Event()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "slow_import_gate", gate)
    importer = threading.Thread(target=importlib.import_module, args=("slow_import_mod",))
    importer.start()  # holds slow_import_mod's import lock until the gate opens
    pool = parse_pool(1)
    try:
        future = pool.submit(eval, f"__import__('sys').path.insert(0, {str(tmp_path)!r}) or "
                                   "__import__('slow_import_mod').VALUE")
        try:
            assert future.result(timeout=20) == 42
        except FutureTimeout:
            pytest.fail("the worker inherited a held import lock")
    finally:
        gate.EVENT.set()
        importer.join()
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        sys.modules.pop("slow_import_mod", None)
