"""``dscoder eval SUITE.yaml --model PATH [--allow-code-execution] ...``: the paper's evaluation suite (report §4)."""

from __future__ import annotations

import argparse

_EPILOG = """\
Tasks that execute model-written code (HumanEval, MBPP, LeetCode, PAL math, DS-1000) run only with
--allow-code-execution, in dscoder's sandbox: one process per program, own temp dir, CPU/memory/file/process
limits, wall-clock kill of the process group, no network, a throw-away uid when run as root.
Outputs: OUTPUT/<task>/generations.jsonl (checkpoint; a rerun skips finished samples),
OUTPUT/<task>/results.json (every sample and verdict), OUTPUT/summary.{json,md,png}.
--generations FILE scores outputs made elsewhere (bigcode-evaluation-harness --load_generations_path JSON, or
EvalPlus samples JSONL) through the suite's protocol, for one task (--task NAME), without loading a model.
Suites: eval/*.yaml (eval/README.md lists the tasks and their fields)."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("suite", nargs="?", help="suite YAML, e.g. eval/paper.yaml")
    parser.add_argument("--model", help="checkpoint folder or Hub id (save_pretrained layout, with its tokenizer)")
    parser.add_argument("--output", default=None, help="output folder (default: eval_output/<suite name>)")
    parser.add_argument(
        "--allow-code-execution", action="store_true",
        help="run model-generated programs in the sandbox (needed by every execution-scored task)",
    )
    parser.add_argument("--limit", type=int, default=None, help="at most N problems per task (quick runs)")
    parser.add_argument("--data-dir", default=None, help="benchmark data folder read before the package's copies "
                        "(default: suite's data_dir or $DSCODER_BENCHMARKS_DIR; see `dscoder benchmarks list`)")
    parser.add_argument("--workers", type=int, default=None, help="programs executed at once (default: CPUs)")
    parser.add_argument("--task", dest="only", action="append", default=[], metavar="NAME",
                        help="run only this task of the suite (repeatable)")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a suite key (dotted path, YAML value), e.g. --set generation.batch_size=16; repeatable",
    )
    parser.add_argument("--list-tasks", action="store_true",
                        help="list the suite's task names (without a suite: every registered task) and exit")
    parser.add_argument("--json", action="store_true", help="with --list-tasks: a JSON list of the tasks")
    parser.add_argument(
        "--generations", default=None, metavar="FILE",
        help="score these outputs instead of generating: a bigcode harness JSON (one list of outputs per problem, "
             "in order) or an EvalPlus samples JSONL (task_id + solution|completion); one task, no --model needed",
    )
    parser.add_argument(
        "--timeout-scale", type=float, default=None, metavar="X",
        help="multiply every task's per-program time limit (the official harness's) by X on a slow or loaded "
             "machine (default: the suite's timeout_scale, 1.0)",
    )
    parser.set_defaults(handler=_run, parser=parser)


def _run(args) -> int:
    from dscoder_cli import CLIError

    if args.list_tasks:
        return _list_tasks(args)
    if args.json:
        raise CLIError("--json goes with --list-tasks")
    if not args.suite or not (args.model or args.generations):
        raise CLIError("give a suite YAML and --model PATH or --generations FILE (see dscoder eval --help)")
    if args.timeout_scale is not None and not args.timeout_scale > 0:
        raise CLIError(f"--timeout-scale must be > 0, got {args.timeout_scale}")

    import logging
    from dataclasses import replace
    from pathlib import Path

    from dscoder.config import parse_set_pairs
    from dscoder.evaluation.suite import load_suite, run_eval_suite, suite_tasks

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    suite = load_suite(args.suite, parse_set_pairs(args.overrides, "generation.batch_size=16"))
    if args.only:
        names = [task.name for task in suite_tasks(suite, source=args.suite)]
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            raise CLIError(f"--task {', '.join(unknown)}: not in {args.suite} ({', '.join(names)})")
        suite = replace(suite, tasks=[t for t, name in zip(suite.tasks, names) if name in args.only])
    output = args.output or str(Path("eval_output") / suite.name)
    if args.generations and len(suite.tasks) != 1:
        raise CLIError(f"--generations scores one task: add --task NAME ({', '.join(t.task for t in suite.tasks)})")
    summary = run_eval_suite(
        suite, args.model or str(args.generations), output, limit=args.limit,
        allow_code_execution=args.allow_code_execution, data_dir=args.data_dir, workers=args.workers,
        timeout_scale=args.timeout_scale, generations=args.generations,
    )
    print(f"results: {output}/summary.md, {output}/summary.json, per task: {output}/<task>/results.json")
    if summary.get("network_isolated") is False:
        print("warning: programs ran without network isolation on this machine")
    return 0


def _list_tasks(args) -> int:
    """``--list-tasks``: the suite's tasks (name, registry task, mode, protocol, checks, benchmark, metric), or every
    registered task name without a suite; ``--json`` for a machine-readable list."""
    import json

    if args.suite:
        from dscoder.config import parse_set_pairs
        from dscoder.evaluation.suite import load_suite, suite_tasks

        suite = load_suite(args.suite, parse_set_pairs(args.overrides))
        rows = [{"name": task.name, "task": task.cfg.task, "mode": task.cfg.mode, "protocol": task.protocol,
                 "checks": task.checks, "benchmark": task.display, "metric": task.metric}
                for task in suite_tasks(suite, source=args.suite)]
    else:
        from dscoder.evaluation.tasks import TASKS

        rows = [{"name": name, "task": name} for name in TASKS]
    print(json.dumps(rows, indent=1) if args.json else "\n".join(row["name"] for row in rows))
    return 0
