"""Shared fixtures. Tests that need ../shared (benchmarks, reference vocabulary) skip with a reason without it."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("DSCODER_SHARED_DIR", REPO_ROOT.parent / "shared"))

#: fixture repositories and hostile programs are data, not tests (starlette's own tests/ would be collected)
collect_ignore_glob = ["fixtures/*", "data/*"]


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the project's ../shared folder, absent on this machine)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (override with DSCODER_SHARED_DIR)."""
    return _require(SHARED_DIR)


@pytest.fixture(scope="session")
def benchmarks_dir() -> Path:
    return _require(SHARED_DIR / "benchmarks")


@pytest.fixture(scope="session")
def reference_vocab_dir() -> Path:
    return _require(SHARED_DIR / "reference" / "deepseek-coder-vocab")


@pytest.fixture(autouse=True)
def _seed_everything():
    random.seed(0)
    try:
        import numpy as np

        np.random.seed(0)
    except ImportError:
        pass
    yield


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A one-node Slurm started for the session (``tests/slurm_cluster.py``), ``SLURM_CONF`` pointing at it;
    skipped with the reason where Slurm is not installed (``make slurm``)."""
    import slurm_cluster as slurm

    reason = slurm.unavailable()
    if reason is not None:
        pytest.skip(reason)
    cluster = slurm.start(tmp_path_factory.mktemp("slurm"))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SLURM_CONF", str(cluster.conf))
            yield cluster
    finally:
        cluster.stop()
