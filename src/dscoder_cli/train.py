"""``dscoder train RECIPE.yaml [--set key=value ...]`` and ``dscoder data instructions``.

A shortcut for ``accelerate launch -m dscoder.train RECIPE.yaml`` on one process; for several GPUs or nodes use
``accelerate launch --config_file recipes/accelerate/<setup>.yaml -m dscoder.train RECIPE.yaml``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from dscoder_cli.data import SchemaName, schema_arg
from dscoder_cli.options import Options, arg, build_command


@dataclass
class TrainOptions(Options):
    """Run a training recipe (recipes/*.yaml: pretrain NTP+FIM, long context, continued pretraining v1.5, instruction
    tuning) in this process. Multi-process: accelerate launch -m dscoder.train RECIPE.yaml.
    """

    STAGE_CONFIG = "the recipe"
    SET_EXAMPLE = "optimizer.lr=1e-4"

    recipe: str = arg(positional=True, help="recipe YAML, e.g. recipes/tiny/pretrain.yaml")
    dry_run: bool = arg(
        False, help="check what a launch would trip over (loggers, tokenizer/vocabulary, the model from the real "
        "config, TrainingArguments, every data source present, one batch of the data path) and print the run plan",
    )  # fmt: skip
    strict: bool = arg(False, help="with --dry-run: also fail when a local data source is missing (not produced yet)")
    num_processes: int | None = arg(
        None, help="with --dry-run: plan the batch for this many processes (default: this launch's)"
    )
    checkpoint_preset: str | None = arg(
        None, help="with --dry-run: architecture to check when model.init_from is not on this machine"
    )
    summary_json: str | None = arg(None, metavar="PATH", help="also write the run summary (losses, steps) to PATH")


def register(parser: argparse.ArgumentParser) -> None:
    build_command(parser, TrainOptions, run_train)


def run_train(o: TrainOptions) -> int:
    import json
    import os
    from pathlib import Path

    from dscoder.training.recipe import parse_overrides
    from dscoder_cli.console import print_table

    overrides = parse_overrides(o.overrides)
    if o.dry_run:
        from dscoder.training.dry_run import dry_run

        result = dry_run(o.recipe, overrides, num_processes=o.num_processes, checkpoint_preset=o.checkpoint_preset)
        keys = ("stage", "model_type", "parameters", "vocab_size", "tokenizer", "seq_length", "max_steps",
                "tokens_per_step", "evaluation", "report_to", "output_dir", "resume_from_checkpoint", "hub")  # fmt: skip

        def shown(value):  # None: unset, or not known before an input exists
            return "-" if value is None else value

        print_table(f"run plan (dry run): {o.recipe}", [
            *((key, shown(result[key])) for key in keys),
            *((f"batch.{key}", shown(value)) for key, value in result["batch"].items()),
            ("rope", result["rope_parameters"]),
            *((f"training.{key}", str(value)) for key, value in result["trainer_args"].items()),
        ])  # fmt: skip
        columns = ("split", "source", "where", "kind", "status")
        print_table("inputs", [(r["role"], r["name"], r["where"], r["kind"], r["status"]) for r in result["inputs"]],
                    columns, right=())  # fmt: skip
        if o.summary_json:
            Path(o.summary_json).write_text(json.dumps(result, indent=1), encoding="utf-8")
        if result["missing_inputs"]:
            print(f"{result['missing_inputs']} input(s) not produced yet (listed above with what produces them): a "
                  "launch needs them; --strict makes this an error")  # fmt: skip
            return 1 if o.strict else 0
        return 0
    from dscoder.training.runner import run_recipe

    summary = run_recipe(o.recipe, overrides)
    if os.environ.get("RANK", "0") != "0":  # under a launcher only the main process reports
        return 0
    if o.summary_json:
        Path(o.summary_json).write_text(json.dumps(summary, indent=1), encoding="utf-8")

    def loss(value):
        return f"{value:.4f}" if value is not None else "-"

    print_table(f"trained: {summary['output_dir']}", [
        ("steps", summary["steps"]), ("tokens", summary["tokens"]), ("final loss", loss(summary["final_loss"])),
        ("mean train loss", loss(summary["train_loss"])), ("runtime (s)", f"{summary['runtime_s']:.1f}"),
        ("completed", summary["completed"]),
    ])  # fmt: skip
    return 0


@dataclass  # ``dscoder data instructions CORPUS OUT.jsonl``, registered by dscoder_cli.data
class InstructionsOptions(Options):
    """build the demo instruction set (docstring -> function) in the released fine-tuning format

    Turn every documented Python function of a file-record corpus into an {"instruction", "output"} record (the
    released fine-tuning format); counts by reason go to OUT.stats.json.
    """

    input: str = arg(positional=True, help="folder of file records (JSONL[.gz]), e.g. the demo corpus")
    output: str = arg(positional=True, help="output JSONL file")
    max_examples: int | None = arg(None, help="stop after this many records")
    schema: SchemaName = schema_arg()


def run_instructions(o: InstructionsOptions) -> int:
    from dscoder.data.instructions import build_instruction_set

    n = build_instruction_set(o.input, o.output, **o.stage_kwargs())
    print(f"wrote {n:,} instruction records to {o.output}")
    return 0
