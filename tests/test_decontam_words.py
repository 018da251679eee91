"""The default decontamination mode (``words``): idioms kept, planted copies caught, background list, paper mode
unchanged on a fixture, and file-level removal inside repository samples."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import orjson
import pytest
from datatrove.data import Document

from dscoder.benchmarks import ENV_VAR, load_humaneval
from dscoder.data.decontamination import DecontaminationIndex, IndexConfig, benchmark_protected_strings, tokenize
from dscoder.data.decontamination.background import (
    build_background,
    load_background,
    save_background,
    shipped_background_path,
)
from dscoder.data.decontamination.code_tokens import word_ngram_hashes, word_token_hashes
from dscoder.data.decontamination.filter import BenchmarkDecontaminationFilter
from dscoder.data.decontamination.planted import VARIANTS, planted_variants
from dscoder.data.decontamination.stage import run_decontamination_stage
from dscoder.data.repo_level.samples import render_sample

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "decontam_idioms.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def humaneval() -> list[dict]:
    return load_humaneval()


@pytest.fixture(scope="module")
def words_index() -> DecontaminationIndex:
    return DecontaminationIndex.build(benchmark_protected_strings("humaneval"))


@pytest.fixture(scope="module")
def paper_index() -> DecontaminationIndex:
    return DecontaminationIndex.build(benchmark_protected_strings("humaneval"), IndexConfig(mode="paper"))


def test_word_tokens_ignore_punctuation_and_defined_names():
    stream = tokenize("def  solve(x1, y):\n\treturn x1+y  # héllo\n", words_only=True)
    assert [stream.span_text(i, i) for i in range(stream.n_tokens)] == ["def", "solve", "x1", "y", "return", "x1",
                                                                         "y", "héllo"]
    assert stream.orig_starts.tolist() == [0, 5, 11, 15, 20, 27, 30, 35]
    assert tokenize("((", words_only=True).n_tokens == 0
    # a name defined with def hashes as one placeholder wherever it occurs: renaming keeps every gram
    original = 'def strlen(s):\n    """>>> strlen("ab")\n    2"""\n    return len(s) + strlen(s[1:])\n'
    renamed = original.replace("strlen", "solve_task")
    grams = [word_ngram_hashes(t, 4).tolist() for t in (original, renamed)]
    assert grams[0] == grams[1] and len(grams[0]) == tokenize(original, words_only=True).n_tokens - 3
    other = original.replace("return len", "return max")
    assert word_ngram_hashes(other, 4).tolist() != grams[0]
    undefined = word_ngram_hashes(original.replace("def strlen", "def other"), 4)
    assert undefined.tolist()[1:] != grams[0][1:]  # strlen is no longer defined: its uses count as words

def test_word_token_hashes_agree_with_the_words_only_stream():
    import random

    rng = random.Random(1)
    alphabet = "ab_9 \t\n()=.,é中\x00"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        stream = tokenize(text, words_only=True)
        starts, hashes = word_token_hashes(text)
        assert starts.tolist() == stream.orig_starts.tolist()
        by_token: dict[str, int] = {}
        for i, h in enumerate(hashes.tolist()):
            assert by_token.setdefault(stream.span_text(i, i), h) == h  # equal tokens, equal hashes
        assert len(set(by_token.values())) == len(by_token)


def test_config_defaults_per_mode():
    words, paper = IndexConfig(), IndexConfig(mode="paper")
    assert (words.mode, words.ngram, words.min_exact_tokens, words.min_share, words.background) == (
        "words", 8, 4, 0.5, "shipped")
    assert (paper.ngram, paper.min_exact_tokens, paper.min_share, paper.background) == (10, 3, 0.0, "none")
    assert IndexConfig(mode="paper", ngram=13).ngram == 13
    with pytest.raises(ValueError, match="mode must be one of words, paper"):
        IndexConfig(mode="strict")
    with pytest.raises(ValueError, match="min_share must be in 0..1"):
        IndexConfig(min_share=1.5)


def test_paper_mode_reproduces_the_earlier_rule_exactly(paper_index):
    """Every excerpt's hits (task, n-gram positions, exact matches) as the index found them before this mode."""
    for excerpt in FIXTURE["excerpts"]:
        got = [[h.reason, h.ngrams, h.exact] for h in paper_index.scan(excerpt["text"]).hits]
        assert got == excerpt["paper_hits"], excerpt["source"]
    assert len(FIXTURE["excerpts"]) == 19


def test_common_idioms_are_kept_by_default(words_index):
    for excerpt in FIXTURE["excerpts"]:
        assert not words_index.scan(excerpt["text"]).contaminated, excerpt["source"]
    joined = "\n\n".join(e["text"] for e in FIXTURE["excerpts"])  # one clean file holding every idiom at once
    assert not words_index.scan(joined).contaminated


@pytest.mark.parametrize("task", ["HumanEval/0", "HumanEval/12", "HumanEval/55", "HumanEval/130"])
def test_each_planted_variant_is_caught(words_index, paper_index, humaneval, task):
    record = next(p for p in humaneval if p["task_id"] == task)
    host = "\n\n".join(e["text"] for e in FIXTURE["excerpts"])
    variants = planted_variants("humaneval", record, host)
    assert list(variants) == list(VARIANTS)
    for variant, text in variants.items():
        hits = words_index.scan(text).hits
        assert hits and hits[0].reason == f"contaminated:humaneval/{task}", variant


def test_share_rule_counts_distinct_ngrams_of_one_string(humaneval):
    record = humaneval[12]
    strings = [s for s in benchmark_protected_strings("humaneval") if s.task_id == record["task_id"]]
    index = DecontaminationIndex.build(strings, IndexConfig(background="none"))
    solution = record["prompt"] + record["canonical_solution"]
    words = [index.scan(solution).stream.span_text(i, i) for i in range(tokenize(solution, True).n_tokens)]
    half = len(words) // 2
    assert index.scan(" ".join(words[: half + 8])).contaminated  # more than half of its grams
    assert not index.scan(" ".join(words[:12])).contaminated  # a few grams: below every string's share
    assert index.scan(" ".join(words)).hits[0].ngrams >= len(words) - 7


def test_background_list_roundtrip_and_effect(tmp_path, humaneval):
    texts = ["for i in range(len(xs)):\n    total += xs[i]\n"] * 2 + ["unique_line_of_code = 1\n"]
    hashes, files = build_background(texts, ngram=4, min_files=2)
    assert files == 3 and len(hashes) == len(np.unique(hashes)) > 0
    path = save_background(tmp_path / "bg.npz", hashes, 4, "test", files, 2)
    loaded, meta = load_background(path, 4)
    assert loaded.tolist() == hashes.tolist() and meta["min_files"] == 2
    with pytest.raises(ValueError, match="background list is for 4-grams, the index uses 8"):
        load_background(path, 8)
    with pytest.raises(FileNotFoundError, match="decontam-background"):
        load_background(tmp_path / "absent.npz", 8)
    from dscoder.data.decontamination import ProtectedString

    strings = [ProtectedString("b", "t", "code", "for i in range(len(xs)):\n    total += xs[i]\n")]
    plain = DecontaminationIndex.build(strings, IndexConfig(ngram=4, background="none"))
    with_bg = DecontaminationIndex.build(strings, IndexConfig(ngram=4, background=str(path)))
    assert plain.scan(texts[0]).contaminated and not with_bg.scan(texts[0]).contaminated
    assert with_bg.meta["benchmarks"]["b"]["background_only"] == 1
    shipped, meta = load_background(shipped_background_path(8), 8)
    assert meta["source"].startswith("stdlib split=background") and len(shipped) == meta["hashes"] > 1000


# ------------------------------------------------------------------------------ file-level removal in samples


def _sample(files: list[tuple[str, str]], sample_id: str = "me/pkg::pkg/a.py") -> dict:
    return {"id": sample_id, "text": render_sample([(p, "python", t) for p, t in files]), "repo": "me/pkg",
            "language": "python", "files": [p for p, _ in files], "sample_kind": "repo"}


def _clean(i: int) -> str:
    return "\n".join(f"zq{i}_{j} = make_widget_{j}(zq{i}_{j - 1}, scale={j})" for j in range(1, 30)) + "\n"


def _read(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(p, "rt")]


def test_file_level_removal_keeps_other_files_in_order(tmp_path, words_index, humaneval):
    leaked = humaneval[12]["prompt"] + humaneval[12]["canonical_solution"]
    leaked2 = humaneval[2]["prompt"] + humaneval[2]["canonical_solution"]
    files = [("pkg/a.py", _clean(1)), ("pkg/b.py", leaked), ("pkg/c.py", _clean(3)), ("pkg/d.py", _clean(4))]
    only_leaks = [("x/one.py", leaked), ("x/two.py", leaked2)]
    records = [_sample(files), _sample(only_leaks, "me/x::x/one.py"),
               {"id": "f1", "text": _clean(9), "repo": "me/f", "path": "f.py", "language": "python"}]
    (tmp_path / "in").mkdir()
    with gzip.open(tmp_path / "in" / "00000.jsonl.gz", "wb") as fh:
        for r in records:
            fh.write(orjson.dumps(r) + b"\n")
    result = run_decontamination_stage(tmp_path / "in", tmp_path / "out", tmp_path / "excluded", tmp_path / "logs",
                                       tmp_path / "index", benchmarks=["humaneval"], tasks=1, workers=1,
                                       show_progress=False)  # fmt: skip
    kept = {r["id"]: r for r in _read(tmp_path / "out")}
    assert sorted(kept) == ["f1", "me/pkg::pkg/a.py"]
    trimmed = kept["me/pkg::pkg/a.py"]
    rest = [f for f in files if f[0] != "pkg/b.py"]
    assert trimmed["files"] == ["pkg/a.py", "pkg/c.py", "pkg/d.py"]
    assert trimmed["text"] == render_sample([(p, "python", t) for p, t in rest])
    excluded = {r["id"]: r for r in _read(tmp_path / "excluded")}
    assert sorted(excluded) == ["me/pkg::pkg/a.py::pkg/b.py", "me/x::x/one.py::x/one.py", "me/x::x/one.py::x/two.py"]
    removed = excluded["me/pkg::pkg/a.py::pkg/b.py"]
    assert removed["text"] == leaked and removed["path"] == "pkg/b.py" and removed["sample_id"] == "me/pkg::pkg/a.py"
    assert removed["filter_reason"] == "contaminated:humaneval/HumanEval/12"
    assert removed["contamination"]["file"] == "pkg/b.py" and "longest" in removed["contamination"]["snippet"]
    assert excluded["me/x::x/one.py::x/two.py"]["filter_reason"] == "contaminated:humaneval/HumanEval/2"
    assert (result["documents_in"], result["documents_kept"], result["documents_dropped"]) == (3, 2, 1)
    assert (result["files_removed"], result["samples_trimmed"]) == (3, 1)
    size = lambda t: len(t.encode())
    assert result["bytes_in"] == sum(size(r["text"]) for r in records)
    assert result["bytes_dropped"] == size(records[0]["text"]) - size(trimmed["text"]) + size(records[1]["text"])
    report = json.loads(Path(result["report"]).read_text())
    assert (report["files_removed"], report["samples_with_files_removed"], report["documents_dropped"]) == (3, 2, 0)
    example = report["benchmarks"]["humaneval"]["examples"][0]
    assert example["file"] == "pkg/b.py" and example["task_id"] == "HumanEval/12" and example["snippet"]


def test_unsplittable_sample_is_dropped_whole(words_index, humaneval):
    leaked = humaneval[12]["prompt"] + humaneval[12]["canonical_solution"]
    doc = Document(text="no headers here\n" + leaked, id="s", metadata={
        "files": ["a.py", "b.py"], "language": "python", "sample_kind": "repo", "repo": "r"})
    block = BenchmarkDecontaminationFilter("unused")
    block._index = words_index
    assert list(block.run([doc])) == []
    assert block.stats["unsplittable_samples"].total == 1 and block.stats["dropped"].total == 1
