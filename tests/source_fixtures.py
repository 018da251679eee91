"""Small Parquet shards in the real schemas of the Hub's code corpora (column names and Arrow types as each dataset
card's ``dataset_info`` gives them), with code written for these tests as content.

Cards: bigcode/the-stack (v1, also -dedup and -smol), bigcode/the-stack-v2 (and -dedup), bigcode/the-stack-v2-
train-smol-ids (and -full-ids), HuggingFaceCode/stack-v3-train, bigcode/starcoderdata, codeparrot/github-code.
Only the columns the readers use and a few around them are written; every type is the card's.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

UTIL = "def add(a, b):\n    return a + b\n"
MAIN = "from pkg.util import add\n\n\ndef main():\n    print(add(1, 2))\n"
CS = "namespace Demo\n{\n    public static class Greeter\n    {\n        public static string Hi() => \"hi\";\n    }\n}\n"
TSX = "export const App = () => <div>hello</div>;\n"
GO_MOD = "module example.com/demo\n\ngo 1.21\n"
VENDORED = "// vendored copy of a library\nfunction left_pad(s, n) {\n  return s.padStart(n);\n}\n"
NOTEBOOK = json.dumps({
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Adding\n", "Two numbers."]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["%matplotlib inline\n", "def add(a, b):\n", "    return \"a\" + b\n"]},
    ],
    "metadata": {"kernelspec": {"language": "python", "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5,
})  # fmt: skip

_STRINGS = pa.list_(pa.string())


def write(path: Path, rows: list[dict], schema: pa.Schema, row_group_size: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=row_group_size)
    return path


#: bigcode/the-stack (v1): per file, content inline, the repository with most stars
THE_STACK = pa.schema([
    ("hexsha", pa.string()), ("size", pa.int64()), ("ext", pa.string()), ("lang", pa.string()),
    ("max_stars_repo_path", pa.string()), ("max_stars_repo_name", pa.string()),
    ("max_stars_repo_head_hexsha", pa.string()), ("max_stars_repo_licenses", _STRINGS), ("max_stars_count", pa.int64()),
    ("max_issues_repo_path", pa.string()), ("max_issues_count", pa.int64()), ("content", pa.string()),
    ("avg_line_length", pa.float64()), ("max_line_length", pa.int64()), ("alphanum_fraction", pa.float64()),
])  # fmt: skip


def the_stack(folder: Path) -> Path:
    def row(sha, lang, path, repo, content, stars):
        return {"hexsha": sha * 40, "size": len(content), "ext": path.rsplit(".", 1)[1], "lang": lang,
                "max_stars_repo_path": path, "max_stars_repo_name": repo, "max_stars_repo_head_hexsha": "f" * 40,
                "max_stars_repo_licenses": ["MIT"], "max_stars_count": stars, "max_issues_repo_path": path,
                "max_issues_count": None, "content": content, "avg_line_length": 20.0, "max_line_length": 40,
                "alphanum_fraction": 0.7}  # fmt: skip

    rows = [row("a", "Python", "pkg/util.py", "me/pkg", UTIL, 12), row("b", "Python", "pkg/main.py", "me/pkg", MAIN, 12),
            row("c", "C#", "src/Greeter.cs", "me/cs", CS, None)]  # fmt: skip
    return write(folder / "data" / "python" / "train-00000-of-00001.parquet", rows, THE_STACK)


#: bigcode/the-stack-v2: per file, no content (fetched from Software Heritage by blob_id)
THE_STACK_V2 = pa.schema([
    ("blob_id", pa.string()), ("directory_id", pa.string()), ("path", pa.string()), ("content_id", pa.string()),
    ("detected_licenses", _STRINGS), ("license_type", pa.string()), ("repo_name", pa.string()),
    ("snapshot_id", pa.string()), ("revision_id", pa.string()), ("branch_name", pa.string()),
    ("visit_date", pa.timestamp("ns")), ("github_id", pa.int64()), ("star_events_count", pa.int64()),
    ("fork_events_count", pa.int64()), ("gha_license_id", pa.string()), ("gha_language", pa.string()),
    ("src_encoding", pa.string()), ("language", pa.string()), ("is_vendor", pa.bool_()), ("is_generated", pa.bool_()),
    ("length_bytes", pa.int64()), ("extension", pa.string()),
])  # fmt: skip


def v2_file(blob: str, path: str, language: str, text: str, encoding: str = "UTF-8", vendor: bool = False,
            license_type: str = "permissive") -> dict:
    return {"blob_id": blob, "directory_id": "d" * 40, "path": path, "content_id": "c" * 40,
            "detected_licenses": ["MIT"] if license_type == "permissive" else [], "license_type": license_type,
            "repo_name": "me/pkg", "snapshot_id": "s" * 40, "revision_id": "r" * 40, "branch_name": "refs/heads/main",
            "visit_date": None, "github_id": 1, "star_events_count": 5, "fork_events_count": 0, "gha_license_id": "MIT",
            "gha_language": "Python", "src_encoding": encoding, "language": language, "is_vendor": vendor,
            "is_generated": False, "length_bytes": len(text.encode(encoding)), "extension": path.rsplit(".", 1)[1]}  # fmt: skip


#: bigcode/the-stack-v2-train-smol-ids: one row per repository, its files' ids in a list
V2_FILE = pa.struct([
    ("blob_id", pa.string()), ("path", pa.string()), ("content_id", pa.string()), ("language", pa.string()),
    ("length_bytes", pa.int64()), ("detected_licenses", _STRINGS), ("license_type", pa.string()),
    ("src_encoding", pa.string()), ("is_vendor", pa.bool_()), ("is_generated", pa.bool_()),
    ("alphanum_fraction", pa.float32()), ("alpha_fraction", pa.float32()), ("num_lines", pa.int32()),
    ("avg_line_length", pa.float32()), ("max_line_length", pa.int32()),
])  # fmt: skip
THE_STACK_V2_REPOS = pa.schema([
    ("repo_name", pa.string()), ("repo_url", pa.string()), ("snapshot_id", pa.string()), ("revision_id", pa.string()),
    ("directory_id", pa.string()), ("branch_name", pa.string()), ("visit_date", pa.timestamp("ns")),
    ("github_id", pa.int64()), ("star_events_count", pa.int64()), ("fork_events_count", pa.int64()),
    ("gha_license_id", pa.string()), ("gha_language", pa.string()), ("files", pa.list_(V2_FILE)), ("num_files", pa.int64()),
])  # fmt: skip


def v2_repo_file(blob: str, path: str, language: str, text: str, vendor: bool = False) -> dict:
    keep = ("blob_id", "path", "content_id", "language", "length_bytes", "detected_licenses", "license_type",
            "src_encoding", "is_vendor", "is_generated")  # fmt: skip
    row = {k: v for k, v in v2_file(blob, path, language, text, vendor=vendor).items() if k in keep}
    return {**row, "alphanum_fraction": 0.7, "alpha_fraction": 0.6, "num_lines": text.count("\n"),
            "avg_line_length": 20.0, "max_line_length": 40}  # fmt: skip


def v2_repo(name: str, files: list[dict]) -> dict:
    return {"repo_name": name, "repo_url": f"https://github.com/{name}", "snapshot_id": "s" * 40, "revision_id": "r" * 40,
            "directory_id": "d" * 40, "branch_name": "refs/heads/main", "visit_date": None, "github_id": 7,
            "star_events_count": 42, "fork_events_count": 1, "gha_license_id": "MIT", "gha_language": "Python",
            "files": files, "num_files": len(files)}  # fmt: skip


#: HuggingFaceCode/stack-v3-train: one row per repository, its files inline
V3_FILE = pa.struct([
    ("content_id", pa.string()), ("content", pa.string()), ("size_bytes", pa.int64()), ("file_path", pa.string()),
    ("file_timestamp", pa.int64()), ("language", pa.string()), ("is_vendor", pa.bool_()), ("license_type", pa.string()),
    ("detected_licenses", _STRINGS),
])  # fmt: skip
GITHUB_METADATA = pa.struct([
    ("branch", pa.string()), ("commit_count", pa.int32()), ("repo_created_at", pa.string()), ("is_fork", pa.bool_()),
    ("is_org_owned", pa.bool_()), ("forked_from", pa.string()), ("stars", pa.int32()), ("forks", pa.int32()),
    ("issues", pa.int32()), ("pull_requests", pa.int32()),
])  # fmt: skip
THE_STACK_V3 = pa.schema([
    ("repo_path", pa.string()), ("repo_id", pa.int64()), ("commit_id", pa.string()), ("github_metadata", GITHUB_METADATA),
    ("num_files", pa.int64()), ("files", pa.list_(V3_FILE)),
])  # fmt: skip


def v3_file(path: str, language: str | None, content: str | None, vendor: bool = False, content_id: str | None = None,
            license_type: str = "permissive") -> dict:
    return {"content_id": content_id, "content": content, "size_bytes": len(content.encode()) if content else 0,
            "file_path": path, "file_timestamp": 1674821846, "language": language, "is_vendor": vendor,
            "license_type": license_type, "detected_licenses": ["MIT"] if license_type == "permissive" else []}  # fmt: skip


def v3_repo(name: str, files: list[dict], stars: int = 3) -> dict:
    meta = {"branch": "main", "commit_count": 10, "repo_created_at": "2022-04-19T03:57:35.000Z", "is_fork": False,
            "is_org_owned": False, "forked_from": None, "stars": stars, "forks": 0, "issues": 0, "pull_requests": 0}  # fmt: skip
    return {"repo_path": name, "repo_id": 483087790, "commit_id": "9" * 40, "github_metadata": meta,
            "num_files": len(files), "files": files}  # fmt: skip


def the_stack_v3(folder: Path) -> Path:
    """Three repositories, one per row group: Python (+ a notebook, a vendored file, a stub without content),
    C# + TSX, Go (``go.mod``: Linguist's "Go Module")."""
    rows = [
        v3_repo("me/pkg", [
            v3_file("pkg/main.py", "Python", MAIN, content_id="m" * 40), v3_file("pkg/util.py", "Python", UTIL),
            v3_file("notebooks/add.ipynb", "Jupyter Notebook", NOTEBOOK),
            v3_file("vendor/leftpad.js", "JavaScript", VENDORED, vendor=True),
            v3_file("assets/logo.png", None, None, license_type="no_license"),
        ], stars=12),
        v3_repo("me/cs", [v3_file("src/Greeter.cs", "C#", CS, license_type="no_license"),
                          v3_file("web/App.tsx", "TSX", TSX)]),
        v3_repo("me/go", [v3_file("go.mod", "Go Module", GO_MOD), v3_file("main.go", "Go", "package main\n\nfunc main() {}\n")]),
    ]  # fmt: skip
    return write(folder / "data" / "train-00000.parquet", rows, THE_STACK_V3, row_group_size=1)


#: bigcode/starcoderdata (one folder per language)
STARCODERDATA = pa.schema([("max_stars_repo_path", pa.string()), ("max_stars_repo_name", pa.string()),
                           ("max_stars_count", pa.int64()), ("id", pa.string()), ("content", pa.string())])  # fmt: skip


def starcoderdata(folder: Path) -> Path:
    rows = [{"max_stars_repo_path": "pkg/util.py", "max_stars_repo_name": "me/pkg", "max_stars_count": 3, "id": "1",
             "content": UTIL}]  # fmt: skip
    return write(folder / "python" / "train-00000-of-00001.parquet", rows, STARCODERDATA)


#: codeparrot/github-code
GITHUB_CODE = pa.schema([("code", pa.string()), ("repo_name", pa.string()), ("path", pa.string()),
                         ("language", pa.string()), ("license", pa.string()), ("size", pa.int32())])  # fmt: skip


def github_code(folder: Path) -> Path:
    rows = [{"code": UTIL, "repo_name": "me/pkg", "path": "pkg/util.py", "language": "Python", "license": "mit",
             "size": len(UTIL)},
            {"code": "package main\n", "repo_name": "me/go", "path": "main.go", "language": "GO", "license": "apache-2.0",
             "size": 13}]  # fmt: skip
    return write(folder / "data" / "train-0.parquet", rows, GITHUB_CODE)


def gzip_blob(text: str, encoding: str = "utf-8") -> bytes:
    """A Software Heritage content object: the file's bytes, gzip-compressed."""
    return gzip.compress(text.encode(encoding))
