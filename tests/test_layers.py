"""The layer contract: which package may import which (read from the source, every import)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "harn_tui"

# Each layer may import itself and the layers listed; anything in harn_tui not listed is forbidden.
ALLOWED: dict[str, set[str]] = {
    "core.format": set(),
    "core.eventlog": {"core.format"},
    "core.index": {"core.format"},
    "core.analysis": {"core.format", "core.eventlog", "core.index"},
    "core.demo": {"core.format"},
    "core.config": {"core.format", "core.analysis"},
    # full-text search reads runs (format), event-log rows, the summary index, and binds the
    # query language (analysis) for `--where`
    "core.search": {"core.format", "core.eventlog", "core.index", "core.analysis"},
    # `launch` and `serve` are the UI's entry points: the CLI hands them its parsed
    # arguments (imported lazily, after parsing); the CLI itself never imports Textual.
    "cli": {
        "core.format",
        "core.eventlog",
        "core.index",
        "core.analysis",
        "core.demo",
        "core.search",
        "launch",
        "serve",
    },
}
UI_LIBRARIES = ("textual", "rich", "textual_serve")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, "." * node.level + (node.module or "")))  # always refused
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return found


def _layer_of(module: str) -> str | None:
    """`harn_tui.core.format.schema` -> `core.format`; None outside the layered packages."""
    parts = module.split(".")
    if parts[0] != "harn_tui" or len(parts) < 2:
        return None
    if parts[1] == "core" and len(parts) >= 3:
        return f"core.{parts[2]}"
    return parts[1]


def _layer_files(layer: str) -> list[Path]:
    folder = PACKAGE.joinpath(*layer.split("."))
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [folder.with_suffix(".py")]


def _violations(layer: str, files: list[Path]) -> list[str]:
    """Every import in `files` that layer `layer` may not make."""
    broken = []
    for path in files:
        name = path.relative_to(PACKAGE) if path.is_relative_to(PACKAGE) else path.name
        for lineno, module in _imports(path):
            top = module.split(".")[0]
            if top in UI_LIBRARIES or module.startswith("."):  # relative: hides the layer
                broken.append(f"{name}:{lineno} imports {module}")
                continue
            target = _layer_of(module)
            if target is None or module in ("harn_tui", "harn_tui.__version__"):
                continue
            if target != layer and target not in ALLOWED[layer] and target != "core":
                broken.append(f"{name}:{lineno} imports {module}")
    return broken


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    files = _layer_files(layer)
    assert files, f"layer {layer} has no modules"
    broken = _violations(layer, files)
    assert not broken, "\n".join(broken)


def test_every_core_module_is_in_a_layer() -> None:
    """core/ holds only the layer packages (a new module must choose its layer)."""
    loose = [p.name for p in (PACKAGE / "core").glob("*.py") if p.name != "__init__.py"]
    assert not loose
    packages = {
        f"core.{p.name}" for p in (PACKAGE / "core").iterdir() if (p / "__init__.py").is_file()
    }
    assert packages == {layer for layer in ALLOWED if layer.startswith("core.")}


def test_contract_catches_a_violation(tmp_path: Path) -> None:
    """The checker fails a format module importing Textual, Rich or a higher layer
    (lazily, inside a function, too) and passes one importing only format."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import textual.app\n"
        "from rich.text import Text\n"
        "def f():\n"
        "    from harn_tui.core.analysis import compare\n"
        "    from harn_tui.core.eventlog.hitl import merge_questions\n"
        "    from harn_tui.screens.run import RunScreen\n"
        "    from ..analysis import compare\n"
    )
    broken = _violations("core.format", [bad])
    assert [b.split(" imports ")[1] for b in broken] == [
        "textual.app",
        "rich.text",
        "rich.text.Text",
        "harn_tui.core.analysis",
        "harn_tui.core.analysis.compare",
        "harn_tui.core.eventlog.hitl",
        "harn_tui.core.eventlog.hitl.merge_questions",
        "harn_tui.screens.run",
        "harn_tui.screens.run.RunScreen",
        "..analysis",
    ]
    good = tmp_path / "good.py"
    good.write_text("from harn_tui.core.format import derive\nimport orjson\n")
    assert _violations("core.format", [good]) == []
