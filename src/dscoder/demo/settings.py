"""Sizes and folders of a demo run, and the shape of a stage (what it runs, what its result depends on)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dscoder.report import Section

__all__ = ["DemoSettings", "Stage", "StageResult", "repository_root"]


@dataclass
class DemoSettings:
    """Sizes of the demo run. ``quick`` shrinks everything so the whole chain runs in about 3 minutes."""

    output: Path
    quick: bool = False
    workers: int = 2
    seed: int = 0
    corpus_max_repos: int = 80
    corpus_max_bytes: int = 12_000_000
    corpus_max_repo_bytes: int = 600_000
    heldout_repositories: int = 3  # whole repositories kept out of training for the FIM and cross-file sets
    vocab_size: int = 8_000  # the paper's is 32,000 (report §3.2); a few MB of code cannot fill more
    seq_len: int = 512  # the paper's is 4,096 (16,384 for repository samples)
    pretrain_steps: int = 150
    sft_steps: int = 40
    eval_limit: int = 3  # problems per evaluation task

    @classmethod
    def create(cls, output: str | Path, quick: bool = False, workers: int = 2, seed: int = 0) -> DemoSettings:
        # absolute: stages hand these paths to recipes, which resolve relative paths against the recipe's folder
        settings = cls(Path(output).absolute(), quick=quick, workers=workers, seed=seed)
        if quick:
            settings.corpus_max_repos = 24
            settings.corpus_max_bytes = 2_500_000
            settings.corpus_max_repo_bytes = 250_000
            settings.heldout_repositories = 2
            settings.vocab_size = 2_000
            settings.seq_len = 256
            settings.pretrain_steps = 30
            settings.sft_steps = 12
            settings.eval_limit = 1
        return settings

    # Folders of a run (docs/design.md, "Artifacts of a run")
    def data(self, name: str) -> Path:
        return self.output / "data" / name

    def logs(self, name: str) -> Path:
        return self.output / "logs" / name

    def stage_file(self, stage: str, kind: str = "done") -> Path:
        """A stage's marker (``done``: its summary, written when it completes) or ``error.log``."""
        return self.output / "stages" / f"{stage}.{kind}"

    def model(self, name: str) -> Path:
        return self.output / "model" / name

    def eval(self, name: str) -> Path:
        return self.output / "eval" / name

    def export(self, name: str) -> Path:
        return self.output / "export" / name


@dataclass
class StageResult:
    summary: dict = field(default_factory=dict)  # a few headline numbers for the closing table
    sections: list[Section] = field(default_factory=list)  # what the report shows for this stage


@dataclass
class Stage:
    name: str
    description: str
    run: Callable[[DemoSettings], StageResult]
    settings: Callable[[DemoSettings], dict]  # what the stage's result depends on (hashed for the done marker)


def repository_root() -> Path:
    """The dscoder checkout whose ``recipes/`` and ``eval/`` the demo runs (``$DSCODER_HOME`` overrides)."""
    root = Path(os.environ.get("DSCODER_HOME") or Path(__file__).resolve().parents[3])
    missing = [name for name in ("recipes/tiny/pretrain.yaml", "recipes/tiny/sft.yaml", "eval/demo.yaml")
               if not (root / name).is_file()]  # fmt: skip
    if missing:
        raise FileNotFoundError(
            f"the demo runs the recipes and suites of a dscoder checkout, but {root} lacks {', '.join(missing)}; "
            "install from a clone (`pip install -e .`) or set DSCODER_HOME to one"
        )
    return root
