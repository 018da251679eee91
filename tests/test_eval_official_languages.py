"""TypeScript, JavaScript and C# under ``protocol: deepseek`` against the official ``check_correctness``
(``Evaluation/HumanEval/human_eval/execution.py``): for the programs of
``data/eval_constructed/languages-{ts,js,cs}.jsonl`` -- ES2016+ library calls, output on stdout/stderr, early
exits, uncaught exceptions, "Fail" on stderr -- the same verdict; ``protocol: strict`` against the expectations
written beside each program. Skips a language whose toolchain is missing (``make toolchains``)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import official_oracle as oracle
import pytest

from dscoder.evaluation.languages import missing_toolchain
from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks.base import Program, execute_programs

DATA = Path(__file__).parent / "data" / "eval_constructed"
TIMEOUT_S = 10.0  # humaneval.py's timeout for these languages


def _cases(language: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / f"languages-{language}.jsonl").read_text().splitlines() if line]


@pytest.mark.parametrize("language", [pytest.param("ts", marks=pytest.mark.exhaustive), "js", pytest.param("cs", marks=pytest.mark.exhaustive)])
def test_verdicts_match_the_official_harness(language, tmp_path, monkeypatch):
    if missing_toolchain(language):
        pytest.skip(f"toolchain missing for {language}: {', '.join(missing_toolchain(language))}")
    cases = _cases(language)
    assert len(cases) >= 30
    monkeypatch.chdir(oracle.require(oracle.OFFICIAL_DIR / "HumanEval"))
    # The official check limits each build to the run's timeout (and the whole check to it + 1 s): on a loaded
    # machine tsc alone can take longer, so the oracle gets a minute and time is not what decides its verdicts.
    oracle_timeout = 60.0 if language == "ts" else TIMEOUT_S
    oracle.official("HumanEval")  # load once, before the threads (loading swaps sys.modules entries)
    with ThreadPoolExecutor(max_workers=2) as pool:
        theirs = list(pool.map(
            lambda c: oracle.verdict("HumanEval", c["program"], language, oracle_timeout, tmp_path, f"{language}-{c['id']}"),
            cases))
    programs = [Program(language, c["program"]) for c in cases]
    with Sandbox(allow_code_execution=True, workers=2) as sandbox:
        ours = [v["passed"] for v in execute_programs(sandbox, programs, TIMEOUT_S, protocol="deepseek")]
        strict = [v["passed"] for v in execute_programs(sandbox, programs, TIMEOUT_S, protocol="strict")]
    ids = [c["id"] for c in cases]
    documented = {c["id"] for c in cases if c.get("differs_from_official")}  # eval/README lists them
    assert {i: (a, b) for i, a, b in zip(ids, ours, theirs) if (a != b) != (i in documented)} == {}
    assert {i: a for i, a, c in zip(ids, ours, cases) if a != c["expect_deepseek"]} == {}
    assert {i: a for i, a, c in zip(ids, strict, cases) if a != c["expect_strict"]} == {}
    assert sum(a != b for a, b in zip(ours, strict)) >= 8  # the suite is about verdicts that flip
