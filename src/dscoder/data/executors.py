"""One way to run any dscoder datatrove pipeline locally, on Slurm or on Ray, chosen by a config dataclass.

Every pipeline of the project (filters, repository-level ordering and dedup, decontamination) builds its
executor with :func:`build_executor`, so the YAML section that picks where it runs reads the same everywhere::

    executor:
      kind: local        # local | slurm | ray
      tasks: 4           # shards of the input (datatrove ranks)
      workers: 2         # tasks running at once (-1: all)
      slurm: {partition: cpu, time: "12:00:00", cpus_per_task: 1, mem_per_cpu_gb: 2}
      ray: {address: null, cpus_per_task: 1, mem_per_cpu_gb: 1}

A rerun with the same logging folder skips finished tasks (datatrove's ``skip_completed``).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from datatrove.executor.base import PipelineExecutor

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
    """Have Linux kill this (child) process when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), so a
    SIGKILLed stage leaves no worker or manager process running; ``parent`` is the pid the caller expects as
    parent (a parent already gone ends this process at once). A no-op off Linux."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def ensure_ray(config: RayConfig) -> None:
    """Connect to (or start) Ray as ``config`` says, unless this process is already connected."""
    import ray

    if not ray.is_initialized():
        ray.init(address=config.address, num_cpus=config.num_cpus, include_dashboard=False, log_to_driver=False)


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
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(
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
