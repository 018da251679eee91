"""``dscoder train RECIPE.yaml [--set key=value ...]`` and ``dscoder data instructions``.

A shortcut for ``accelerate launch -m dscoder.train RECIPE.yaml`` on one process; for several GPUs or nodes use
``accelerate launch --config_file recipes/accelerate/<setup>.yaml -m dscoder.train RECIPE.yaml``.
"""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run a training recipe (recipes/*.yaml: pretrain NTP+FIM, long context, continued pretraining v1.5, "
        "instruction tuning) in this process. Multi-process: accelerate launch -m dscoder.train RECIPE.yaml."
    )
    parser.add_argument("recipe", help="recipe YAML, e.g. recipes/tiny/pretrain.yaml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a recipe key (dotted path, YAML value), e.g. --set optimizer.lr=1e-4; repeatable",
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="check what a launch would trip over (loggers, tokenizer/vocabulary, the model from the real config, "
        "TrainingArguments, every data source present, one batch of the data path) and print the run plan",
    )
    parser.add_argument("--strict", action="store_true",
                        help="with --dry-run: also fail when a local data source is missing (not produced yet)")
    parser.add_argument("--num-processes", type=int, default=None,
                        help="with --dry-run: plan the batch for this many processes (default: this launch's)")
    parser.add_argument("--checkpoint-preset", default=None,
                        help="with --dry-run: architecture to check when model.init_from is not on this machine")
    parser.add_argument("--summary-json", metavar="PATH", help="also write the run summary (losses, steps) to PATH")
    parser.set_defaults(handler=_run, parser=parser)


def _run(args) -> int:
    import json
    import os
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from dscoder.training.recipe import parse_overrides
    from dscoder.training.runner import dry_run, run_recipe

    overrides = parse_overrides(args.overrides)
    console = Console()
    if args.dry_run:
        result = dry_run(args.recipe, overrides, num_processes=args.num_processes,
                         checkpoint_preset=args.checkpoint_preset)
        table = Table(title=f"run plan (dry run): {args.recipe}")
        table.add_column("what")
        table.add_column("value", justify="right")
        for key in ("stage", "model_type", "parameters", "vocab_size", "tokenizer", "max_steps", "tokens_per_step",
                    "evaluation", "report_to", "output_dir", "resume_from_checkpoint", "hub"):  # fmt: skip
            value = result[key]
            table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
        for key, value in result["batch"].items():
            table.add_row(f"batch.{key}", f"{value:,}")
        table.add_row("rope", str(result["rope_parameters"]))
        for key, value in result["trainer_args"].items():
            table.add_row(f"training.{key}", str(value))
        console.print(table)
        data = Table(title="data")
        for col in ("split", "source", "where", "kind", "status"):
            data.add_column(col)
        for row in result["inputs"]:
            data.add_row(row["role"], row["name"], row["where"], row["kind"], row["status"])
        console.print(data)
        if args.summary_json:
            Path(args.summary_json).write_text(json.dumps(result, indent=1), encoding="utf-8")
        if result["missing_inputs"]:
            console.print(f"{result['missing_inputs']} data source(s) not produced yet: a launch needs them")
            return 1 if args.strict else 0
        return 0
    summary = run_recipe(args.recipe, overrides)
    if os.environ.get("RANK", "0") != "0":  # under a launcher only the main process reports
        return 0
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    table = Table(title=f"trained: {summary['output_dir']}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("steps", f"{summary['steps']:,}")
    table.add_row("tokens", f"{summary['tokens']:,}")
    table.add_row("final loss", f"{summary['final_loss']:.4f}" if summary["final_loss"] is not None else "-")
    table.add_row("mean train loss", f"{summary['train_loss']:.4f}" if summary["train_loss"] is not None else "-")
    table.add_row("runtime (s)", f"{summary['runtime_s']:.1f}")
    table.add_row("completed", str(summary["completed"]))
    console.print(table)
    return 0


def add_instructions_command(sub) -> None:
    """``dscoder data instructions CORPUS OUT.jsonl`` (registered by dscoder_cli.data)."""
    p = sub.add_parser(
        "instructions",
        help="build the demo instruction set (docstring -> function) in the released fine-tuning format",
        description="Turn every documented Python function of a file-record corpus into an "
        '{"instruction", "output"} record (the released fine-tuning format); counts by reason go to OUT.stats.json.',
    )
    p.add_argument("input", help="folder of file records (JSONL[.gz]), e.g. the demo corpus")
    p.add_argument("output", help="output JSONL file")
    p.add_argument("--max-examples", type=int, default=None, help="stop after this many records")
    from dscoder_cli.data import add_schema_argument

    add_schema_argument(p)
    p.set_defaults(handler=_run_instructions, parser=p)


def _run_instructions(args) -> int:
    from dscoder.data.instructions import build_instruction_set

    n = build_instruction_set(args.input, args.output, max_examples=args.max_examples, schema=args.schema or "file-records")
    print(f"wrote {n:,} instruction records to {args.output}")
    return 0
