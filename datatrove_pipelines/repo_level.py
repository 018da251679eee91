"""Repository-level stage (report §2.2–2.3): group by repository → dependency order (Algorithm 1) → MinHash
near-dedup, as chained datatrove executors (local, Slurm or Ray, from the YAML's ``executor`` section).

    .venv/bin/python datatrove_pipelines/repo_level.py --config datatrove_pipelines/repo_level.yaml \
        [--input DIR] [--output DIR] [--excluded DIR] [--logs DIR] [--set ordering.order=scc ...]

Rerunning with the same ``logs`` resumes: finished tasks are skipped, interrupted ones redone from scratch.
On Slurm the executors are submitted as dependent job arrays; read the counts once they finished with
``dscoder data repo-level --config ... --counts-only`` (a local or Ray run prints them at the end).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dscoder.config import ConfigError, load_yaml_config, parse_set_pairs
from dscoder.data.repo_level import (
    RepoLevelConfig,
    build_executors,
    counts_table,
    run_repo_level,
)

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=HERE / "repo_level.yaml")
    parser.add_argument("--input", type=Path, help="kept file records (default: input)")
    parser.add_argument("--output", type=Path, help="samples (default: output)")
    parser.add_argument("--excluded", type=Path, help="invalid records and near-duplicates (default: excluded)")
    parser.add_argument("--logs", type=Path, help="datatrove logging folders (default: logs)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    args = parser.parse_args(argv)
    try:
        overrides = parse_set_pairs(args.set, "executor.kind=ray")
    except ConfigError as exc:
        parser.error(str(exc))
    for key in ("input", "output", "excluded", "logs"):
        if getattr(args, key) is not None:
            overrides[key] = str(getattr(args, key).resolve())
    config = load_yaml_config(args.config, RepoLevelConfig, overrides)
    if config.executor.kind == "slurm":
        build_executors(config)[-1].run()  # submits dependent job arrays and returns
        return 0
    from rich.console import Console

    Console().print(counts_table(run_repo_level(config), title=f"repo-level stage ({config.logs})"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
