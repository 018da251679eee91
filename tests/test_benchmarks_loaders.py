"""Benchmark loaders (dscoder.benchmarks): the packaged copies, counts, fields, splits, loading order, clear errors.

Nothing here reaches the Hub: ``HF_HUB_OFFLINE`` is set for every test and Hub downloads are replaced by fakes."""

from __future__ import annotations

import gzip
import json
import shutil

import huggingface_hub
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
def _no_env_data_dir(monkeypatch, tmp_path_factory):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path_factory.mktemp("empty_hf_cache")))


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
    assert available_benchmarks(None) == [n for n in BENCHMARKS if n not in ("leetcode", "asdiv", "mawps", "ds1000")]
    with pytest.raises(KeyError, match="unknown benchmark 'humaneva'"):
        load_benchmark("humaneva")


def test_data_dir_comes_from_the_environment(monkeypatch, tmp_path):
    assert resolve_data_dir(None) is None
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert resolve_data_dir(None) == tmp_path
    assert resolve_data_dir("elsewhere").name == "elsewhere"


def test_missing_file_error_names_the_file(tmp_path):
    with pytest.raises(BenchmarkDataError, match=r"mbpp/mbpp_test\.jsonl"):
        load_mbpp("test", data_dir=tmp_path, source="local")
    with pytest.raises(BenchmarkDataError, match=r"^leetcode: not shipped \(LeetCode's problem statements .*\); its "
                                                 r"Hub copy TechxGenus/LeetCode-Contest is not in the HF cache and "
                                                 r"HF_HUB_OFFLINE is set: run `dscoder benchmarks download leetcode` "
                                                 r"online, or put leetcode/20240121-Jul\.jsonl in a data folder: "
                                                 r"--data-dir / \$DSCODER_BENCHMARKS_DIR \(neither is set\)$"):
        load_leetcode_contest()
    with pytest.raises(BenchmarkDataError, match=r"^asdiv: not shipped \(ASDiv is CC BY-NC 4\.0 .* and no Hub copy .*"
                                                 r"put pal-math/asdiv/test\.json .* data folder: .* \(no pal-math/asdiv"):
        load_pal_math("asdiv", data_dir=tmp_path)
    with pytest.raises(BenchmarkDataError, match=r"humaneval/HumanEval\.jsonl\.gz"):
        load_humaneval(data_dir=tmp_path, source="local")
    with pytest.raises(ValueError, match="source must be one of auto, local, hub"):
        load_leetcode_contest(source="package")


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
    assert BENCHMARKS["mbpp"].location(tmp_path) == "local" and BENCHMARKS["mbpp-full"].location(tmp_path) == "package"


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


# ---------------------------------------------------------------- the copies shipped in the package (no ../shared)

PACKAGED_COUNTS = {
    "humaneval": 164, "humaneval-python": 164, "humaneval-cpp": 161, "humaneval-java": 158, "humaneval-php": 161,
    "humaneval-ts": 159, "humaneval-cs": 158, "humaneval-sh": 158, "humaneval-js": 161, "mbpp": 500,
    "mbpp-full": 974, "humaneval-infilling-single": 1033, "humaneval-infilling-multi": 5815,
    "humaneval-infilling-random-span": 1640, "gsm8k": 1319, "math": 5000, "gsm-hard": 1319, "svamp": 1000,
}


def test_packaged_copies_load_without_a_data_folder(tmp_path):
    counts = {name: len(load_benchmark(name, data_dir=tmp_path / "absent")) for name in PACKAGED_COUNTS}
    assert counts == PACKAGED_COUNTS
    assert {name: BENCHMARKS[name].location(None) for name in BENCHMARKS} == {
        **dict.fromkeys(PACKAGED_COUNTS, "package"), "leetcode": "hub", "asdiv": "missing", "mawps": "missing",
        "ds1000": "hub"}
    assert [r["task_id"] for r in load_mbpp("shots", source="package")] == [2, 3, 4]
    assert (load_mbpp("test")[0]["task_id"], load_mbpp("test")[-1]["task_id"]) == (11, 510)
    assert load_pal_math("gsm8k", source="package")[0]["gold"] == "18"
    assert load_pal_prompt("math").startswith("Let's use python to solve math problems.")
    assert load_humaneval_multilingual("cpp", source="package")[0]["stop_tokens"] == ["\n}"]
    with pytest.raises(ValueError, match="asdiv: source must be one of auto, local; got 'package'"):
        load_pal_math("asdiv", source="package")


@pytest.mark.shared
def test_packaged_copies_equal_the_source_files(benchmarks_dir):
    for name in PACKAGED_COUNTS:
        if name != "humaneval":
            assert load_benchmark(name, source="package") == load_benchmark(name, benchmarks_dir, "local"), name
    assert load_pal_prompt("gsm8k") == (benchmarks_dir / "pal-math" / "prompts" / "gsm8k.md").read_text()


def test_data_folder_wins_over_the_package(tmp_path, monkeypatch):
    (tmp_path / "pal-math" / "svamp").mkdir(parents=True)
    row = {"Body": "Tom has 3 apples.", "Question": "How many?", "Answer": 3.0, "idx": 0}
    (tmp_path / "pal-math" / "svamp" / "test.json").write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert len(load_pal_math("svamp", data_dir=tmp_path)) == 1
    assert BENCHMARKS["svamp"].location(tmp_path) == "local"
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert load_pal_math("svamp")[0]["question_text"] == "Tom has 3 apples. How many?"
    assert len(load_pal_math("svamp", source="package")) == 1000  # the packaged copy on request
    assert len(load_pal_math("gsm8k")) == 1319  # absent from the folder: the package


def test_leetcode_comes_from_the_hf_cache_and_download_uses_the_hub_file(tmp_path, monkeypatch):
    from dscoder.benchmarks import loaders

    hub_file = loaders.HUB_FILES["leetcode"]
    cached = tmp_path / "cache" / "20240121-Jul.jsonl"
    cached.parent.mkdir()
    rows = [{"task_id": f"t{i}", "prompt": "p", "prompt_sft": "q", "test": "t", "meta": {}} for i in range(2)]
    cached.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    calls = []

    def fake_download(repo_id, filename, repo_type=None, revision=None):
        calls.append((repo_id, filename, repo_type, revision))
        return str(cached)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    assert [r["task_id"] for r in load_leetcode_contest(source="hub")] == ["t0", "t1"]
    assert calls == [(hub_file.repo_id, hub_file.filename, "dataset", hub_file.revision)]
    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda *a, **k: str(cached))
    assert BENCHMARKS["leetcode"].location(None) == "hub-cache" and BENCHMARKS["leetcode"].is_available(None)
    assert len(load_leetcode_contest()) == 2 and len(calls) == 1  # auto reads the cache, no second download


def test_shipped_files_are_named_in_data_sources_with_their_licence():
    from dscoder.benchmarks.loaders import NOT_SHIPPED, PACKAGE_DATA_DIR

    card = (PACKAGE_DATA_DIR / "DATA_SOURCES.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in card.splitlines() if line.startswith("| `")}
    shipped = sorted(str(p.relative_to(PACKAGE_DATA_DIR)) for p in PACKAGE_DATA_DIR.rglob("*")
                     if p.is_file() and p.suffix in (".gz", ".md") and p.name != "DATA_SOURCES.md")
    assert shipped and sorted(n for n in rows if "/" in n) == shipped
    for name in shipped:
        assert any(lic in rows[name] for lic in ("MIT", "CC BY 4.0")), name
        if name.endswith(".gz"):
            with gzip.open(PACKAGE_DATA_DIR / name, "rt", encoding="utf-8") as fh:
                assert f"| {sum(1 for line in fh if line.strip())} |" in rows[name], name
    for name in NOT_SHIPPED:
        assert f"| `{name}` (" in card, name
    for spec in BENCHMARKS.values():
        assert spec.licence and spec.source, spec.name
    licences = {p.name for p in PACKAGE_DATA_DIR.glob("LICENSE-*")}
    assert licences == {"LICENSE-DeepSeek-Coder-MIT.txt", "LICENSE-human-eval-infilling-MIT.txt",
                        "LICENSE-MultiPL-E-BSD-3-Clause-ML.txt", "LICENSE-upstream-datasets.txt"}
    assert all(f"`{name}`" in card for name in licences)


def test_no_shipped_code_or_suite_points_at_the_development_benchmarks_folder():
    """The package, the suites, recipes and pipelines never read ../shared/benchmarks (it exists only here)."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"shared/benchmarks|[\"']shared[\"']\s*/\s*[\"']benchmarks[\"']")
    files = [p for d in ("src", "eval", "recipes", "datatrove_pipelines") for p in (repo / d).rglob("*")
             if p.suffix in (".py", ".yaml", ".yml", ".md", ".toml") and p.is_file()] + [repo / "Makefile"]
    offenders = [f"{p.relative_to(repo)}:{i}" for p in files if p.exists()
                 for i, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []
