"""``dscoder eval SUITE --generations FILE`` (outputs made elsewhere, no model) and ``--timeout-scale``."""

from __future__ import annotations

import json

import pytest

from dscoder.evaluation.external_generations import ExternalGenerations, read_generations
from dscoder.evaluation.suite import SuiteConfig, run_eval_suite
from dscoder.evaluation.tasks import TaskConfig
from dscoder_cli import main

LEETCODE_SOLUTION = ("```python\nclass Solution:\n    def minimumPushes(self, word: str) -> int:\n"
                     "        return sum(i // 8 + 1 for i in range(len(word)))\n```")


def _fenced_gsm_hard_answers(benchmarks_dir, n):
    rows = [json.loads(line) for line in (benchmarks_dir / "pal-math" / "gsm-hard" / "test.json").open()][:n]
    return [f"Let me write it.\n```python\n{r['code'].strip()}\n```\n" for r in rows]


def test_bigcode_json_is_scored_through_the_protocol_without_a_model(benchmarks_dir, tmp_path):
    right = _fenced_gsm_hard_answers(benchmarks_dir, 3)
    wrong = "```python\ndef solution():\n    return -1\n```"
    path = tmp_path / "generations.json"
    path.write_text(json.dumps([[right[0]], [wrong], [right[2], wrong]]))  # the last problem has two samples
    suite = SuiteConfig(name="ext", tasks=[TaskConfig(task="pal-gsm-hard")], limit=3)
    summary = run_eval_suite(suite, "api-model", tmp_path / "out", allow_code_execution=True,
                             data_dir=benchmarks_dir, show=False, generations=path)
    row = summary["rows"][0]
    assert (row["status"], row["n"], row["score"], row["protocol"]) == ("ok", 3, 50.0, "deepseek")
    samples = json.loads((tmp_path / "out" / "pal-gsm-hard" / "results.json").read_text())["samples"]
    assert [s["passed"] for s in samples] == [True, False, True, False]
    assert samples[0]["output"] == right[0] and samples[0]["completion"].startswith("def solution():")
    assert not (tmp_path / "out" / "pal-gsm-hard" / "generations.jsonl").exists()


def test_evalplus_jsonl_through_the_cli(benchmarks_dir, tmp_path, capsys):
    problems = [json.loads(line) for line in (benchmarks_dir / "leetcode" / "20240121-Jul.jsonl").open()][:2]
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": problems[0]["task_id"], "solution": LEETCODE_SOLUTION}) + "\n"
                       + json.dumps({"task_id": problems[1]["task_id"], "completion": "no code here"}) + "\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: ext\ntasks:\n  - task: leetcode\n    mode: instruct\n  - task: pal-gsm8k\n")
    out = tmp_path / "out"
    args = ["eval", str(suite), "--generations", str(samples), "--allow-code-execution", "--limit", "2",
            "--data-dir", str(benchmarks_dir), "--output", str(out)]
    assert main(args) == 1 and "--generations scores one task: add --task NAME" in capsys.readouterr().err
    assert main([*args, "--task", "leetcode", "--timeout-scale", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    row = summary["rows"][0]
    assert (row["task"], row["n"], row["score"], row["scores"]["pass@1 Easy"]) == ("leetcode", 2, 50.0, 100.0)
    assert main([*args, "--task", "leetcode", "--timeout-scale", "0"]) == 1
    assert "--timeout-scale must be > 0" in capsys.readouterr().err


def test_timeout_scale_multiplies_the_official_limits(benchmarks_dir, tmp_path, monkeypatch):
    seen = []

    def record(sandbox, programs, timeout_s, progress=None, protocol="deepseek"):
        seen.append(timeout_s)
        return [{"passed": False, "status": "failed", "step": "run", "stdout": "", "stderr": "", "wall_s": 0.0}
                for _ in programs]

    monkeypatch.setattr("dscoder.evaluation.tasks.leetcode.execute_programs", record)
    path = tmp_path / "g.json"
    path.write_text(json.dumps([["x"]]))
    suite = SuiteConfig(name="ext", tasks=[TaskConfig(task="leetcode", mode="instruct")], limit=1, timeout_scale=2.0)
    run_eval_suite(suite, "m", tmp_path / "a", allow_code_execution=True, data_dir=benchmarks_dir, show=False,
                   generations=path)
    run_eval_suite(suite, "m", tmp_path / "b", allow_code_execution=True, data_dir=benchmarks_dir, show=False,
                   generations=path, timeout_scale=3.5)
    assert seen == [20.0, 35.0]  # LeetCode's official 10 s, scaled by the suite, then by the argument


def test_file_errors_name_the_file_and_record(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "HumanEval/0", "solution": "x"}\n{"task_id": "HumanEval/1"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: task_id 'HumanEval/1' has no solution or completion"):
        read_generations(bad)
    nested = tmp_path / "bad.json"
    nested.write_text('[["a"], "b"]')
    with pytest.raises(ValueError, match=r"bad.json: entry 1 is not a list of strings"):
        read_generations(nested)
    with pytest.raises(ValueError, match=r"cannot read the generations file"):
        read_generations(tmp_path / "absent.json")


def test_evalplus_ids_match_by_number_and_prompts_are_removed(tmp_path):
    keys = ["HumanEval_0_has_close_elements", "HumanEval_1_separate_paren_groups"]
    ext = ExternalGenerations(tmp_path / "s.jsonl", by_id={"HumanEval/1": ["def g(): pass"],
                                                           "HumanEval/0": ["PROMPT    return 1", "    return 2"]})
    assert ext.outputs_for([{}, {}], keys, ["PROMPT", "P2"]) == [["    return 1", "    return 2"], ["def g(): pass"]]
    with pytest.raises(ValueError, match=r"no sample for 1 problem\(s\), e.g. task_id 'HumanEval_1_separate"):
        ExternalGenerations(tmp_path / "s.jsonl", by_id={"HumanEval/0": ["x"]}).outputs_for([{}, {}], keys, ["", ""])
    with pytest.raises(ValueError, match=r"task_id 'Mbpp/7' matches no problem"):
        ExternalGenerations(tmp_path / "s.jsonl", by_id={"Mbpp/7": ["x"]}).outputs_for([{}, {}], keys, ["", ""])
    short = ExternalGenerations(tmp_path / "g.json", by_position=[["a"]])
    with pytest.raises(ValueError, match=r"1 problems' generations, the task has 2 \(use --limit 1"):
        short.outputs_for([{}, {}], keys, ["", ""])
