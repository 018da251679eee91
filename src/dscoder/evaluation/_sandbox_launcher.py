"""Child-side half of the sandbox: isolate, then run the untrusted program as PID 1 of its own namespaces.

Run as ``python -I -S _sandbox_launcher.py CONFIG_JSON`` by :mod:`dscoder.evaluation.sandbox` (stdlib only, so it
starts in a few milliseconds and never imports the harness), or as its warm Python zygote (``--zygote``) or its
reaper (``--reaper``). Doing this in a launcher instead of a ``preexec_fn`` keeps ``subprocess`` thread-safe.

Per program, in order (each step needs the privileges the next one drops):

1. the launcher dies with the harness (``PR_SET_PDEATHSIG``) and leaves the harness's namespaces: fresh PID, mount
   and (unless allowed) network namespaces, inside a fresh user namespace when not root;
2. it forks the program's process, PID 1 of the new PID namespace, and stays outside as its *relay*: it waits for
   it, exits as it did, and (Python) holds the private verdict channel (below). When PID 1 dies every process of
   the program dies with it, and PID 1 itself dies with the relay (``PR_SET_PDEATHSIG``). (A Python program of the
   zygote's forkers is forked straight into its PID namespace by the forker, which is its relay; see the zygote);
3. in PID 1: join the program's memory cgroup (one cap for all its processes), make every inherited mount
   read-only and private (one ``mount_setattr`` where the kernel has it), cover the world-writable scratch dirs
   (``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run``) with fresh size-capped tmpfs, cover the host's top-level
   folders with empty tmpfs and bind back what the program needs there, bind the program's dir back read-write,
   and mount a ``/proc`` of its own PID namespace (Python programs get an empty one: no ``/proc/self/mem``);
4. resource limits (CPU, address space, file size, processes, no core), ``PR_SET_NO_NEW_PRIVS`` and a seccomp
   filter refusing ``socket(AF_VSOCK)`` (vsock reaches a VM's host whatever the network namespace; the zygote
   attaches both to itself once and its programs inherit them), close every fd above 2;
5. (root) drop to a throw-away uid/gid that owns nothing but the program's dir;
6. ``chdir`` and ``execve`` the program with a minimal environment (or, in the zygote, run the Python program).

**Verdicts of Python programs** come from outside the program's reach: the relay listens on a unix socket; after
the program's code returned normally (no exception, no ``SystemExit``, no ``os._exit``) the runner (trusted
code around the program, :data:`RUNNER_SOURCE`) connects to it and the relay accepts the connection only from PID 1
itself (``SO_PEERCRED``). An audit hook (PEP 578, irremovable), installed before the program runs, allows that
connect only in the runner's confirming state and from its frame (see the runner's comment), and refuses to the
program's code: tracing and profiling (so no ``f_lineno`` jump over the asserts), ``exec*`` of the process, its
own audit hooks, subinterpreters, ctypes calls and raw memory access, and, when its tests share its namespace, the
tests' code. The program exits 0 without that confirmation: the relay reports :data:`EXIT_NO_VERDICT`. The program's
text and checks reach the runner as fds of files removed before isolation (:func:`open_program`).

Exit codes of the launcher itself: 97 isolation failed, 98 the Python program exited 0 before its runner
confirmed its end, 127 exec failed.
"""

import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import socket
import stat
import struct
import sys
import time
import traceback  # noqa: F401 - preloaded for the Python runner (forked from the zygote)

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
MS_MOVE, MNT_DETACH = 8192, 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
_PER_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024,
                    "nodiratime": 2048, "relatime": 1 << 21}
EXIT_ISOLATION_FAILED = 97
EXIT_NO_VERDICT = 98
EXIT_EXEC_FAILED = 127
VERDICT_MESSAGE = b"dscoder: the program returned normally\n"

_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _unshare(flags):
    if _libc().unshare(flags) != 0:
        return os.strerror(ctypes.get_errno())
    return None


def _prctl(option, value):
    _libc().prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _die_with_parent(parent_pid):
    """SIGKILL this process when its parent dies (and now, if it already has)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() not in (parent_pid, 0):  # 0: PID 1 of a fresh namespace (its parent is outside it)
        os._exit(EXIT_ISOLATION_FAILED)


def _map_own_ids(uid, gid):
    """Keep our own ids visible inside a fresh user namespace."""
    try:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    except OSError:
        pass


def _leave_namespaces(cfg, pid_namespace=True):
    """Unshare what this machine allows; return the flags obtained. Exits 97 when nothing can be unshared, or when
    the network cannot be isolated and the config requires it (``network_required``)."""
    as_root = os.geteuid() == 0
    network = cfg.get("network") == "isolate"
    base = (CLONE_NEWPID if pid_namespace else 0) | CLONE_NEWNS | (0 if as_root else CLONE_NEWUSER)
    uid, gid = os.getuid(), os.getgid()
    attempts = [base | CLONE_NEWNET, base] if network else [base]
    if not as_root:
        attempts.append(0)  # no user namespaces: only rlimits and the account's own permissions
    error = None
    for flags in attempts:
        failed = _unshare(flags) if flags else None
        if failed is None:
            if flags & CLONE_NEWUSER:
                _map_own_ids(uid, gid)
            if network and not flags & CLONE_NEWNET and cfg.get("network_required", True):
                sys.stderr.write(f"sandbox: cannot create a network namespace: {error}\n")
                os._exit(EXIT_ISOLATION_FAILED)
            return flags
        error = error or failed
    sys.stderr.write(f"sandbox: cannot create namespaces: {error}\n")
    os._exit(EXIT_ISOLATION_FAILED)


def _listen_for_verdict():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    address = "dscoder-verdict-" + os.urandom(12).hex()  # not a secret (see the module docstring)
    sock.bind("\0" + address)  # abstract: nothing on disk
    sock.listen(4)
    return sock, address


def _accept_verdict(listener, program_pid):
    """One connection on the verdict channel: True when it comes from the program's own process (PID 1 of its
    namespace, seen from here as ``program_pid``) and says the runner's message."""
    try:
        conn, _ = listener.accept()
    except OSError:
        return False
    with conn:
        conn.settimeout(2)
        pid, _uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        if pid != program_pid:
            return False
        data = b""
        try:
            while len(data) < len(VERDICT_MESSAGE):
                chunk = conn.recv(len(VERDICT_MESSAGE) - len(data))
                if not chunk:
                    break
                data += chunk
            if data == VERDICT_MESSAGE:
                conn.sendall(b"k")
                return True
        except OSError:
            pass
    return False


def _relay(pid, listener):
    """Wait for the program (``pid``), accepting its verdict connection if it has one; exit as it did."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signal.SIGKILL))
    passed = False
    watched = [wake_r] + ([listener] if listener is not None else [])
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        try:
            readable, _, _ = select.select(watched, [], [])
        except InterruptedError:
            continue
        if listener is not None and listener in readable:
            passed = _accept_verdict(listener, pid) or passed
        if wake_r in readable:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    code = os.WEXITSTATUS(status)
    if code == 0 and listener is not None and not passed:
        code = EXIT_NO_VERDICT
    os._exit(code)


def enter_sandbox(cfg):
    """Steps 1-2 of the module docstring. Returns in the program's process (PID 1) with the verdict address (or
    None) and the namespaces obtained; the calling process becomes its relay and never returns."""
    parent = os.getpid()
    flags = _leave_namespaces(cfg)
    listener, address = _listen_for_verdict() if cfg.get("verdict") else (None, None)
    pid = os.fork()
    if pid == 0:
        if listener is not None:
            listener.close()
        _die_with_parent(parent)
        return address, flags
    _relay(pid, listener)


def _mount(source, target, fstype, flags, data=None):
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if _libc().mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _bind_read_only(fd, path):
    """Bind what ``fd`` (an ``O_PATH`` fd: a dir or a file) is onto ``path``, read-only; close ``fd``."""
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o444))
    _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    os.close(fd)


def _mount_points():
    """(mount point, per-mount flags) of every mount of this mount namespace, from /proc/self/mountinfo."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode("utf-8", "surrogateescape").decode("unicode_escape", "surrogateescape")
            flags = 0
            for option in fields[5].split(","):
                flags |= _PER_MOUNT_FLAGS.get(option, 0)
            points.append((point, flags))
    return points


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


_SYS_MOUNT_SETATTR, _AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1  # 442 on every architecture


def _read_only_private_tree():
    """Every inherited mount read-only and private (no propagation to or from the host) in one system call,
    ``mount_setattr(2)`` (Linux 5.12+; atomic: all or nothing). False where the kernel lacks it."""
    attr = _MountAttr(_MOUNT_ATTR_RDONLY, 0, MS_PRIVATE, 0)
    return _libc().syscall(ctypes.c_long(_SYS_MOUNT_SETATTR), ctypes.c_int(_AT_FDCWD), b"/",
                           ctypes.c_uint(_AT_RECURSIVE), ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr))) == 0


def _private_mounts(cfg, strict):
    """Step 3's mounts (we are in a fresh mount namespace). ``strict`` (root): any failure stops the program."""
    cwd = cfg["cwd"]
    cwd_fd = os.open(cwd, os.O_PATH)
    hidden_fds = [(hidden, [(p, os.open(p, os.O_PATH)) for p in paths]) for hidden, paths in cfg.get("hide") or []
                  if os.path.isdir(hidden)]
    keep_fds = [(p, os.open(p, os.O_PATH)) for p in cfg.get("keep") or [] if os.path.isdir(p)]
    points = cfg.get("mounts") or _mount_points()  # the harness reads the mount table once (slow per program)
    if not _read_only_private_tree():  # kernels before 5.12: every inherited mount, one by one
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        for point, flags in points:  # no host path stays writable
            if point.startswith(("/proc", "/sys")):  # kernel interfaces, writable by root only: left as they are
                continue
            try:
                _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)
            except OSError:
                if strict and point == "/":
                    raise
    size = int(cfg.get("scratch_bytes") or 64 << 20)
    for scratch in cfg["scratch_dirs"]:
        if os.path.isdir(scratch) and not os.path.islink(scratch):
            _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}")
    for path, fd in keep_fds:
        _bind_read_only(fd, path)
    empty = None  # the host's folders: one empty read-only tmpfs, bound over each (a bind costs less than a mount)
    for hidden, fds in hidden_fds:  # ... but a folder holding what the program needs gets its own, filled below
        if fds:
            _mount("tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
            for path, fd in fds:
                _bind_read_only(fd, path)
        elif empty is None:
            _mount("tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=755,size=4k")
            empty = hidden
        else:
            _mount(empty, hidden, None, MS_BIND)
    os.makedirs(cwd, exist_ok=True)
    _mount(f"/proc/self/fd/{cwd_fd}", cwd, None, MS_BIND)
    inherited = max(((len(p), f) for p, f in points if cwd == p or cwd.startswith(p.rstrip("/") + "/")),
                    default=(0, 0))[1]  # the flags of the mount the dir lies on
    _mount(None, cwd, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | inherited)  # writable again (this dir only)
    os.close(cwd_fd)
    for hidden, fds in hidden_fds:  # read-only once the program's dir (which may lie in one) is bound
        if fds:
            _mount(None, hidden, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=755,size=64k")
    for path in cfg.get("hide_files") or []:
        if os.path.isfile(path):
            _mount("/dev/null", path, None, MS_BIND)
    try:
        if cfg.get("verdict"):  # Python: no process files (no /proc/self/mem to rewrite the runner with)
            _python_proc()
        else:  # this PID namespace's own processes only
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        if strict:
            raise


def _python_proc():
    """/proc of a Python program: a read-only tmpfs holding only the machine-wide files libraries read at import
    (OpenBLAS, torch: cpuinfo, meminfo), bound from the host's /proc. Built in a private /tmp, then moved."""
    stage = "/tmp/.dscoder-proc"
    os.mkdir(stage)
    _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
    for name in ("cpuinfo", "meminfo", "stat"):
        try:
            os.close(os.open(f"{stage}/{name}", os.O_CREAT | os.O_WRONLY, 0o444))
            _mount(f"/proc/{name}", f"{stage}/{name}", None, MS_BIND)
        except OSError:
            pass
    _mount(stage, "/proc", None, MS_MOVE)
    os.rmdir(stage)
    _mount(None, "/proc", None, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=555")


def _join_cgroup(path):
    with open(os.path.join(path, "cgroup.procs"), "w") as f:
        f.write("0")


def _processes_of(uid):
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                count += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return count


def _set_limit(which, value):
    if value is None:
        return
    value = int(value)
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and os.geteuid() != 0:
        value = min(value, hard)  # an unprivileged process may lower its hard limit, never raise it
    resource.setrlimit(which, (value, value))


def isolate(cfg, flags, keep_fds=()):
    """Steps 3-5 of the module docstring, in the program's process (exits 97 when isolation fails). ``keep_fds``:
    the fds above 2 that stay open (the program's text and checks, see :func:`open_program`)."""
    as_root = os.geteuid() == 0
    limits = cfg["limits"]
    uid = cfg.get("uid")
    nproc = limits.get("max_processes")
    if nproc is not None and not (as_root and uid is not None):
        # RLIMIT_NPROC counts every process of the real uid: leave room for the ones the user already has.
        nproc = _processes_of(os.getuid()) + int(nproc)
    if cfg.get("cgroup"):
        try:
            _join_cgroup(cfg["cgroup"])
        except OSError as exc:
            sys.stderr.write(f"sandbox: cannot join the program's cgroup: {exc}\n")
            os._exit(EXIT_ISOLATION_FAILED)
    if flags & CLONE_NEWNS:
        try:
            _private_mounts(cfg, strict=as_root)
        except OSError as exc:
            if as_root:
                sys.stderr.write(f"sandbox: cannot set up private mounts: {exc}\n")
                os._exit(EXIT_ISOLATION_FAILED)

    cpu = limits.get("cpu_s")
    if cpu is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 1))
    _set_limit(resource.RLIMIT_AS, limits.get("memory_bytes"))
    _set_limit(resource.RLIMIT_FSIZE, limits.get("file_size_bytes"))
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_NPROC, nproc)

    if as_root and uid is not None:
        try:
            os.setgroups([])
            os.setgid(int(cfg["gid"]))
            os.setuid(int(uid))
        except OSError as exc:
            sys.stderr.write(f"sandbox: cannot drop privileges to uid {uid}: {exc}\n")
            os._exit(EXIT_ISOLATION_FAILED)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a uid change clears it
    try:
        if not _SYSTEM_CALLS_RESTRICTED:  # the zygote's programs inherit its filter (attaching one costs ~0.5 ms)
            _no_new_privileges_no_vsock()
    except OSError as exc:
        sys.stderr.write(f"sandbox: cannot restrict the program's system calls: {exc}\n")
        os._exit(EXIT_ISOLATION_FAILED)
    first = 3  # nothing of the harness (pipes, sockets) reaches the program
    for fd in sorted(fd for fd in keep_fds if fd >= first):
        os.closerange(first, fd)
        first = fd + 1
    os.closerange(first, 1 << 20)
    os.chdir(cfg["cwd"])
    os.umask(0o077)


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


#: (AUDIT_ARCH, socket syscall number) where the filter applies; elsewhere only no_new_privs is set
_SECCOMP_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
AF_VSOCK = 40


_SYSTEM_CALLS_RESTRICTED = False  #: True in the zygote (and so in everything forked from it) once the filter is on


def _no_new_privileges_no_vsock():
    """``PR_SET_NO_NEW_PRIVS`` (setuid binaries gain nothing) and a seccomp filter refusing ``socket(AF_VSOCK)``:
    vsock reaches the VM's host and ignores network namespaces."""
    libc = _libc()
    if libc.prctl(38, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    arch = _SECCOMP_ARCHES.get(os.uname().machine)
    if arch is None:
        return
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    deny, allow = 0x00050000 | 97, 0x7FFF0000  # SECCOMP_RET_ERRNO | EAFNOSUPPORT, SECCOMP_RET_ALLOW
    program = [  # (code, jump if true, jump if false, k); jumps count instructions after the next one
        (ld, 0, 0, 4), (jeq, 0, 6, arch[0]),  # 0-1: another architecture's calling convention: allow
        (ld, 0, 0, 0), (jge, 3, 0, 0x40000000),  # 2-3: x32 system calls (bit 30 set): refuse
        (jeq, 0, 3, arch[1]),  # 4: not socket(): allow
        (ld, 0, 0, 16), (jeq, 0, 1, AF_VSOCK),  # 5-6: the address family (low 32 bits of the first argument)
        (ret, 0, 0, deny),  # 7
        (ret, 0, 0, allow),  # 8
    ]
    filters = (_SockFilter * len(program))(*[_SockFilter(*insn) for insn in program])
    fprog = _SockFprog(len(program), filters)
    if libc.prctl(22, ctypes.c_ulong(2), ctypes.byref(fprog), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


def open_program(cfg):
    """``(source_fd, checks_fd)`` (-1 for none) of a Python program: its text and checks (``python_source``,
    ``python_checks``: root-only files outside the program's dir) opened now, before isolation, and their files
    removed, so that they exist only as these fds, which the runner reads and closes before the program's code
    runs. Neither is ever a file the program can open."""
    fds = []
    for key in ("python_source", "python_checks"):
        path = cfg.get(key)
        if not path:
            fds.append(-1)
            continue
        try:
            fds.append(os.open(path, os.O_RDONLY | os.O_CLOEXEC))
            os.unlink(path)
        except OSError as exc:
            sys.stderr.write(f"sandbox: cannot open the program's {key}: {exc}\n")
            os._exit(EXIT_ISOLATION_FAILED)
    return fds


def main():
    cfg = json.loads(sys.argv[1])
    _die_with_parent(os.getppid())
    address, flags = enter_sandbox(cfg)
    program_fds = open_program(cfg) if cfg.get("verdict") else ()
    isolate(cfg, flags, program_fds)
    argv = cfg["argv"]
    if cfg.get("verdict"):  # a Python program: its interpreter runs it through the runner
        for fd in program_fds:
            if fd >= 0:
                os.set_inheritable(fd, True)
        source = f"VERDICT_MESSAGE = {VERDICT_MESSAGE!r}\n{RUNNER_SOURCE}\nimport sys\nrun_python_program(" \
                 "sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == '1', int(sys.argv[6]))\n"
        argv = [argv[0], "-I", "-c", source, cfg["python_name"], address, *map(str, program_fds),
                "1" if cfg.get("official") else "0", str(cfg.get("python_tests_line") or 0)]
    try:
        os.execvpe(argv[0], argv, cfg["env"])
    except OSError as exc:
        sys.stderr.write(f"sandbox: cannot execute {argv[0]!r}: {exc}\n")
        os._exit(EXIT_EXEC_FAILED)


# ---------------------------------------------------------------------------------------------------------------
# The Python runner: trusted code around an untrusted Python program, in the program's own process. Kept as source
# text so that the per-program interpreter (``python -I -c RUNNER_SOURCE NAME ADDRESS SOURCE_FD CHECKS_FD
# OFFICIAL``) and the zygote run the very same code.
#
# The verdict: the relay accepts one connection, from the program's first process, saying VERDICT_MESSAGE. The
# program can read every frame (``sys._getframe``, ``f_back``, ``f_locals``, ``f_globals``) and so the relay's
# address, and it can make the runner call its code (replaced streams, ``__del__``, gc and weakref callbacks,
# signal handlers, its own audit hooks): trusted code that merely *calls* the connect is not enough. The audit hook
# allows a unix-socket connect only while ``state`` is CONFIRMING and only from the runner's own frame; ``state``
# is a closure cell of the runner and its hook, which no reachable function closes over (the hook is unreachable
# once added), so only the runner's straight-line path after the program returned normally sets it, and the
# first connect there ends it. Nothing after the program ran looks up a global or builtin name (the program may
# rebind them): everything is captured in locals first.
#
# The tests: the program's text (and, in checked mode, its tests) reach the runner as file descriptors of files
# removed before isolation; the runner reads and closes them before the program's code runs, and keeps neither the
# text nor the compiled code in a frame. With the tests in the program's namespace (``checks: shared``), reading
# the code of that namespace (``f_code``, ``__code__``, ``gi_code`` ...: the constants the asserts compare with)
# is refused, so no answer key can be read back from frames either.

RUNNER_SOURCE = r'''
import io

#: what the official harness's ``reliability_guard`` sets to None before it runs a program
OFFICIAL_DISABLED = (
    ("builtins", ("exit", "quit", "help")),
    ("os", ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork", "forkpty",
            "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown", "chmod", "chown",
            "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir")),
    ("shutil", ("rmtree", "move", "chown")),
    ("subprocess", ("Popen",)),
)
OFFICIAL_BLOCKED_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter")
#: modules whose functions reach raw memory or start an interpreter without this runner's audit hook
UNSAFE_MODULES = frozenset((
    "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_testsinglephase", "_testimportmultiple",
    "_testclinic", "_ctypes_test", "_xxtestfuzz", "_xxsubinterpreters", "_xxinterpchannels",
))
CODE_ATTRIBUTES = frozenset(("f_code", "__code__", "gi_code", "cr_code", "ag_code"))


def read_fd(fd):
    import os
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode("utf-8")


def run_python_program(name, verdict_address, source_fd, checks_fd=-1, official=False, tests_line=0):
    # Run the program read from ``source_fd`` (its tests with it, or, in checked mode, apart: ``checks_fd``) and
    # confirm to the relay only when its code returned normally. ``official``: as the official harness runs it
    # (``exec`` in a fresh globals dict, stdin raising OSError, output swallowed, reliability_guard's None's).
    # ``tests_line`` (> 0: the tests share the program's namespace from that line of its text on): the code of the
    # module, of the frames running those lines and of the namespace's functions is unreadable to the program.
    import builtins, io, os, sys, traceback, _socket
    _exit, _getframe, _print_exception, _write = os._exit, sys._getframe, traceback.print_exception, os.write
    _unix, _stream, _socket_type = _socket.AF_UNIX, _socket.SOCK_STREAM, _socket.socket
    _tuple, _str, _type, _isinstance, _getattr = tuple, str, type, isinstance, getattr
    _int, _int_and, _message, _compile, _exec = int, int.__and__, VERDICT_MESSAGE, compile, exec
    _RuntimeError, _SystemExit, _BaseException = RuntimeError, SystemExit, BaseException
    _frame_type, _function_type, _getvalue = _type(_getframe()), _type(read_fd), io.StringIO.getvalue
    _read_fd, _unsafe, _code_attributes = read_fd, UNSAFE_MODULES, CODE_ATTRIBUTES
    runner = _getframe()
    state = 0  # 0 running, 1 confirming (the runner's connect is allowed once), 2 confirmed, 3 reporting a failure
    program_globals = None  # shared checks: the namespace whose tests' code stays unread (see the hook)
    refused = frozenset((
        "sys.settrace", "sys.setprofile", "os.exec", "ctypes.call_function", "ctypes.cdata", "ctypes.string_at",
        "ctypes.wstring_at", "ctypes.dlsym/handle", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
        "sys.addaudithook", "cpython.PyInterpreterState_New", "cpython._PySys_ClearAuditHooks",
    ))
    try:  # the program's process only: no ptrace or /proc/PID/mem from its other processes
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except Exception:
        pass

    def refuse(event, args):
        nonlocal state
        if event in refused or (event == "ctypes.dlsym" and not _str(args[1]).startswith("PyCapsule_")):  # dill
            raise _RuntimeError(f"sandbox: {event} is not allowed in evaluated programs")
        if event == "socket.connect" and not _isinstance(args[1], _tuple):
            if state == 1 and _getframe(1) is runner:
                state = 2
                return
            raise _RuntimeError("sandbox: unix sockets are not allowed in evaluated programs")
        if event == "object.__getattr__" and program_globals is not None and state != 3 and args[1] in _code_attributes:
            # the asserts' constants are in the code of the tests' functions and of the module: refused are the code
            # of the namespace's functions, of its module frame and of any of its frames running a tests' line (a
            # frame of the program's own functions stays readable: tracebacks, logging)
            owner, kind = args[0], _type(args[0])
            if kind is _function_type:
                owned = owner.__globals__ is program_globals
            else:  # a frame; a generator, coroutine or async generator: its frame (None once finished)
                frame = owner if kind is _frame_type else _getattr(owner, args[1][:3] + "frame", None)
                owned = frame is None or frame.f_globals is program_globals and (
                    frame.f_locals is program_globals or frame.f_lineno >= tests_line)
            if owned:
                raise _RuntimeError("sandbox: reading the code of the program and its tests is not allowed in "
                                    "evaluated programs")
        if event == "import" and args[0] in _unsafe:
            raise _RuntimeError(f"sandbox: module {args[0]} is not allowed in evaluated programs")

    sys.addaudithook(refuse)  # PEP 578: cannot be removed by the program; it refuses any later hook
    del refuse
    sys.argv = [name]
    sys.path.insert(0, os.getcwd())

    def load(namespace):
        # the program's code: (returned normally, exit code, the exception to report)
        try:
            _exec(_compile(_read_fd(source_fd), name, "exec"), namespace)
            return True, 0, None
        except _SystemExit as exc:
            code = exc.code
            if code is None or _isinstance(code, _int):
                return False, 0 if code is None else code, None
            try:
                _write(2, f"{code}\n".encode())
            except _BaseException:
                pass
            return False, 1, None
        except _BaseException as exc:
            return False, 1, exc

    if official:
        namespace = {}
    else:
        namespace = {"__name__": "__main__", "__file__": name, "__builtins__": builtins}
    if checks_fd >= 0:
        returned, code, error = run_checked(load, namespace, source_fd, checks_fd)
    else:
        if tests_line > 0:
            program_globals = namespace
        if official:
            streams, swallowed = (sys.stdin, sys.stdout, sys.stderr), WriteOnlyStringIO()
            official_guard()
            sys.stdout = sys.stderr = sys.stdin = swallowed
        returned, code, error = load(namespace)
        if official:
            sys.stdin, sys.stdout, sys.stderr = streams
    if error is not None:
        state = 3
        try:
            _print_exception(error)
        except _BaseException:
            pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        if official:  # what it printed, for the report (the official harness keeps none of it)
            _write(1, _getvalue(swallowed)[-(16 << 10):].encode("utf-8", "backslashreplace"))
    except _BaseException:
        returned, code = False, code or 1
    if returned:
        try:
            channel = _socket_type(_unix, _stream)
            channel.settimeout(5)
            state = 1
            channel.connect("\0" + verdict_address)
            channel.sendall(_message)
            if channel.recv(1) != b"k":
                code = 1
        except _BaseException:
            code = 1
    _exit(_int_and(code, 0xFF))


class WriteOnlyStringIO(io.StringIO):
    # the official harness's stdin, stdout and stderr while a program runs: writes are kept, reads raise OSError
    def read(self, *args, **kwargs):
        raise OSError

    def readline(self, *args, **kwargs):
        raise OSError

    def readlines(self, *args, **kwargs):
        raise OSError

    def readable(self, *args, **kwargs):
        return False


def official_guard():
    # reliability_guard of the official harness (no memory limit: it is called without one). Its process has numpy
    # loaded (its evaluation module imports it), so a program's numpy import finds it despite the None's below
    import faulthandler, importlib, os, sys
    try:
        import numpy  # noqa: F401
    except ImportError:
        pass
    faulthandler.disable()
    os.environ["OMP_NUM_THREADS"] = "1"
    for module, names in OFFICIAL_DISABLED:
        module = importlib.import_module(module)
        for name in names:
            setattr(module, name, None)
    for module in OFFICIAL_BLOCKED_MODULES:
        sys.modules[module] = None


# Checked mode (protocol strict, ``checks: isolated``): the tests run in this process, which never runs the
# program's code; the program runs in a child (forked before it is loaded) that calls its functions on request.
# Only plain values cross the socket between them (EvalPlus-style type-aware comparison): an object whose __eq__ is
# always true, a str subclass, a patched builtin or stdlib module, a traced frame -- all stay in the child.

MAX_FRAME = 256 << 20


def send_frame(sock, message):
    import json
    data = json.dumps(message).encode()
    sock.sendall(len(data).to_bytes(4, "big") + data)


def recv_frame(sock):
    import json
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(min(n - len(data), 1 << 20))
            if not chunk:
                return None
            data += chunk
        return data
    head = exactly(4)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME:
        raise ValueError(f"a message of {size} bytes from the program")
    data = exactly(size)
    return None if data is None else json.loads(data)


def encode_plain(value):
    # a plain value as tagged JSON; TypeError for anything else (exact types only: no subclass crosses)
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return {"float": repr(value)}
    if kind is list:
        return [encode_plain(v) for v in value]
    if kind in (tuple, set, frozenset):
        return {kind.__name__: [encode_plain(v) for v in value]}
    if kind is dict:
        return {"dict": [[encode_plain(k), encode_plain(v)] for k, v in value.items()]}
    if kind.__module__ == "collections" and kind.__name__ in ("Counter", "OrderedDict", "defaultdict"):
        import collections
        if kind is getattr(collections, kind.__name__):  # the stdlib's own, whose __eq__ is dict's
            return {kind.__name__: [[encode_plain(k), encode_plain(v)] for k, v in value.items()]}
    if kind is complex:
        return {"complex": [repr(value.real), repr(value.imag)]}
    if kind is bytes:
        return {"bytes": value.hex()}
    if getattr(kind, "__module__", None) == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "biufcUS":
        return {"numpy": [value.dtype.str, encode_plain(value.tolist()), kind.__name__ == "ndarray"]}
    raise TypeError(f"{kind.__module__}.{kind.__qualname__}")


def decode_plain(data):
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return [decode_plain(v) for v in data]
    (kind, value), = data.items()
    if kind == "float":
        return float(value)
    if kind in ("tuple", "set", "frozenset"):
        return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind](decode_plain(v) for v in value)
    if kind in ("dict", "defaultdict"):  # a defaultdict compares as the dict it holds
        return {decode_plain(k): decode_plain(v) for k, v in value}
    if kind in ("Counter", "OrderedDict"):
        import collections
        return getattr(collections, kind)({decode_plain(k): decode_plain(v) for k, v in value})
    if kind == "complex":
        return complex(float(value[0]), float(value[1]))
    if kind == "bytes":
        return bytes.fromhex(value)
    if kind == "numpy":
        import numpy
        dtype, items, is_array = value
        if is_array:
            return numpy.array(decode_plain(items), dtype=dtype)
        return numpy.dtype(dtype).type(decode_plain(items))
    if kind == "unsupported":
        raise TypeError(f"the program gave a {value}, not a plain value (checks: isolated compares plain values only)")
    raise ValueError(f"unknown value kind {kind!r} from the program")


def flush_output():
    import sys
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def serve_calls(sock, namespace):
    # in the program's process, once its code returned: call its functions, answer with plain values
    import builtins
    while True:
        message = recv_frame(sock)
        if message is None:
            return
        if "names" in message:
            described = {}
            for name in message["names"]:
                if name in namespace:
                    value = namespace[name]
                    if type(value) is type(builtins):
                        described[name] = {"module": value.__name__}
                        continue
                    try:
                        described[name] = {"function": True} if callable(value) else {"value": encode_plain(value)}
                    except Exception as exc:
                        described[name] = {"value": {"unsupported": str(exc)}}
            send_frame(sock, described)
            continue
        try:
            result = namespace[message["call"]](*decode_plain(message["args"]), **decode_plain(message["kwargs"]))
            try:
                reply = {"value": encode_plain(result)}
            except Exception as exc:
                reply = {"value": {"unsupported": str(exc)}}
        except BaseException as exc:
            kind = type(exc).__name__ if getattr(builtins, type(exc).__name__, None) is type(exc) else "RuntimeError"
            reply = {"raised": kind, "message": str(exc)[:2000]}
        flush_output()  # what it printed is in the result before the tests end
        send_frame(sock, reply)


def proxy(sock, name):
    import builtins
    def call(*args, **kwargs):
        send_frame(sock, {"call": name, "args": encode_plain(list(args)), "kwargs": encode_plain(dict(kwargs))})
        reply = recv_frame(sock)
        if reply is None:
            raise RuntimeError(f"the program ended while {name}() ran")
        if "value" in reply:
            return decode_plain(reply["value"])
        kind = getattr(builtins, reply["raised"], None)
        if not (isinstance(kind, type) and issubclass(kind, BaseException)) or kind in (SystemExit, KeyboardInterrupt):
            kind = RuntimeError
        try:
            error = kind(reply["message"])
        except Exception:
            error = RuntimeError(reply["message"])
        raise error
    call.__name__ = call.__qualname__ = name
    return call


def run_checked(load, namespace, source_fd, checks_fd):
    # (the tests ran to their end, exit code, the exception to report); the program runs in a child, which
    # never holds the tests: they are read from checks_fd only once it is forked
    import builtins, importlib, json, os, sys, traceback, _socket
    tests_end, program_end = _socket.socketpair()
    child = os.fork()
    if child == 0:
        os.close(checks_fd)
        tests_end.close()
        returned, code, error = load(namespace)
        if error is not None:
            traceback.print_exception(error)
        flush_output()
        try:
            send_frame(program_end, {"loaded": returned})
            if returned:
                serve_calls(program_end, namespace)
        except BaseException:
            pass
        os._exit(code & 0xFF)
    os.close(source_fd)
    program_end.close()
    del sys.path[0]  # the program's dir (it may have written modules there): the tests import from the host only
    try:
        hello = recv_frame(tests_end)
        if hello is None or not hello.get("loaded"):  # it exited or raised while loading: its status says which
            tests_end.close()
            status = os.waitpid(child, 0)[1]
            return False, os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1, None
        spec = json.loads(read_fd(checks_fd))
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        exec(compile(spec["prelude"], "<prompt>", "exec"), namespace)  # noqa: S102 - the benchmark's own text
        send_frame(tests_end, {"names": spec["names"]})
        for name, described in recv_frame(tests_end).items():
            if "function" in described:
                namespace[name] = proxy(tests_end, name)
            elif "module" in described:  # what the program imported, imported here afresh (stdlib or preloaded)
                module = described["module"]
                if module.split(".")[0] not in getattr(sys, "stdlib_module_names", ()) and module not in sys.modules:
                    raise TypeError(f"the program gave module {module!r} (only the stdlib's or preloaded ones)")
                namespace[name] = importlib.import_module(module)
            else:
                namespace[name] = decode_plain(described["value"])
        exec(compile(spec["tests"], "<tests>", "exec"), namespace)  # noqa: S102
        return True, 0, None
    except BaseException as exc:
        return False, 1, exc
'''
_RUNNER_NAMESPACE = {"VERDICT_MESSAGE": VERDICT_MESSAGE}
exec(RUNNER_SOURCE, _RUNNER_NAMESPACE)  # noqa: S102 - the zygote runs the same runner as a fresh interpreter
run_python_program = _RUNNER_NAMESPACE["run_python_program"]


# ---------------------------------------------------------------------------------------------------------------
# Zygote: a warm interpreter that forks one isolated child per Python program (no interpreter start-up, helper
# modules such as numpy imported once). Started with a minimal environment (no secret of the harness in its
# memory), in its own session. Protocol on stdin/stdout, one JSON object per line:
#   in:  {"id", "cfg", "stdout", "stderr"}
#   out: {"id", "pid"} once forked, then {"id", "status"} (waitpid status of the relay) when it ended, or
#        {"id", "lost": true} when the forker running it died first.
# A program with a memory cgroup (``cfg["cgroup"]``) is forked by that cgroup's *forker*, a child of the zygote that
# joined the cgroup once: the program is born in it. Joining is the slow part (cgroup v1 waits for an RCU grace
# period: ~8 ms per program, a third of a HumanEval program's cost), forking into it is free. The harness gives
# each worker slot its own cgroup, so a forker runs one program at a time. The OOM killer skips the forker where it
# may set ``oom_score_adj`` to -1000 (the program resets its own to 0); where it picks the forker anyway, only that
# slot's program is lost (a ``sandbox_error``) and the next program starts a new forker. Where a forker cannot join,
# programs of that cgroup are forked by the zygote and join it themselves.
# A forker with network isolation also makes one empty network namespace (loopback down) for its slot: its programs,
# one at a time and each in its own PID namespace (nothing of one outlives it), use it in turn instead of making and
# tearing down one each (~2 ms of CPU per program, half of it in the kernel's deferred clean-up).
# A forker is also its programs' relay (step 2 of the module docstring): it unshares a PID namespace for its next
# child, forks the program as its PID 1, steps back into its own (``setns``), holds the verdict listener and
# reports the status as the relay would. One fork per program instead of two: each fork and exit of a copy of the
# warm interpreter (numpy loaded) costs ~1 ms of page-table work.
# Every fork server is single-threaded (SIGCHLD wakes the select loop), so forking never copies a lock held by
# another thread. When its input closes (the harness ended or died) it kills every running program and exits.


def _run_python_child(request, close_fds, parent_pid, verdict_address=None):
    """The program's process. ``verdict_address``: this process is already PID 1 of a PID namespace made by its
    parent, which relays (a forker); otherwise :func:`enter_sandbox` makes the namespaces and a relay."""
    os.setsid()
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    for fd in close_fds:
        os.close(fd)
    try:  # a forker is never the OOM killer's choice; the program is an ordinary candidate again
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("0")
    except OSError:
        pass
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_APPEND), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_APPEND), 2)
    cfg = request["cfg"]
    if verdict_address is None:
        verdict_address, flags = enter_sandbox(cfg)
    else:
        flags = _leave_namespaces(cfg, pid_namespace=False) | CLONE_NEWPID
    source_fd, checks_fd = open_program(cfg)
    isolate(cfg, flags, (source_fd, checks_fd))
    os.environ.clear()
    os.environ.update(cfg["env"])
    run_python_program(cfg["python_name"], verdict_address, source_fd, checks_fd, bool(cfg.get("official")),
                       cfg.get("python_tests_line") or 0)


class _Forker:
    """The zygote's handle on one forker: its pid, request pipe, status pipe and the requests it still runs."""

    def __init__(self, pid, requests_w, statuses_r):
        self.pid, self.requests_w, self.statuses_r = pid, requests_w, statuses_r
        self.pending, self.buffer = set(), b""


class _ForkServer:
    """The select loop of the zygote (``forkers=True``) and of each forker: requests on fd 0, events on fd 1."""

    def __init__(self, forkers, joined_cgroup=None, own_network=False):
        self.use_forkers, self.joined_cgroup, self.own_network = forkers, joined_cgroup, own_network
        self.pid = os.getpid()
        self.children = {}  # pid -> request id (a program) or cgroup (a forker)
        self.relayed = {}  # pid -> [verdict listener, confirmed] of the programs this server is PID-1 parent of
        # a forker (root) relays its programs itself: it needs its own PID namespace to come back to
        self.own_pid_namespace = None if forkers else os.open("/proc/self/ns/pid", os.O_RDONLY)
        self.forkers = {}  # cgroup -> _Forker
        self.unjoinable = set()  # cgroups whose forker could not join: the programs join themselves
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)

    def _own_fds(self):
        fds = [self.wake_r, self.wake_w]
        if self.own_pid_namespace is not None:
            fds.append(self.own_pid_namespace)
        for forker in self.forkers.values():
            fds += [forker.requests_w, forker.statuses_r]
        for listener, _ in self.relayed.values():
            fds.append(listener.fileno())
        return fds

    @staticmethod
    def _emit(message):
        os.write(1, (json.dumps(message) + "\n").encode())

    def _fork_program(self, request):
        if request["cfg"].get("cgroup") == self.joined_cgroup:
            request["cfg"]["cgroup"] = None  # born in it
        if self.own_network and request["cfg"].get("network") == "isolate":
            request["cfg"]["network"] = "forker"  # already in the slot's own empty network namespace
        relay = self.own_pid_namespace is not None and request["cfg"].get("verdict") and _unshare(CLONE_NEWPID) is None
        listener, address = _listen_for_verdict() if relay else (None, None)
        pid = os.fork()
        if pid == 0:
            try:
                _run_python_child(request, self._own_fds(), self.pid, address)
            finally:
                os._exit(EXIT_ISOLATION_FAILED)
        if relay:
            if _libc().setns(self.own_pid_namespace, CLONE_NEWPID) != 0:  # or the next unshare fails
                os.kill(pid, signal.SIGKILL)
                raise OSError(ctypes.get_errno(), "setns back into the forker's PID namespace")
            self.relayed[pid] = [listener, False]
        self.children[pid] = request["id"]
        self._emit({"id": request["id"], "pid": pid})

    def _start_forker(self, cgroup, network):
        requests_r, requests_w = os.pipe()
        statuses_r, statuses_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                for fd in self._own_fds() + [requests_w, statuses_r]:
                    os.close(fd)
                _die_with_parent(self.pid)
                os.dup2(requests_r, 0)
                os.dup2(statuses_w, 1)
                os.close(requests_r)
                os.close(statuses_w)
                try:
                    _join_cgroup(cgroup)
                except OSError:
                    os._exit(EXIT_ISOLATION_FAILED)
                try:  # needs CAP_SYS_RESOURCE; without it an OOM kill may pick the forker: its program is lost
                    with open("/proc/self/oom_score_adj", "w") as f:
                        f.write("-1000")
                except OSError:
                    pass
                own_network = network == "isolate" and _unshare(CLONE_NEWNET) is None
                _ForkServer(forkers=False, joined_cgroup=cgroup, own_network=own_network).serve()
            finally:
                os._exit(0)
        os.close(requests_r)
        os.close(statuses_w)
        self.children[pid] = cgroup
        self.forkers[cgroup] = forker = _Forker(pid, requests_w, statuses_r)
        return forker

    def _dispatch(self, line):
        request = json.loads(line)
        cgroup = request["cfg"].get("cgroup")
        if not (self.use_forkers and cgroup and cgroup not in self.unjoinable):
            self._fork_program(request)
            return
        forker = self.forkers.get(cgroup) or self._start_forker(cgroup, request["cfg"].get("network"))
        forker.pending.add(request["id"])
        os.write(forker.requests_w, line + b"\n")

    def _forker_output(self, forker):
        chunk = os.read(forker.statuses_r, 1 << 16)
        forker.buffer += chunk
        while b"\n" in forker.buffer:
            line, forker.buffer = forker.buffer.split(b"\n", 1)
            message = json.loads(line)
            if "status" in message:
                forker.pending.discard(message["id"])
            os.write(1, line + b"\n")
        return bool(chunk)

    def _forker_ended(self, cgroup, status):
        forker = self.forkers.pop(cgroup)
        while self._forker_output(forker):  # what it reported before it died
            pass
        os.close(forker.requests_w)
        os.close(forker.statuses_r)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_ISOLATION_FAILED:
            self.unjoinable.add(cgroup)
        for rid in sorted(forker.pending):
            self._emit({"id": rid, "lost": True})

    def _reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            owner = self.children.pop(pid, None)
            if pid in self.relayed:  # as the relay would exit: 0 only with the runner's confirmation
                listener, confirmed = self.relayed.pop(pid)
                listener.close()
                if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and not confirmed:
                    status = EXIT_NO_VERDICT << 8
            if isinstance(owner, int):
                self._emit({"id": owner, "status": status})
            elif owner is not None:
                self._forker_ended(owner, status)

    def _stop(self):
        for forker in self.forkers.values():
            os.close(forker.requests_w)  # it kills its programs and exits; SIGKILL in case it cannot
        for pid, owner in self.children.items():
            try:
                if isinstance(owner, int):
                    os.killpg(pid, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def serve(self):
        buffer = b""
        while True:
            listeners = {entry[0]: pid for pid, entry in self.relayed.items()}
            watched = [0, self.wake_r, *listeners] + [f.statuses_r for f in self.forkers.values()]
            try:
                readable, _, _ = select.select(watched, [], [])
            except InterruptedError:
                readable = [self.wake_r]
            for listener, pid in listeners.items():  # before reaping: the runner waits for the answer to exit
                if listener in readable:
                    self.relayed[pid][1] = _accept_verdict(listener, pid) or self.relayed[pid][1]
            for forker in list(self.forkers.values()):
                if forker.statuses_r in readable:
                    self._forker_output(forker)
            if self.wake_r in readable:
                try:
                    os.read(self.wake_r, 4096)
                except BlockingIOError:
                    pass
            self._reap()
            if 0 in readable:
                chunk = os.read(0, 1 << 16)
                if not chunk:
                    self._stop()
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._dispatch(line)


def zygote(preload):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness decides; a Ctrl-C never kills running programs
    for name in (*preload, "subprocess"):  # subprocess: what the official guard nulls, imported once here
        try:
            __import__(name)
        except ImportError:
            pass
    gc.freeze()  # what is loaded now is never scanned by the programs' collector: no copy-on-write of it per program
    global _SYSTEM_CALLS_RESTRICTED
    try:  # the zygote needs neither vsock nor setuid binaries: its filter is inherited by every program it forks
        _no_new_privileges_no_vsock()
        _SYSTEM_CALLS_RESTRICTED = True
    except OSError:
        pass  # each program attaches it (and fails to start if it cannot)
    server = _ForkServer(forkers=True)
    server._emit({"ready": True})
    server.serve()


# ---------------------------------------------------------------------------------------------------------------
# Reaper: started by the harness in its own session with a pipe on stdin. When the pipe closes (the harness closed
# the sandbox, or died, even by SIGKILL) it kills whatever is left of the harness's programs, unmounts and removes
# its temp dirs and cgroups. Config: {"tmp_root", "uids": [first, count] or null, "cgroups": [dirs]}.


def _kill_uids(first, count, rounds=50):
    for _ in range(rounds):
        found = False
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if first <= os.stat(f"/proc/{name}").st_uid < first + count:
                        found = True
                        os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.02)


def _kill_cgroup(path, rounds=50):
    for _ in range(rounds):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def _unmount_under(root):
    prefix = root.rstrip("/") + "/"
    for point, _ in reversed(_mount_points()):
        if point.startswith(prefix):
            _libc().umount2(point.encode(), MNT_DETACH)


def clean_up(cfg):
    if cfg.get("uids"):
        _kill_uids(*cfg["uids"])
    for path in cfg.get("cgroups") or []:
        if os.path.isdir(path):
            for name in os.listdir(path):
                sub = os.path.join(path, name)
                if os.path.isdir(sub):
                    _kill_cgroup(sub)
            _kill_cgroup(path)
    root = cfg.get("tmp_root")
    if root and os.path.isdir(root):
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)


def reaper(cfg):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while os.read(0, 4096):
        pass
    clean_up(cfg)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--zygote":
        zygote(json.loads(sys.argv[2]))
    elif len(sys.argv) > 2 and sys.argv[1] == "--reaper":
        reaper(json.loads(sys.argv[2]))
    else:
        main()
