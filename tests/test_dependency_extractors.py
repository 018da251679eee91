"""Per-language dependency extraction (report §2.2) checked through the exact order of the samples built from
repositories with known graphs: chains, diamonds, cycles, disconnected parts, name clashes."""

from __future__ import annotations

import pytest

from dscoder.data.repo_level.builder import FileRecord, build_repository_samples
from dscoder.data.repo_level.config import OrderingConfig
from dscoder.data.repo_level.deps import SourceFile, family_of, make_extractor
from dscoder.data.repo_level.deps.lexing import strip_c_like, strip_python


def _orders(files: dict[str, str], language: str | dict[str, str], extra=(), **cfg):
    def lang(path):
        return language[path.rsplit(".", 1)[-1]] if isinstance(language, dict) else language

    records = [FileRecord(str(i), p, t, lang(p)) for i, (p, t) in enumerate(files.items())]
    langs = sorted({r.language for r in records})
    config = OrderingConfig(repo_level_languages=langs, tie_break="path", **cfg)
    result = build_repository_samples("o/r", records, config, extra=extra)
    return [s.metadata["files"] for s in result.samples if s.metadata["sample_kind"] == "repo"], result


def test_python_diamond_relative_imports_name_clash_and_docstrings():
    files = {
        "app/a.py": 'from app import b\nfrom app.c import thing\n"""\nimport app.never\n"""\n',
        "app/b.py": "from . import z\n",
        "app/c.py": "import app.z as zz, os\n",
        "app/z.py": "import os  # import app.a\n",
        "lib/n.py": "from utils import f\n",
        "lib/utils.py": "def f(): ...\n",
        "tools/m.py": "try:\n    import utils\nexcept ImportError:\n    pass\n",
        "tools/utils.py": "x = 1\n",
    }
    orders, result = _orders(files, "python")
    assert orders == [
        ["app/z.py", "app/b.py", "app/c.py", "app/a.py"],
        ["lib/utils.py", "lib/n.py"],
        ["tools/utils.py", "tools/m.py"],
    ]
    assert result.counts["unresolved_references"] == 2  # both "import os"
    assert result.counts["cycles_broken"] == 0


def test_python_packages_init_and_parenthesised_imports():
    files = {
        "pkg/__init__.py": "from .core import (\n    run,\n    stop,\n)\n",
        "pkg/core.py": "from .sub.leaf import value\nfrom pkg import sub\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/leaf.py": "from .. import core\n",  # a cycle core <-> leaf
    }
    extractor = make_extractor("python")
    deps = extractor.extract([SourceFile(p, t, "python") for p, t in files.items()])
    assert sorted(deps.edges) == [(1, 0), (1, 3), (2, 1), (3, 1)]


def test_java_packages_imports_wildcards_static_and_same_package():
    files = {
        "src/com/x/A.java": "package com.x;\nimport com.x.util.Z;\npublic class A { B b; C c; }\n",
        "src/com/x/B.java": "package com.x;\nimport com.x.util.*;\nclass B { Z z; }\n",
        "src/com/x/C.java": "package com.x;\nimport static com.x.util.Z.helper;\nclass C {}\n",
        "src/com/x/util/Z.java": 'package com.x.util;\n// uses A\npublic class Z { String s = "import org.y.B;"; }\n',
        "src/org/y/B.java": "package org.y;\npublic class B {}\n",
    }
    orders, _ = _orders(files, "java")
    assert orders == [["src/com/x/util/Z.java", "src/com/x/B.java", "src/com/x/C.java", "src/com/x/A.java"], ["src/org/y/B.java"]]


def test_csharp_usings_resolve_to_files_declaring_the_namespace():
    files = {
        "App/Helper.cs": "namespace App;\nclass Helper { }\n",
        "App/Models/Model.cs": "namespace App.Models { public class Model {} }\n",
        "App/Program.cs": "using App.Services;\nnamespace App { class Program { Service s; Helper h; } }\n",
        "App/Services/Service.cs": "using App.Models;\nnamespace App.Services { public class Service { Model m; } }\n",
        "Other/Unused.cs": 'using System;\nnamespace Other { class Unused { string s = @"Model"; } }\n',
    }
    orders, result = _orders(files, "c-sharp")
    assert orders == [
        ["App/Helper.cs", "App/Models/Model.cs", "App/Services/Service.cs", "App/Program.cs"],
        ["Other/Unused.cs"],
    ]
    assert result.counts["unresolved_references"] == 1  # using System


def test_csharp_parts_of_a_partial_class_are_not_dependencies_of_each_other():
    # Humanizer's source generator: one partial class over many files, each part mentioning the class only where it
    # declares it; a part that refers to the class elsewhere (a static call, a constructor) still uses the others
    parts = {f"Gen/Part{i}.cs": f"namespace Gen;\npublic sealed partial class Generator\n{{\n    internal sealed class Model{i} {{ }}\n}}\n"
             for i in range(4)}  # fmt: skip
    parts["Gen/Entry.cs"] = ("namespace Gen;\npublic sealed partial class Generator\n{\n    static Generator() { }\n"
                             "    public Generator(int x) { }\n    [Obsolete] Generator(string s) { }\n}\n")  # fmt: skip
    parts["Gen/Tool.cs"] = "namespace Gen;\nstatic class Tool\n{\n    static void Run() => Generator.Start();\n}\n"
    extractor = make_extractor("c-sharp")
    files = [SourceFile(path, text, "c-sharp") for path, text in sorted(parts.items())]
    edges = {(files[b].path, files[a].path) for b, a in extractor.extract(files).edges}
    assert edges == {(f"Gen/Part{i}.cs", "Gen/Tool.cs") for i in range(4)} | {("Gen/Entry.cs", "Gen/Tool.cs")}


def test_c_and_cpp_includes_with_a_cycle_and_include_folders():
    files = {
        "include/proj/api.h": '#include "../../src/util.h"\n',
        "src/a.h": '#pragma once\n#include "b.h"\n',
        "src/b.h": '#pragma once\n#include "a.h"\n',
        "src/main.cpp": '#include "util.h"\n#include <proj/api.h>\n#include "a.h"\n#include <vector>\n',
        "src/util.h": "int f(void);\n",
        "src/x.c": '// #include "util.h"\n/* #include "a.h" */\nint main() { return 0; }\n',
    }
    orders, result = _orders(files, {"h": "c", "cpp": "cpp", "c": "c"})  # default: SCC order, {a.h, b.h} first
    assert orders == [["src/a.h", "src/b.h", "src/util.h", "include/proj/api.h", "src/main.cpp"], ["src/x.c"]]
    paper, _ = _orders(files, {"h": "c", "cpp": "cpp", "c": "c"}, order="paper")  # Algorithm 1
    assert paper == [["src/util.h", "include/proj/api.h", "src/a.h", "src/b.h", "src/main.cpp"], ["src/x.c"]]
    assert result.counts["cycles_broken"] == 1
    assert result.counts["unresolved_references"] == 1  # <vector>


def test_javascript_typescript_relative_imports_index_files_and_template_strings():
    files = {
        "src/index.ts": 'import {a} from "./lib";\nconst t = `import x from "./fake"`;\nimport React from "react";\n',
        "src/lib/index.ts": 'export * from "./b.js";\n',
        "src/lib/b.ts": 'const r = require("../util");\n',
        "src/util.js": '/* import "./index" */\nmodule.exports = {};\n',
    }
    orders, _ = _orders(files, {"ts": "typescript", "js": "javascript"})
    assert orders == [["src/util.js", "src/lib/b.ts", "src/lib/index.ts", "src/index.ts"]]


def test_go_package_imports_within_the_module():
    files = {
        "cmd/app/main.go": 'package main\nimport (\n\t"fmt"\n\tst "example.com/m/pkg/store"\n)\n',
        "pkg/model/model.go": "package model\n",
        "pkg/store/cache.go": "package store\n",
        "pkg/store/store.go": 'package store\nimport "example.com/m/pkg/model"\n',
    }
    go_mod = [FileRecord("gm", "go.mod", "module example.com/m\n\ngo 1.22\n", "go")]
    orders, _ = _orders(files, "go", extra=go_mod)
    assert orders == [["pkg/model/model.go", "pkg/store/cache.go", "pkg/store/store.go", "cmd/app/main.go"]]


def test_rust_mod_declarations_and_use_trees():
    files = {
        "src/config.rs": "pub struct Settings;\n",
        "src/main.rs": "mod config;\nmod net;\nmod inline { fn f() {} }\nuse crate::net::{client::Client, self as n};\n",
        "src/net/client.rs": "use crate::config::Settings;\nuse std::io;\n",
        "src/net/mod.rs": "pub mod client;\n",
    }
    orders, _ = _orders(files, "rust")
    assert orders == [["src/config.rs", "src/net/client.rs", "src/net/mod.rs", "src/main.rs"]]


def test_php_use_statements_and_requires():
    files = {
        "src/A.php": '<?php\nnamespace App;\nuse App\\Models\\{User, Post};\nrequire_once __DIR__ . "/helpers.php";\nclass A {}\n',
        "src/Models/User.php": "<?php\nnamespace App\\Models;\nclass User {}\n",
        "src/helpers.php": "<?php\nfunction h() {}\n",
    }
    orders, result = _orders(files, "php")
    assert orders == [["src/Models/User.php", "src/helpers.php", "src/A.php"]]
    assert result.counts["unresolved_references"] == 1  # Post has no file


def test_ruby_require_relative_and_load_path():
    files = {
        "lib/a.rb": 'require "json"\nrequire_relative "b"\nrequire "c/d"\n',
        "lib/b.rb": "B = 1\n",
        "lib/c/d.rb": 'load "lib/b.rb"\n',
    }
    orders, _ = _orders(files, "ruby")
    assert orders == [["lib/b.rb", "lib/c/d.rb", "lib/a.rb"]]


def test_self_imports_and_missing_files_are_counted_not_edges():
    files = {"m.py": "import m\nimport missing_module\nfrom . import gone\n"}
    deps = make_extractor("python").extract([SourceFile(p, t, "python") for p, t in files.items()])
    assert deps.edges == [] and deps.self_imports == 1 and deps.unresolved == 2 and deps.references == 3


def test_families_and_lexers():
    assert family_of("cpp") == family_of("c") == "c"
    assert family_of("typescript") == "javascript"
    assert family_of("markdown") is None
    assert "import" not in strip_python('x = """\nimport a\n"""  # import b\n')
    assert strip_python('x = """\nimport a\n"""').count("\n") == 2  # newlines kept for line anchors
    assert strip_c_like('s = "/* no */"; // c\nint y;', keep_strings=True) == 's = "/* no */";  \nint y;'


@pytest.mark.parametrize("text", ["\x00\x01binary", "def f(:\n  import", "from . import (\n"])
def test_garbage_text_does_not_crash_extractors(text):
    for family in ("python", "java", "c-sharp", "c", "javascript", "go", "rust", "php", "ruby"):
        make_extractor(family).extract([SourceFile("x/f", text, "python"), SourceFile("x/g", text, "python")])


def test_python_importing_a_submodule_also_depends_on_its_package_init():
    files = {
        "pkg/__init__.py": "VERSION = 1\n",
        "pkg/sub/__init__.py": "from pkg.sub.leaf import value\n",
        "pkg/sub/leaf.py": "value = 1\n",
        "pkg/inner.py": "from pkg import sub\nfrom . import other\n",  # inside pkg: pkg/__init__ is already running
        "pkg/other.py": "",
        "tools/run.py": "from pkg import inner\nimport pkg.sub.leaf\n",
        "tools/two.py": "from pkg.sub import leaf\n",
    }
    deps = make_extractor("python").extract([SourceFile(p, t, "python") for p, t in files.items()])
    names = list(files)
    edges = sorted((names[b], names[a]) for b, a in deps.edges)
    assert len(edges) == len(set(edges))
    # from pkg import inner / import pkg.sub.leaf from outside pkg run pkg/__init__.py first
    assert set(edges) == {
        ("pkg/__init__.py", "tools/run.py"),
        ("pkg/__init__.py", "tools/two.py"),
        ("pkg/inner.py", "tools/run.py"),
        ("pkg/other.py", "pkg/inner.py"),
        ("pkg/sub/__init__.py", "pkg/inner.py"),
        ("pkg/sub/__init__.py", "tools/run.py"),
        ("pkg/sub/__init__.py", "tools/two.py"),
        ("pkg/sub/leaf.py", "pkg/sub/__init__.py"),
        ("pkg/sub/leaf.py", "tools/run.py"),
        ("pkg/sub/leaf.py", "tools/two.py"),
    }


def test_python_absolute_imports_never_start_inside_a_package():
    files = {
        "acc/__init__.py": "",
        "acc/logging.py": "import logging\n",  # the standard library, not itself
        "acc/state.py": "import logging\nfrom dataclasses import field\nimport rich\n",
        "acc/utils/__init__.py": "",
        "acc/utils/dataclasses.py": "",
        "acc/utils/rich.py": "",
        "scripts/run.py": "import helper\n",  # a folder without __init__: scripts import their neighbours
        "scripts/helper.py": "",
    }
    deps = make_extractor("python").extract([SourceFile(p, t, "python") for p, t in files.items()])
    names = list(files)
    assert [(names[b], names[a]) for b, a in deps.edges] == [("scripts/helper.py", "scripts/run.py")]
    assert deps.unresolved == 4


def test_go_files_of_one_package_share_a_sample_even_without_shared_names():
    files = {
        "util/doc.go": "// Package util has helpers.\npackage util\n",
        "util/strings.go": "package util\n\nfunc Upper(s string) string { return s }\n",
        "util/ints.go": "package util\n\nfunc Max(a, b int) int { if a > b { return a }; return b }\n",
        "util/ints_test.go": "package util_test\n\nimport \"testing\"\n\nfunc TestMax(t *testing.T) {}\n",
    }
    orders, result = _orders(files, "go")
    assert orders == [["util/doc.go", "util/ints.go", "util/strings.go"], ["util/ints_test.go"]]  # util_test apart
    assert result.counts["edges"] == 0


def test_a_byte_order_mark_hides_no_first_statement():
    """Windows editors start files with a BOM: the first ``using``/``package`` line still counts."""
    cs = {
        "Model/Entity.cs": "\ufeffnamespace Model;\n\npublic class Entity { }\n",
        "App/Map.cs": "\ufeffusing Model;\n\nnamespace App;\n\npublic class Map { Entity e; }\n",
    }
    deps = make_extractor("c-sharp").extract([SourceFile(p, t, "c-sharp") for p, t in cs.items()])
    assert deps.edges == [(0, 1)]
    go = {"util/a.go": "\ufeffpackage util\n\nfunc A() {}\n", "util/b.go": "package util\n\nfunc B() { A() }\n"}
    deps = make_extractor("go").extract([SourceFile(p, t, "go") for p, t in go.items()])
    assert deps.edges == [(0, 1)] and deps.groups == [[0, 1]]  # one package, despite the BOM
