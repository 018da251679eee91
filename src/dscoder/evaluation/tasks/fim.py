"""Fill-in-the-middle single-line infilling (report §4.2, Table 6; docs/paper.md).

The prompt is the PSM inference prompt ``<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>`` (built by
:func:`dscoder.tokenization.special_tokens.fim_prompt`) with BOS; greedy; the model writes one line (stop at
the first newline, 64 new tokens at most). Score: line exact match (first non-blank line, surrounding
whitespace ignored). On HumanEval-SingleLineInfilling (Python) the filled program also runs against the
problem's tests for an execution pass@1 when code execution is allowed.

The report's table also has Java and JavaScript single-line sets (from SantaCoder's evaluation); their data is
not available here, so only Python is implemented. ``fim-files`` builds the same kind of problems from held-out
file records (e.g. the demo's held-out repositories): one seeded line per problem, exact match only.
"""

from __future__ import annotations

import random
from typing import Any

from dscoder.evaluation.extract import first_nonblank_line
from dscoder.evaluation.generation import Request
from dscoder.evaluation.metrics import mean, normalize_line
from dscoder.evaluation.tasks.base import Program, Task, execute_programs
from dscoder.tokenization.special_tokens import fim_prompt

__all__ = ["FileInfillingTask", "SingleLineInfillingTask", "line_problems"]


class _LineInfilling(Task):
    metric = "exact_match"
    needs_execution = False

    def request(self, problem: dict[str, Any]) -> Request:
        return Request(str(problem["task_id"]), fim_prompt(problem["prompt"], problem["suffix"]), ("\n",), self.budget(64))

    def completion(self, problem: dict[str, Any], output: str) -> str:
        return output.split("\n", 1)[0]

    def judge(self, problems, completions, sandbox):
        return [
            {"passed": normalize_line(c) == normalize_line(p["canonical_solution"]), "exact_match": None}
            for p, c in zip(problems, completions)
        ]

    def summarize(self, verdicts):
        return {"exact_match": 100.0 * mean(float(v["passed"]) for v in verdicts)}


class SingleLineInfillingTask(_LineInfilling):
    """HumanEval-SingleLineInfilling (1033 problems): exact match, plus execution pass@1 with a sandbox."""

    name = "fim-single-line"
    display = "FIM single-line (Python)"
    timeout_s = 10.0

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_humaneval_infilling

        return load_humaneval_infilling("single", data_dir=self.data_dir, source=self.cfg.source)

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        line = first_nonblank_line(completion)
        return Program(
            "python",
            problem["prompt"] + line + "\n" + problem["suffix"] + "\n" + problem["test"]
            + f"\ncheck({problem['entry_point']})\n",
        )

    def judge(self, problems, completions, sandbox):
        verdicts = super().judge(problems, completions, sandbox)
        if sandbox is not None:
            programs = [self.program(p, c) for p, c in zip(problems, completions)]
            for verdict, run in zip(verdicts, execute_programs(sandbox, programs, self.timeout_s, "execute fim")):
                verdict["executed_pass"], verdict["status"], verdict["stderr"] = run["passed"], run["status"], run["stderr"]
        for v in verdicts:
            v["exact_match"] = v["passed"]
        return verdicts

    def summarize(self, verdicts):
        scores = super().summarize(verdicts)
        executed = [v["executed_pass"] for v in verdicts if "executed_pass" in v]
        if executed:
            scores["pass@1"] = 100.0 * mean(float(x) for x in executed)
        return scores


def line_problems(
    repos: dict[str, dict[str, dict]], per_repo: int, seed: int, min_chars: int = 8,
    prefix_lines: int = 60, suffix_lines: int = 30,
) -> list[dict[str, Any]]:
    """Seeded single-line infilling problems from file records: a line with at least ``min_chars`` non-blank
    characters becomes the middle; up to ``prefix_lines`` / ``suffix_lines`` lines before / after it, the
    prefix / suffix (a window, so that the FIM prompt is never cut)."""
    rng = random.Random(seed)
    problems = []
    for repo in sorted(repos):
        files = repos[repo]
        candidates = []
        for path in sorted(files):
            lines = files[path]["text"].split("\n")
            candidates += [(path, i) for i, line in enumerate(lines) if len(line.strip()) >= min_chars]
        for path, i in sorted(rng.sample(candidates, min(per_repo, len(candidates)))):
            lines = files[path]["text"].split("\n")
            problems.append({
                "task_id": f"{repo}/{path}:L{i + 1}",
                "repo": repo,
                "path": path,
                "language": files[path].get("language"),
                "prompt": "".join(line + "\n" for line in lines[max(0, i - prefix_lines) : i]),
                "canonical_solution": lines[i] + "\n",
                "suffix": "\n".join(lines[i + 1 : i + 1 + suffix_lines]),
            })
    return problems


class FileInfillingTask(_LineInfilling):
    """``fim-files``: single-line infilling on held-out file records (``data:`` a folder or file of records)."""

    name = "fim-files"
    display = "FIM held-out files"

    def load(self) -> list[dict[str, Any]]:
        from dscoder.evaluation.file_records import read_repositories

        if self.cfg.data is None:
            raise ValueError("fim-files: set 'data' to a folder (or file) of held-out file records")
        return line_problems(read_repositories(self.cfg.data), self.cfg.max_problems_per_repo, self.cfg.seed)
