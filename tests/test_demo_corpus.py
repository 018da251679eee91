"""The embedded demo corpus: repository grouping, language tags, skips, stable ids, determinism."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from dscoder.data.demo_corpus import build_demo_corpus, stable_id


@pytest.fixture()
def fake_env(tmp_path: Path):
    stdlib = tmp_path / "lib"
    (stdlib / "jsonish").mkdir(parents=True)
    (stdlib / "jsonish" / "__init__.py").write_text("from .decoder import decode\n")
    (stdlib / "jsonish" / "decoder.py").write_text("def decode(s):\n    return s\n")
    (stdlib / "jsonish" / "data.bin").write_bytes(b"\x00\x01binary")  # unknown language -> skipped
    (stdlib / "jsonish" / "blob.py").write_bytes(b"x = 1\n\x00\x00")  # binary -> skipped
    (stdlib / "jsonish" / "latin.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))  # non-UTF-8
    (stdlib / "jsonish" / "empty.py").write_text("")
    (stdlib / "notapkg").mkdir()  # no __init__.py: not a repository
    (stdlib / "notapkg" / "x.py").write_text("x = 1\n")
    (stdlib / "os_like.py").write_text("import jsonish\n")
    (stdlib / "site-packages").mkdir()
    site = tmp_path / "site"
    (site / "mylib" / "sub").mkdir(parents=True)
    (site / "mylib" / "__init__.py").write_text("VERSION = '1'\n")
    (site / "mylib" / "sub" / "mod.c").write_text("int main(void) { return 0; }\n")
    (site / "mylib" / "sub" / "README.md").write_text("# mylib\n")
    (site / "mylib-1.0.dist-info").mkdir()
    (site / "mylib-1.0.dist-info" / "METADATA").write_text("Name: mylib\n")
    return stdlib, site


def read_records(out: Path) -> list[dict]:
    records = []
    for shard in sorted(out.glob("*.jsonl.gz")):
        with gzip.open(shard, "rt") as fh:
            records.extend(json.loads(line) for line in fh)
    return records


def test_groups_repositories_tags_languages_and_counts_skips(fake_env, tmp_path):
    stdlib, site = fake_env
    out = tmp_path / "out"
    stats = build_demo_corpus(out, stdlib_dir=stdlib, site_dirs=[site], show_progress=False, shards=2)
    records = read_records(out)
    by_path = {(r["repo"], r["path"]): r for r in records}
    assert set(by_path) == {
        ("stdlib/jsonish", "jsonish/__init__.py"),
        ("stdlib/jsonish", "jsonish/decoder.py"),
        ("stdlib/toplevel-modules", "os_like.py"),
        ("pypi/mylib", "mylib/__init__.py"),
        ("pypi/mylib", "mylib/sub/mod.c"),
        ("pypi/mylib", "mylib/sub/README.md"),
    }
    assert by_path[("pypi/mylib", "mylib/sub/mod.c")]["language"] == "c"
    assert by_path[("pypi/mylib", "mylib/sub/README.md")]["language"] == "markdown"
    assert by_path[("stdlib/jsonish", "jsonish/decoder.py")]["text"] == "def decode(s):\n    return s\n"
    assert by_path[("stdlib/jsonish", "jsonish/decoder.py")]["size"] == 28
    assert stats.skipped == {"binary": 1, "non_utf8": 1, "empty": 1, "unknown_language": 1}
    assert stats.repositories == 3 and stats.files == 6
    saved = json.loads((out / "stats.json").read_text())
    assert saved["files"] == 6 and saved["skipped"]["binary"] == 1
    # every repository lives in exactly one shard
    shard_of = {}
    for shard in sorted(out.glob("*.jsonl.gz")):
        with gzip.open(shard, "rt") as fh:
            for line in fh:
                rec = json.loads(line)
                assert shard_of.setdefault(rec["repo"], shard.name) == shard.name


def test_ids_are_stable_and_output_is_deterministic(fake_env, tmp_path):
    stdlib, site = fake_env
    a = build_demo_corpus(tmp_path / "a", stdlib_dir=stdlib, site_dirs=[site], show_progress=False)
    b = build_demo_corpus(tmp_path / "b", stdlib_dir=stdlib, site_dirs=[site], show_progress=False)
    assert a.to_dict() == b.to_dict()
    for shard in sorted((tmp_path / "a").glob("*.jsonl.gz")):
        assert gzip.decompress(shard.read_bytes()) == gzip.decompress((tmp_path / "b" / shard.name).read_bytes())
    rec = read_records(tmp_path / "a")[0]
    assert rec["id"] == stable_id(rec["repo"], rec["path"])
    assert stable_id("stdlib/json", "json/decoder.py") == "3d480cf6f40a86cff8ff"


def test_budgets_bound_the_corpus(fake_env, tmp_path):
    stdlib, site = fake_env
    stats = build_demo_corpus(tmp_path / "o", stdlib_dir=stdlib, site_dirs=[site], max_repos=1, show_progress=False)
    assert stats.repositories == 1
    stats = build_demo_corpus(tmp_path / "p", stdlib_dir=stdlib, site_dirs=[site], max_bytes=20, show_progress=False)
    assert stats.bytes <= 20 and stats.skipped["over_budget"] > 0


def test_parquet_output_reads_back_with_datasets(fake_env, tmp_path):
    stdlib, site = fake_env
    build_demo_corpus(tmp_path / "pq", stdlib_dir=stdlib, site_dirs=[site], output_format="parquet", show_progress=False)
    import datasets

    ds = datasets.load_dataset("parquet", data_files=sorted(str(p) for p in (tmp_path / "pq").glob("*.parquet")))
    assert ds["train"].num_rows == 6
    assert {"id", "text", "repo", "path", "language", "size"} <= set(ds["train"].column_names)


def test_datatrove_reader_reads_the_shards(fake_env, tmp_path):
    stdlib, site = fake_env
    build_demo_corpus(tmp_path / "dt", stdlib_dir=stdlib, site_dirs=[site], show_progress=False)
    from datatrove.pipeline.readers import JsonlReader

    docs = list(JsonlReader(str(tmp_path / "dt"), glob_pattern="*.jsonl.gz").run())
    assert len(docs) == 6
    assert all(d.metadata["repo"] and d.metadata["path"] and d.metadata["language"] for d in docs)
