"""The decontamination index (report §2.4): hashed n-grams of protected benchmark text, built once, on disk.

Two modes (:class:`IndexConfig` ``mode``), both measured by ``bench/decontam_quality.py`` on held-out standard
library files (clean code: every flag is a false positive) and on planted copies of HumanEval, MBPP, GSM8K and
MATH tasks (verbatim, re-indented, renamed, tests only, problem text only, embedded):

* ``words`` (default): grams of 8 **word tokens** (identifiers, numbers, words; punctuation and whitespace
  ignored, so one rule serves code and the natural-language problem texts), where every name the text defines
  with ``def`` counts as one stand-in token (a renamed copy keeps its grams); the n-grams of the background list
  (:mod:`.background`: found in 2+ files of code written without any benchmark) are left out of the index; and a
  protected string counts only when a document holds at least ``min_share`` (half) of its distinct indexed
  n-grams. A copy of a task holds most of a string's grams; shared idioms hold one or two. A string of 4-7
  words counts when every one of its 4-grams is there; the several strings of one field (MBPP's asserts) are
  also protected joined. Measured: 0 of 342 held-out files flagged, recall 99-100% on every variant;
* ``paper``: the report's rule read literally with code tokens as its unit: one shared 10-gram of code tokens (every
  punctuation mark a token) flags a document, and a string of 3-9 code tokens is matched exactly, as whole
  tokens, by a ``pyahocorasick`` automaton over the normalised text. It flags about 9% of the held-out files,
  for idioms such as ``for i in range ( len ( xs )`` (``tests/fixtures/decontam_idioms.json``).

Storage: the sorted distinct ``uint64`` gram hashes with, per hash, the owners (CSR: ``offsets`` into
``owners``; an owner is a task in ``paper`` mode, a protected string in ``words`` mode, whose task and needed
match count are in ``units``), plus a bit filter (one bit per hash prefix) that answers "certainly absent" for
almost every gram of a training document with one memory read.
Layout of an index folder: ``index.json`` (config, tasks, per-benchmark counts, fingerprint),
``keys.npy`` / ``offsets.npy`` / ``owners.npy`` / ``units.npy`` / ``bitfilter.npy`` (memory-mapped on load,
so the worker processes of a datatrove run share one copy through the page cache) and ``exact.json``.
datatrove's ``NGramsDecontIndexer``/``NGramsDecontFilter`` are not used: they import lighteval, hash words in a
Python loop, have no exact-match rule and do not say which task a document hit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dscoder.data.decontamination.code_tokens import (
    TOKENIZER_VERSION,
    TokenStream,
    mask_defined_names,
    ngram_hashes,
    token_ngram_hashes,
    tokenize,
    word_token_hashes,
)
from dscoder.data.decontamination.protected import ProtectedString

INDEX_FORMAT = 3
MODES = ("words", "paper")
_MODE_DEFAULTS = {  # ngram, min_exact_tokens, min_share
    "words": (8, 4, 0.5),
    "paper": (10, 3, 0.0),  # report §2.4: a shared 10-gram; shorter test strings of at least 3 grams exactly
}


@dataclass(frozen=True)
class IndexConfig:
    """How the index matches. ``None`` fields take the mode's default (``words``: 8, 4, 0.5; ``paper``: 10, 3).

    ``background``: ``"shipped"`` (the package's list for this n), ``"none"``, or the path of a list built with
    ``dscoder data decontam-background``; ``paper`` mode uses none.
    """

    mode: str = "words"
    ngram: int | None = None
    min_exact_tokens: int | None = None
    min_share: float | None = None
    background: str = "shipped"
    filter_bits: int = 28  # 2**28-bit (32 MiB) prefilter

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        ngram, min_exact, share = _MODE_DEFAULTS[self.mode]
        for name, default in (("ngram", ngram), ("min_exact_tokens", min_exact), ("min_share", share)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        if self.mode == "paper":
            object.__setattr__(self, "background", "none")
            object.__setattr__(self, "min_share", 0.0)
        if self.ngram < 2:
            raise ValueError(f"ngram must be >= 2; got {self.ngram}")
        if not 1 <= self.min_exact_tokens <= self.ngram:
            raise ValueError(f"min_exact_tokens must be in 1..ngram ({self.ngram}); got {self.min_exact_tokens}")
        if not 0.0 <= self.min_share <= 1.0:
            raise ValueError(f"min_share must be in 0..1; got {self.min_share}")
        if not 16 <= self.filter_bits <= 34:
            raise ValueError(f"filter_bits must be in 16..34; got {self.filter_bits}")

    @property
    def words_only(self) -> bool:
        return self.mode == "words"

    def background_hashes(self) -> np.ndarray:
        """The background n-gram hashes this config leaves out of the index (empty for ``none``)."""
        from dscoder.data.decontamination.background import load_background, shipped_background_path

        if self.background == "none":
            return np.zeros(0, dtype=np.uint64)
        path = shipped_background_path(self.ngram) if self.background == "shipped" else Path(self.background)
        return load_background(path, self.ngram)[0]


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
                 owners: np.ndarray, bitfilter: np.ndarray, exact: dict[str, list[int]], meta: dict | None = None,
                 units: np.ndarray | None = None):
        self.config = config
        self.tasks = tasks
        self.keys = keys  # distinct n-gram hashes, sorted
        self.offsets = offsets  # owners of keys[i] are owners[offsets[i]:offsets[i + 1]]
        self.owners = owners  # paper: task ids; words: unit (protected string) ids
        self.units = units if units is not None else np.zeros((0, 2), dtype=np.int64)  # words: (task, grams needed)
        self.bitfilter = bitfilter
        self.exact = exact
        self.meta = meta or {}
        self._shift = np.uint64(64 - config.filter_bits)
        self._automaton = None

    # ------------------------------------------------------------------------------------------------ build
    @classmethod
    def build(cls, strings: Iterable[ProtectedString], config: IndexConfig | None = None,
              fingerprint: str = "", background: np.ndarray | None = None) -> DecontaminationIndex:
        """Index ``strings``; ``background`` (sorted hashes) defaults to the config's list (``words`` mode)."""
        config = config or IndexConfig()
        if background is None:
            background = config.background_hashes()
        task_ids: dict[tuple[str, str], int] = {}
        units: list[tuple[int, int]] = []
        hash_parts, owner_parts = [], []
        exact: dict[str, set[int]] = {}
        stats: dict[str, Counter] = {}
        if config.words_only:
            strings = _with_joined_lists(strings)
        short_lengths: set[int] = set()
        for s in strings:
            owner = task_ids.setdefault((s.benchmark, s.task_id), len(task_ids))
            counts = stats.setdefault(s.benchmark, Counter())
            counts["strings"] += 1
            if config.words_only:
                tokens = mask_defined_names(word_token_hashes(s.text)[1])
                if len(tokens) < config.min_exact_tokens:
                    counts["too_short"] += 1
                    continue
                if len(tokens) >= config.ngram:
                    h = np.unique(token_ngram_hashes(tokens, config.ngram))
                    counts["ngrams"] += len(h)
                    if len(background):
                        common = np.isin(h, background, assume_unique=True)
                        counts["background_ngrams"] += int(common.sum())
                        h = h[~common]
                    if not len(h):
                        counts["background_only"] += 1
                        continue
                    need = max(1, math.ceil(config.min_share * len(h)))
                else:  # a short string: every one of its min_exact_tokens-grams must be there
                    h = np.unique(token_ngram_hashes(tokens, config.min_exact_tokens))
                    short_lengths.add(config.min_exact_tokens)
                    counts["exact_strings"] += 1
                    need = len(h)
                units.append((owner, need))
                hash_parts.append(h)
                owner_parts.append(np.full(len(h), len(units) - 1, dtype=np.uint32))
                continue
            stream = tokenize(s.text)
            if stream.n_tokens >= config.ngram:
                h = ngram_hashes(stream, config.ngram)
                counts["ngrams"] += len(h)
                hash_parts.append(h)
                owner_parts.append(np.full(len(h), owner, dtype=np.uint32))
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
            "background_ngrams": len(background),
            "short_lengths": sorted(short_lengths),
        }
        tasks = list(task_ids)
        unit_array = np.array(units, dtype=np.int64).reshape(-1, 2)
        return cls(config, tasks, keys, offsets, owners, bitfilter, {k: sorted(v) for k, v in exact.items()}, meta,
                   unit_array)

    # --------------------------------------------------------------------------------------------- save/load
    _ARRAYS = ("keys", "offsets", "owners", "units", "bitfilter")

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in self._ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
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
        for name in cls._ARRAYS:
            try:
                # a plain ndarray view of the map: same shared pages, none of np.memmap's per-index overhead
                arrays[name] = np.asarray(np.load(folder / f"{name}.npy", mmap_mode=mode))
            except (OSError, ValueError) as exc:
                raise ValueError(f"{folder / (name + '.npy')}: unreadable ({exc})") from None
        tasks = [tuple(t) for t in meta.pop("tasks")]
        return cls(IndexConfig(**meta["config"]), tasks, arrays["keys"], arrays["offsets"], arrays["owners"],
                   arrays["bitfilter"], exact, meta, arrays["units"])

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (what a worker maps into memory), exact patterns not counted."""
        return int(sum(getattr(self, name).nbytes for name in self._ARRAYS))

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

    def _found(self, grams: np.ndarray, positions: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Indexed grams of a document (``positions``: each gram's first token, default its index), expanded to
        every owner of the key as ``(owners, positions, key indices)``; ``None`` when nothing is indexed."""
        slots = grams >> self._shift
        maybe = np.flatnonzero((self.bitfilter[slots >> np.uint64(3)] >> (slots & np.uint64(7))) & 1)
        if not len(maybe):
            return None
        values = grams[maybe]
        where = np.minimum(np.searchsorted(self.keys, values), len(self.keys) - 1)
        found = self.keys[where] == values
        if not found.any():
            return None
        key_idx, token_pos = where[found], maybe[found]
        if positions is not None:
            token_pos = positions[token_pos]
        starts = self.offsets[key_idx]
        counts = self.offsets[key_idx + 1] - starts
        # every (owner, token position) pair, vectorised: a key owned by 40 tasks costs no Python loop
        flat = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        return self.owners[flat].astype(np.int64), np.repeat(token_pos, counts), np.repeat(key_idx, counts)

    def _ngram_hits(self, grams: np.ndarray, hits: dict[int, TaskHit], hit) -> None:
        """``paper``: every indexed n-gram counts for its tasks (``ngrams`` = token positions matched)."""
        found = self._found(grams)
        if found is None:
            return
        owners, positions, _ = found
        order = np.lexsort((positions, owners))
        owners, positions = owners[order], positions[order]
        first = np.flatnonzero(np.diff(owners, prepend=-1))
        per_owner = np.diff(np.append(first, len(owners)))
        for owner, pos, n in zip(owners[first].tolist(), positions[first].tolist(), per_owner.tolist()):
            hit(owner, pos).ngrams += n

    def _share_hits(self, tokens: np.ndarray, hits: dict[int, TaskHit], hit) -> None:
        """``words``: a protected string counts for its task when the document holds enough of its distinct
        n-grams, or every gram of a short string (``ngrams`` = distinct grams of the qualifying strings)."""
        sizes = [k for k in [self.config.ngram, *self.meta.get("short_lengths", ())] if k <= len(tokens)]
        if not sizes or not len(self.keys):
            return
        tokens = mask_defined_names(tokens)
        parts = [token_ngram_hashes(tokens, k) for k in sizes]
        grams = np.concatenate(parts) if len(parts) > 1 else parts[0]
        positions = np.concatenate([np.arange(len(p)) for p in parts]) if len(parts) > 1 else None
        found = self._found(grams, positions)
        if found is None:
            return
        units, positions, keys = found
        order = np.lexsort((positions, keys, units))
        units, positions, keys = units[order], positions[order], keys[order]
        new_unit = np.diff(units, prepend=-1) != 0
        distinct = new_unit | (np.diff(keys, prepend=-1) != 0)
        first = np.flatnonzero(new_unit)
        matched = np.add.reduceat(distinct.astype(np.int64), first)
        unit_ids = units[first]
        ok = matched >= self.units[unit_ids, 1]
        if not ok.any():
            return
        # a unit's first match is its smallest position: positions are sorted within each (unit, key) only
        first_pos = np.minimum.reduceat(positions, first)
        for unit, pos, n in zip(unit_ids[ok].tolist(), first_pos[ok].tolist(), matched[ok].tolist()):
            hit(int(self.units[unit, 0]), pos).ngrams += n

    def scan(self, text: str) -> ScanResult:
        """Every benchmark task ``text`` touches: indexed n-grams and exact short strings. The result's token
        stream (for snippets) is ``None`` in ``words`` mode when nothing is hit (it is not needed to scan)."""
        hits: dict[int, TaskHit] = {}

        def hit(owner: int, token: int) -> TaskHit:
            h = hits.get(owner)
            if h is None:
                h = hits[owner] = TaskHit(*self.tasks[owner], first_token=token)
            elif token < h.first_token:
                h.first_token = token
            return h

        if self.config.words_only:
            self._share_hits(word_token_hashes(text)[1], hits, hit)
            ranked = sorted(hits.items(), key=lambda kv: (-kv[1].ngrams, kv[0]))
            return ScanResult([h for _, h in ranked], tokenize(text, words_only=True) if hits else None)
        stream = tokenize(text)
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


def _with_joined_lists(strings: Iterable[ProtectedString]) -> list[ProtectedString]:
    """``strings`` plus, for every field of a task that has several strings (MBPP's three asserts), those strings
    joined by newlines: each assert alone is often under ``min_exact_tokens`` words, the three together are not."""
    strings = list(strings)
    groups: dict[tuple[str, str, str], list[str]] = {}
    for s in strings:
        groups.setdefault((s.benchmark, s.task_id, s.field), []).append(s.text)
    joined = [ProtectedString(b, t, f"{f}:joined", "\n".join(texts)) for (b, t, f), texts in groups.items()
              if len(texts) > 1]
    return strings + joined


def strings_fingerprint(strings: list[ProtectedString], config: IndexConfig, background: str = "") -> str:
    """A hash of the protected strings, the index config and the background list's digest: equal fingerprints
    give equal indexes."""
    digest = hashlib.sha1(json.dumps([asdict(config), TOKENIZER_VERSION, INDEX_FORMAT, background]).encode())
    for s in strings:
        for part in (s.benchmark, s.task_id, s.field, s.text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
    return digest.hexdigest()
