"""The local executor's process pools: a stage's passes share one pool (worker processes started once)."""

from __future__ import annotations

import os

from datatrove.pipeline.base import PipelineStep

from dscoder.data.executors import LocalExecutor, shared_pool


class RecordPid(PipelineStep):
    """Writes the process id that ran each task to ``folder/<pass>-<rank>``."""

    name = "pid"

    def __init__(self, folder: str, label: str):
        super().__init__()
        self.folder, self.label = folder, label

    def run(self, data, rank: int = 0, world_size: int = 1):
        with open(os.path.join(self.folder, f"{self.label}-{rank}"), "w") as f:
            f.write(str(os.getpid()))
        yield from data or ()


def _chain(tmp_path, name: str) -> list[LocalExecutor]:
    first = LocalExecutor([RecordPid(str(tmp_path), f"{name}a")], tasks=3, workers=2, start_method="fork",
                          logging_dir=str(tmp_path / "logs" / f"{name}a"))  # fmt: skip
    second = LocalExecutor([RecordPid(str(tmp_path), f"{name}b")], tasks=3, workers=2, start_method="fork",
                           logging_dir=str(tmp_path / "logs" / f"{name}b"), depends=first)  # fmt: skip
    return [first, second]


def _pids(tmp_path, label: str) -> set[int]:
    return {int((tmp_path / f"{label}-{rank}").read_text()) for rank in range(3)}


def test_passes_share_one_pool_and_each_pass_alone_starts_its_own(tmp_path):
    shared = _chain(tmp_path, "shared")
    with shared_pool(shared):
        shared[-1].run()  # runs its dependency first
    assert len(_pids(tmp_path, "shareda") | _pids(tmp_path, "sharedb")) <= 2  # the same two worker processes
    assert os.getpid() not in _pids(tmp_path, "shareda")
    assert all(e.pool is None for e in shared)  # the pool is gone with the block
    alone = _chain(tmp_path, "alone")
    alone[-1].run()
    assert not _pids(tmp_path, "alonea") & _pids(tmp_path, "aloneb")  # a pool per pass
