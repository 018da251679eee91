"""PAL math (report §4.3, Table 7; DeepSeek-Coder ``Evaluation/PAL-Math``): GSM8K, MATH, GSM-Hard, SVAMP, ASDiv,
MAWPS (TabMWP's data is not in the source repository, so it is absent here).

Prompt: the few-shot ``solution()`` prompt (``prompts/math.md`` for MATH, ``prompts/gsm8k.md`` for the others)
then ``"\\n\\nQuestion: {question}\\n"``; greedy, 512 new tokens, 2048 tokens in all, stop at ``Question`` or
``----------------``. The python block defining ``solution()`` is run in the sandbox (5 s, as the script's
executor) and ``solution()``'s value is compared with the reference by :func:`~dscoder.evaluation.math_answers.math_equal`.
"""

from __future__ import annotations

from typing import Any

from dscoder.evaluation.extract import pal_solution_code
from dscoder.evaluation.generation import Request
from dscoder.evaluation.math_answers import math_equal
from dscoder.evaluation.tasks.base import Program, Task, execute_programs

__all__ = ["PAL_STOPS", "PALMathTask"]

PAL_STOPS = ("Question", "----------------")
_DISPLAY = {"gsm8k": "GSM8K", "math": "MATH", "gsm-hard": "GSM-Hard", "svamp": "SVAMP", "asdiv": "ASDiv",
            "mawps": "MAWPS"}


class PALMathTask(Task):
    metric = "accuracy"
    timeout_s = 5.0

    def __init__(self, cfg, data_dir=None, dataset: str = "gsm8k"):
        super().__init__(cfg, data_dir)
        self.dataset = dataset
        self.name = f"pal-{dataset}"
        self.display = _DISPLAY[dataset]

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_pal_math, load_pal_prompt

        self._fewshot = load_pal_prompt(self.dataset, data_dir=self.data_dir)
        return load_pal_math(self.dataset, data_dir=self.data_dir, source=self.cfg.source)

    def request(self, problem: dict[str, Any]) -> Request:
        prompt = f"{self._fewshot}\n\nQuestion: {problem['question_text']}\n"
        return Request(str(problem["task_id"]), prompt, PAL_STOPS, self.budget(512))

    def completion(self, problem: dict[str, Any], output: str) -> str:
        return pal_solution_code(output)

    def program(self, completion: str) -> Program | None:
        if not completion.strip():
            return None
        return Program("python", completion + "\n\nprint(solution())\n")

    def judge(self, problems, completions, sandbox):
        programs = [self.program(c) for c in completions]
        verdicts = execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}")
        for problem, verdict in zip(problems, verdicts):
            lines = verdict["stdout"].strip().splitlines()
            prediction = lines[-1].strip() if verdict["passed"] and lines else None
            verdict["prediction"], verdict["gold"] = prediction, problem["gold"]
            verdict["ran"] = verdict["passed"]
            verdict["passed"] = math_equal(prediction, problem["gold"])
        return verdicts
