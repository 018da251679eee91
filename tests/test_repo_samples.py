"""Sample building (report §2.2 / repository README layout): path comments, file-level languages, bad input,
one-file repositories, splitting of over-large repositories, a 50,000-file repository."""

from __future__ import annotations

from dscoder.data.languages import SUPPORTED_LANGUAGES
from dscoder.data.repo_level.builder import (
    FileRecord,
    build_repository_samples,
    check_record,
    split_repository,
)
from dscoder.data.repo_level.config import PAPER_REPO_LEVEL_LANGUAGES, OrderingConfig
from dscoder.data.repo_level.samples import COMMENT_SYNTAX, path_comment, render_sample


def test_readme_layout_path_comment_then_file_then_one_blank_line():
    text = render_sample([("utils.py", "python", "def f():\n    pass\n"), ("model.py", "python", "import utils")])
    assert text == "# utils.py\ndef f():\n    pass\n\n# model.py\nimport utils\n"


def test_comment_syntax_per_language():
    assert path_comment("Main.java", "java") == "// Main.java"
    assert path_comment("a.hs", "haskell") == "-- a.hs"
    assert path_comment("index.html", "html") == "<!-- index.html -->"
    assert path_comment("a.ml", "ocaml") == "(* a.ml *)"
    assert path_comment("x.json", "json") is None
    assert SUPPORTED_LANGUAGES - set(COMMENT_SYNTAX) == {"json", "jupyter-notebook"}


def test_paper_languages_are_repo_level_others_file_level():
    files = [
        FileRecord("1", "a.py", "import b\n", "python", {"stars": 5}),
        FileRecord("2", "b.py", "B = 1\n", "python"),
        FileRecord("3", "web/app.js", 'import "./lib.js"\n', "javascript"),
        FileRecord("4", "web/lib.js", "export default 1\n", "javascript"),
        FileRecord("5", "data.json", '{"a": 1}\n', "json"),
    ]
    paper = OrderingConfig(tie_break="path", repo_level_languages=list(PAPER_REPO_LEVEL_LANGUAGES))
    result = build_repository_samples("o/r", files, paper)
    kinds = [(s.metadata["sample_kind"], s.metadata["language"], s.metadata["files"]) for s in result.samples]
    assert kinds == [
        ("repo", "python", ["b.py", "a.py"]),
        ("file", "json", ["data.json"]),
        ("file", "javascript", ["web/app.js"]),
        ("file", "javascript", ["web/lib.js"]),
    ]
    default = build_repository_samples("o/r", files, OrderingConfig(tie_break="path"))  # + go, javascript, typescript
    assert [s.metadata["files"] for s in default.samples if s.metadata["sample_kind"] == "repo"] == [
        ["web/lib.js", "web/app.js"], ["b.py", "a.py"]]  # fmt: skip
    assert result.samples[0].text == "# b.py\nB = 1\n\n# a.py\nimport b\n"
    assert result.samples[0].metadata["stars"] == 5 and result.samples[0].id == "o/r::b.py"
    assert result.samples[1].text == '{"a": 1}\n'  # JSON has no comment syntax: no path line
    assert result.counts["components"] == 1 and result.counts["samples_file"] == 3


def test_a_notebook_read_as_a_script_is_headed_in_its_kernels_comment_syntax():
    files = [FileRecord("1", "nb/explore.ipynb", "# # Title\nx = 1\n", "jupyter-notebook", {"notebook_language": "python"}),
             FileRecord("2", "raw.ipynb", '{"cells": []}\n', "jupyter-notebook")]  # kept raw: no comment syntax
    texts = {s.metadata["files"][0]: s.text for s in build_repository_samples("o/nb", files, OrderingConfig()).samples}
    assert texts == {"nb/explore.ipynb": "# nb/explore.ipynb\n# # Title\nx = 1\n", "raw.ipynb": '{"cells": []}\n'}


def test_order_switch_and_one_file_repository():
    files = [FileRecord("1", "only.py", "print(1)\n", "python")]
    for order in ("paper", "scc"):
        result = build_repository_samples("o/one", files, OrderingConfig(order=order))
        assert [s.metadata["files"] for s in result.samples] == [["only.py"]]
        assert result.counts["components"] == 1 and result.counts["edges"] == 0


def test_bad_records_have_reasons():
    assert check_record("a.py", "x = 1\n", "python") is None
    assert check_record(None, "x", "python") == "repo_level:missing_path"
    assert check_record("a.py", None, "python") == "repo_level:unreadable"
    assert check_record("a.py", "\udcff bad surrogate", "python") == "repo_level:unreadable"
    assert check_record("a.py", "ab\x00cd", "python") == "repo_level:binary"
    assert check_record("a.py", "  \n", "python") == "repo_level:empty"
    assert check_record("a.py", "x", None) == "repo_level:missing_language"


def test_split_repository_keeps_path_order_within_limits():
    files = [FileRecord(str(i), f"d{i // 4}/f{i % 4}.py", "x" * 10, "python") for i in range(10)]
    parts = split_repository(files, max_files=4, max_bytes=10**6)
    assert [len(p) for p in parts] == [4, 4, 2]
    assert [f.path for f in parts[0]] == ["d0/f0.py", "d0/f1.py", "d0/f2.py", "d0/f3.py"]
    parts = split_repository(files, max_files=100, max_bytes=25)
    assert [len(p) for p in parts] == [2, 2, 2, 2, 2]
    assert split_repository([], 4, 100) == []


def test_fifty_thousand_file_repository_is_handled():
    n = 50_000
    files = [
        FileRecord(str(i), f"pkg{i // 1000}/m{i}.py", f"import pkg{(i - 1) // 1000}.m{i - 1}\n" if i else "X = 0\n", "python")
        for i in range(n)
    ]
    result = build_repository_samples("big/repo", files, OrderingConfig(tie_break="path"))
    assert result.counts["edges"] == n - 1 and result.counts["components"] == 1
    assert result.samples[0].metadata["files"][:3] == ["pkg0/m0.py", "pkg0/m1.py", "pkg0/m2.py"]
    assert result.paper.acyclic_share == 1.0


def test_split_sample_inverts_render_and_removal_keeps_the_others_in_order():
    from dscoder.data.repo_level.samples import join_sample, sample_without_files, split_sample

    files = [("a.py", "A = 1"), ("pkg/b.py", "from a import A\n\n# a.py\n"), ("c.py", "import pkg.b\n")]
    text = render_sample([(p, "python", t) for p, t in files])
    parts = split_sample(text, [p for p, _ in files], "python")
    assert parts == [("a.py", "A = 1\n"), ("pkg/b.py", "from a import A\n\n# a.py\n"), ("c.py", "import pkg.b\n")]
    assert join_sample(parts, "python") == text
    meta = {"files": [p for p, _ in files], "language": "python", "repo": "o/r"}
    new_text, new_meta = sample_without_files(text, meta, {"pkg/b.py"})
    assert new_text == "# a.py\nA = 1\n\n# c.py\nimport pkg.b\n"
    assert new_meta == {"files": ["a.py", "c.py"], "language": "python", "repo": "o/r"}
    assert sample_without_files(text, meta, {"a.py", "pkg/b.py", "c.py"}) is None
    java = render_sample([("A.java", "java", "class A {}\n"), ("B.java", "java", "class B extends A {}\n")])
    assert split_sample(java, ["A.java", "B.java"], "java")[1] == ("B.java", "class B extends A {}\n")
    import pytest

    with pytest.raises(ValueError, match="d.py"):
        split_sample(text, ["a.py", "d.py"], "python")  # no such header
