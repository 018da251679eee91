"""The decontamination index (report §2.4): hashed 10-grams plus exact short strings, built once, on disk.

* every protected string of at least ``ngram`` (10) code tokens contributes all its 10-grams, stored as a
  sorted array of distinct ``uint64`` hashes with, per hash, the tasks that own it (CSR: ``offsets`` into
  ``owners``), plus a bit filter (one bit per hash prefix) that answers "certainly absent" for almost every
  n-gram of a training document with one memory read;
* strings of ``min_exact_tokens`` (3) to ``ngram - 1`` tokens are matched exactly, as whole tokens, by a
  ``pyahocorasick`` automaton over the document's normalised text;
* strings under ``min_exact_tokens`` tokens are ignored.

Layout of an index folder: ``index.json`` (config, tasks, per-benchmark counts, fingerprint),
``keys.npy`` / ``offsets.npy`` / ``owners.npy`` / ``bitfilter.npy`` (memory-mapped on load, so the worker
processes of a datatrove run share one copy through the page cache) and ``exact.json``.
datatrove's ``NGramsDecontIndexer``/``NGramsDecontFilter`` are not used: they import lighteval, hash words in a
Python loop, have no exact-match rule and do not say which task a document hit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dscoder.data.decontamination.code_tokens import (
    TOKENIZER_VERSION,
    TokenStream,
    ngram_hashes,
    tokenize,
)
from dscoder.data.decontamination.protected import ProtectedString

INDEX_FORMAT = 2


@dataclass(frozen=True)
class IndexConfig:
    ngram: int = 10  # report §2.4: a shared 10-gram contaminates
    min_exact_tokens: int = 3  # report §2.4: shorter test strings of at least 3 grams match exactly
    filter_bits: int = 28  # 2**28-bit (32 MiB) prefilter

    def __post_init__(self):
        if self.ngram < 2:
            raise ValueError(f"ngram must be >= 2; got {self.ngram}")
        if not 1 <= self.min_exact_tokens <= self.ngram:
            raise ValueError(f"min_exact_tokens must be in 1..ngram ({self.ngram}); got {self.min_exact_tokens}")
        if not 16 <= self.filter_bits <= 34:
            raise ValueError(f"filter_bits must be in 16..34; got {self.filter_bits}")


@dataclass
class TaskHit:
    """How one document touches one benchmark task."""

    benchmark: str
    task_id: str
    ngrams: int = 0  # distinct token positions where an indexed n-gram starts
    exact: int = 0  # exact short-string matches
    first_token: int = -1  # token index of the first match

    @property
    def reason(self) -> str:
        return f"contaminated:{self.benchmark}/{self.task_id}"


@dataclass
class ScanResult:
    hits: list[TaskHit] = field(default_factory=list)  # strongest first
    stream: TokenStream | None = None

    @property
    def contaminated(self) -> bool:
        return bool(self.hits)


class DecontaminationIndex:
    """Hashed n-grams + exact short strings of protected benchmark text, with the task owning each."""

    def __init__(self, config: IndexConfig, tasks: list[tuple[str, str]], keys: np.ndarray, offsets: np.ndarray,
                 owners: np.ndarray, bitfilter: np.ndarray, exact: dict[str, list[int]], meta: dict | None = None):
        self.config = config
        self.tasks = tasks
        self.keys = keys  # distinct n-gram hashes, sorted
        self.offsets = offsets  # owners of keys[i] are owners[offsets[i]:offsets[i + 1]]
        self.owners = owners
        self.bitfilter = bitfilter
        self.exact = exact
        self.meta = meta or {}
        self._shift = np.uint64(64 - config.filter_bits)
        self._automaton = None

    # ------------------------------------------------------------------------------------------------ build
    @classmethod
    def build(cls, strings: Iterable[ProtectedString], config: IndexConfig | None = None,
              fingerprint: str = "") -> DecontaminationIndex:
        config = config or IndexConfig()
        task_ids: dict[tuple[str, str], int] = {}
        hash_parts, owner_parts = [], []
        exact: dict[str, set[int]] = {}
        stats: dict[str, Counter] = {}
        for s in strings:
            owner = task_ids.setdefault((s.benchmark, s.task_id), len(task_ids))
            counts = stats.setdefault(s.benchmark, Counter())
            counts["strings"] += 1
            stream = tokenize(s.text)
            if stream.n_tokens >= config.ngram:
                h = ngram_hashes(stream, config.ngram)
                hash_parts.append(h)
                owner_parts.append(np.full(len(h), owner, dtype=np.uint32))
                counts["ngrams"] += len(h)
            elif stream.n_tokens >= config.min_exact_tokens:
                exact.setdefault(stream.normalized_text().strip(" "), set()).add(owner)
                counts["exact_strings"] += 1
            else:
                counts["too_short"] += 1
        for bench, task in task_ids:
            stats[bench]["tasks"] += 1
        hashes = np.concatenate(hash_parts) if hash_parts else np.zeros(0, dtype=np.uint64)
        owners = np.concatenate(owner_parts) if owner_parts else np.zeros(0, dtype=np.uint32)
        order = np.lexsort((owners, hashes))
        hashes, owners = hashes[order], owners[order]
        if len(hashes):
            keep = np.ones(len(hashes), dtype=bool)
            keep[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
            hashes, owners = hashes[keep], owners[keep]
        keys, first = np.unique(hashes, return_index=True)
        offsets = np.append(first, len(hashes)).astype(np.int64)
        bitfilter = np.zeros(1 << (config.filter_bits - 3), dtype=np.uint8)
        slots = keys >> np.uint64(64 - config.filter_bits)
        np.bitwise_or.at(bitfilter, slots >> np.uint64(3), np.left_shift(1, slots & np.uint64(7)).astype(np.uint8))
        meta = {
            "format": INDEX_FORMAT,
            "tokenizer": TOKENIZER_VERSION,
            "config": asdict(config),
            "fingerprint": fingerprint,
            "benchmarks": {b: dict(sorted(c.items())) for b, c in stats.items()},
            "ngrams": len(hashes),
            "distinct_ngrams": len(keys),
            "exact_patterns": len(exact),
        }
        tasks = list(task_ids)
        return cls(config, tasks, keys, offsets, owners, bitfilter, {k: sorted(v) for k, v in exact.items()}, meta)

    # --------------------------------------------------------------------------------------------- save/load
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "keys.npy", self.keys)
        np.save(folder / "offsets.npy", self.offsets)
        np.save(folder / "owners.npy", self.owners)
        np.save(folder / "bitfilter.npy", self.bitfilter)
        (folder / "exact.json").write_text(json.dumps(self.exact, ensure_ascii=False), encoding="utf-8")
        meta = dict(self.meta, tasks=[list(t) for t in self.tasks])
        # written last: its presence marks a complete index
        (folder / "index.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path, mmap: bool = True) -> DecontaminationIndex:
        folder = Path(folder)
        meta_path = folder / "index.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"no decontamination index in {folder} (index.json missing)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            exact = json.loads((folder / "exact.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{folder}: unreadable decontamination index ({exc})") from None
        if meta.get("format") != INDEX_FORMAT or meta.get("tokenizer") != TOKENIZER_VERSION:
            raise ValueError(f"{meta_path}: index format {meta.get('format')}/{meta.get('tokenizer')} is not "
                             f"{INDEX_FORMAT}/{TOKENIZER_VERSION}; rebuild it")
        mode = "r" if mmap else None
        arrays = {}
        for name in ("keys", "offsets", "owners", "bitfilter"):
            try:
                # a plain ndarray view of the map: same shared pages, none of np.memmap's per-index overhead
                arrays[name] = np.asarray(np.load(folder / f"{name}.npy", mmap_mode=mode))
            except (OSError, ValueError) as exc:
                raise ValueError(f"{folder / (name + '.npy')}: unreadable ({exc})") from None
        tasks = [tuple(t) for t in meta.pop("tasks")]
        return cls(IndexConfig(**meta["config"]), tasks, arrays["keys"], arrays["offsets"], arrays["owners"],
                   arrays["bitfilter"], exact, meta)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (what a worker maps into memory), exact patterns not counted."""
        return int(self.keys.nbytes + self.offsets.nbytes + self.owners.nbytes + self.bitfilter.nbytes)

    # ------------------------------------------------------------------------------------------------- scan
    @property
    def automaton(self):
        if self._automaton is None and self.exact:
            import ahocorasick

            automaton = ahocorasick.Automaton()
            for pattern, owners in self.exact.items():
                automaton.add_word(f" {pattern} ", (tuple(owners), pattern.count(" ") + 1))
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def _ngram_hits(self, grams: np.ndarray, hits: dict[int, TaskHit], hit) -> None:
        slots = grams >> self._shift
        maybe = np.flatnonzero((self.bitfilter[slots >> np.uint64(3)] >> (slots & np.uint64(7))) & 1)
        if not len(maybe):
            return
        values = grams[maybe]
        where = np.minimum(np.searchsorted(self.keys, values), len(self.keys) - 1)
        found = self.keys[where] == values
        if not found.any():
            return
        key_idx, token_pos = where[found], maybe[found]
        starts = self.offsets[key_idx]
        counts = self.offsets[key_idx + 1] - starts
        # every (owner, token position) pair, vectorised: a key owned by 40 tasks costs no Python loop
        flat = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        owners = self.owners[flat].astype(np.int64)
        positions = np.repeat(token_pos, counts)
        order = np.lexsort((positions, owners))
        owners, positions = owners[order], positions[order]
        first = np.flatnonzero(np.diff(owners, prepend=-1))
        per_owner = np.diff(np.append(first, len(owners)))
        for owner, pos, n in zip(owners[first].tolist(), positions[first].tolist(), per_owner.tolist()):
            hit(owner, pos).ngrams += n

    def scan(self, text: str) -> ScanResult:
        """Every benchmark task ``text`` touches: indexed n-grams and exact short strings."""
        stream = tokenize(text)
        hits: dict[int, TaskHit] = {}

        def hit(owner: int, token: int) -> TaskHit:
            h = hits.get(owner)
            if h is None:
                h = hits[owner] = TaskHit(*self.tasks[owner], first_token=token)
            elif token < h.first_token:
                h.first_token = token
            return h

        if stream.n_tokens >= self.config.ngram and len(self.keys):
            self._ngram_hits(ngram_hashes(stream, self.config.ngram), hits, hit)
        automaton = self.automaton
        if automaton is not None and stream.n_tokens >= self.config.min_exact_tokens:
            normalized = stream.normalized_text()
            ascii_only = len(normalized) == len(stream.normalized)
            for end, (owners, n_tokens) in automaton.iter(normalized):
                # ``end`` is the pattern's closing space, where the pattern's last token ends
                byte_end = end if ascii_only else len(normalized[:end].encode("utf-8", "surrogatepass"))
                token = int(np.searchsorted(stream.norm_ends, byte_end, side="left")) - n_tokens + 1
                for owner in owners:
                    hit(owner, token).exact += 1
        ranked = sorted(hits.items(), key=lambda kv: (-(kv[1].ngrams + kv[1].exact), kv[0]))
        return ScanResult([h for _, h in ranked], stream)


def strings_fingerprint(strings: list[ProtectedString], config: IndexConfig) -> str:
    """A hash of the protected strings and the index config: equal fingerprints give equal indexes."""
    digest = hashlib.sha1(json.dumps([asdict(config), TOKENIZER_VERSION, INDEX_FORMAT]).encode())
    for s in strings:
        for part in (s.benchmark, s.task_id, s.field, s.text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
    return digest.hexdigest()
