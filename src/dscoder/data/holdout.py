"""Hold out whole repositories for evaluation before anything is trained on the corpus.

The demo's single-line infilling and cross-file sets (report §4.2; docs/paper.md) are built from files the model never
saw. Splitting by repository, not by file, keeps a held-out file's neighbours (the cross-file context) out of
training too. The choice is a seeded hash of the repository name, so it does not depend on shard order or on the
number of workers; only repositories with at least ``min_files`` files of ``language`` qualify, because the
cross-file set needs definitions in one file used in another.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HoldoutResult", "split_heldout_repositories"]


@dataclass
class HoldoutResult:
    heldout_repositories: list[str] = field(default_factory=list)
    files_train: int = 0
    files_heldout: int = 0
    bytes_train: int = 0
    bytes_heldout: int = 0


def _rank(repo: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}\0{repo}".encode()).hexdigest()


def split_heldout_repositories(
    input_dir: str | Path,
    train_dir: str | Path,
    heldout_dir: str | Path,
    repositories: int = 3,
    language: str = "python",
    min_files: int = 3,
    seed: int = 0,
) -> HoldoutResult:
    """Move ``repositories`` whole repositories of file records from ``input_dir`` into ``heldout_dir``; every
    other record goes to ``train_dir`` (both JSONL.gz in the file-record layout). Fewer qualifying repositories
    than asked for is an error naming the input, since an evaluation on nothing would be silently empty."""
    from dscoder.data.readers import ReaderConfig, build_reader, file_record_writer

    input_dir = Path(input_dir)
    reader = build_reader(ReaderConfig(format="jsonl", folder=input_dir))
    docs = list(reader.run())
    files_per_repo: Counter = Counter()
    for doc in docs:
        if "repo" not in doc.metadata:
            raise ValueError(f"{input_dir}: record {doc.id!r} has no 'repo' (docs/design.md file-record fields)")
        if doc.metadata.get("language") == language:
            files_per_repo[doc.metadata["repo"]] += 1
    qualifying = sorted((r for r, n in files_per_repo.items() if n >= min_files), key=lambda r: _rank(r, seed))
    if len(qualifying) < repositories:
        raise ValueError(
            f"{input_dir}: only {len(qualifying)} repositories have {min_files}+ {language} files; "
            f"{repositories} were asked to be held out"
        )
    heldout = set(qualifying[:repositories])
    result = HoldoutResult(heldout_repositories=sorted(heldout))
    parts: dict[bool, list] = defaultdict(list)
    for doc in docs:
        parts[doc.metadata["repo"] in heldout].append(doc)
    for is_heldout, folder in ((False, train_dir), (True, heldout_dir)):
        with file_record_writer(folder, output_filename="00000.jsonl.gz") as writer:
            for doc in parts[is_heldout]:
                writer.write(doc)
        size = sum(len(d.text.encode("utf-8", "surrogatepass")) for d in parts[is_heldout])
        if is_heldout:
            result.files_heldout, result.bytes_heldout = len(parts[True]), size
        else:
            result.files_train, result.bytes_train = len(parts[False]), size
    return result
