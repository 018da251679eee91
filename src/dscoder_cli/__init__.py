"""The ``dscoder`` command line.

This front end lives outside the ``dscoder`` package on purpose: importing ``dscoder`` registers the model with
transformers' Auto classes, which imports torch and transformers (about 2 s), while ``dscoder --help`` and every
``dscoder X --help`` must answer at once. Each subcommand module here only declares its arguments; its handler
imports the heavy ``dscoder`` modules when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: subcommand -> (module under dscoder_cli, one-line help). Order is the order shown by --help.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "data": ("data", "code-data pipeline: demo corpus, filters, repo-level ordering and dedup, decontamination"),
    "tokenizer": ("tokenizer", "train a DeepSeek-Coder-style BPE tokenizer or build the released one"),
    "train": ("train", "run a training recipe (pretrain, long context, continued pretraining, SFT)"),
    "eval": ("eval", "run an evaluation suite (HumanEval, MBPP, FIM, PAL math, ...)"),
    "benchmarks": ("benchmarks", "list the benchmark test sets (where each comes from, licence) or download Hub copies"),
    "demo": ("demo", "run the whole recipe end to end on the embedded demo corpus"),
    "convert": ("convert", "convert checkpoints between Llama format and DeepseekCoder format"),
}


class CLIError(Exception):
    """An error to show the user as one line (no traceback unless --debug)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dscoder",
        description="The DeepSeek-Coder recipe (arXiv 2401.14196) on the Hugging Face stack.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"dscoder {_version()}",
                        help="print the installed dscoder version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in SUBCOMMANDS.items():
        mod = importlib.import_module(f"dscoder_cli.{module}")
        mod.register(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def _version() -> str:
    """The installed distribution's version (from its metadata: no import of the heavy ``dscoder`` package)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dscoder")
    except PackageNotFoundError:  # a source tree on sys.path without an install
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:  # a group such as `dscoder data` without its subcommand
        args.parser.print_help()
        return 2
    return run_handler(args, f"dscoder {args.command}", debug=args.debug)


def run_handler(args, prog: str, debug: bool = False) -> int:
    """Run a command's handler the way every entry point does (``dscoder ...``, ``python -m dscoder.train``): an
    error is one line on stderr (exit 1, the traceback with ``--debug`` or ``DSCODER_DEBUG=1``), an interrupt is
    one line (exit 130). An error that knows where its traceback was logged says so itself."""
    debug = debug or bool(os.environ.get("DSCODER_DEBUG"))
    try:
        result = args.handler(args)
    except KeyboardInterrupt as exc:
        if debug:
            raise
        detail = f": {exc}" if str(exc) else ""
        print(f"{prog}: interrupted{detail}", file=sys.stderr)
        return 130
    except Exception as exc:  # the CLI turns every error into one clear line
        if debug:
            raise
        name = type(exc).__name__
        message = " ".join((str(exc) or name).split("\n"))  # one line, whatever the message holds
        prefix = "" if name in ("CLIError", "ConfigError") or getattr(exc, "one_line", False) else f"{name}: "
        print(f"{prog}: error: {prefix}{message} (rerun with --debug for a traceback)", file=sys.stderr)
        return 1
    return int(result or 0)
