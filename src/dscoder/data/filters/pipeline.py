"""The filter stage of the code-data pipeline (report §2.1 and §2.4) as one datatrove pipeline:

    checked reader (JSONL / Parquet / Hub) -> manifests -> language -> rules -> heuristics -> syntax
        -> [quality model] -> writer

Kept files are written as file records (docs/design.md) to ``output_dir``; build manifests (``go.mod``,
``package.json``, ``*.csproj``, ...) are copied to ``manifests_dir`` (default: ``manifests`` beside ``output_dir``,
where the repository-level stage looks for them), for the repository-level stage's import resolution; every
dropped file goes to ``excluded_dir/<block>/`` with its reason in ``filter_reason``, and rejected input lines to
``excluded_dir/reader/``, so nothing is lost. The YAML form is ``datatrove_pipelines/filter_code.yaml``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dscoder.data.executors import ExecutorConfig, build_executor
from dscoder.data.filters.heuristics import HeuristicConfig, HeuristicFilter
from dscoder.data.filters.language import LanguageConfig, LanguageFilter
from dscoder.data.filters.manifests import ManifestCarrier, manifests_beside
from dscoder.data.filters.model import QualityModelConfig, QualityModelFilter
from dscoder.data.filters.rules import RuleConfig, RuleFilter
from dscoder.data.filters.syntax import SyntaxConfig, SyntaxFilter
from dscoder.data.readers import ReaderConfig, build_reader, file_record_writer

Block = Literal["language", "rules", "heuristics", "syntax", "quality_model"]
DEFAULT_BLOCKS: tuple[str, ...] = ("language", "rules", "heuristics", "syntax", "quality_model")


@dataclass
class FilterPipelineConfig:
    """Everything the filter stage needs; the YAML ``datatrove_pipelines/filter_code.yaml`` loads into this.

    ``blocks`` lists the filter blocks to run, in order (``quality_model`` runs only when
    ``quality_model.enabled``). Folders given here are the defaults of ``run_filter_stage``'s arguments.
    """

    reader: ReaderConfig = field(default_factory=ReaderConfig)
    output_folder: Path | None = None
    excluded_folder: Path | None = None
    #: go.mod, package.json, *.csproj, ... for the repository-level stage; default: ``manifests`` beside the output
    manifests_folder: Path | None = None
    logging_folder: Path | None = None
    executor: ExecutorConfig = field(default_factory=lambda: ExecutorConfig(tasks=2, workers=2))
    blocks: list[Block] = field(default_factory=lambda: list(DEFAULT_BLOCKS))
    language: LanguageConfig = field(default_factory=LanguageConfig)
    rules: RuleConfig = field(default_factory=RuleConfig)
    heuristics: HeuristicConfig = field(default_factory=HeuristicConfig)
    syntax: SyntaxConfig = field(default_factory=SyntaxConfig)
    quality_model: QualityModelConfig = field(default_factory=QualityModelConfig)

    def __post_init__(self):
        if len(set(self.blocks)) != len(self.blocks):
            raise ValueError(f"blocks: listed twice in {self.blocks}")


def build_filter_blocks(
    config: FilterPipelineConfig, excluded_dir: str | Path | None = None, scorer: Callable | None = None
) -> list:
    """The filter blocks of ``config`` in order, each with its exclusion writer when ``excluded_dir`` is set."""

    def excluded(block: str):
        if excluded_dir is None:
            return None
        return file_record_writer(excluded_dir, output_filename=f"{block}/${{rank}}.jsonl.gz")

    factories = {
        "language": lambda: LanguageFilter(config.language, exclusion_writer=excluded("language")),
        "rules": lambda: RuleFilter(config.rules, exclusion_writer=excluded("rules")),
        "heuristics": lambda: HeuristicFilter(config.heuristics, exclusion_writer=excluded("heuristics")),
        "syntax": lambda: SyntaxFilter(config.syntax, exclusion_writer=excluded("syntax")),
        "quality_model": lambda: QualityModelFilter(
            config.quality_model, scorer=scorer, exclusion_writer=excluded("quality_model")
        ),
    }
    return [
        factories[b]()
        for b in config.blocks
        if b != "quality_model" or config.quality_model.enabled or scorer is not None
    ]


def _manifests_dir(config: FilterPipelineConfig, output_dir: str | Path, given: str | Path | None) -> str | Path:
    """Where the manifest carrier writes: ``given``, else ``config.manifests_folder``, else ``manifests`` beside
    ``output_dir`` (where the repository-level stage looks by default)."""
    return given or config.manifests_folder or manifests_beside(output_dir)


def build_filter_pipeline(
    config: FilterPipelineConfig,
    input_dir: str | Path | None,
    output_dir: str | Path,
    excluded_dir: str | Path | None = None,
    scorer: Callable | None = None,
    manifests_dir: str | Path | None = None,
) -> list:
    """reader -> manifest carrier -> filter blocks -> file-record writer, as a list of datatrove steps.
    ``manifests_dir`` (default: ``config.manifests_folder``, else ``manifests`` beside ``output_dir``)."""
    rejects = Path(excluded_dir) / "reader" if excluded_dir is not None else None
    reader = build_reader(config.reader, input_dir, rejects_folder=rejects)
    manifests_dir = _manifests_dir(config, output_dir, manifests_dir)
    carrier = ManifestCarrier(file_record_writer(manifests_dir))
    return [reader, carrier, *build_filter_blocks(config, excluded_dir, scorer), file_record_writer(output_dir)]


def run_filter_stage(
    input_dir: str | Path,
    output_dir: str | Path,
    excluded_dir: str | Path,
    logs_dir: str | Path,
    tasks: int = 2,
    workers: int = 2,
    config: FilterPipelineConfig | str | Path | None = None,
    scorer: Callable | None = None,
    manifests_dir: str | Path | None = None,
) -> dict:
    """Run the filter stage on the file records in ``input_dir`` (the demo's entry point).

    ``config``: a :class:`FilterPipelineConfig`, a YAML path, or ``None`` for the paper's defaults; ``tasks`` and
    ``workers`` override its executor's. ``manifests_dir`` receives copies of the build manifests (``go.mod``,
    ``package.json``, ...) for the repository-level stage (default: ``manifests`` beside ``output_dir``, where
    that stage looks by default). On Slurm the jobs are submitted and ``{"submitted": True, "job_id", "logs"}``
    returned (``dscoder data report LOGS`` then gives the funnel). Returns the funnel as a dict:
    ``files_in``, ``bytes_in``,
    ``files_kept``, ``bytes_kept``, ``dropped`` and ``dropped_bytes`` (per reason), ``seconds``, and
    ``funnel_png`` (the funnel chart, written to ``logs_dir/funnel.png``).
    """
    from dscoder.config import load_yaml_config

    if config is None:
        config = FilterPipelineConfig()
    elif not isinstance(config, FilterPipelineConfig):
        config = load_yaml_config(config, FilterPipelineConfig)
    config = dataclasses.replace(config, executor=dataclasses.replace(config.executor, tasks=tasks, workers=workers))
    from dscoder.data.output_guard import check_separate_folders, output_lock

    manifests_dir = _manifests_dir(config, output_dir, manifests_dir)
    check_separate_folders({"input": input_dir if config.reader.format != "hub" else None},
                           {"output": output_dir, "excluded": excluded_dir, "logs": logs_dir,
                            "manifests": manifests_dir})  # fmt: skip
    with output_lock(output_dir, "filter"):
        return _run_filter(config, input_dir, output_dir, excluded_dir, logs_dir, scorer, manifests_dir)


def _run_filter(config: FilterPipelineConfig, input_dir, output_dir, excluded_dir, logs_dir, scorer, manifests_dir
                ) -> dict:  # fmt: skip
    from dscoder.config import config_hash, config_to_dict
    from dscoder.data.funnel import load_funnel, plot_funnel
    from dscoder.data.run_fingerprint import claim_logging_folder, folder_listing_hash

    pipeline = build_filter_pipeline(config, input_dir, output_dir, excluded_dir, scorer, manifests_dir)

    # one run per logging folder: a rerun resumes only with the same input, output and config (else refused)
    source = config.reader.dataset if config.reader.format == "hub" else str(Path(str(input_dir)).resolve())
    settings = {k: v for k, v in config_to_dict(config).items() if k not in ("executor", "reader")}
    claim_logging_folder(logs_dir, {
        "stage": "filter", "input": source, "input_files": folder_listing_hash(input_dir),
        "output": str(Path(str(output_dir)).resolve()), "excluded": str(Path(str(excluded_dir)).resolve()),
        "config": config_hash({**settings, "reader": config_to_dict(config.reader) | {"folder": None},
                               "tasks": config.executor.tasks}),
    })  # fmt: skip
    start = time.perf_counter()
    executor = build_executor(pipeline, config.executor, logs_dir, job_name="dscoder-filter")
    executor.run()
    if config.executor.kind == "slurm":  # submitted: the jobs write the stats the funnel is made of
        return {"submitted": True, "job_id": executor.job_id, "logs": str(logs_dir)}
    funnel = load_funnel(logs_dir)
    summary = funnel.to_dict()
    summary["seconds"] = round(time.perf_counter() - start, 3)
    summary["funnel_png"] = str(plot_funnel(funnel, Path(logs_dir) / "funnel.png"))
    return summary
