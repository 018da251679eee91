"""``accelerate launch -q -m dscoder.train RECIPE.yaml [--set key=value ...]`` (also ``python -m dscoder.train``).

Every process runs the same recipe; the launcher (``recipes/accelerate/*.yaml``) decides the distribution and the
recipe's global batch fixes the optimisation (report §3.4-3.7). The arguments are those of ``dscoder train``.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Errors are one line, as under ``dscoder train`` (``--debug`` or ``DSCODER_DEBUG=1``: the traceback).
    ``accelerate launch`` adds a traceback of its own for a process that failed unless it is given ``-q``."""
    from dscoder_cli import run_handler
    from dscoder_cli.train import register

    parser = argparse.ArgumentParser(prog="dscoder.train")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    register(parser)
    args = parser.parse_args(argv)
    return run_handler(args, "dscoder.train", debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
