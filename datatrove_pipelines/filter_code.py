"""Filter stage (report §2.1, §2.4): checked reader -> language -> rules -> heuristics -> syntax -> [quality model]
-> writer, with every dropped file kept in the exclusion folder with its reason.

    .venv/bin/python datatrove_pipelines/filter_code.py --config datatrove_pipelines/filter_code.yaml \
        [--input DIR] [--output DIR] [--excluded DIR] [--logs DIR] [--set executor.kind=ray ...]

The executor (local, Slurm, Ray) is chosen in the YAML's ``executor`` section; the funnel is printed at the end and
again by ``dscoder data report LOGDIR`` (on Slurm, where this returns once the jobs are submitted: by that command,
when they finish).

With ``--output`` and no ``--logs``/``--excluded``, those folders follow the output (``OUTPUT/../logs/<name>``,
``OUTPUT/../excluded``, and the build manifests ``OUTPUT/../manifests``), never the YAML's. A logging folder belongs to one run: a rerun with the same input, output
and config resumes (datatrove skips the finished tasks); any other run into it is refused with one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from dscoder.config import ConfigError, load_yaml_config, parse_set_pairs
from dscoder.data.filters import FilterPipelineConfig, run_filter_stage
from dscoder.data.filters.manifests import manifests_beside
from dscoder.data.funnel import funnel_table, load_funnel
from dscoder.data.run_fingerprint import LoggingFolderInUse

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=HERE / "filter_code.yaml")
    parser.add_argument("--input", type=Path, help="folder of file records (default: reader.folder)")
    parser.add_argument("--output", type=Path, help="kept files (default: output_folder)")
    parser.add_argument("--excluded", type=Path,
                        help="dropped files with reasons (default: OUTPUT/../excluded with --output, else excluded_folder)")
    parser.add_argument("--logs", type=Path,
                        help="datatrove logging folder (default: OUTPUT/../logs/NAME with --output, else logging_folder)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    args = parser.parse_args(argv)
    try:
        overrides = parse_set_pairs(args.set, "executor.kind=ray")
    except ConfigError as exc:
        parser.error(str(exc))
    try:
        config = load_yaml_config(args.config, FilterPipelineConfig, overrides)
    except ConfigError as exc:
        parser.exit(1, f"filter_code: error: {exc}\n")
    if args.output is not None:  # the YAML's other folders belong to its own output: follow this one instead
        output = args.output
        excluded = args.excluded or output.parent / "excluded"
        logs = args.logs or output.parent / "logs" / output.name
    else:
        output, excluded = config.output_folder, args.excluded or config.excluded_folder
        logs = args.logs or config.logging_folder
    manifests = manifests_beside(output) if args.output is not None else None  # None: the config's, else beside
    if output is None or excluded is None or logs is None:
        parser.error("output, excluded and logs folders are needed (in the YAML or as options)")
    try:
        summary = run_filter_stage(
            args.input or config.reader.folder, output, excluded, logs,
            tasks=config.executor.tasks, workers=config.executor.workers, config=config, manifests_dir=manifests,
        )  # fmt: skip
    except LoggingFolderInUse as exc:
        parser.exit(1, f"filter_code: error: {exc}\n")
    if summary.get("submitted"):
        Console().print(f"submitted to Slurm (job {summary['job_id']}): `dscoder data report {logs}` prints the "
                        "funnel once the jobs finish")
        return 0
    Console().print(funnel_table(load_funnel(logs), title=f"filter funnel ({logs})"))
    Console().print(f"chart: {summary['funnel_png']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
