"""Child-side half of the sandbox: isolate this process, then ``exec`` the untrusted program.

Run as ``python -I -S _sandbox_launcher.py CONFIG_JSON`` by :mod:`dscoder.evaluation.sandbox` (stdlib only, so it
starts in a few milliseconds and never imports the harness). Doing this in a launcher instead of a
``preexec_fn`` keeps ``subprocess`` thread-safe: the harness runs many programs from a thread pool.

Steps, in order (each one needs the privileges the next one drops):
1. leave the network: a fresh network namespace (``unshare(CLONE_NEWNET)``) holds only a downed loopback;
   without root, a user namespace with fresh PID and network namespaces (``CLONE_NEWUSER | CLONE_NEWPID |
   CLONE_NEWNET``; the launcher forks the program into them and relays its exit status), so that the
   program cannot see or signal the harness either;
2. resource limits: CPU seconds, address space, file size (also caps captured output), process count, no
   core dumps;
3. (root) a private mount namespace: fresh tmpfs over ``/tmp``, ``/var/tmp`` and ``/dev/shm`` (the program's
   dir bound back), and paths the program must read (the interpreter) that lie under a dir the uid cannot
   enter bound back, read-only, under an empty tmpfs;
4. drop to an unprivileged uid/gid that owns nothing but the program's temp dir (root only). This is what
   makes ``RLIMIT_NPROC`` bind (the kernel ignores it for root), what stops the program from writing or
   deleting files outside its dir, and what stops it from signalling the harness;
5. ``chdir`` into the temp dir and ``execve`` the program with a minimal environment.

Exit codes of the launcher itself (the program never started): 97 isolation failed, 127 exec failed.
"""

import ctypes
import json
import os
import resource
import select
import signal
import sys
import traceback

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
EXIT_ISOLATION_FAILED = 97
EXIT_EXEC_FAILED = 127


def _unshare(flags):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        return os.strerror(ctypes.get_errno())
    return None


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


def _relay_child_status():
    """In a fresh PID namespace only a forked child lives inside: fork it, wait for it, exit as it did (same
    status or same signal). Returns in the child."""
    pid = os.fork()
    if pid == 0:
        return
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status))


def _leave_namespaces(as_root, network):
    """Return None when isolated, else the reason.

    Root: a fresh network namespace (the throw-away uid does the rest). Without root: a user namespace holding
    a fresh PID namespace (the program cannot see or signal the harness, and every process it starts dies with
    it) and, unless the network is allowed, a fresh network namespace."""
    if as_root:
        return _unshare(CLONE_NEWNET) if network else None
    uid, gid = os.getuid(), os.getgid()
    error = _unshare(CLONE_NEWUSER | CLONE_NEWPID | (CLONE_NEWNET if network else 0))
    if error is None:
        _map_own_ids(uid, gid)
        _relay_child_status()
    return error


def _mount(libc, source, target, fstype, flags, data=None):
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _bind_read_only(libc, fd, path):
    os.makedirs(path, exist_ok=True)
    _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    os.close(fd)


def _private_mounts(cwd, scratch_dirs, expose, keep):
    """A private mount namespace (root only): fresh, empty tmpfs over the world-writable scratch dirs (so that
    nothing the program writes there outlives it or reaches other programs), with the program's own dir bound
    back in place; and read-only access to paths the sandbox uid could not otherwise reach (e.g. an interpreter
    under root's 0700 home): the dir that blocks them is covered by an empty tmpfs (hiding the rest of it) and
    the needed paths are bound back at their own place. ``keep``: paths inside a scratch dir that programs need
    (a virtual environment created under /tmp), bound back read-only over the fresh tmpfs."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), f"unshare(CLONE_NEWNS): {os.strerror(ctypes.get_errno())}")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    cwd_fd = os.open(cwd, os.O_PATH)
    hidden_fds = [(hidden, [(path, os.open(path, os.O_PATH)) for path in paths]) for hidden, paths in expose]
    keep_fds = [(path, os.open(path, os.O_PATH)) for path in keep if os.path.isdir(path)]
    for scratch in scratch_dirs:
        if os.path.isdir(scratch) and not os.path.islink(scratch):
            _mount(libc, "tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
    for path, fd in keep_fds:
        _bind_read_only(libc, fd, path)
    for hidden, fds in hidden_fds:
        os.makedirs(hidden, exist_ok=True)
        _mount(libc, "tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
        for path, fd in fds:
            _bind_read_only(libc, fd, path)
    os.makedirs(cwd, exist_ok=True)
    _mount(libc, f"/proc/self/fd/{cwd_fd}", cwd, None, MS_BIND)
    os.close(cwd_fd)


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


def isolate(cfg):
    """Steps 1-5 of the module docstring for the calling process (exits 97 when isolation fails)."""
    as_root = os.geteuid() == 0
    limits = cfg["limits"]

    network = cfg.get("network") == "isolate"
    if network or not as_root:
        error = _leave_namespaces(as_root, network)
        if error is not None and network and cfg.get("network_required", True):
            sys.stderr.write(f"sandbox: cannot create a network namespace: {error}\n")
            os._exit(EXIT_ISOLATION_FAILED)

    if as_root and cfg.get("private_mounts"):
        try:
            _private_mounts(cfg["cwd"], cfg["scratch_dirs"], cfg.get("expose") or [], cfg.get("keep") or [])
        except OSError as exc:
            sys.stderr.write(f"sandbox: cannot set up private mounts: {exc}\n")
            os._exit(EXIT_ISOLATION_FAILED)

    cpu = limits.get("cpu_s")
    if cpu is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 1))
    _set_limit(resource.RLIMIT_AS, limits.get("memory_bytes"))
    _set_limit(resource.RLIMIT_FSIZE, limits.get("file_size_bytes"))
    _set_limit(resource.RLIMIT_CORE, 0)
    nproc = limits.get("max_processes")
    uid = cfg.get("uid")
    if nproc is not None:
        if not (as_root and uid is not None):
            # RLIMIT_NPROC counts every process of the real uid: leave room for the ones the user already has.
            nproc = _processes_of(os.getuid()) + int(nproc)
        _set_limit(resource.RLIMIT_NPROC, nproc)

    if as_root and uid is not None:
        try:
            os.setgroups([])
            os.setgid(int(cfg["gid"]))
            os.setuid(int(uid))
        except OSError as exc:
            sys.stderr.write(f"sandbox: cannot drop privileges to uid {uid}: {exc}\n")
            os._exit(EXIT_ISOLATION_FAILED)

    os.chdir(cfg["cwd"])
    os.umask(0o077)


def main():
    cfg = json.loads(sys.argv[1])
    isolate(cfg)
    argv = cfg["argv"]
    try:
        os.execvpe(argv[0], argv, cfg["env"])
    except OSError as exc:
        sys.stderr.write(f"sandbox: cannot execute {argv[0]!r}: {exc}\n")
        os._exit(EXIT_EXEC_FAILED)


# ---------------------------------------------------------------------------------------------------------------
# Zygote: a warm interpreter that forks one isolated child per Python program (no interpreter start-up, helper
# modules such as numpy imported once). Protocol on stdin/stdout, one JSON object per line:
#   in:  {"id", "cfg", "script", "stdout", "stderr"}
#   out: {"id", "pid"} once forked, then {"id", "status"} (waitpid status) when the child ended.
# Single-threaded (SIGCHLD wakes the select loop), so forking never copies a lock held by another thread.


def _run_python_child(request):
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_APPEND), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_APPEND), 2)
    cfg = request["cfg"]
    isolate(cfg)
    os.environ.clear()
    os.environ.update(cfg["env"])
    script = request["script"]
    sys.argv = [script]
    sys.path[0:0] = [os.path.dirname(script)]
    code = 0
    try:
        with open(script, encoding="utf-8") as f:
            source = f.read()
        # running the untrusted program is this process's purpose: it is isolated above
        code_object = compile(source, script, "exec")
        exec(code_object, {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__})  # noqa: S102
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            sys.stderr.write(f"{exc.code}\n")
    except BaseException:  # noqa: BLE001 - report like the interpreter would
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - e.g. output over RLIMIT_FSIZE
        code = code or 1
    os._exit(code & 0xFF)


def zygote(preload):
    for name in preload:
        try:
            __import__(name)
        except ImportError:
            pass
    out = sys.stdout.fileno()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children, buffer = {}, b""
    os.write(out, b'{"ready": true}\n')
    while True:
        try:
            readable, _, _ = select.select([0, wake_r], [], [])
        except InterruptedError:
            readable = [wake_r]
        if wake_r in readable:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            rid = children.pop(pid, None)
            if rid is not None:
                os.write(out, (json.dumps({"id": rid, "status": status}) + "\n").encode())
        if 0 in readable:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    try:
                        _run_python_child(request)
                    finally:
                        os._exit(EXIT_ISOLATION_FAILED)
                children[pid] = request["id"]
                os.write(out, (json.dumps({"id": request["id"], "pid": pid}) + "\n").encode())


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--zygote":
        zygote(json.loads(sys.argv[2]))
    else:
        main()
