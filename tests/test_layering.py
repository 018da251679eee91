"""The import layering of ``dscoder``'s subpackages, read from the source (AST), so no import runs back up.

Each subpackage may import only the packages below it. ``dscoder.sequences`` (FIM, packing) sits under both
``dscoder.data`` (``dscoder data tokenize``) and ``dscoder.training`` (on-the-fly FIM + packing), so the pipeline
never imports training code and training reads the pipeline's output format from ``dscoder.data``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: package -> the dscoder packages (or top-level modules) it may import. Everything else is a layering error.
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "terminal": set(),  # rich tables that wrap instead of cutting (stdlib and rich only)
    "tokenization": {"config"},
    "sequences": {"tokenization"},
    "benchmarks": {"config"},
    "modeling": {"config", "tokenization"},
    "data": {"config", "terminal", "benchmarks", "tokenization", "sequences"},
    # benchmarks: the dry run asks the Hub the way `dscoder benchmarks` does (offline mode, one bounded request)
    "training": {"config", "benchmarks", "tokenization", "sequences", "modeling", "data"},
    "evaluation": {"config", "terminal", "benchmarks", "tokenization", "data", "modeling"},
    "report": {"config"},
    "demo": {"config", "terminal", "benchmarks", "tokenization", "sequences", "modeling", "data", "training",
             "evaluation", "report"},
    "train": {"training"},
    "<root>": {"modeling"},
}
#: The one edge that runs against the table: tokenizer training reads its corpus through the pipeline's checked
#: reader (same drop counting as every stage). It is a module-to-module edge; no module of dscoder.data imports
#: dscoder.tokenization.trainer, so it makes no import cycle.
EXCEPTIONS = {("dscoder.tokenization.trainer", "dscoder.data.readers")}


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _imports(path: Path) -> set[str]:
    """Every ``dscoder.*`` module named by an import anywhere in the file (top level or inside a function)."""
    module, is_package = _module_name(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "dscoder" or name.startswith("dscoder.")}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def _package_edges() -> dict[tuple[str, str], list[str]]:
    modules = {_module_name(p)[0] for p in (SRC / "dscoder").rglob("*.py")}
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted((SRC / "dscoder").rglob("*.py")):
        source = _module_name(path)[0]
        for target in _imports(path):
            while target not in modules and "." in target:  # `from dscoder.x import name`: name is not a module
                target = target.rpartition(".")[0]
            if (source, target) in EXCEPTIONS or _package(source) == _package(target) or target == "dscoder":
                continue
            edges[(_package(source), _package(target))].append(f"{source} -> {target}")
    return edges


def test_every_package_imports_only_the_layers_below_it():
    edges = _package_edges()
    assert set(ALLOWED) >= {src for src, _ in edges}, "a new subpackage needs its row in ALLOWED"
    wrong = {pair: where for pair, where in edges.items() if pair[1] not in ALLOWED[pair[0]]}
    assert not wrong, "imports that run back up the layers:\n" + "\n".join(
        f"  {a} -> {b}: {', '.join(sorted(set(where)))}" for (a, b), where in sorted(wrong.items())
    )


def test_the_allowed_layers_form_no_cycle():
    state: dict[str, int] = {}

    def visit(package: str, path: tuple[str, ...]) -> None:
        if state.get(package) == 2:
            return
        if state.get(package) == 1:
            pytest.fail(f"cycle in ALLOWED: {' -> '.join((*path, package))}")
        state[package] = 1
        for below in ALLOWED[package]:
            visit(below, (*path, package))
        state[package] = 2

    for package in ALLOWED:
        visit(package, ())


def test_the_pipeline_imports_no_training_code_and_sequences_import_neither():
    edges = _package_edges()
    assert not edges.get(("data", "training"))
    assert not [pair for pair in edges if pair[0] == "sequences" and pair[1] in ("data", "training")]
    # the walk sees imports inside functions too: this one is lazy in training/data.py and must be found
    assert ("training", "data") in edges
