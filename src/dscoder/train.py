"""``accelerate launch -m dscoder.train RECIPE.yaml [--set key=value ...]`` (also ``python -m dscoder.train``).

Every process runs the same recipe; the launcher (``recipes/accelerate/*.yaml``) decides the distribution and the
recipe's global batch fixes the optimisation (report §3.4-3.7). The arguments are those of ``dscoder train``.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from dscoder_cli.train import register

    parser = argparse.ArgumentParser(prog="dscoder.train")
    register(parser)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
