"""Repository-level data (report §2.2–2.3): group files by repository, parse dependencies, order them with
the SCC-aware order (or Algorithm 1 exactly, ``order: paper``), concatenate each component into one sample, near-dedup with MinHash.

Heavy imports (datatrove) happen in the submodules that need them; see :mod:`.stage` for the pipelines.
"""

from __future__ import annotations

from .config import (
    PAPER_REPO_LEVEL_LANGUAGES,
    REPO_LEVEL_LANGUAGES,
    DedupConfig,
    GroupingConfig,
    OrderingConfig,
    RepoLevelConfig,
)
from .stage import (
    build_executors,
    collect_counts,
    counts_table,
    run_repo_level,
    run_repo_level_stage,
)

__all__ = [
    "PAPER_REPO_LEVEL_LANGUAGES",
    "REPO_LEVEL_LANGUAGES",
    "DedupConfig",
    "GroupingConfig",
    "OrderingConfig",
    "RepoLevelConfig",
    "build_executors",
    "collect_counts",
    "counts_table",
    "run_repo_level",
    "run_repo_level_stage",
]
