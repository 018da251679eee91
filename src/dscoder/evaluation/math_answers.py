"""Comparing a PAL program's answer with the reference (report §4.3; DeepSeek-Coder
``Evaluation/PAL-Math/utils/{parser,grader}.py``).

Two graders, one per evaluation protocol:

* ``protocol: deepseek`` -- :func:`official_strip_string`, :func:`official_extract_answer` and
  :func:`official_math_equal` follow the released ``strip_string`` / ``extract_answer`` / ``math_equal`` step by
  step (rewritten: the scripts are not a library). Their last stage hands both strings to sympy's
  ``parse_expr``, which evaluates Python, so here that stage is a callable the caller supplies (the PAL task runs
  it inside the sandbox, :data:`SYMBOLIC_EQUAL_SOURCE`). As in the environment the PAL README installs
  (``sympy==1.12`` without ``antlr4``), ``parse_latex`` is never used: LaTeX strings that ``parse_expr`` cannot
  read stay strings.
* ``protocol: strict`` -- :func:`math_equal`: numbers are equal within a relative tolerance of 1e-4, also when
  one side is a percentage of the other (x, x/100, x*100); otherwise both sides are normalised (LaTeX wrappers,
  spaces, a trailing ``\\text{}`` unit, ``x \\in``, ``\\frac``, ``\\sqrt``, ``\\pi``) and compared as strings,
  then evaluated numerically by walking a Python ``ast`` that allows only numbers, ``+ - * / **``, ``sqrt`` and
  ``pi``/``e`` (never ``eval``), so a float answer to a fraction or radical reference counts when it is within
  the tolerance.
"""

from __future__ import annotations

import ast
import math
import operator
import re

__all__ = [
    "SYMBOLIC_EQUAL_SOURCE",
    "math_equal",
    "normalize_answer",
    "official_extract_answer",
    "official_math_equal",
    "official_strip_string",
    "safe_number",
]

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_FUNCS = {"sqrt": math.sqrt}
_NAMES = {"pi": math.pi, "e": math.e}


def normalize_answer(text: str) -> str:
    s = str(text).strip()
    unitless = re.sub(r"\\(?:text|mbox)\{[^}]*\}(\^\{?\d\}?)?\s*$", "", s).strip()  # "575\text{ students}"
    s = unitless or s
    s = re.sub(r"^x\s*\\in\s*", "", s)  # "x \in [-2,7]"
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


# ---------------------------------------------------------------------------------------- protocol: deepseek


def _official_fix_fracs(string: str) -> str:
    substrs = string.split("\\frac")
    new_str = substrs[0]
    for substr in substrs[1:]:
        new_str += "\\frac"
        if substr and substr[0] == "{":
            new_str += substr
            continue
        if len(substr) < 2:
            return string
        a, b, post = substr[0], substr[1], substr[2:]
        new_str += "{" + a + "}{" + b + "}" + post if b != "{" else "{" + a + "}" + b + post
    return new_str


def _official_fix_a_slash_b(string: str) -> str:
    parts = string.split("/")
    if len(parts) != 2:
        return string
    a, b = parts
    try:
        a_val = a if "sqrt" in a else int(a)
        b_val = b if "sqrt" in b else int(b)
    except ValueError:
        return string
    if string != f"{a_val}/{b_val}":
        return string
    return "\\frac{" + str(a_val) + "}{" + str(b_val) + "}"


def official_strip_string(value: object) -> str:
    """``utils/parser.py``'s ``strip_string``: the normal form both the reference and the prediction get."""
    string = str(value).strip().replace("\n", "").rstrip(".")
    string = string.replace("\\!", "").replace("\\ ", "")
    string = string.replace("\\\\", "\\").replace("\\\\", "\\")
    string = string.replace("tfrac", "frac").replace("dfrac", "frac")
    string = string.replace("\\left", "").replace("\\right", "")
    without_unit = re.sub(r"\\text{.*?}$", "", string).strip()
    if without_unit != "" and without_unit != string:
        string = without_unit
    string = string.replace("^{\\circ}", "").replace("^\\circ", "")
    string = string.replace("\\$", "").replace("$", "")
    string = string.replace("\\text", "").replace("x\\in", "")
    string = string.replace("\\%", "").replace("%", "")
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    string = string.replace("\\cdot", "")
    string = string.replace("infinity", "\\infty")
    if "\\infty" not in string:
        string = string.replace("inf", "\\infty")
    string = string.replace("+\\inity", "\\infty")
    string = string.replace("and", "").replace("\\mathbf", "")
    string = re.sub(r"\\mbox{.*?}", "", string)
    if "j" in string and "i" not in string:
        string = string.replace("j", "i")
    string = re.sub(r"(\d+)\.0+([^\d])", r"\1\2", string)
    string = re.sub(r"(\d+)\.0+$", r"\1", string)
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    halves = string.split("=")
    if len(halves) == 2 and len(halves[0]) <= 2:
        string = halves[1]
    string = re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", string)
    string = string.replace(" ", "")
    return _official_fix_a_slash_b(_official_fix_fracs(string))


def official_extract_answer(text: str) -> str:
    """``utils/parser.py``'s ``extract_answer`` (the MATH reference: the last ``boxed`` group, braces balanced)."""
    if "boxed" in text:
        ans = text.split("boxed")[-1]
        if not ans:
            return ""
        if ans[0] == "{":
            depth, pred = 1, ""
            for c in ans[1:]:
                depth += {"{": 1, "}": -1}.get(c, 0)
                if depth == 0:
                    break
                pred += c
        else:
            pred = ans.split("$")[0].strip()
    elif "he answer is" in text:
        pred = text.split("he answer is")[-1].strip()
    elif "```output" in text and text.split("```output")[-1].split("```")[0].strip():
        pred = text.split("```output")[-1].split("```")[0].strip()
    else:
        numbers = re.findall(r"-?\d*\.?\d+", text.replace(",", ""))
        pred = numbers[-1] if numbers else ""
    pred = pred.split("\n")[0]
    if pred and pred[0] == ":":
        pred = pred[1:]
    if pred and pred[-1] == ".":
        pred = pred[:-1]
    if pred and pred[-1] == "/":
        pred = pred[:-1]
    return official_strip_string(pred)


def _is_digit(value: object) -> bool:
    try:
        float(str(value).replace(",", ""))
        return True
    except ValueError:
        return False


def official_math_equal(prediction: str, reference: str, symbolic_equal) -> bool:
    """``utils/grader.py``'s ``math_equal(prediction, reference)`` (percentage variants and ``isclose`` on, no
    timeout, as ``run.py`` calls it -- note ``run.py`` passes the *reference* first). ``symbolic_equal(a, b)``
    is the sympy stage; it is called only when the numeric and string stages do not decide."""
    if _is_digit(prediction) and _is_digit(reference):
        pred_value = float(str(prediction).replace(",", ""))
        ref_value = float(str(reference).replace(",", ""))
        return any(math.isclose(item, pred_value, rel_tol=1e-4)
                   for item in (ref_value / 100, ref_value, ref_value * 100))
    if not prediction:
        return False
    reference, prediction = str(reference).strip(), str(prediction).strip()
    pred_str, ref_str = prediction, reference
    if (prediction.startswith("[") and prediction.endswith("]") and not reference.startswith("(")) or (
            prediction.startswith("(") and prediction.endswith(")") and not reference.startswith("[")):
        pred_str, ref_str = pred_str.strip("[]()"), ref_str.strip("[]()")
    for bracket in "{}()":
        ref_str, pred_str = ref_str.replace(bracket, ""), pred_str.replace(bracket, "")
    if pred_str == ref_str:
        return True
    if ((prediction.startswith("[") and prediction.endswith("]")) and (reference.startswith("[")
            and reference.endswith("]")) or (prediction.startswith("(") and prediction.endswith(")"))
            and (reference.startswith("(") and reference.endswith(")"))):
        pred_parts, ref_parts = prediction[1:-1].split(","), reference[1:-1].split(",")
        if len(pred_parts) == len(ref_parts):
            # every part is compared (no short cut), as in the script, so each symbolic call is seen
            part_equal = [official_math_equal(p, r, symbolic_equal) for p, r in zip(pred_parts, ref_parts)]
            if all(part_equal):
                return True
    return bool(symbolic_equal(prediction, reference))


#: A Python program (run in the sandbox) that prints, as one JSON list, ``symbolic_equal(a, b)`` of
#: ``utils/grader.py`` for each pair of the JSON list ``PAIRS`` (``parse_expr`` only, see the module docstring);
#: a pair that takes longer than ``SECONDS`` counts as unequal.
SYMBOLIC_EQUAL_SOURCE = """\
import json, math, signal
from sympy import N, simplify
from sympy.parsing.sympy_parser import parse_expr


class _Slow(BaseException):
    pass


def _alarm(signum, frame):
    raise _Slow()


def _parse(s):
    try:
        return parse_expr(s)
    except BaseException as exc:
        if isinstance(exc, _Slow):
            raise
        return s


def symbolic_equal(a, b):
    a, b = _parse(a), _parse(b)
    try:
        if simplify(a - b) == 0:
            return True
    except Exception:
        pass
    try:
        if math.isclose(N(a), N(b), rel_tol=1e-3):
            return True
    except Exception:
        pass
    return False


signal.signal(signal.SIGALRM, _alarm)
results = []
for a, b in json.loads(PAIRS):
    signal.alarm(SECONDS)
    try:
        results.append(bool(symbolic_equal(a, b)))
    except _Slow:
        results.append(False)
    finally:
        signal.alarm(0)
print("DSCODER-SYMBOLIC " + json.dumps(results))
"""
