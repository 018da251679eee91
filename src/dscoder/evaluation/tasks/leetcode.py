"""LeetCode contest (report §4.1, Table 4; DeepSeek-Coder ``Evaluation/LeetCode``): 180 problems from July 2023
to January 2024, instruct models only.

The user message is the record's ``prompt_sft`` (plus, for the chain-of-thought variant, the report's
sentence "You need first to write a step-by-step outline and then write the code."; the released script words
it "You need first write ..."), rendered with the model's chat template; greedy, 1024 new tokens. The code is
extracted as ``evaluate_leetcode.py`` does and run with the problem's 100 test cases. Scores are also given
per difficulty (Easy / Medium / Hard), like the repository's table.
"""

from __future__ import annotations

from typing import Any

from dscoder.evaluation.extract import leetcode_code, python_import_helper
from dscoder.evaluation.generation import Request
from dscoder.evaluation.metrics import mean
from dscoder.evaluation.tasks.base import Program, Task, execute_programs

__all__ = ["COT_SENTENCE", "LeetCodeTask"]

COT_SENTENCE = "You need first to write a step-by-step outline and then write the code."


class LeetCodeTask(Task):
    metric = "pass@1"
    timeout_s = 10.0

    def __init__(self, cfg, data_dir=None):
        super().__init__(cfg, data_dir)
        self.name = "leetcode-cot" if cfg.cot else "leetcode"
        self.display = "LeetCode + CoT" if cfg.cot else "LeetCode"

    uses_chat_template = True  # instruct models only (report §4.1)

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_leetcode_contest

        return load_leetcode_contest(data_dir=self.data_dir, source=self.cfg.source)

    def request(self, problem: dict[str, Any]) -> Request:
        prompt = problem["prompt_sft"]
        if self.cfg.cot:
            prompt = prompt + "\n" + COT_SENTENCE
        return Request(problem["task_id"], prompt, (), self.budget(1024), chat=True)

    def completion(self, problem: dict[str, Any], output: str) -> str:
        return leetcode_code(output, problem["prompt_sft"])

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        return Program("python", python_import_helper() + completion + "\n" + problem["test"] + "\n")

    def judge(self, problems, completions, sandbox):
        programs = [self.program(p, c) for p, c in zip(problems, completions)]
        verdicts = execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}")
        for problem, verdict in zip(problems, verdicts):
            verdict["difficulty"] = (problem.get("meta") or {}).get("difficulty")
        return verdicts

    def summarize(self, verdicts):
        scores = super().summarize(verdicts)
        for level in ("Easy", "Medium", "Hard"):
            group = [v for v in verdicts if v.get("difficulty") == level]
            if group:
                scores[f"pass@1 {level}"] = 100.0 * mean(float(v["passed"]) for v in group)
        return scores
