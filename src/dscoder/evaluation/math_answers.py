"""Comparing a PAL program's answer with the reference (DeepSeek-Coder ``Evaluation/PAL-Math/utils/grader.py``,
rewritten): numbers are equal within a relative tolerance of 1e-4, also when one side is a percentage of the
other (x, x/100, x*100); otherwise both sides are normalised (LaTeX wrappers, spaces, units, ``\\frac``,
``\\sqrt``, ``\\pi``) and compared as strings, then evaluated numerically.

The numeric evaluation walks a Python ``ast`` of the normalised text and allows only numbers, ``+ - * / **``,
``sqrt`` and ``pi``/``e``: the predicted answer is model output, so it is never ``eval``'ed (the released
grader hands both sides to sympy, whose parser evaluates Python). Symbolic equality beyond that numeric check
(matrices, intervals, equations) is therefore compared as normalised text only.
"""

from __future__ import annotations

import ast
import math
import operator
import re

__all__ = ["math_equal", "normalize_answer", "safe_number"]

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_FUNCS = {"sqrt": math.sqrt}
_NAMES = {"pi": math.pi, "e": math.e}


def normalize_answer(text: str) -> str:
    s = str(text).strip()
    s = re.sub(r"\\text\{\s*([^}]*)\}", r"\1", s)
    s = re.sub(r"\\mbox\{\s*([^}]*)\}", r"\1", s)
    for old, new in (("\\!", ""), ("\\left", ""), ("\\right", ""), ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"),
                     ("^\\circ", ""), ("^{\\circ}", ""), ("\\$", ""), ("$", ""), ("\\%", ""), ("%", ""),
                     ("\\,", ""), ("\\;", ""), ("\\ ", "")):
        s = s.replace(old, new)
    s = re.sub(r"^[a-zA-Z]\s*=\s*", "", s)  # "x = 3" -> "3"
    s = s.replace(" ", "").rstrip(".")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    return s


def _latex_to_expr(s: str) -> str:
    s = normalize_answer(s)
    for _ in range(5):
        s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", s)
        s = re.sub(r"\\frac(\d)(\d)", r"((\1)/(\2))", s)
        s = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", s)
    s = re.sub(r"\\sqrt(\d+)", r"sqrt(\1)", s)
    s = s.replace("\\pi", "pi").replace("\\cdot", "*").replace("\\times", "*").replace("^", "**")
    s = s.replace("{", "(").replace("}", ")")
    s = re.sub(r"(\d)(pi|sqrt|\()", r"\1*\2", s)
    s = re.sub(r"\)(\d|pi|sqrt|\()", r")*\1", s)
    return s


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return float(_BINOPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and len(node.args) == 1:
        return float(_FUNCS[node.func.id](_eval(node.args[0])))
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    raise ValueError(f"not a plain number: {ast.dump(node)[:60]}")


def safe_number(text: str) -> float | None:
    """The value of a number or simple arithmetic/LaTeX expression, or None."""
    expr = _latex_to_expr(text)
    if not expr or len(expr) > 200:
        return None
    try:
        return _eval(ast.parse(expr, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None


def math_equal(prediction: str | None, reference: str | None, rel_tol: float = 1e-4) -> bool:
    if prediction is None or reference is None:
        return False
    pred, ref = normalize_answer(prediction), normalize_answer(reference)
    if not pred:
        return False
    if pred == ref:
        return True
    p, r = safe_number(prediction), safe_number(reference)
    if p is None or r is None:
        return False
    return any(math.isclose(p, candidate, rel_tol=rel_tol, abs_tol=1e-9) for candidate in (r, r / 100, r * 100))
