"""Language identification (report §2.1, Table 1): every language reachable, names, ambiguity rules, the block."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from dscoder.data.filters.language import LanguageConfig, LanguageFilter
from dscoder.data.languages import (
    _FILENAMES,
    EXTENSION_TO_LANGUAGE,
    PAPER_LANGUAGES,
    SUPPORTED_LANGUAGES,
    identify_language,
    language_from_shebang,
    language_of,
)


def test_the_papers_87_languages_plus_two_text_languages_are_all_reachable():
    assert len(PAPER_LANGUAGES) == 87 and len(SUPPORTED_LANGUAGES) == 89
    reachable = set(EXTENSION_TO_LANGUAGE.values()) | set(_FILENAMES.values())
    assert reachable == SUPPORTED_LANGUAGES


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/main.py", "python"), ("A.java", "java"), ("x.tsx", "typescript"), ("lib/a.c", "c"),
        ("a.hpp", "cpp"), ("a.cs", "c-sharp"), ("main.go", "go"), ("lib.rs", "rust"), ("index.php", "php"),
        ("a.rb", "ruby"), ("run.sh", "shell"), ("Makefile", "makefile"), ("GNUmakefile", "makefile"),
        ("docker/Dockerfile", "dockerfile"), ("Dockerfile.dev", "dockerfile"), ("CMakeLists.txt", "cmake"),
        ("Rakefile", "ruby"), ("build.gradle", "groovy"), ("a.ipynb", "jupyter-notebook"), ("README.md", "markdown"),
        ("doc.rst", "restructuredtext"), ("x.xsl", "xslt"), ("A.PY", "python"), ("notes.txt", None), ("a.inc", None),
        ("LICENSE", None), ("a.blade.php", "php"),
    ],
)  # fmt: skip
def test_language_of_by_name_and_extension(path, language):
    assert language_of(path) == language


@pytest.mark.parametrize(
    ("path", "text", "language"),
    [
        ("a.h", "int add(int a, int b);\n", "c"),
        ("a.h", "namespace arrow {\nclass Buffer;\n}\n", "cpp"),
        ("a.h", "#include <vector>\nstd::vector<int> v();\n", "cpp"),
        ("a.h", "class Foo {\n public:\n  int x;\n};\n", "cpp"),
        ("a.m", "x = linspace(0, 1, 10);\nplot(x)\n", "matlab"),
        ("a.m", "#import <Foundation/Foundation.h>\n@interface Foo : NSObject\n@end\n", None),
        ("a.pl", "use strict;\nmy $x = 1;\n", "perl"),
        ("a.pl", "parent(tom, bob).\nancestor(X, Y) :- parent(X, Y).\n", "prolog"),
        ("a.pro", "SOURCES += main.cpp\nQT += widgets\n", None),
        ("a.pro", "likes(mary, wine).\n", "prolog"),
        ("a.v", "module counter(input clk);\nendmodule\n", "verilog"),
        ("a.v", "Require Import Arith.\nTheorem t : 1 = 1.\nProof. reflexivity. Qed.\n", None),
        ("a.fs", "#version 330 core\nout vec4 color;\n", "glsl"),
        ("a.fs", "let square x = x * x\n", "f-sharp"),
        ("a.inc", "<?php\n$x = 1;\n", "php"),
        ("a.cls", "\\NeedsTeXFormat{LaTeX2e}\n\\ProvidesClass{my}\n", "tex"),
        ("bin/tool", "#!/usr/bin/env python3.11\nprint(1)\n", "python"),
        ("bin/tool", "#!/bin/bash\necho hi\n", "shell"),
        ("bin/tool", "#!/usr/bin/env -S node --harmony\n", "javascript"),
        ("bin/tool", "no shebang here\n", None),
        ("notes.txt", "#!/bin/sh\n", None),
        ("a.py", "#!/bin/bash\n", "python"),  # a known extension wins over the #! line
    ],
)  # fmt: skip
def test_identify_language_settles_ambiguous_files_from_their_text(path, text, language):
    assert identify_language(path, text) == language


def test_identify_language_without_text_is_language_of():
    assert identify_language("a.h") == "c" and identify_language("a.m") == "matlab"
    assert language_from_shebang("#!/usr/local/bin/ruby -w\n") == "ruby"
    assert language_from_shebang("#!/opt/weird/interp\n") is None


def _run(block, docs):
    kept = list(block.run(iter(docs)))
    return kept, block.stats


def test_language_block_tags_and_drops_with_reasons():
    docs = [
        Document(text="print(1)\n", id="a", metadata={"path": "a.py"}),
        Document(text="namespace x {}\n", id="b", metadata={"path": "b.h"}),
        Document(text="hello\n", id="c", metadata={"path": "notes.txt"}),
        Document(text="x\n", id="d", metadata={}),
        Document(text="fn main() {}\n", id="e", metadata={"path": "m.rs"}),
    ]
    kept, stats = _run(LanguageFilter(LanguageConfig(languages=["python", "cpp"])), docs)
    assert [(d.id, d.metadata["language"]) for d in kept] == [("a", "python"), ("b", "cpp")]
    assert stats["dropped_language:unsupported"].total == 1
    assert stats["dropped_language:no_path"].total == 1
    assert stats["dropped_language:not_allowed"].total == 1
    assert stats["bytes_dropped_language:unsupported"].total == len("hello\n")


def test_language_block_can_trust_an_upstream_label():
    doc = Document(text="x", id="a", metadata={"path": "weird.ext", "language": "go"})
    kept, _ = _run(LanguageFilter(LanguageConfig(trust_existing=True)), [doc])
    assert kept[0].metadata["language"] == "go"


def test_language_config_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown language"):
        LanguageConfig(languages=["python", "csharp"])
