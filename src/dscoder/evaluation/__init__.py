"""The report's evaluation suite (§4; docs/paper.md) with a real execution sandbox.

* :func:`run_eval_suite` / :func:`load_suite` (:mod:`.suite`): run an ``eval/*.yaml`` suite on a checkpoint;
* :mod:`.tasks`: HumanEval (8 languages, base and instruct), MBPP, LeetCode, PAL math, FIM, cross-file, DS-1000;
* :class:`Sandbox` (:mod:`.sandbox`): one isolated process per program, opt-in only;
* :mod:`.generation`: batched greedy HF ``generate`` with stop strings (optional vLLM), per-sample checkpoints;
* :mod:`.metrics`, :mod:`.report`: pass@k, exact match, edit similarity; tables beside the paper's numbers;
* :mod:`.code_eval`: ``code_eval``'s API on the same engine, and ``evaluate.load(metric_path("code_eval_sandboxed"))``.

Names load on first use, so ``import dscoder.evaluation`` stays cheap.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "run_eval_suite": "suite",
    "load_suite": "suite",
    "SuiteConfig": "suite",
    "SandboxConfig": "suite",
    "Sandbox": "sandbox",
    "CodeExecutionNotAllowed": "sandbox",
    "TaskConfig": "tasks",
    "TASKS": "tasks",
    "build_task": "tasks",
    "GenerationSettings": "generation",
    "pass_at_k": "metrics",
    "exact_match": "metrics",
    "edit_similarity": "metrics",
    "compute_code_eval": "code_eval",
    "metric_path": "code_eval",
}
__all__ = [  # noqa: RUF022 - grouped as in _LAZY
    "run_eval_suite",
    "load_suite",
    "SuiteConfig",
    "SandboxConfig",
    "Sandbox",
    "CodeExecutionNotAllowed",
    "TaskConfig",
    "TASKS",
    "build_task",
    "GenerationSettings",
    "pass_at_k",
    "exact_match",
    "edit_similarity",
    "compute_code_eval",
    "metric_path",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
