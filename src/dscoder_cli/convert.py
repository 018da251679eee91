"""``dscoder convert SRC OUT [--to deepseek_coder|llama]``: checkpoint format conversion (report §3.3)."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Convert a checkpoint folder between the released Llama format (LlamaForCausalLM, as DeepSeek-Coder is "
        "published) and dscoder's DeepseekCoderForCausalLM format (model_type deepseek_coder, loadable with "
        "AutoModelForCausalLM and, via auto_map, with trust_remote_code=True where dscoder is not installed). "
        "Weights are written as safetensors; tokenizer and other files are copied unchanged."
    )
    parser.add_argument("source", help="checkpoint folder to read (config.json + weights)")
    parser.add_argument("output", help="folder to write (must not exist or be empty)")
    parser.add_argument(
        "--to",
        choices=["deepseek_coder", "llama"],
        default="deepseek_coder",
        help="target format (default: deepseek_coder; 'llama' exports for vLLM / llama.cpp users)",
    )
    parser.add_argument(
        "--dtype",
        default="auto",
        choices=["auto", "float32", "bfloat16", "float16"],
        help="weight dtype when converting into deepseek_coder format (default: keep the checkpoint's)",
    )
    parser.set_defaults(handler=_run, parser=parser)


def _run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from dscoder.modeling.conversion import convert_checkpoint
    from dscoder.terminal import wrap_cells

    summary = convert_checkpoint(args.source, args.output, to=args.to, dtype=args.dtype)
    table = Table(title=f"dscoder convert: {summary['direction']}")
    table.add_column("field")
    table.add_column("value")
    table.add_row("output", summary["output_dir"])
    table.add_row("parameters", f"{summary['parameters']:,}")
    table.add_row("dtype", summary["dtype"])
    table.add_row("copied files", ", ".join(summary["copied_files"]) or "-")
    Console().print(wrap_cells(table))
    return 0
