"""A one-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's ``slurm-wlm`` and ``munge``
(``make slurm`` installs them), started in a temporary folder with a generated ``slurm.conf`` and munge key, so
``sbatch`` (what datatrove's ``SlurmPipelineExecutor`` calls) runs real jobs on this machine.

Nothing system-wide is touched: every daemon has its own socket, ports, state, spool and log files under the
folder, and ``SLURM_CONF`` points the client commands at it. :func:`start` returns ``None`` with the reason when
Slurm is not installed or cannot run here (not root).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")
PARTITION = "dscoder"


def unavailable() -> str | None:
    """Why a one-node Slurm cannot start here, or ``None``."""
    missing = [name for name in DAEMONS if shutil.which(name) is None]
    if missing:
        return f"Slurm is not installed ({', '.join(missing)} missing; `make slurm` installs slurm-wlm and munge)"
    if os.geteuid() != 0:
        return "slurmd runs jobs as their user and must start as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: no daemon outlives a killed test run


@dataclass
class Cluster:
    folder: Path
    conf: Path
    partition: str = PARTITION
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def logs(self, lines: int = 20) -> str:
        """The last lines of every daemon log (for a failure message)."""
        out = []
        for log in sorted((self.folder / "log").glob("*")):
            out.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(out)

    def jobs(self) -> list[str]:
        """The jobs still queued or running (``squeue``)."""
        proc = subprocess.run(["squeue", "-h", "-o", "%i %T %r"], capture_output=True, text=True, check=True,
                              env={**os.environ, **self.env})  # fmt: skip
        return proc.stdout.split("\n")[:-1]

    def wait_idle(self, timeout: float) -> None:
        """Until no job is queued or running; ``TimeoutError`` with the queue and the daemon logs after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while jobs := self.jobs():
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs still queued after {timeout:g} s: {jobs}\n{self.logs()}")
            time.sleep(0.25)

    def stop(self) -> None:
        subprocess.run(["scancel", "-p", self.partition], env={**os.environ, **self.env}, capture_output=True,
                       check=False)  # fmt: skip
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start(folder: Path, timeout: float = 30.0) -> Cluster:
    """Start munged, slurmctld and slurmd in ``folder``; returns once the node is idle (or raises with the logs)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # munged wants its socket's folder readable by all, writable by its owner only
    for sub in ("state", "spool", "log"):
        (folder / sub).mkdir(exist_ok=True)
    key, sock = folder / "munge.key", folder / "munge.sock"
    subprocess.run(["mungekey", "--create", f"--keyfile={key}", "--force"], check=True, capture_output=True)
    host = socket.gethostname().split(".")[0]
    memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)  # under slurmd's count
    conf = folder / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=dscodertest",
        f"SlurmctldHost={host}(127.0.0.1)",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={sock}",
        "SlurmUser=root",
        "SlurmdUser=root",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",  # no cgroups: works in containers
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "SchedulerType=sched/builtin",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "MpiDefault=none",
        "ReturnToService=2",
        "MinJobAge=2",
        "KillWait=2",
        f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={memory_mb} State=UNKNOWN",
        f"PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP",
    ]) + "\n")  # fmt: skip
    cluster = Cluster(folder, conf)
    env = {**os.environ, **cluster.env}
    commands = [
        ["munged", "-F", f"--socket={sock}", f"--key-file={key}", f"--pid-file={folder / 'munged.pid'}",
         f"--seed-file={folder / 'munged.seed'}", f"--log-file={folder / 'log' / 'munged.log'}", "--force"],
        ["slurmctld", "-D", "-i", "-f", str(conf)],  # -i: no state from an earlier run
        ["slurmd", "-D", "-f", str(conf)],
    ]  # fmt: skip
    try:
        for command in commands:
            log = open(folder / "log" / f"{command[0]}.out", "w")  # noqa: SIM115  (the daemon keeps it)
            cluster.processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                                      preexec_fn=_die_with_parent))  # noqa: PLW1509  # fmt: skip
            if command[0] == "munged":
                _wait_for(lambda: sock.exists(), timeout, "munged did not create its socket", cluster)
        _wait_for(lambda: _node_state(cluster) == "idle", timeout, "the node did not become idle", cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _node_state(cluster: Cluster) -> str:
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, check=False,
                          env={**os.environ, **cluster.env})  # fmt: skip
    return proc.stdout.strip()


def _wait_for(ready, timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [p.args[0] for p in cluster.processes if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(f"one-node Slurm: {what} ({'exited: ' + ', '.join(dead) if dead else 'timeout'})\n"
                               f"{cluster.logs()}")  # fmt: skip
        time.sleep(0.1)
