"""DS-1000 (report §4.1, Table 5): data-science completions for seven Python libraries, completion mode, greedy.

Records in xlangai/DS-1000's format (via :func:`dscoder.benchmarks.load_ds1000`). The prompt ends where the
solution starts; generation stops at ``</code>``, ``# SOLUTION END`` or ``END SOLUTION``. The program is the
record's ``code_context`` followed by ``test_execution(code)`` (and ``test_string(code)`` where defined), the
way the benchmark's own ``test_ds1000.py`` runs it, with a 60 s limit. Problems whose library is not
installed for the sandbox's interpreter are left out of the score and counted as ``skipped_library``.
"""

from __future__ import annotations

from typing import Any

from dscoder.evaluation.generation import Request, truncate_at_stop
from dscoder.evaluation.metrics import mean
from dscoder.evaluation.sandbox import Limits, Sandbox, Step
from dscoder.evaluation.tasks.base import Program, Task, execute_programs

__all__ = ["DS1000_STOPS", "DS1000Task", "ds1000_program"]

DS1000_STOPS = ("</code>", "# SOLUTION END", "END SOLUTION")
MODULE_OF = {"numpy": "numpy", "pandas": "pandas", "scipy": "scipy", "matplotlib": "matplotlib",
             "sklearn": "sklearn", "pytorch": "torch", "tensorflow": "tensorflow"}


def ds1000_program(problem: dict[str, Any], code: str) -> str:
    context = problem.get("code_context") or ""
    program = f"{context}\ncode = {code!r}\ntest_execution(code)\n"
    if "test_string(" in context:
        program += "test_string(code)\n"
    return program


def installed_libraries(sandbox: Sandbox, libraries: set[str]) -> set[str]:
    """Which DS-1000 libraries the sandbox's interpreter can import (checked inside the sandbox)."""
    found = set()
    for library in sorted(libraries):
        module = MODULE_OF.get(library.lower(), library.lower())
        step = Step((sandbox.python, "-c", f"import {module}"), name="probe", limits=Limits(timeout_s=60))
        if sandbox.run({}, [step]).ok:
            found.add(library)
    return found


class DS1000Task(Task):
    name = "ds1000"
    display = "DS-1000"
    metric = "pass@1"
    timeout_s = 60.0

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_ds1000

        return load_ds1000(data_dir=self.data_dir, source=self.cfg.source)

    def request(self, problem: dict[str, Any]) -> Request:
        return Request(problem["task_id"], problem["prompt"], DS1000_STOPS, self.budget(1024))

    def completion(self, problem: dict[str, Any], output: str) -> str:
        code = truncate_at_stop(output, DS1000_STOPS)
        return code.replace("```python", "").replace("```", "")

    def judge(self, problems, completions, sandbox):
        libraries = {str(p["metadata"].get("library", "")) for p in problems}
        available = installed_libraries(sandbox, libraries)
        programs = [
            Program("python", ds1000_program(p, c)) if p["metadata"].get("library", "") in available else None
            for p, c in zip(problems, completions)
        ]
        verdicts = execute_programs(sandbox, programs, self.timeout_s, progress="execute ds1000")
        for problem, program, verdict in zip(problems, programs, verdicts):
            verdict["library"] = problem["metadata"].get("library")
            if program is None:
                verdict["status"] = "skipped_library"
        return verdicts

    count_scores = ("skipped_library",)

    def summarize(self, verdicts):
        scored = [v for v in verdicts if v["status"] != "skipped_library"]
        scores = {self.metric: 100.0 * mean(float(v["passed"]) for v in scored)} if scored else {}
        skipped = len(verdicts) - len(scored)
        if skipped:
            scores["skipped_library"] = float(skipped)
        return scores
