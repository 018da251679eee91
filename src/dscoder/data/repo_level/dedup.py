"""Repository-level near-dedup (report §2.3) with datatrove's four MinHash stages, set up for code.

datatrove's defaults are for prose (docs/paper.md, traps): ``language="eng"`` loads spaCy, and its normalisation
lowercases, deletes punctuation and rewrites digits. Code dedup here passes :class:`CodeWordTokenizer` (identifiers,
numbers and single punctuation marks) and :data:`CODE_NORM` (whitespace collapsed, everything else kept).
Shingles are ``n_grams`` consecutive tokens; ``bands × rows`` hashes (defaults 14 × 8, LSH threshold ≈ 0.72,
docs/paper.md §2.3); one document per cluster is kept.

:class:`CodeMinhashSignature` is datatrove's stage 1 with a vectorised shingle hash: datatrove joins every
n-gram into a string and hashes it in a Python loop, which dominates on repository-sized documents (hundreds of
thousands of tokens). Here each token is hashed once (xxh64) and the n-gram hashes are combined with numpy; the
min-hash is taken over row chunks so memory stays bounded for a multi-megabyte sample. Its signature files are
the ones datatrove's stages 2-4 read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import xxhash
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import TextNormConfig
from datatrove.utils.word_tokenizers import WordTokenizer

from .config import DedupConfig

__all__ = [
    "CODE_NORM",
    "CodeMinhashSignature",
    "CodeWordTokenizer",
    "code_shingles",
    "jaccard",
    "minhash_config",
    "pairs_above",
]

_TOKEN = re.compile(r"\w+|[^\w\s]")

#: keep case, punctuation, digits and diacritics; collapse whitespace only. The four prose steps that would erase a
#: program's meaning are turned off; whitespace folding stays on and weekday/month rewriting off, as datatrove has them
#: (a test pins every field, so a change of datatrove's defaults shows).
CODE_NORM = TextNormConfig(lowercase=False, remove_punctuation=False, norm_unicode_diacritics=False, norm_numbers=False)


class CodeWordTokenizer(WordTokenizer):
    """Code tokens: identifier/number runs and single punctuation marks (``a.b(1)`` -> a . b ( 1 ))."""

    def __init__(self):
        super().__init__(language="code")

    def word_tokenize(self, text: str) -> list[str]:
        return _TOKEN.findall(text)

    def sent_tokenize(self, text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _TOKEN.finditer(text)]


# odd 64-bit multipliers of the n-gram positions, and the splitmix64 finaliser constants
_POSITION_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD,
     0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)  # fmt: skip
_CHUNK_ROWS = 16_384


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class CodeMinhashSignature(MinhashDedupSignature):
    """datatrove's MinHash stage 1 for code: :class:`CodeWordTokenizer` tokens, vectorised n-gram hashing,
    chunked min-hash (see the module docstring). Drop-in for ``MinhashDedupSignature``."""

    name = "🎯 MinHash stage 1 (code)"
    _requires_dependencies = ("numpy", "xxhash")

    def __init__(self, output_folder, config=None, skip_existing_sigs: bool = False):
        super().__init__(output_folder, config=config, language=CodeWordTokenizer(), skip_existing_sigs=skip_existing_sigs)
        n = self.config.n_grams
        if n > len(_POSITION_MULTIPLIERS):
            reps = -(-n // len(_POSITION_MULTIPLIERS))
            self._weights = _mix(np.tile(_POSITION_MULTIPLIERS, reps)[:n] + np.arange(n, dtype=np.uint64)) | np.uint64(1)
        else:
            self._weights = _POSITION_MULTIPLIERS[:n]

    def get_shingles(self, text: str) -> np.ndarray:
        tokens = _TOKEN.findall(text)
        n = self.config.n_grams
        if len(tokens) < n:
            return np.empty((0, 1), dtype=np.uint64)
        h = np.fromiter(map(xxhash.xxh64_intdigest, tokens), dtype=np.uint64, count=len(tokens))
        m = len(tokens) - n + 1
        acc = h[:m] * self._weights[0]
        for k in range(1, n):
            acc += h[k : k + m] * self._weights[k]
        return np.unique(_mix(acc)).reshape((-1, 1))

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        """Min over the shingles of ``num_hashes`` multiply-add-shift hashes ``(a·x + b mod 2^64) >> s`` (a odd).

        The shift keeps the top 60 bits (below datatrove's 2^61 - 1 hash range) or 32 for 32-bit signatures; it
        replaces datatrove's ``% (2^61 - 1)``, which is the slowest numpy operation of its stage 1."""
        a, b = self.parameters
        a = a | np.uint64(1)
        shift = np.uint64(4 if self.config.hash_config.precision == 64 else 32)
        mins = None
        for start in range(0, len(shingles), _CHUNK_ROWS):
            phv = shingles[start : start + _CHUNK_ROWS] * a
            phv += b
            phv >>= shift
            chunk = phv.min(axis=0)
            mins = chunk if mins is None else np.minimum(mins, chunk)
        return [x.tolist() for x in np.split(mins.astype(self.config.hash_config.np_dtype), self.config.num_buckets)]


def minhash_config(config: DedupConfig):
    """datatrove's ``MinhashConfig`` for code from this project's :class:`DedupConfig`."""
    from datatrove.pipeline.dedup.minhash import MinhashConfig

    return MinhashConfig(
        n_grams=config.n_grams,
        num_buckets=config.bands,
        hashes_per_bucket=config.rows,
        seed=config.seed,
        norm_config=CODE_NORM,
        hash_config=HashConfig(precision=64),
    )


def code_shingles(text: str, n: int) -> set[tuple[str, ...]]:
    """The exact shingle set MinHash approximates (same tokens and normalisation), for measuring recall."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def pairs_above(shingle_sets: Iterable[set], threshold: float) -> set[tuple[int, int]]:
    """All index pairs whose exact Jaccard similarity is ≥ ``threshold`` (quadratic: for evaluation only)."""
    sets = list(shingle_sets)
    sizes = np.array([len(s) for s in sets])
    out = set()
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            lo, hi = sorted((sizes[i], sizes[j]))
            if hi and lo / hi < threshold:
                continue  # Jaccard ≤ min/max size
            if jaccard(sets[i], sets[j]) >= threshold:
                out.add((i, j))
    return out
