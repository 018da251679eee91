"""Benchmark loaders (dscoder.benchmarks): counts, fields, splits and clear errors."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from dscoder.benchmarks import (
    BENCHMARKS,
    ENV_VAR,
    BenchmarkDataError,
    available_benchmarks,
    last_boxed,
    load_benchmark,
    load_ds1000,
    load_humaneval,
    load_humaneval_infilling,
    load_humaneval_multilingual,
    load_leetcode_contest,
    load_mbpp,
    load_pal_math,
    load_pal_prompt,
    read_jsonl,
    resolve_data_dir,
)


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_humaneval_from_the_package():
    problems = load_humaneval()
    assert len(problems) == 164
    assert problems[0]["task_id"] == "HumanEval/0"
    assert problems[163]["task_id"] == "HumanEval/163"
    assert problems[12]["entry_point"] == "longest"
    assert {"prompt", "canonical_solution", "test"} <= set(problems[0])


def test_registry_names_and_offline_availability():
    assert set(BENCHMARKS) == {
        "humaneval", "humaneval-python", "humaneval-cpp", "humaneval-java", "humaneval-php", "humaneval-ts",
        "humaneval-cs", "humaneval-sh", "humaneval-js", "mbpp", "mbpp-full", "humaneval-infilling-single",
        "humaneval-infilling-multi", "humaneval-infilling-random-span", "leetcode", "gsm8k", "math", "gsm-hard",
        "svamp", "asdiv", "mawps", "ds1000",
    }
    assert available_benchmarks(None) == ["humaneval"]
    with pytest.raises(KeyError, match="unknown benchmark 'humaneva'"):
        load_benchmark("humaneva")


def test_data_dir_comes_from_the_environment(monkeypatch, tmp_path):
    assert resolve_data_dir(None) is None
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert resolve_data_dir(None) == tmp_path
    assert resolve_data_dir("elsewhere").name == "elsewhere"


def test_missing_file_error_names_the_file(tmp_path):
    with pytest.raises(BenchmarkDataError, match=r"mbpp/mbpp_test\.jsonl"):
        load_mbpp("test", data_dir=tmp_path)
    with pytest.raises(BenchmarkDataError, match=r"no --data-dir given"):
        load_leetcode_contest()
    with pytest.raises(BenchmarkDataError, match=r"humaneval/HumanEval\.jsonl\.gz"):
        load_humaneval(data_dir=tmp_path, source="local")
    with pytest.raises(ValueError, match="source must be one of auto, local"):
        load_leetcode_contest(source="hub")


def test_malformed_and_non_utf8_lines_are_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": 1}\n\n{"task_id": 2\n', encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match=r"bad\.jsonl:3: invalid JSON"):
        read_jsonl(bad)
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"task_id": "\xe9"}\n')
    with pytest.raises(BenchmarkDataError, match=r"latin\.jsonl: not UTF-8"):
        read_jsonl(latin)
    (tmp_path / "mbpp").mkdir()
    (tmp_path / "mbpp" / "mbpp.jsonl").write_text('{"task_id": 1, "text": "x"}\n', encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match=r"record 1 lacks field\(s\) code, test_list"):
        load_mbpp("full", data_dir=tmp_path)


def test_ds1000_published_format(tmp_path):
    (tmp_path / "ds1000").mkdir()
    rows = [{"prompt": "import numpy as np\n", "reference_code": "result = a.sum()", "code_context": "",
             "metadata": {"problem_id": i, "library": "Numpy"}} for i in range(3)]
    with gzip.open(tmp_path / "ds1000" / "ds1000.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    records = load_ds1000(tmp_path)
    assert [r["task_id"] for r in records] == ["0", "1", "2"]
    assert records[2]["metadata"]["library"] == "Numpy"
    assert BENCHMARKS["ds1000"].is_available(tmp_path)


def test_last_boxed_balances_braces():
    assert last_boxed(r"so $x=\boxed{\frac{1}{2}}$ and \boxed{3}") == "3"
    assert last_boxed(r"\boxed{\frac{a}{b}}") == r"\frac{a}{b}"
    assert last_boxed("no answer") is None


# ---------------------------------------------------------------- the real files in ../shared/benchmarks


@pytest.mark.shared
def test_multilingual_counts(benchmarks_dir):
    counts = {lang: len(load_humaneval_multilingual(lang, benchmarks_dir))
              for lang in ("cpp", "cs", "java", "js", "php", "python", "sh", "ts")}
    assert counts == {"cpp": 161, "cs": 158, "java": 158, "js": 161, "php": 161, "python": 164, "sh": 158,
                      "ts": 159}
    cpp = load_humaneval_multilingual("cpp", benchmarks_dir)
    assert cpp[0]["task_id"] == "HumanEval_23_strlen" and cpp[0]["stop_tokens"] == ["\n}"]
    py = load_humaneval_multilingual("python", benchmarks_dir)
    assert py[0]["language"] == "python" and "canonical_solution" in py[0] and py[0]["tests"] == py[0]["test"]


@pytest.mark.shared
def test_mbpp_splits_follow_the_paper(benchmarks_dir, tmp_path):
    full, test, shots = (load_mbpp(s, benchmarks_dir) for s in ("full", "test", "shots"))
    assert len(full) == 974 and len(test) == 500
    assert [r["task_id"] for r in shots] == [2, 3, 4]
    assert (test[0]["task_id"], test[-1]["task_id"]) == (11, 510)
    assert isinstance(test[0]["test_list"], list) and len(test[0]["test_list"]) == 3
    # only mbpp_test.jsonl present: same records in the same schema
    (tmp_path / "mbpp").mkdir()
    shutil.copy(benchmarks_dir / "mbpp" / "mbpp_test.jsonl", tmp_path / "mbpp")
    alone = load_mbpp("test", tmp_path)
    assert [(r["task_id"], r["text"], r["code"], r["test_list"]) for r in alone] == [
        (r["task_id"], r["text"], r["code"], r["test_list"]) for r in test]
    assert BENCHMARKS["mbpp"].is_available(tmp_path) and not BENCHMARKS["mbpp-full"].is_available(tmp_path)


@pytest.mark.shared
def test_infilling_leetcode_and_pal_counts(benchmarks_dir):
    assert [len(load_humaneval_infilling(m, benchmarks_dir)) for m in ("single", "multi", "random_span")] == [
        1033, 5815, 1640]
    leet = load_leetcode_contest(benchmarks_dir)
    assert len(leet) == 180 and leet[0]["meta"]["difficulty"] == "Easy"
    sizes = {n: len(load_pal_math(n, benchmarks_dir)) for n in ("gsm8k", "math", "gsm-hard", "svamp", "asdiv",
                                                                   "mawps")}
    assert sizes == {"gsm8k": 1319, "math": 5000, "gsm-hard": 1319, "svamp": 1000, "asdiv": 2215, "mawps": 2065}
    gsm = load_pal_math("gsm8k", benchmarks_dir)
    assert (gsm[0]["task_id"], gsm[0]["gold"]) == ("0", "18")
    assert load_pal_math("math", benchmarks_dir)[0]["gold"] == "2"
    assert load_pal_math("asdiv", benchmarks_dir)[0]["gold"] == "9"
    assert load_pal_math("svamp", benchmarks_dir)[0]["question_text"].startswith("There are 87 oranges")
    assert load_pal_prompt("math", benchmarks_dir).startswith("Let's use python to solve math problems.")
    assert available_benchmarks(benchmarks_dir) == [n for n in BENCHMARKS if n != "ds1000"]
