"""One run at a time per output folder, and output folders that never sit inside their input.

Two runs writing one output folder at once interleave their shards and both "resume" from each other's
completions; an output folder inside the input folder (or equal to it) is read back as input by the next run,
every document twice. Every data stage (filter, repo-level, decontaminate, tokenize) therefore calls
:func:`check_separate_folders` before it starts and holds :func:`output_lock` while it writes.

The lock is ``fcntl.flock`` on ``.<output name>.lock`` beside the output folder (not inside it: the tokenize stage
replaces its output folder whole). The kernel releases it when the process ends in any way (a SIGKILLed run
leaves no stale lock); the file names the holder (pid, host, command, start time) for the error message. Remote
outputs (``s3://``, ``hf://``) are not locked: flock needs a local filesystem.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["FolderOverlap", "OutputFolderInUse", "check_separate_folders", "output_lock"]


class OutputFolderInUse(RuntimeError):
    """Another run holds the output folder's lock (the message names it and the lock file)."""

    one_line = True  # the CLI prints the message as it is, without the class name


class FolderOverlap(ValueError):
    """An output folder is the input folder, inside it, or holds it."""

    one_line = True


def _local(path) -> Path | None:
    if path is None or "://" in str(path):
        return None
    return Path(os.path.expanduser(str(path))).resolve()


def check_separate_folders(inputs: Mapping[str, object], outputs: Mapping[str, object]) -> None:
    """Raise :class:`FolderOverlap` when a folder a stage writes (``outputs``: what -> path) is one it reads
    (``inputs``), lies inside one, or holds one. ``None`` and remote paths are skipped."""
    for out_name, out_path in outputs.items():
        out = _local(out_path)
        if out is None:
            continue
        for in_name, in_path in inputs.items():
            source = _local(in_path)
            if source is None:
                continue
            if out == source:
                why = f"is the {in_name} folder"
            elif out.is_relative_to(source):
                why = f"is inside the {in_name} folder {source}"
            elif source.is_relative_to(out):
                why = f"holds the {in_name} folder {source}"
            else:
                continue
            raise FolderOverlap(
                f"the {out_name} folder {out} {why}: a run would read what it writes (every document again on the "
                f"next run); give a folder outside {source} for the {out_name}"
            )


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "holder unknown"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("started", 0)))
    return f"pid {info.get('pid')} on {info.get('host')}, started {started}: {info.get('command')}"


@contextmanager
def output_lock(folder, stage: str) -> Iterator[Path | None]:
    """Hold the lock of output ``folder`` while the block runs (yields the lock file, ``None`` for a remote
    folder); :class:`OutputFolderInUse` when another run holds it."""
    import fcntl

    out = _local(folder)
    if out is None:
        yield None
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputFolderInUse(
                f"{out}: another dscoder run is writing this folder ({_holder(path)}); wait for it to end or stop "
                f"it, or give another output folder (lock: {path})"
            ) from None
        try:  # the previous holder may have removed the file between our open and flock: lock the current one
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "stage": stage, "started": time.time(),
                "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}  # fmt: skip
        os.write(fd, json.dumps(info).encode())
        yield path
    finally:
        try:
            path.unlink()  # while still holding the lock: a waiting run then locks a fresh file
        except FileNotFoundError:
            pass
        os.close(fd)
