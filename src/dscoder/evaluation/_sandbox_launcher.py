"""Child-side half of the sandbox: isolate this process, then ``exec`` the untrusted program.

Run as ``python -I -S _sandbox_launcher.py CONFIG_JSON`` by :mod:`dscoder.evaluation.sandbox` (stdlib only, so it
starts in a few milliseconds and never imports the harness). Doing this in a launcher instead of a
``preexec_fn`` keeps ``subprocess`` thread-safe: the harness runs many programs from a thread pool.

Steps, in order (each one needs the privileges the next one drops):
1. leave the network: a fresh network namespace (``unshare(CLONE_NEWNET)``) holds only a downed loopback;
   without root it tries a user namespace first (``CLONE_NEWUSER | CLONE_NEWNET``);
2. resource limits: CPU seconds, address space, file size (also caps captured output), process count, no
   core dumps;
3. drop to an unprivileged uid/gid that owns nothing but the program's temp dir (root only). This is what
   makes ``RLIMIT_NPROC`` bind (the kernel ignores it for root), what stops the program from writing or
   deleting files outside its dir, and what stops it from signalling the harness;
4. ``chdir`` into the temp dir and ``execve`` the program with a minimal environment.

Exit codes of the launcher itself (the program never started): 97 isolation failed, 127 exec failed.
"""

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
EXIT_ISOLATION_FAILED = 97
EXIT_EXEC_FAILED = 127


def _unshare(flags):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        return os.strerror(ctypes.get_errno())
    return None


def _leave_network(as_root):
    """Return None when the process is in its own network namespace, else the reason it is not."""
    if as_root:
        return _unshare(CLONE_NEWNET)
    uid, gid = os.getuid(), os.getgid()
    error = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
    if error is None:  # keep our own ids visible inside the user namespace
        try:
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"{gid} {gid} 1")
        except OSError:
            pass
    return error


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


def main():
    cfg = json.loads(sys.argv[1])
    as_root = os.geteuid() == 0
    limits = cfg["limits"]

    if cfg.get("network") == "isolate":
        error = _leave_network(as_root)
        if error is not None and cfg.get("network_required", True):
            sys.stderr.write(f"sandbox: cannot create a network namespace: {error}\n")
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
    argv = cfg["argv"]
    try:
        os.execvpe(argv[0], argv, cfg["env"])
    except OSError as exc:
        sys.stderr.write(f"sandbox: cannot execute {argv[0]!r}: {exc}\n")
        os._exit(EXIT_EXEC_FAILED)


if __name__ == "__main__":
    main()
