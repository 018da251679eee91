"""A datatrove logging folder belongs to one run: same input, output and config, or it is refused.

datatrove resumes a pipeline by skipping every task whose completion file is in the logging folder. Reusing a
folder for another input or config therefore "completes" at once, writes nothing and reports the old run's stats.
:func:`claim_logging_folder` stores the run's fingerprint in the folder on first use; a later run with the same
fingerprint resumes (datatrove skips the finished tasks), a different one is refused with one line saying what
changed and how to start fresh.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["FINGERPRINT_FILE", "LoggingFolderInUse", "claim_logging_folder", "folder_listing_hash"]

FINGERPRINT_FILE = "dscoder_run.json"


class LoggingFolderInUse(RuntimeError):
    """The logging folder holds another run (its one-line message says what differs and what to do)."""


def folder_listing_hash(folder: str | Path) -> str:
    """A hash of a local input folder's file names and sizes (a regenerated identical input hashes the same);
    a remote or Hub input is identified by its name only."""
    folder = Path(str(folder))
    if "://" in str(folder) or not folder.exists():
        return ""
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    listing = [(str(p.relative_to(folder)) if p != folder else p.name, p.stat().st_size) for p in files]
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]


def claim_logging_folder(logs_dir: str | Path, fingerprint: dict[str, Any]) -> bool:
    """Record ``fingerprint`` in ``logs_dir`` or check it against the one there. Returns ``True`` when this is a
    resume of the same run. Raises :class:`LoggingFolderInUse` when the folder holds another run."""
    logs = Path(logs_dir)
    path = logs / FINGERPRINT_FILE
    fresh = f"give another logging folder (--logs) or delete {logs} to start fresh"
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(k for k in {*stored, *fingerprint} if stored.get(k) != fingerprint.get(k))
        if changed:
            raise LoggingFolderInUse(
                f"{logs}: holds a run with a different {', '.join(changed)} (datatrove would skip its finished "
                f"tasks and write nothing); {fresh}"
            )
        return True
    completions = logs / "completions"
    if completions.is_dir() and any(completions.iterdir()):
        raise LoggingFolderInUse(f"{logs}: holds finished tasks of a run without a fingerprint; {fresh}")
    logs.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fingerprint, indent=1, sort_keys=True), encoding="utf-8")
    return False
