"""Decontamination stage end to end: datatrove filter block, exclusions, report, CLI, planted demo file.

The module fixture runs the paper-literal matching rule (``mode="paper"``); the CLI test runs the default. In
both, a repository sample loses only its contaminated file."""

from __future__ import annotations

import gzip
import json

import orjson
import pytest

from dscoder.benchmarks import ENV_VAR, load_humaneval
from dscoder.data.decontamination.planted import (
    PLANTED_PATH,
    PLANTED_REPO,
    planted_contamination_record,
)
from dscoder.data.decontamination.stage import (
    resolve_benchmarks,
    run_decontamination_stage,
)


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def _write_jsonl_gz(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as fh:
        for r in records:
            fh.write(orjson.dumps(r) + b"\n")


def _read_dir(folder):
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(p, "rt")]


def _read_rejects(folder):
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.open()]


def clean_file(i: int) -> dict:
    text = "\n".join(f"zq{i}_{j} = make_widget_{j}(zq{i}_{j - 1}, scale={j})" for j in range(1, 40)) + "\n"
    return {"id": f"clean{i}", "text": text, "repo": f"me/clean{i}", "path": f"w{i}.py", "language": "python"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("decont")
    he = {p["task_id"]: p for p in load_humaneval()}
    solution = he["HumanEval/2"]["prompt"] + he["HumanEval/2"]["canonical_solution"]
    repo_sample = {
        "id": "repo1",
        "text": "# pkg/a.py\n" + clean_file(7)["text"] + "\n# pkg/b.py\n" + solution,
        "repo": "me/pkg", "language": "python", "files": ["pkg/a.py", "pkg/b.py"], "sample_kind": "repo",
    }
    private = {"id": "priv", "text": "result = frobnicate(42, x)\n", "repo": "me/p", "path": "p.py",
               "language": "python"}
    records = [clean_file(1), planted_contamination_record(), clean_file(2), repo_sample, private]
    _write_jsonl_gz(root / "in" / "00000.jsonl.gz", records)
    (root / "in" / "00001.jsonl").write_text('{"id": "broken", "text": "x = 1\n', encoding="utf-8")
    extra = root / "private.jsonl"
    extra.write_text('{"task_id": "t1", "benchmark": "private", "test": "frobnicate(42, x)"}\n', encoding="utf-8")
    kwargs = {"input_dir": root / "in", "output_dir": root / "out", "excluded_dir": root / "excluded",
                  "logs_dir": root / "logs", "index_dir": root / "index", "benchmarks": ["humaneval"],
                  "extra_files": [extra], "mode": "paper", "tasks": 1, "workers": 1, "show_progress": False}
    result = run_decontamination_stage(**kwargs)
    return root, kwargs, result


def test_stage_counts_and_outputs(corpus):
    root, _, result = corpus
    assert result["documents_in"] == 6  # the malformed line counts as input
    assert result["reader_dropped"] == {"reader:malformed_json": 1}
    assert result["documents_kept"] == 3
    assert result["documents_dropped"] == 2
    assert (result["files_removed"], result["samples_trimmed"], result["mode"]) == (1, 1, "paper")
    assert result["hits"] == {"humaneval": 2, "private": 1}
    assert result["tasks_hit"]["private"] == 1
    assert result["benchmarks"] == ["humaneval"] and result["skipped_benchmarks"] == []
    kept = _read_dir(root / "out")
    assert sorted(r["id"] for r in kept) == ["clean1", "clean2", "repo1"]
    repo = next(r for r in kept if r["id"] == "repo1")
    assert repo["files"] == ["pkg/a.py"] and repo["text"] == "# pkg/a.py\n" + clean_file(7)["text"]
    assert "metadata" not in kept[0] and kept[0]["repo"].startswith("me/clean")  # flat DESIGN records
    rejected = _read_rejects(root / "logs" / "rejects")
    assert [(r["reason"], r["line"]) for r in rejected] == [("reader:malformed_json", 0)]  # counted and kept


def test_exclusions_name_task_file_and_line(corpus):
    root, _, _ = corpus
    excluded = {r["id"]: r for r in _read_dir(root / "excluded")}
    planted = excluded[planted_contamination_record()["id"]]
    assert planted["filter_reason"] == "contaminated:humaneval/HumanEval/12"
    assert planted["contamination"]["file"] == PLANTED_PATH and planted["repo"] == PLANTED_REPO
    assert planted["contamination"]["line"] == 6  # the HumanEval prompt starts after the header lines
    removed = excluded["repo1::pkg/b.py"]  # the file, not the sample
    assert removed["filter_reason"] == "contaminated:humaneval/HumanEval/2"
    assert removed["contamination"]["file"] == "pkg/b.py" and removed["path"] == "pkg/b.py"
    assert removed["sample_id"] == "repo1" and removed["sample_kind"] == "file_removed"
    assert excluded["priv"]["filter_reason"] == "contaminated:private/t1"
    assert excluded["priv"]["contamination"]["exact"] == 1 and excluded["priv"]["contamination"]["ngrams"] == 0


def test_report_json(corpus):
    root, _, result = corpus
    report = json.loads((root / "logs" / "contamination_report.json").read_text())
    assert result["report"] == str(root / "logs" / "contamination_report.json")
    assert result["plot"] == str(root / "logs" / "contamination_report.png")
    assert (root / "logs" / "contamination_report.png").read_bytes()[:4] == b"\x89PNG"
    assert report["documents_scanned"] == 5 and report["documents_dropped"] == 2 and report["files_removed"] == 1
    he = report["benchmarks"]["humaneval"]
    assert he["tasks"] == 164 and he["documents_dropped"] == 2
    assert {t["task_id"] for t in he["top_tasks"]} >= {"HumanEval/12", "HumanEval/2"}
    assert {e["task_id"] for e in he["examples"]} == {"HumanEval/12", "HumanEval/2"}
    assert report["benchmarks"]["private"] == {
        "tasks": 1, "tasks_hit": 1, "documents_dropped": 1, "documents_touching": 1,
        "top_tasks": [{"task_id": "t1", "documents": 1}],
        "examples": [{"id": "priv", "repo": "me/p", "file": "p.py", "task_id": "t1", "line": 1, "ngrams": 0,
                      "exact": 1, "snippet": "frobnicate ( 42 , x )"}],
    }


def test_index_is_reused(corpus):
    root, kwargs, _ = corpus
    before = (root / "index" / "keys.npy").stat().st_mtime_ns
    run_decontamination_stage(**kwargs)  # datatrove skips the finished task; the index is not rebuilt
    assert (root / "index" / "keys.npy").stat().st_mtime_ns == before


def test_benchmark_selection(tmp_path):
    assert resolve_benchmarks(None) == (["humaneval", "mbpp", "gsm8k", "math"], [])  # all four ship in the package
    assert resolve_benchmarks("all")[1] == ["leetcode", "asdiv", "mawps", "ds1000"]  # not shipped, no data dir
    assert resolve_benchmarks("humaneval, mbpp") == (["humaneval", "mbpp"], [])
    with pytest.raises(KeyError, match="unknown benchmark 'humaneval2'"):
        resolve_benchmarks(["humaneval2"])
    with pytest.raises(FileNotFoundError, match="input folder not found"):
        run_decontamination_stage(tmp_path / "nope", tmp_path / "o", tmp_path / "e", tmp_path / "l",
                                  tmp_path / "i", benchmarks="humaneval", show_progress=False)


def test_cli_decontaminate(corpus, tmp_path, capsys):
    from dscoder_cli import main

    root, _, _ = corpus
    code = main(["data", "decontaminate", str(root / "in"), str(tmp_path / "out"), "--benchmarks", "humaneval",
                 "--index-dir", str(root / "index"), "--tasks", "1", "--workers", "1"])
    assert code == 0
    # default mode: the repository sample loses pkg/b.py only; the private string is not protected here
    assert "kept 4 of 6 documents (1 dropped, 1 unreadable input lines); 1 files removed from 1 repository" in (
        capsys.readouterr().out)
    kept = {r["id"]: r for r in _read_dir(tmp_path / "out")}
    assert kept["repo1"]["files"] == ["pkg/a.py"] and kept["repo1"]["text"] == "# pkg/a.py\n" + clean_file(7)["text"]
    assert (tmp_path / "excluded" / "decontamination").is_dir()
    assert main(["data", "decontaminate", str(tmp_path / "missing"), str(tmp_path / "o2")]) == 1
    assert "input folder not found" in capsys.readouterr().err


def test_demo_corpus_plants_one_contaminated_file(tmp_path):
    from dscoder.data.demo_corpus import build_demo_corpus

    stdlib = tmp_path / "stdlib"
    (stdlib / "pkg").mkdir(parents=True)
    (stdlib / "pkg" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    stats = build_demo_corpus(tmp_path / "corpus", include_site_packages=False, stdlib_dir=stdlib, shards=1,
                              show_progress=False, plant_contamination=True)
    records = _read_dir(tmp_path / "corpus")
    assert [r["repo"] for r in records] == ["stdlib/pkg", PLANTED_REPO]
    assert stats.files == 2
    he12 = next(p for p in load_humaneval() if p["task_id"] == "HumanEval/12")
    assert he12["canonical_solution"].replace("    ", "\t") in records[1]["text"]
