"""An evaluation suite: a YAML (``eval/*.yaml``) listing tasks, generation and sandbox settings, run end to end.

:func:`run_eval_suite` generates (checkpointed per sample), judges (in the sandbox where a task executes code),
and writes the docs/design.md layout ``<output_dir>/<task>/{generations.jsonl,results.json}`` plus
``summary.{json,md,png}``. Tasks that cannot run here are listed as skipped with the reason (missing
toolchain or library, missing benchmark data, no ``--allow-code-execution``, no chat template).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from dscoder.config import BoundedConfig, ConfigError, bounded, config_to_dict, load_yaml_config
from dscoder.evaluation.generation import (
    GenerationSettings,
    GenerationStore,
    load_generator,
)
from dscoder.evaluation.report import (
    NOTES,
    aggregate_rows,
    paper_number,
    print_summary,
    write_summary,
)
from dscoder.evaluation.sandbox import CodeExecutionNotAllowed, Sandbox
from dscoder.evaluation.tasks import TaskConfig, build_task

logger = logging.getLogger(__name__)

__all__ = ["SandboxConfig", "SuiteConfig", "load_suite", "run_eval_suite", "suite_tasks"]


@dataclass
class SandboxConfig(BoundedConfig):
    workers: int | None = bounded(None, ge=1)  #: programs run at once (default: CPU count)
    network: Literal["isolate", "allow"] = "isolate"
    python: str | None = None  #: interpreter for Python programs (default: this one, if the sandbox can run it)
    memory_mb: int = bounded(4096, ge=1)  #: RLIMIT_AS per program (languages whose runtime reserves memory are exempt)


@dataclass
class SuiteConfig(BoundedConfig):
    name: str
    tasks: list[TaskConfig]
    data_dir: Path | None = None  #: benchmark data folder (default: $DSCODER_BENCHMARKS_DIR)
    paper_size: Literal["1.3b", "6.7b", "33b"] = "1.3b"  #: which paper column to show beside the scores
    #: ``deepseek``: the official harness's protocol (the paper's numbers); ``strict``: dscoder's own (eval/README)
    protocol: Literal["deepseek", "strict"] = "deepseek"
    limit: int | None = bounded(None, ge=1)  #: default per-task limit (a task's own ``limit`` wins)
    max_new_tokens: int | None = bounded(None, ge=1)  #: default per-task budget override (smoke runs); None: the paper's
    #: multiplies every task's per-program time limit (the official harness's, e.g. 3 s for instruct HumanEval):
    #: > 1 on a slow or loaded machine, so that time limits do not turn correct programs into failures
    timeout_scale: float = bounded(1.0, gt=0)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)


def load_suite(path: str | Path, overrides: dict[str, Any] | None = None) -> SuiteConfig:
    """Read a suite YAML through the project's typed loader (unknown keys are errors naming file and key); each
    task must build (its settings fit together) and task names must be unique (:func:`suite_tasks`)."""
    cfg = load_yaml_config(path, SuiteConfig, overrides)
    suite_tasks(cfg, source=str(path))
    return cfg


def suite_tasks(cfg: SuiteConfig, data_dir: str | Path | None = None, source: str = "") -> list:
    """The suite's tasks, built (no data loaded) under the suite's protocol. A task that cannot be built, or a
    task name used twice (names key the output folders and ``--task``), is a :class:`ConfigError` naming
    ``source`` (the suite file) and the task."""
    tasks, seen = [], {}
    for i, task_cfg in enumerate(cfg.tasks):
        try:
            task = build_task(replace(task_cfg, protocol=task_cfg.protocol or cfg.protocol), data_dir)
        except ValueError as exc:
            raise ConfigError(source or cfg.name, f"tasks[{i}]", str(exc)) from None
        if task.name in seen:
            raise ConfigError(source or cfg.name, f"tasks[{i}]", f"task name {task.name!r} is already used by "
                              f"tasks[{seen[task.name]}]; names are unique in a suite (give one a `name:`)")
        seen[task.name] = i
        tasks.append(task)
    return tasks


def run_eval_suite(
    suite: str | Path | SuiteConfig,
    model_path: str | Path,
    output_dir: str | Path,
    limit: int | None = None,
    allow_code_execution: bool = False,
    data_dir: str | Path | None = None,
    workers: int | None = None,
    generator: Any = None,
    show: bool = True,
    task_data: dict[str, str | Path] | None = None,
    timeout_scale: float | None = None,
    generations: str | Path | None = None,
) -> dict[str, Any]:
    """Run every task of ``suite`` on the model at ``model_path``; return the summary (``rows`` hold one dict
    per task: task, benchmark, metric, n, score, paper, note, status, scores).

    ``limit`` caps every task's problems (quick runs); ``workers`` overrides the sandbox's parallelism;
    ``generator`` replaces the model loading (an object with ``run(requests, store)`` and ``tokenizer``);
    ``task_data`` sets the ``data`` of tasks by name, e.g. ``{"crossfile-demo": corpus, "fim-files": heldout}``;
    ``timeout_scale`` overrides the suite's. ``generations`` scores the outputs of a bigcode JSON or EvalPlus JSONL
    file instead of generating (:mod:`dscoder.evaluation.external_generations`; the suite must hold one task; no
    model is loaded and ``model_path`` only labels the results).
    """
    cfg = suite if isinstance(suite, SuiteConfig) else load_suite(suite)
    data_dir = data_dir if data_dir is not None else cfg.data_dir
    adjusted = []
    for task_cfg in cfg.tasks:
        task_limit = task_cfg.limit if task_cfg.limit is not None else cfg.limit
        if limit is not None:
            task_limit = limit if task_limit is None else min(limit, task_limit)
        budget = task_cfg.max_new_tokens if task_cfg.max_new_tokens is not None else cfg.max_new_tokens
        data = Path(task_data[task_cfg.task]) if task_data and task_cfg.task in task_data else task_cfg.data
        adjusted.append(replace(task_cfg, limit=task_limit, max_new_tokens=budget, data=data))
    # built under the suite's protocol; settings that do not fit, names used twice: before anything runs
    tasks = suite_tasks(replace(cfg, tasks=adjusted), data_dir)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    scale = timeout_scale if timeout_scale is not None else cfg.timeout_scale
    if not scale > 0:
        raise ValueError(f"timeout_scale must be > 0, got {scale}")
    for task in tasks:
        task.timeout_s = task.timeout_s * scale
    external = None
    if generations is not None:
        from dscoder.evaluation.external_generations import read_generations

        if len(tasks) != 1:
            raise ValueError(f"--generations scores one task; the suite has {len(tasks)} "
                             f"({', '.join(t.name for t in tasks)}): choose one with --task")
        external = read_generations(generations)

    sandbox = None
    if allow_code_execution and any(t.needs_execution or hasattr(t, "program") for t in tasks):
        sandbox = Sandbox(
            allow_code_execution=True,
            workers=workers or cfg.sandbox.workers,
            network=cfg.sandbox.network,
            python=cfg.sandbox.python,
            memory_bytes=cfg.sandbox.memory_mb << 20,
        )
    if generator is None and external is None:
        generator = load_generator(model_path, cfg.generation)

    rows = []
    try:
        for task in tasks:
            rows.append(_run_task(task, generator, sandbox, out, str(model_path), cfg.paper_size, external))
            _log_row(rows[-1])
    finally:
        if sandbox is not None:
            sandbox.close()
    rows += aggregate_rows(rows, cfg.paper_size)
    summary = {
        "suite": cfg.name,
        "model": str(model_path),
        "paper_size": cfg.paper_size,
        "rows": rows,
        "config": config_to_dict(cfg),
        "network_isolated": sandbox.network_isolated if sandbox is not None else None,
        "seconds": round(time.time() - started, 1),
    }
    write_summary(summary, out)
    if show:
        print_summary(summary)
    return summary


def _row(task, status: str, n: int = 0, scores: dict[str, float] | None = None, size: str = "1.3b") -> dict[str, Any]:
    scores = scores or {}
    return {
        "task": task.name,
        "benchmark": task.display,
        "metric": task.metric,
        "protocol": task.protocol,
        "checks": task.checks,
        "n": n,
        "score": scores.get(task.metric) if status == "ok" else None,
        "paper": paper_number(task.name, size),
        "note": NOTES.get(task.name, ""),
        "status": status,
        "scores": scores,
    }


def _run_task(task, generator, sandbox: Sandbox | None, out: Path, model: str, size: str,
              external=None) -> dict[str, Any]:
    from dscoder.benchmarks import BenchmarkDataError

    reason = task.skip_reason()
    if reason is None and task.needs_execution and sandbox is None:
        reason = str(CodeExecutionNotAllowed(task.name))
    if reason is None and external is not None and hasattr(task, "tokenizer") and not getattr(
            task, "tokenizer_optional", False):
        reason = "this task needs the model's tokenizer, which --generations does not load"
    if reason is None and external is None and task.uses_chat_template and not getattr(
            generator.tokenizer, "chat_template", None):
        reason = "the model's tokenizer has no chat template (instruct task)"
    if reason is not None:
        return _row(task, f"skipped: {reason}", size=size)
    try:
        if external is not None and external.by_id is not None:
            try:
                problems = task.problems_for_samples(list(external.by_id))
            except ValueError as exc:
                raise ValueError(f"{external.path}: {exc}") from None
        else:
            problems = task.problems()
    except (BenchmarkDataError, FileNotFoundError) as exc:
        return _row(task, f"skipped: {exc}", size=size)
    if not problems:
        return _row(task, "skipped: no problems", size=size)
    if hasattr(task, "tokenizer") and external is None:
        task.tokenizer = generator.tokenizer
    task_dir = out / task.name
    requests = [task.request(p) for p in problems]
    keys = [r.key for r in requests]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{task.name}: duplicate task ids in the benchmark data")
    if external is None:
        store = GenerationStore(task_dir / "generations.jsonl", model=model)
        generator.run(requests, store, progress=f"generate {task.name}")
        outputs = [store.output(k) for k in keys]
    else:  # every sample of every problem is judged (pass@1: their mean)
        given = external.outputs_for(problems, keys, [r.prompt for r in requests])
        pairs = [(p, r, o) for p, r, outs in zip(problems, requests, given) for o in outs]
        problems, requests, outputs = [p for p, _, _ in pairs], [r for _, r, _ in pairs], [o for _, _, o in pairs]
    completions = [task.completion(p, o) for p, o in zip(problems, outputs)]
    verdicts = task.judge(problems, completions, sandbox)
    scores = task.summarize_samples(verdicts, [r.key for r in requests])
    samples = [
        {"task_id": r.key, "prompt": r.prompt, "output": o, "completion": c, **v}
        for r, o, c, v in zip(requests, outputs, completions, verdicts)
    ]
    task_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "results.json").write_text(
        json.dumps({"task": task.name, "scores": scores, "samples": samples}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return _row(task, "ok", len({r.key for r in requests}), scores, size)


def _log_row(row: dict[str, Any]) -> None:
    if row["status"] == "ok":
        logger.info("%s: %s %.1f (n=%d)", row["task"], row["metric"], row["score"], row["n"])
    else:
        logger.warning("%s: %s", row["task"], row["status"])
