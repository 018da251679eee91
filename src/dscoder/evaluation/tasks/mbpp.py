"""MBPP 3-shot (report §4.1, Table 3; DeepSeek-Coder ``Evaluation/MBPP``).

Rows 1-3 of the 974-row file are the shots, rows 10-509 the 500 test problems (both from
:func:`dscoder.benchmarks.load_mbpp`). Each shot and the question read "You are an expert Python programmer,
and here is your task: {text} Your code should pass these tests:\\n\\n{tests}\\n[BEGIN]"; shots end with
"\\n{code}\\n[DONE]\\n" (carriage returns removed, tabs as four spaces). Greedy, stop at ``[DONE]``; the
program is the completion, the problem's ``test_setup_code`` and its asserts. (The script drops shots
whose prompt would not fit 2048 tokens; here the generator cuts the prompt from the left instead.)
"""

from __future__ import annotations

from typing import Any

from dscoder.evaluation.generation import Request
from dscoder.evaluation.tasks.base import Program, Task, execute_programs

__all__ = ["MBPPTask", "mbpp_question", "mbpp_shots"]

STOP = "[DONE]"


def mbpp_question(record: dict[str, Any]) -> str:
    tests = "\n".join(record["test_list"])
    return (
        f"You are an expert Python programmer, and here is your task: {record['text']} "
        f"Your code should pass these tests:\n\n{tests}\n[BEGIN]"
    )


def mbpp_shots(shots: list[dict[str, Any]]) -> str:
    parts = []
    for shot in shots:
        code = shot["code"].replace("\r", "").replace("\t", "    ")
        parts.append(f"{mbpp_question(shot)}\n{code}\n{STOP}\n")
    return "".join(parts)


class MBPPTask(Task):
    name = "mbpp"
    display = "MBPP"
    metric = "pass@1"
    timeout_s = 10.0

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_mbpp

        self._shots = mbpp_shots(load_mbpp("shots", data_dir=self.data_dir, source=self.cfg.source))
        return load_mbpp("test", data_dir=self.data_dir, source=self.cfg.source)

    def request(self, problem: dict[str, Any]) -> Request:
        return Request(str(problem["task_id"]), self._shots + mbpp_question(problem), (STOP,), self.budget(512))

    def completion(self, problem: dict[str, Any], output: str) -> str:
        return output.split(STOP)[0].strip()

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        setup = problem.get("test_setup_code") or ""
        return Program("python", completion + "\n" + setup + "\n" + "\n".join(problem["test_list"]) + "\n")

    def judge(self, problems, completions, sandbox):
        programs = [self.program(p, c) for p, c in zip(problems, completions)]
        return execute_programs(sandbox, programs, self.timeout_s, progress="execute mbpp")
