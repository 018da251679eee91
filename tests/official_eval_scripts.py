"""Importing the official DeepSeek-Coder evaluation scripts (``../shared/reference/deepseek-coder-official``) as
test oracles. Each script folder imports its own ``human_eval`` / ``utils`` package by a bare name, and several
folders share those names, so a script is loaded with its folder first on ``sys.path`` and the bare-named
packages it pulls in are removed from ``sys.modules`` again afterwards (other tests may load another folder's).
Absent folder: the calling test skips with the reason."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest
from conftest import SHARED_DIR


def official_dir() -> Path:
    root = SHARED_DIR / "reference" / "deepseek-coder-official"
    if not (root / "Evaluation").is_dir():
        pytest.skip(f"needs the official DeepSeek-Coder evaluation code at {root} (the ../shared folder)")
    return root


def load_script(relative: str, bare_packages: tuple[str, ...] = (), stubs: dict[str, object] | None = None):
    """The module at ``Evaluation/<relative>``, imported under a private name with its folder on ``sys.path``;
    ``stubs`` stand in for modules that are not installed here (e.g. ``vllm``)."""
    path = official_dir() / "Evaluation" / relative
    folder = str(path.parent)
    saved = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] in bare_packages}
    for name in saved:
        del sys.modules[name]
    stubbed = {}
    for name, stub in (stubs or {}).items():
        stubbed[name] = sys.modules.get(name)
        sys.modules[name] = stub if isinstance(stub, types.ModuleType) else types.SimpleNamespace(**stub)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(f"official_{relative.replace('/', '_')[:-3]}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
        for name in [n for n in sys.modules if n.split(".")[0] in bare_packages]:
            del sys.modules[name]
        sys.modules.update(saved)
        for name, old in stubbed.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return module
