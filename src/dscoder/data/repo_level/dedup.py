"""Repository-level near-dedup (report §2.3) with datatrove's four MinHash stages, set up for code.

datatrove's defaults are for prose (SPEC §7): ``language="eng"`` loads spaCy, and its normalisation lowercases,
deletes punctuation and rewrites digits. Code dedup here passes :class:`CodeWordTokenizer` (identifiers,
numbers and single punctuation marks) and :data:`CODE_NORM` (whitespace collapsed, everything else kept).
Shingles are ``n_grams`` consecutive tokens; ``bands × rows`` hashes (defaults 14 × 8, LSH threshold ≈ 0.72,
SPEC §1.3); one document per cluster is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import TextNormConfig
from datatrove.utils.word_tokenizers import WordTokenizer

from .config import DedupConfig

__all__ = ["CodeWordTokenizer", "CODE_NORM", "minhash_config", "code_shingles", "jaccard", "pairs_above"]

_TOKEN = re.compile(r"\w+|[^\w\s]")

#: keep case, punctuation, digits and diacritics; collapse whitespace only
CODE_NORM = TextNormConfig(
    lowercase=False,
    norm_whitespace=True,
    remove_punctuation=False,
    norm_unicode_diacritics=False,
    norm_numbers=False,
    norm_weekdays=False,
    norm_monthnames=False,
)


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
