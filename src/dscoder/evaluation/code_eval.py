"""``code_eval`` (the Hub's ``evaluate`` metric of Chen et al. 2021) on dscoder's engine, plus where its
``evaluate`` script lives in the installed package.

:func:`compute_code_eval` takes ``code_eval``'s inputs and returns ``code_eval``'s result shape, computed by the
same pieces as ``dscoder eval`` (report §4): each candidate runs as ``candidate + "\\n" + test`` through
:func:`~dscoder.evaluation.tasks.base.execute_programs` (one sandboxed process per program, an end marker after
the tests) and pass@k is :func:`~dscoder.evaluation.metrics.pass_at_k`. The Hub's own ``code_eval`` is fetched
from the Hub at load time (so it fails offline) and runs candidates in threads of the caller's process; this
one loads from the package (``evaluate.load(metric_path("code_eval_sandboxed"))``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

METRIC_SCRIPTS_DIR = Path(__file__).resolve().parent / "metric_scripts"
"""``evaluate`` metric scripts shipped in the package, one folder per metric (script + card README.md)."""

__all__ = ["METRIC_SCRIPTS_DIR", "compute_code_eval", "metric_path"]


def metric_path(name: str = "code_eval_sandboxed") -> str:
    """The folder of the packaged ``evaluate`` metric ``name``: ``evaluate.load(metric_path(name))`` loads it
    offline, from the installed package."""
    folder = METRIC_SCRIPTS_DIR / name
    if not (folder / f"{name}.py").is_file():
        known = sorted(p.name for p in METRIC_SCRIPTS_DIR.iterdir() if (p / f"{p.name}.py").is_file())
        raise ValueError(f"no packaged evaluate metric {name!r}; known: {', '.join(known)}")
    return str(folder)


def _result_text(verdict: dict) -> str:
    """``code_eval``'s ``result`` string: "passed", "timed out" or "failed: <why>" (the error's last line)."""
    if verdict["passed"]:
        return "passed"
    if verdict["status"] == "timeout":
        return "timed out"
    lines = [line for line in verdict.get("stderr", "").splitlines() if line.strip()]
    return f"failed: {lines[-1].strip() if lines else verdict['status']}"


def compute_code_eval(
    predictions: Sequence[Sequence[str]],
    references: Sequence[str],
    k: int | Sequence[int] = (1, 10, 100),
    num_workers: int | None = None,
    timeout: float = 3.0,
    allow_code_execution: bool = False,
) -> tuple[dict[str, float], defaultdict[int, list[tuple[int, dict]]]]:
    """``(pass_at_k, results)`` exactly shaped like ``code_eval``'s: ``pass_at_k`` maps ``"pass@k"`` to the mean
    unbiased estimate (0..1) for each k that every problem has at least k candidates for; ``results`` is a
    ``defaultdict(list)`` from problem index to ``[(completion_id, {"task_id", "passed", "result",
    "completion_id"}), ...]`` sorted by completion id.

    Code runs only with ``allow_code_execution=True`` or ``HF_ALLOW_CODE_EVAL=1`` (``code_eval``'s opt-in).
    """
    from dscoder.evaluation.metrics import pass_at_k
    from dscoder.evaluation.sandbox import Sandbox
    from dscoder.evaluation.tasks.base import execute_programs, with_tests

    if len(predictions) != len(references):
        raise ValueError(f"code_eval: {len(predictions)} prediction lists for {len(references)} references")
    allowed = allow_code_execution or os.environ.get("HF_ALLOW_CODE_EVAL") == "1"
    programs, owner = [], []
    for task_id, (candidates, test) in enumerate(zip(predictions, references)):
        if isinstance(candidates, str):
            raise TypeError(f"code_eval: predictions[{task_id}] must be a list of candidates, got a string")
        for completion_id, candidate in enumerate(candidates):
            programs.append(with_tests("python", candidate + "\n" + test + "\n", test + "\n"))
            owner.append((task_id, completion_id))
    with Sandbox(allow_code_execution=allowed, workers=num_workers) as sandbox:
        verdicts = execute_programs(sandbox, programs, timeout_s=float(timeout))
    results: defaultdict[int, list[tuple[int, dict]]] = defaultdict(list)
    for (task_id, completion_id), verdict in zip(owner, verdicts):
        results[task_id].append((completion_id, {"task_id": task_id, "passed": bool(verdict["passed"]),
                                                 "result": _result_text(verdict), "completion_id": completion_id}))
    totals = [len(results[t]) for t in results]
    correct = [sum(r["passed"] for _, r in results[t]) for t in results]
    ks = [k] if isinstance(k, int) else list(k)
    scores = {f"pass@{x}": pass_at_k(totals, correct, x) for x in ks if totals and min(totals) >= x}
    return scores, results
