"""Background n-grams: word n-grams common in code written without any benchmark, never counted as evidence.

The default (``words``) mode of :class:`~dscoder.data.decontamination.index.IndexConfig` removes these from the
index, so ``for i in range(len(xs))`` or ``Return True if`` shared with a benchmark task does not flag a file.
The list shipped with the package (``dscoder/assets/decontamination/background-w{n}.npz``) holds the word
n-grams found in at least ``min_files`` files of one half of this Python's standard library (tests excluded):
the half whose top-level module names hash even (:func:`stdlib_files` with ``split="background"``).
``bench/decontam_quality.py`` measures false positives on the other half (``split="heldout"``), never on the
files the list was built from. Rebuild it (e.g. for another ``--ngram``) with
``dscoder data decontam-background OUT.npz [--source DIR] [--ngram N] [--min-files K]``.

File format: a NumPy ``.npz`` with ``hashes`` (sorted distinct ``uint64`` n-gram hashes, the index's hash of
the words-only token stream) and ``meta`` (JSON: n, tokenizer, source, files, min_files).
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from dscoder.data.decontamination.code_tokens import TOKENIZER_VERSION, word_ngram_hashes

BACKGROUND_FORMAT = 1
DEFAULT_MIN_FILES = 2
_TEST_DIRS = frozenset({"test", "tests", "idle_test", "testing"})
_SKIP_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__"})


def shipped_background_path(ngram: int) -> Path:
    """Where the package keeps the background list for word ``ngram``-grams (it may be absent for this n)."""
    return Path(__file__).resolve().parents[2] / "assets" / "decontamination" / f"background-w{ngram}.npz"


def _split_of(module: str) -> str:
    return "background" if hashlib.sha1(module.encode()).digest()[0] % 2 == 0 else "heldout"


def stdlib_files(split: str = "all", root: str | Path | None = None) -> Iterator[tuple[str, str]]:
    """``(relative path, text)`` of the ``.py`` files of a standard library (default: this interpreter's),
    in path order, test folders and ``test_*.py`` files excluded.

    ``split``: ``"all"``, ``"background"`` (top-level modules whose name's SHA-1 starts with an even byte) or
    ``"heldout"`` (the others). A package's files stay together in one split.
    """
    if split not in ("all", "background", "heldout"):
        raise ValueError(f"split must be all, background or heldout; got {split!r}")
    base = Path(root) if root is not None else Path(sysconfig.get_paths()["stdlib"])
    if not base.is_dir():
        raise FileNotFoundError(f"standard library folder not found: {base}")
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = Path(dirpath).relative_to(base)
        dirnames[:] = sorted(d for d in dirnames if d not in _TEST_DIRS and d not in _SKIP_DIRS
                             and not d.startswith(("config-", ".")))  # fmt: skip
        for name in sorted(filenames):
            if not name.endswith(".py") or name.startswith("test_") or name.endswith("_test.py"):
                continue
            rel = (rel_dir / name).as_posix()
            module = rel.split("/")[0].removesuffix(".py")
            if split != "all" and _split_of(module) != split:
                continue
            try:
                text = (Path(dirpath) / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # the stdlib's few deliberately undecodable files (lib2to3 test data) are skipped
            yield rel, text


def python_files(folder: str | Path) -> Iterator[tuple[str, str]]:
    """``(relative path, text)`` of every UTF-8 ``.py`` file under ``folder``, test folders excluded."""
    yield from stdlib_files("all", folder)


def build_background(texts: Iterable[str], ngram: int, min_files: int = DEFAULT_MIN_FILES) -> tuple[np.ndarray, int]:
    """Sorted distinct word ``ngram``-gram hashes found in at least ``min_files`` of ``texts``; and the file count."""
    if min_files < 1:
        raise ValueError(f"min_files must be >= 1; got {min_files}")
    parts, files = [], 0
    for text in texts:
        files += 1
        parts.append(np.unique(word_ngram_hashes(text, ngram)))
    if not parts:
        return np.zeros(0, dtype=np.uint64), 0
    keys, counts = np.unique(np.concatenate(parts), return_counts=True)  # each file counts a gram once
    return keys[counts >= min_files], files


def save_background(path: str | Path, hashes: np.ndarray, ngram: int, source: str, files: int,
                    min_files: int) -> Path:
    meta = {"format": BACKGROUND_FORMAT, "tokenizer": TOKENIZER_VERSION, "words_only": True, "ngram": ngram,
            "source": source, "files": files, "min_files": min_files, "hashes": len(hashes)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:  # np.savez would add ``.npz`` to a name without it
        np.savez(fh, hashes=np.asarray(hashes, dtype=np.uint64), meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    return path


def load_background(path: str | Path, ngram: int) -> tuple[np.ndarray, dict]:
    """The hashes and meta of a background file, checked against ``ngram`` and the tokenizer."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"background n-gram list not found: {path} (build it with `dscoder data "
                                f"decontam-background {path} --ngram {ngram}`)")
    try:
        with np.load(path) as data:
            hashes = np.asarray(data["hashes"], dtype=np.uint64)
            meta = json.loads(data["meta"].tobytes().decode())
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: unreadable background n-gram list ({exc})") from None
    if meta.get("format") != BACKGROUND_FORMAT or meta.get("tokenizer") != TOKENIZER_VERSION:
        raise ValueError(f"{path}: background format {meta.get('format')}/{meta.get('tokenizer')} is not "
                         f"{BACKGROUND_FORMAT}/{TOKENIZER_VERSION}; rebuild it with `dscoder data decontam-background`")
    if meta.get("ngram") != ngram:
        raise ValueError(f"{path}: background list is for {meta.get('ngram')}-grams, the index uses {ngram}; "
                         f"rebuild it with `dscoder data decontam-background {path} --ngram {ngram}`")
    return hashes, meta


def background_digest(hashes: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(hashes, dtype=np.uint64).tobytes()).hexdigest()
