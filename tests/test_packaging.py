"""Packaging: setuptools builds the package without warnings, with its type marker and an SPDX licence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_setuptools_builds_the_package_without_warnings(tmp_path):
    """What `pip install -e .` and a wheel build run: metadata (no deprecated licence classifier: an SPDX
    ``License-Expression``) and the package tree (every data folder a package, ``py.typed`` shipped)."""
    proc = subprocess.run(
        [sys.executable, "-W", "always", "-c", "from setuptools import setup; setup()", "-q", "egg_info",
         "--egg-base", str(tmp_path), "build_py", "--build-lib", str(tmp_path / "lib")],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr
    metadata = (tmp_path / "dscoder.egg-info" / "PKG-INFO").read_text(encoding="utf-8")
    assert "License-Expression: MIT" in metadata and "Classifier: License ::" not in metadata
    assert (tmp_path / "lib" / "dscoder" / "py.typed").is_file()
    assert (tmp_path / "lib" / "dscoder" / "benchmarks" / "data").is_dir()
    assert not list((tmp_path / "lib").rglob("__pycache__"))
