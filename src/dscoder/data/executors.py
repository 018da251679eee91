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
:class:`LocalExecutor`: a task process that dies is an error, and a killed run leaves no process behind. One
Ctrl-C stops the run within seconds (the workers are stopped, not waited for) and a task that fails ends the run
with one line naming its log file; either way the tasks that finished are kept and a rerun does the others. A
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

from dscoder.config import BoundedConfig, bounded


@dataclass
class SlurmConfig(BoundedConfig):
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


@dataclass
class RayConfig(BoundedConfig):
    """Arguments of datatrove's ``RayPipelineExecutor``. ``address``: an existing cluster (``auto`` or
    ``ray://host:port``); ``null`` starts a local one with ``num_cpus`` CPUs when none is running."""

    address: str | None = None
    num_cpus: int | None = bounded(None, ge=1)
    cpus_per_task: int = bounded(1, ge=1)
    mem_per_cpu_gb: float = bounded(1.0, gt=0)


@dataclass
class ExecutorConfig(BoundedConfig):
    """Where and how wide a datatrove pipeline runs."""

    kind: Literal["local", "slurm", "ray"] = "local"
    tasks: int = bounded(1, ge=1)
    workers: int = bounded(-1, ge=1, special={-1: "all tasks at once"})
    skip_completed: bool = True
    start_method: str = "forkserver"
    slurm: SlurmConfig = field(default_factory=SlurmConfig)
    ray: RayConfig = field(default_factory=RayConfig)

    def __post_init__(self):
        super().__post_init__()
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


def init_worker_process(parent: int) -> None:
    """Set up a worker process of a stage whose main process is ``parent``: it dies with the main process
    (:func:`die_with_parent`) and ignores Ctrl-C, which a terminal sends to every process of the foreground group:
    the main process alone decides, stops the workers (:func:`stop_process_pool`) and says so in one line, instead
    of each worker printing a traceback while the pool waits for work that will never come. tqdm gets a thread
    lock: its default lock is a named multiprocessing semaphore per process, which a worker stopped by
    :func:`stop_process_pool` would leave to the resource tracker's "leaked semaphore" warning (the progress bars
    of two workers may then interleave a line, as they do in datatrove's own pool)."""
    import threading

    from tqdm import tqdm

    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tqdm.set_lock(threading.RLock())


def stop_process_pool(pool, grace_s: float = 3.0) -> None:
    """Stop a ``ProcessPoolExecutor`` now: queued tasks cancelled, running ones sent SIGTERM and SIGKILLed after
    ``grace_s`` seconds. ``shutdown(wait=True)`` would instead run every queued task to the end."""
    import time

    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)
    pool.shutdown(wait=True)  # the workers are gone: this only lets the pool close its queues (no leak warning)


class TaskFailed(RuntimeError):
    """A task of a local run failed: one line naming the task, the error and the log file with its traceback."""

    one_line = True  # the CLI prints the message as it is, without the class name


#: ``<logging folder>/partial/<rank>.files``: the files a task has opened, one path a line, until it finishes
PARTIAL_FOLDER = "partial"


def _task_logger(logging_dir, rank: int, local_rank: int = 0, node_rank: int = -1):
    """datatrove's ``add_task_logger`` (the same console and log-file sinks and format), except that an error
    with a traceback goes to the task's log file only: datatrove's console sink prints it with loguru's whole
    annotated traceback (~180 lines per failing task), while the stage's main process reports the failure in
    one line that names this log file. Written here because datatrove has no option for it."""
    from datatrove.utils.logging import DATATROVE_COLORIZE_LOG_FILES, DATATROVE_COLORIZE_LOGS, logger

    logger.remove()
    logfile = logging_dir.open(f"logs/task_{rank:05d}.log", "w")
    node = f"[NODE {node_rank}] " if node_rank != -1 else ""
    fmt = (f"{node}{{time:YYYY-MM-DD HH:mm:ss.SSS}} | <level>{{level: <8}}</level> | "
           "{name}:{function}:{line} - <level>{message}</level>")  # fmt: skip
    logger.add(sys.stderr, colorize=DATATROVE_COLORIZE_LOGS, level="INFO" if local_rank == 0 else "ERROR",
               format=fmt, filter=lambda record: record["exception"] is None)  # fmt: skip
    # catch=False: a log that cannot be written (a full disk) fails the task, rather than loguru printing every
    # record it could not write, with its traceback, to the console
    logger.add(logfile, colorize=DATATROVE_COLORIZE_LOG_FILES, level="DEBUG", format=fmt, catch=False)
    logger.info(f"Launching pipeline for {rank=}")
    return logfile


def _writers(pipeline: list) -> list:
    """The datatrove writers of a pipeline: its steps and their exclusion writers (one level down)."""
    from datatrove.pipeline.writers.disk_base import DiskWriter

    found = []
    for step in pipeline:
        for candidate in (step, *vars(step).values()) if hasattr(step, "__dict__") else (step,):
            if isinstance(candidate, DiskWriter) and candidate not in found:
                found.append(candidate)
    return found


def _track_writer_files(pipeline: list, logging_dir, rank: int):
    """From now on, every file that a writer of ``pipeline`` opens is first listed in the task's partial-files list
    (:data:`PARTIAL_FOLDER`), so that whoever finds the task unfinished can remove what it wrote; and when a writer
    closes its files, the files under their compression are closed too. (fsspec hands datatrove a ``GzipFile``
    over the real file, and closing a ``GzipFile`` leaves that file to the garbage collector, whose flush error is
    ignored: on a full disk a shard lost its last buffer while its task counted as done.) Returns the list's open
    file."""
    listing = logging_dir.open(f"{PARTIAL_FOLDER}/{rank:05d}.files", "a")
    for writer in _writers(pipeline):
        manager, folder, seen, raw_files = writer.output_mg, writer.output_folder, set(), []

        def get_file(filename, _open=manager.get_file, _folder=folder, _seen=seen, _raw=raw_files):
            if filename not in _seen:
                _seen.add(filename)
                listing.write(_folder.resolve_paths(filename) + "\n")
                listing.flush()
            file = _open(filename)
            raw = getattr(file, "fileobj", None)  # GzipFile / BZ2File / ... over the file on disk
            if raw is not None and all(raw is not known for known in _raw):
                _raw.append(raw)
            return file

        def close(_close=manager.close, _raw=raw_files):
            _close()
            for raw in _raw:
                if not raw.closed:
                    raw.close()  # flushes now: a write error fails the task before it is marked done
            _raw.clear()

        manager.get_file, manager.close = get_file, close
    return listing


def remove_partial_files(logging_dir, ranks) -> int:
    """Remove the files that the unfinished tasks among ``ranks`` had started (a stopped, failed or killed run) and
    every partial-files list of a finished task; returns how many files were removed. A rerun writes them anew."""
    from fsspec.core import url_to_fs

    removed = 0
    for rank in ranks:
        name = f"{PARTIAL_FOLDER}/{rank:05d}.files"
        if not logging_dir.isfile(name):
            continue
        if not logging_dir.isfile(f"completions/{rank:05d}"):
            with logging_dir.open(name, "r") as f:
                paths = [line.rstrip("\n") for line in f if line.strip()]
            for path in paths:
                fs, local = url_to_fs(path)
                if fs.exists(local):
                    fs.rm(local)
                    removed += 1
        logging_dir.rm(name)
    return removed


class LocalExecutor(LocalPipelineExecutor):
    """datatrove's ``LocalPipelineExecutor`` (same arguments, logs, stats and ``skip_completed``) with a different
    ``run``, because the stock one (datatrove 0.10) waits forever in ``Pool.imap_unordered`` when the kernel kills a
    task process (out of memory), and its ``multiprocess.Manager`` server, the forkserver and the workers outlive
    a SIGKILLed run. Here ``workers == 1`` runs the tasks in this process, and more workers run in a
    ``concurrent.futures.ProcessPoolExecutor``: a dead task process raises ``BrokenProcessPool``, reported as one
    error (a rerun resumes), and every worker dies with its parent (:func:`die_with_parent`). ``local_rank`` (which
    datatrove uses only to decide which task logs to the console) is the task's slot, ``index % workers``.

    ``pool``: a running pool to use instead of starting one (:func:`shared_pool`)."""

    pool = None

    def __getstate__(self):  # the task processes get the pipeline, never the pool
        state = dict(self.__dict__)
        state.pop("pool", None)
        return state

    def run(self):
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
        remove_partial_files(self.logging_dir, local)  # what a killed earlier run left unfinished
        rank = None
        try:
            if self.workers == 1:
                pipeline, stats = self.pipeline, []
                for rank in ranks:
                    self.pipeline = copy.deepcopy(pipeline)  # fresh blocks: their stats are per task
                    stats.append(self._run_for_rank(rank, 0))
            else:
                stats = self._run_in_pool(ranks)
        except KeyboardInterrupt:
            remove_partial_files(self.logging_dir, ranks)  # the unfinished tasks' files: a rerun writes them anew
            done = sum(map(self.is_rank_completed, local))
            raise KeyboardInterrupt(
                f"{done} of {self.local_tasks} tasks of {self.logging_dir.path} finished and are kept, the others' "
                "files removed; rerun the same command to do them"
            ) from None
        except Exception as exc:
            remove_partial_files(self.logging_dir, ranks)
            if rank is None or isinstance(exc, TaskFailed):  # the pool's errors are one line already
                raise
            raise self._failure(rank, exc) from exc  # a task that ran in this process (workers: 1)
        stats = sum(stats, start=PipelineStats())
        with self.logging_dir.open("stats.json", "wt") as statsfile:
            stats.save_to_disk(statsfile)
        logger.success(stats.get_repr(f"All {self.local_tasks} tasks"))
        return stats

    def _run_in_pool(self, ranks: list[int]) -> list:
        """Run ``ranks`` in worker processes; the first failure, a dead worker or Ctrl-C stops the others now."""
        from concurrent.futures import FIRST_EXCEPTION, wait
        from concurrent.futures.process import BrokenProcessPool

        import dill

        blob = dill.dumps(self)  # pipelines may hold lambdas: dill, as datatrove's own (multiprocess) pool
        owned = self.pool is None
        pool = new_pool(min(self.workers, len(ranks)), self.start_method) if owned else self.pool
        parent = os.getpid()
        finished = False
        try:
            futures = {pool.submit(_run_task, blob, rank, i % self.workers, parent): rank
                       for i, rank in enumerate(ranks)}  # fmt: skip
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in done and f.exception() is not None]
            if failed:
                first = min(failed, key=lambda f: futures[f])
                if isinstance(first.exception(), BrokenProcessPool):
                    lost = sorted(rank for future, rank in futures.items() if not future.done() or future.exception())
                    raise RuntimeError(
                        f"a task process of {self.logging_dir.path} died (killed by the system, most often out of "
                        f"memory) while running tasks {lost}; rerun the same command to redo only the unfinished ones"
                    )
                raise self._failure(futures[first], first.exception())
            stats = [future.result() for future in futures]
            finished = True
            return stats
        finally:
            if owned or not finished:  # at once when the run fails or is interrupted; a shared pool lives on
                stop_process_pool(pool)

    def _failure(self, rank: int | None, exc: BaseException) -> TaskFailed:
        """One line for a failed task: its rank, the error and where its traceback was logged."""
        if isinstance(exc, TaskFailed):
            return exc
        message = " ".join(str(exc).split()) or type(exc).__name__
        log = f"logs/task_{rank:05d}.log"
        reading = self._last_input_file(log)
        if reading and reading not in message:
            message += f" (last input file opened: {reading})"
        return TaskFailed(f"task {rank} of {self.logging_dir.path} failed: {type(exc).__name__}: {message}; traceback "
                          f"in {self.logging_dir.path}/{log}. Finished tasks are kept, the others' files removed: fix "
                          "the cause and rerun the same command")  # fmt: skip

    def _last_input_file(self, log: str) -> str | None:
        """The input file a task's log last says it opened (datatrove's readers log each one), if any."""
        import re

        try:
            with self.logging_dir.open(log, "r") as f:
                found = re.findall(r"Reading input file (.+), \d+/\d+$", f.read(), flags=re.MULTILINE)
        except OSError:
            return None
        return found[-1] if found else None

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        """datatrove's task run, with errors logged as :func:`_task_logger` does and the files its writers open
        listed until it finishes (:func:`remove_partial_files` removes them when it does not)."""
        from datatrove.executor import base

        if self.is_rank_completed(rank):
            return super()._run_for_rank(rank, local_rank, node_rank)
        listing = _track_writer_files(self.pipeline, self.logging_dir, rank)
        original, base.add_task_logger = base.add_task_logger, _task_logger
        try:
            stats = super()._run_for_rank(rank, local_rank, node_rank)
        finally:
            base.add_task_logger = original
            listing.close()
        remove_partial_files(self.logging_dir, [rank])  # finished: only the list goes
        return stats


def new_pool(workers: int, start_method: str = "forkserver"):
    """A pool of ``workers`` processes for :class:`LocalExecutor` tasks. The initializer is the stdlib's
    ``signal.signal``: a worker ignores Ctrl-C before it imports anything (a forkserver worker imports dscoder when
    its first task arrives; the rest of its set-up comes then, :func:`init_worker_process`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context(start_method)
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))


@contextlib.contextmanager
def shared_pool(executors: Sequence[PipelineExecutor]) -> Iterator[None]:
    """Run the local executors among ``executors`` (passes of one stage) on one process pool, as large as the
    widest of them needs, and stop it on leaving; executors that run in this process (``workers == 1``) or
    elsewhere (Slurm, Ray) are left as they are. Each pool start costs seconds (a ``forkserver`` worker imports
    datatrove and dscoder afresh); measured in ``bench/repo_level.py``."""
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
        stop_process_pool(pool)


def ensure_ray(config: RayConfig) -> None:
    """Connect to (or start) Ray as ``config`` says, unless this process is already connected."""
    import ray

    if not ray.is_initialized():
        ray.init(address=config.address, num_cpus=config.num_cpus, include_dashboard=False, log_to_driver=False)


_WORKER_READY = False


def _run_task(blob: bytes, rank: int, local_rank: int, parent: int):
    import dill

    global _WORKER_READY
    if not _WORKER_READY:  # the first task of this worker process
        init_worker_process(parent)
        _WORKER_READY = True
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
