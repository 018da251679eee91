"""LeetCode contest (report §4.1, Table 4; DeepSeek-Coder ``Evaluation/LeetCode``): 180 problems from July 2023
to January 2024, instruct models only. Greedy, 1024 new tokens, the problem's 100 test cases, 10 s per program
(the script's default); scores also per difficulty (Easy / Medium / Hard), like the repository's table.

``protocol: deepseek`` (default) is ``vllm_inference.py`` + ``evaluate_leetcode.py``: the user message is
``prompt_sft`` (plus, with ``cot``, the script's "You need first write a step-by-step outline and then write the
code."), the rendered chat template goes to vLLM as a string, so the ids start with two BOS; the code is
extracted by :func:`~dscoder.evaluation.extract.leetcode_code_official` and run after the script's import list
(with ``from functools import *``) through ``exec`` in a fresh namespace, so ``if __name__ == "__main__":``
blocks do not run.

``protocol: strict`` sends one BOS (what the chat template means), the report's wording ("You need first to
write ..."), extracts with :func:`~dscoder.evaluation.extract.leetcode_code` (any python fence tag, blocks
without a newline before the closing fence, unterminated blocks) and runs the program as a script.
"""

from __future__ import annotations

from typing import Any

from dscoder.evaluation.extract import (
    leetcode_code,
    leetcode_code_official,
    leetcode_import_helper,
)
from dscoder.evaluation.generation import Request
from dscoder.evaluation.metrics import mean
from dscoder.evaluation.tasks.base import Program, Task, execute_programs, with_tests

__all__ = ["COT_SENTENCE", "COT_SENTENCE_OFFICIAL", "LeetCodeTask"]

#: The chain-of-thought sentence as the report words it (``protocol: strict``).
COT_SENTENCE = "You need first to write a step-by-step outline and then write the code."
#: As ``vllm_inference.py`` words it (``protocol: deepseek``).
COT_SENTENCE_OFFICIAL = "You need first write a step-by-step outline and then write the code."


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

    def user_message(self, problem: dict[str, Any]) -> str:
        """``prompt_sft``, with the protocol's chain-of-thought sentence on a new line when ``cot`` is set."""
        if not self.cfg.cot:
            return problem["prompt_sft"]
        return problem["prompt_sft"] + "\n" + (COT_SENTENCE_OFFICIAL if self.protocol == "deepseek" else COT_SENTENCE)

    def request(self, problem: dict[str, Any]) -> Request:
        return Request(problem["task_id"], self.user_message(problem), (), self.budget(1024), chat=True,
                       double_bos=self.protocol == "deepseek")

    def completion(self, problem: dict[str, Any], output: str) -> str:
        if self.protocol == "deepseek":
            return leetcode_code_official(output, self.user_message(problem))
        return leetcode_code(output, problem["prompt_sft"])

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        source = leetcode_import_helper() + completion + "\n" + problem["test"] + "\n"
        return with_tests("python", source, problem["test"], official_exec=self.protocol == "deepseek")

    def judge(self, problems, completions, sandbox):
        programs = [self.program(p, c) for p, c in zip(problems, completions)]
        verdicts = execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}",
                                    protocol=self.protocol)
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
