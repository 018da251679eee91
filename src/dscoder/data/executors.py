"""One way to run any dscoder datatrove pipeline locally, on Slurm or on Ray, chosen by a config dataclass.

Every pipeline of the project (filters, repository-level ordering and dedup, decontamination) builds its
executor with :func:`build_executor`, so the YAML section that picks where it runs reads the same everywhere::

    executor:
      kind: local        # local | slurm | ray
      tasks: 4           # shards of the input (datatrove ranks)
      workers: 2         # tasks running at once (-1: all)
      slurm: {partition: cpu, time: "12:00:00", cpus_per_task: 1, mem_per_cpu_gb: 2}
      ray: {address: null, cpus_per_task: 1, mem_per_cpu_gb: 1}

A rerun with the same logging folder skips finished tasks (datatrove's ``skip_completed``). Local runs use
:class:`LocalExecutor`: a task process that dies is an error, and a killed run leaves no process behind. A
stage made of several passes (the repository-level stage: six) runs them all on one process pool
(:func:`shared_pool`), so the worker processes and their imports are paid once per stage, not once per pass.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from datatrove.executor.base import PipelineExecutor
from datatrove.executor.local import LocalPipelineExecutor

from dscoder.config import bounded, check_bounds


@dataclass
class SlurmConfig:
    """Arguments of datatrove's ``SlurmPipelineExecutor`` (``partition`` is required for Slurm)."""

    partition: str | None = None
    time: str = "24:00:00"
    cpus_per_task: int = bounded(1, ge=1)
    mem_per_cpu_gb: int = bounded(2, ge=1)
    job_name: str = "dscoder"
    qos: str = "normal"
    venv_path: str | None = None
    condaenv: str | None = None
    env_command: str | None = None
    sbatch_args: dict[str, str] = field(default_factory=dict)
    max_array_size: int = bounded(1001, ge=1)

    def __post_init__(self):
        check_bounds(self)


@dataclass
class RayConfig:
    """Arguments of datatrove's ``RayPipelineExecutor``. ``address``: an existing cluster (``auto`` or
    ``ray://host:port``); ``null`` starts a local one with ``num_cpus`` CPUs when none is running."""

    address: str | None = None
    num_cpus: int | None = bounded(None, ge=1)
    cpus_per_task: int = bounded(1, ge=1)
    mem_per_cpu_gb: float = bounded(1.0, gt=0)

    def __post_init__(self):
        check_bounds(self)


@dataclass
class ExecutorConfig:
    """Where and how wide a datatrove pipeline runs."""

    kind: Literal["local", "slurm", "ray"] = "local"
    tasks: int = bounded(1, ge=1)
    workers: int = bounded(-1, ge=1, special={-1: "all tasks at once"})
    skip_completed: bool = True
    start_method: str = "forkserver"
    slurm: SlurmConfig = field(default_factory=SlurmConfig)
    ray: RayConfig = field(default_factory=RayConfig)

    def __post_init__(self):
        check_bounds(self)
        if self.kind == "slurm" and not self.slurm.partition:
            raise ValueError("slurm.partition: required when kind is 'slurm'")


def die_with_parent(parent: int) -> None:
    """End this worker process as soon as process ``parent`` (the stage's main process) ends, so a SIGKILLed stage
    leaves nothing running: ``prctl(PR_SET_PDEATHSIG)`` for a direct child, and a thread waiting on a pidfd of
    ``parent`` for a child of a forkserver (whose workers hold the forkserver's alive pipe, so neither would
    ever exit on its own). A no-op off Linux."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import select
    import threading

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)  # already gone
    except (AttributeError, OSError):  # kernel < 5.3: the parent-death signal alone
        return

    def wait_for_parent():
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=wait_for_parent, name="dscoder-die-with-parent", daemon=True).start()


class LocalExecutor(LocalPipelineExecutor):
    """datatrove's ``LocalPipelineExecutor`` (same arguments, logs, stats and ``skip_completed``) with a different
    ``run``, because the stock one (datatrove 0.10) waits forever in ``Pool.imap_unordered`` when the kernel kills a
    task process (out of memory), and its ``multiprocess.Manager`` server, the forkserver and the workers outlive
    a SIGKILLed run. Here ``workers == 1`` runs the tasks in this process, and more workers run in a
    ``concurrent.futures.ProcessPoolExecutor``: a dead task process raises ``BrokenProcessPool``, reported as one
    error (a rerun resumes), and every worker dies with its parent (:func:`die_with_parent`). ``local_rank`` (which
    datatrove uses only to decide which task logs to the console) is the task's slot, ``index % workers``.

    ``pool``: a running pool to use instead of starting one (:func:`shared_pool`); at most ``workers`` of this
    executor's tasks run on it at once."""

    pool = None

    def __getstate__(self):  # the task processes get the pipeline, never the pool
        state = dict(self.__dict__)
        state.pop("pool", None)
        return state

    def run(self):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        import dill
        from datatrove.utils.logging import logger
        from datatrove.utils.stats import PipelineStats

        if self.depends is not None and not self.depends._launched:
            self.depends.run()  # the chain is run in order: a dependency is complete when its run() returns
        self._launched = True
        local = range(self.local_rank_offset, self.local_rank_offset + self.local_tasks)
        if all(map(self.is_rank_completed, local)):
            logger.info(f"Not doing anything as all {self.local_tasks} tasks have already been completed.")
            return None
        self.save_executor_as_json()
        ranks = self.get_incomplete_ranks(local)
        if self.workers == 1:
            pipeline, stats = self.pipeline, []
            for rank in ranks:
                self.pipeline = copy.deepcopy(pipeline)  # fresh blocks: their stats are per task
                stats.append(self._run_for_rank(rank, 0))
        else:
            blob = dill.dumps(self)  # pipelines may hold lambdas: dill, as datatrove's own (multiprocess) pool
            owned = self.pool is None
            pool = new_pool(min(self.workers, len(ranks)), self.start_method) if owned else self.pool
            futures: dict = {}
            try:
                for i, rank in enumerate(ranks):  # at most ``workers`` at once, also on a larger shared pool
                    if sum(not f.done() for f in futures) >= self.workers:
                        wait([f for f in futures if not f.done()], return_when=FIRST_COMPLETED)
                    futures[pool.submit(_run_task, blob, rank, i % self.workers)] = rank
                stats = [future.result() for future in futures]
            except BrokenProcessPool:
                lost = sorted(set(ranks) - {rank for f, rank in futures.items() if f.done() and not f.exception()})
                raise RuntimeError(
                    f"a task process of {self.logging_dir.path} died (killed by the system, most often out of "
                    f"memory) while running tasks {lost}; rerun the same command to redo only the unfinished ones"
                ) from None
            finally:
                if owned:
                    pool.shutdown(cancel_futures=True)
        stats = sum(stats, start=PipelineStats())
        with self.logging_dir.open("stats.json", "wt") as statsfile:
            stats.save_to_disk(statsfile)
        logger.success(stats.get_repr(f"All {self.local_tasks} tasks"))
        return stats


def new_pool(workers: int, start_method: str = "forkserver"):
    """A process pool of ``workers`` processes that die with this one (:func:`die_with_parent`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context(start_method)
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),))


@contextlib.contextmanager
def shared_pool(executors: Sequence[PipelineExecutor]) -> Iterator[None]:
    """Run the local executors among ``executors`` (passes of one stage) on one process pool, as large as the
    widest of them needs, started at the first task that needs it and shut down on leaving; executors that run
    in this process (``workers == 1``) or elsewhere (Slurm, Ray) are left as they are. Each pool start costs
    seconds (a ``forkserver`` worker imports datatrove and dscoder afresh)."""
    local = [e for e in executors if isinstance(e, LocalExecutor) and e.workers > 1]
    if not local:
        yield
        return
    pool = new_pool(max(min(e.workers, e.local_tasks) for e in local), local[0].start_method)
    for e in local:
        e.pool = pool
    try:
        yield
    finally:
        for e in local:
            e.pool = None
        pool.shutdown(cancel_futures=True)


def ensure_ray(config: RayConfig) -> None:
    """Connect to (or start) Ray as ``config`` says, unless this process is already connected."""
    import ray

    if not ray.is_initialized():
        ray.init(address=config.address, num_cpus=config.num_cpus, include_dashboard=False, log_to_driver=False)


def _run_task(blob: bytes, rank: int, local_rank: int):
    import dill

    return dill.loads(blob)._run_for_rank(rank, local_rank)


def build_executor(
    pipeline: list,
    config: ExecutorConfig,
    logging_dir: str | Path,
    depends: PipelineExecutor | None = None,
    job_name: str | None = None,
) -> PipelineExecutor:
    """The datatrove executor ``config`` names, running ``pipeline`` with its logs and stats in ``logging_dir``."""
    logging_dir = str(logging_dir)
    if config.kind == "local":
        return LocalExecutor(
            pipeline, tasks=config.tasks, workers=config.workers, logging_dir=logging_dir, depends=depends,
            skip_completed=config.skip_completed, start_method=config.start_method,
        )  # fmt: skip
    if config.kind == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        s = config.slurm
        return SlurmPipelineExecutor(
            pipeline, tasks=config.tasks, workers=config.workers, time=s.time, partition=s.partition,
            cpus_per_task=s.cpus_per_task, mem_per_cpu_gb=s.mem_per_cpu_gb, job_name=job_name or s.job_name,
            qos=s.qos, venv_path=s.venv_path, condaenv=s.condaenv, env_command=s.env_command,
            sbatch_args=dict(s.sbatch_args) or None, max_array_size=s.max_array_size, logging_dir=logging_dir,
            depends=depends, skip_completed=config.skip_completed,
        )  # fmt: skip
    from datatrove.executor import RayPipelineExecutor

    ensure_ray(config.ray)
    return RayPipelineExecutor(
        pipeline, tasks=config.tasks, workers=config.workers, logging_dir=logging_dir, depends=depends,
        skip_completed=config.skip_completed, cpus_per_task=config.ray.cpus_per_task,
        mem_per_cpu_gb=config.ray.mem_per_cpu_gb,
    )  # fmt: skip
