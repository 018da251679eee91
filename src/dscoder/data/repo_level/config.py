"""Typed configuration of the repository-level stage (loaded through :func:`dscoder.config.load_yaml_config`).

Defaults (report §2.2–2.3, docs/paper.md): the SCC-aware dependency order (``order: scc``), repository-level samples
for the paper's languages Python, Java, C#, C and C++ (a DeepSeek-Coder maintainer: repository-level concatenation
and dedup were applied to these five only) plus Go, JavaScript and TypeScript, MinHash with 5-gram code-token
shingles and 14 bands × 8 rows (this project's own choice: the report publishes no parameters).

Measured with ``bench/repo_level.py`` (true edges from an independent ``ast`` import check on 8 installed packages,
1,580 acyclic edges; hand-written true edges on the Java/Go/JavaScript/TypeScript fixtures of ``tests/``):

* ``order: paper`` is Algorithm 1 exactly (report §2.2). It leaves 5% of the acyclic import edges out of order
  (95.1% in order over datatrove, peft, accelerate, datasets, huggingface_hub, jinja2, click and anyio; 84% on
  accelerate, 88% on jinja2) where ``order: scc`` puts 100% in order: the SCC-aware order is the default and
  ``paper`` the named setting.
* Go, JavaScript and TypeScript: 100% of the true edges found and 100% of the acyclic ones in order (cobra-,
  express- and ky-shaped repositories, with ``go.mod``/``package.json`` carried as manifests), the same as the
  paper's languages (javapoet-shaped Java: 100%), so they get repository-level samples by default.
  :data:`PAPER_REPO_LEVEL_LANGUAGES` is the paper's list (``repo_level_languages`` to restore it). Rust, PHP and
  Ruby have extractors but no such measurement yet and stay file-level unless listed.
* Real repositories through the whole default pipeline (``bench/real_corpora.py``: filter, then this stage; true
  edges from the independent checkers of ``bench/dependency_truth.py``, between the files the filters kept):
  acyclic true edges in order 100% for C# (Newtonsoft.Json, 3,889 edges), Go (cobra and urfave/cli, 303) and Python
  (starlette and huggingface_hub, 1,084); on repositories not looked at while fixing, C# 97.5% (AutoMapper and
  Dapper; 100% on AutoMapper once a leading byte-order mark was read), Go 100% (gin, viper), Python 96.2% (flask,
  httpx), JavaScript 100% (koa).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dscoder.config import BoundedConfig, bounded
from dscoder.data.executors import ExecutorConfig
from dscoder.data.readers import ReaderConfig

__all__ = ["PAPER_REPO_LEVEL_LANGUAGES", "REPO_LEVEL_LANGUAGES", "DedupConfig", "GroupingConfig", "OrderingConfig", "RepoLevelConfig"]

#: Languages concatenated at repository level in the paper (a DeepSeek-Coder maintainer); the rest stay file-level.
PAPER_REPO_LEVEL_LANGUAGES: tuple[str, ...] = ("python", "java", "c-sharp", "c", "cpp")
#: The default: the paper's languages plus those whose dependency order measures as well (module docstring).
REPO_LEVEL_LANGUAGES: tuple[str, ...] = (*PAPER_REPO_LEVEL_LANGUAGES, "go", "javascript", "typescript")


@dataclass
class GroupingConfig(BoundedConfig):
    """Group-by-repository: ``buckets`` routing buckets (= tasks of the second pass, each holding one bucket in
    memory at a time). ``buckets: null`` (default) sizes them by bytes: one bucket per ``bucket_mb`` MB of input
    (estimated from the input files' sizes), so memory per task stays bounded as the corpus grows. A repository
    with more than ``max_repo_files`` files or ``max_repo_bytes`` bytes is cut, in path order, into parts within
    both limits (folders stay together up to the cut); each part is ordered on its own. Measured
    (``bench/repo_level.py``): the order pass's peak memory stays flat when the input grows with buckets by bytes
    (3.0 -> 4.2 MB for 1 -> 4 MB of input) and grows with one fixed bucket (4.6 -> 10.2 MB); beyond the bucket, a
    task holds its largest repository part, about 10x its bytes, which ``max_repo_bytes`` bounds."""

    buckets: int | None = bounded(None, ge=1)
    bucket_mb: float = bounded(128.0, gt=0)
    max_repo_files: int = bounded(10_000, ge=1)
    max_repo_bytes: int = bounded(100_000_000, ge=1)


@dataclass
class OrderingConfig:
    """Dependency ordering (report §2.2). ``order``: ``scc`` (default) condenses import cycles and orders the
    condensation topologically, Algorithm 1's rule inside each cycle; ``paper`` is Algorithm 1 exactly (measured
    effect in the module docstring)."""

    repo_level_languages: list[str] = field(default_factory=lambda: list(REPO_LEVEL_LANGUAGES))
    order: Literal["paper", "scc"] = "scc"
    tie_break: Literal["random", "path"] = "random"
    seed: int = 0
    path_comments_in_file_samples: bool = True
    c_include_dirs: list[str] = field(default_factory=list)


@dataclass
class DedupConfig(BoundedConfig):
    """Repository-level near-dedup (report §2.3) with datatrove's MinHash stages."""

    enabled: bool = True
    exact_file_dedup: bool = False  # datatrove's exact dedup of identical file texts before grouping
    n_grams: int = bounded(5, ge=1)
    bands: int = bounded(14, ge=1)
    rows: int = bounded(8, ge=1)
    seed: int = 1
    signature_tasks: int = bounded(2, ge=1)  # stage 1 and stage 4 (they must match)
    bucket_tasks_per_band: int = bounded(1, ge=1)  # stage 2 runs bands * this many tasks


@dataclass
class RepoLevelConfig(BoundedConfig):
    """The whole stage: ``input`` holds kept file records (JSONL/Parquet, read as ``reader`` says), ``output``
    gets the samples. ``executor.tasks`` is the task count of the first (routing) pass; the other passes take
    theirs from ``grouping.buckets`` and ``dedup``."""

    input: Path
    output: Path
    logs: Path
    excluded: Path | None = None
    #: build manifests (go.mod, package.json, *.csproj, ...) from the filter stage; default: its folder beside the
    #: input (``INPUT/../manifests``), read when it exists
    manifests: Path | None = None
    #: below this many MB of input per worker a local run does a pass in this process: a process pool (forkserver:
    #: every worker imports datatrove and dscoder) is a fixed cost, paid once for all passes (one shared pool).
    #: bench/repo_level.py --only-stage-cost, 2 workers on 2 shared cores, 8 and 24 MB: fixed cost 48 s with a pool
    #: per pass, 15 s with one pool, 0.3 s in this process (per MB 0.93, 0.92 and 0.73 s)
    min_mb_per_worker: float = bounded(8.0, ge=0)
    work: Path | None = None  # intermediate buckets/signatures; default: <output>_work beside the output
    grouping: GroupingConfig = field(default_factory=GroupingConfig)
    ordering: OrderingConfig = field(default_factory=OrderingConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    executor: ExecutorConfig = field(default_factory=lambda: ExecutorConfig(tasks=2, workers=2))

    def __post_init__(self):
        super().__post_init__()
        # the stage lists, resumes and cleans its own folders on disk: a URL here would land in a local "s3:" dir
        for name in ("output", "logs", "excluded", "work"):
            value = getattr(self, name)
            if value is not None and "://" in str(value):
                raise ValueError(f"{name}: the repository-level stage writes to a local or shared filesystem path, "
                                 f"not a URL ({value}); mount the bucket or stage the data locally")
