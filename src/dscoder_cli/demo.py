"""``dscoder demo``: the whole recipe end to end on the embedded demo corpus (``make demo``)."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run every stage of the DeepSeek-Coder recipe on the embedded demo corpus: filters, repository-level "
        "ordering and dedup, decontamination, tokenizer, FIM + packing, tiny pretraining and SFT, evaluation, "
        "export in the Hub layout and a reload. Finished stages are reused on a rerun; the report is written to "
        "OUTPUT/report.html."
    )
    parser.add_argument("--output", default="demo_output", help="run folder (default: demo_output)")
    parser.add_argument("--quick", action="store_true", help="a smaller run (about 3 minutes on 2 cores)")
    parser.add_argument("--workers", type=int, default=2, help="parallel tasks/processes (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: 0)")
    parser.add_argument("--only", action="append", metavar="STAGE", help="run only this stage (repeatable)")
    parser.add_argument("--force", action="store_true", help="rerun the selected stages even if finished")
    parser.set_defaults(handler=_run, parser=parser)


def _run(args) -> int:
    from rich.console import Console

    from dscoder.demo import DemoSettings, run_demo, summary_table

    console = Console()
    settings = DemoSettings.create(args.output, quick=args.quick, workers=args.workers, seed=args.seed)
    rows = run_demo(settings, only=args.only, force=args.force, console=console)
    console.print(summary_table(rows))
    console.print(f"report: {settings.output / 'report.html'}")
    return 0
