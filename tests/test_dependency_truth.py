"""The independent dependency checkers of ``bench/dependency_truth.py`` (the truth that ``bench/real_corpora.py``
and ``bench/repo_level.py`` score the extractors against) on small repositories with known edges."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from dependency_truth import c_true_edges, java_true_edges


def _write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed: the C/C++ checker runs its preprocessor")
def test_c_checker_follows_the_preprocessor(tmp_path):
    root = _write(tmp_path, {
        "include/lib/api.h": "#pragma once\n#include <lib/types.h>\nint api(void);\n",
        "include/lib/types.h": "#pragma once\ntypedef int t;\n",
        "src/util.h": "#pragma once\n",
        "src/main.c": '#include <stdio.h>\n#include "util.h"\n#include <lib/api.h>\n#ifdef _WIN32\n#include "win.h"\n#endif\n'
                      '/* #include "dead.h" */\nint main(void) { return 0; }\n',
        "src/win.h": "#pragma once\n",
        "src/dead.h": "#pragma once\n",
        "src/deep.cpp": '#include "../include/lib/api.h"\n',
    })  # fmt: skip
    files, edges = c_true_edges(root)
    assert len(files) == 7
    assert edges == {
        ("include/lib/types.h", "include/lib/api.h"),
        ("src/util.h", "src/main.c"),
        ("include/lib/api.h", "src/main.c"),  # direct includes only: types.h is api.h's, not main.c's
        ("include/lib/api.h", "src/deep.cpp"),
    }  # win.h is behind #ifdef _WIN32 on this machine, dead.h in a comment


def test_java_checker_resolves_imports_packages_and_mentions(tmp_path):
    root = _write(tmp_path, {
        "src/a/App.java": "package a;\nimport b.Util;\nimport static c.Consts.MAX;\nimport d.*;\n"
                          "public class App { Util u; Helper h; int m = MAX; Shape s; }\n",
        "src/a/Helper.java": "package a;\nclass Helper { }\n",
        "src/a/Unused.java": "package a;\nclass Unused { String s = \"Helper\"; }\n",
        "src/b/Util.java": "package b;\npublic class Util { }\n",
        "src/c/Consts.java": "package c;\npublic class Consts { public static final int MAX = 1; }\n",
        "src/d/Shape.java": "package d;\npublic interface Shape { }\n",
        "src/d/Other.java": "package d;\npublic class Other { }\n",
        "src/e/Uses.java": "package e;\nimport b.Outer.Inner;\nclass Uses { Inner i; }\n",
        "src/b/Outer.java": "package b;\npublic class Outer { public static class Inner { } }\n",
    })  # fmt: skip
    files, edges = java_true_edges(root)
    assert len(files) == 9
    assert edges == {
        ("src/b/Outer.java", "src/e/Uses.java"),  # a nested type's import reaches the file of its top-level type
        ("src/b/Util.java", "src/a/App.java"),
        ("src/c/Consts.java", "src/a/App.java"),
        ("src/d/Shape.java", "src/a/App.java"),  # on demand: only the mentioned type, not Other
        ("src/a/Helper.java", "src/a/App.java"),  # own package, mentioned; a string is no mention
    }
