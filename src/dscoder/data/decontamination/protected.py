"""The strings decontamination protects, per benchmark task (report §2.4: problems, docstrings, solutions).

Each benchmark's records (from :mod:`dscoder.benchmarks`) yield :class:`ProtectedString` values naming the
benchmark, the task and the field. The choice of fields is this project's reading of "problems, docstrings
and solutions" plus the tests, per benchmark (:data:`PROTECTED_FIELDS`):

* a solution is protected together with its prompt (``prompt + canonical_solution``, DS-1000's
  ``prompt + reference_code``), i.e. as the function a training file would contain. The report's exact rule
  for strings under 10 grams would otherwise turn one-line bodies such as ``return x + y`` (HumanEval/53)
  into patterns that drop every file containing them;
* HumanEval-infilling tasks are protected as their whole program (prefix + middle + suffix): their middles
  are single lines such as ``i += 1``;
* bare numeric answers (GSM-Hard/MAWPS/SVAMP targets, ASDiv answers, SVAMP equations) are not protected:
  ``43.0`` is three tokens and would match everywhere. GSM8K and MATH keep their worked solutions.

Users add their own files with :func:`protected_strings_from_file`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dscoder.benchmarks import BenchmarkDataError, load_benchmark, read_jsonl


@dataclass(frozen=True)
class ProtectedString:
    benchmark: str
    task_id: str
    field: str
    text: str


_DOCSTRING = re.compile(r'("""|\'\'\')(.*?)\1', re.DOTALL)


def python_docstrings(code: str) -> list[str]:
    """Triple-quoted strings of a Python prompt (its docstrings), without the quotes."""
    return [m.group(2) for m in _DOCSTRING.finditer(code)]


def _joined(*fields: str) -> Callable[[dict], list[str]]:
    return lambda r: ["".join(str(r.get(f) or "") for f in fields)]


def _each(field: str) -> Callable[[dict], list[str]]:
    def get(r: dict) -> list[str]:
        value = r.get(field)
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [] if value is None else [str(value)]

    return get


def _docstrings(r: dict) -> list[str]:
    return python_docstrings(r.get("prompt") or "")


_HUMANEVAL = {"prompt": _each("prompt"), "docstring": _docstrings, "solution": _joined("prompt", "canonical_solution"),
              "test": _each("test")}
_MULTIPL_E = {"prompt": _each("prompt"), "test": _each("tests")}
_MBPP = {"text": _each("text"), "code": _each("code"), "test": _each("test_list"),
         "test_setup_code": _each("test_setup_code"), "challenge_test": _each("challenge_test_list")}
_INFILLING = {"program": _joined("prompt", "canonical_solution", "suffix"), "test": _each("test")}

PROTECTED_FIELDS: dict[str, dict[str, Callable[[dict], list[str]]]] = {
    "humaneval": _HUMANEVAL,
    "humaneval-python": _HUMANEVAL,
    **{f"humaneval-{lang}": _MULTIPL_E for lang in ("cpp", "java", "php", "ts", "cs", "sh", "js")},
    "mbpp": _MBPP,
    "mbpp-full": _MBPP,
    **{f"humaneval-infilling-{m}": _INFILLING for m in ("single", "multi", "random-span")},
    "leetcode": {"problem": _each("prompt_sft"), "prompt": _each("prompt"), "test": _each("test")},
    "gsm8k": {"question": _each("question"), "answer": _each("answer")},
    "math": {"problem": _each("problem"), "solution": _each("solution")},
    "gsm-hard": {"question": _each("input"), "solution": _each("code")},
    "svamp": {"question": _each("question_text")},
    "asdiv": {"question": _each("question_text")},
    "mawps": {"question": _each("input")},
    "ds1000": {"prompt": _each("prompt"), "solution": _joined("prompt", "reference_code"),
               "test": _each("code_context")},
}
"""benchmark -> {field name -> function(record) -> strings to protect}."""


def protected_strings(benchmark: str, records: Iterable[dict]) -> Iterator[ProtectedString]:
    """The protected strings of a benchmark's records (blank strings skipped)."""
    try:
        fields = PROTECTED_FIELDS[benchmark]
    except KeyError:
        raise KeyError(f"no protected fields are defined for benchmark {benchmark!r}") from None
    for record in records:
        task_id = str(record["task_id"])
        for field, get in fields.items():
            for text in get(record):
                if text.strip():
                    yield ProtectedString(benchmark, task_id, field, text)


def benchmark_protected_strings(benchmark: str, data_dir: str | Path | None = None) -> list[ProtectedString]:
    """Load a registered benchmark (offline) and return its protected strings."""
    return list(protected_strings(benchmark, load_benchmark(benchmark, data_dir=data_dir)))


def protected_strings_from_file(path: str | Path, benchmark: str | None = None) -> list[ProtectedString]:
    """A user's own test data: a JSON-lines file (``.jsonl``/``.json``/``.gz``) or any other text file.

    JSON lines: each record needs ``task_id``; every other string (or list of strings) value is protected,
    and a ``benchmark`` value overrides the benchmark name (default: ``benchmark`` or the file's stem).
    Any other file is one task (``task_id`` = file name) whose whole text is protected.
    """
    path = Path(path)
    if not path.is_file():
        raise BenchmarkDataError(f"protected-strings file not found: {path}")
    default = benchmark or path.name.split(".")[0]
    if not path.name.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise BenchmarkDataError(f"{path}: not UTF-8 text ({exc.reason})") from None
        return [ProtectedString(default, path.name, "text", text)] if text.strip() else []
    out = []
    for i, record in enumerate(read_jsonl(path), 1):
        if "task_id" not in record:
            raise BenchmarkDataError(f"{path}: record {i} lacks field task_id")
        bench = str(record.get("benchmark") or default)
        for field, value in record.items():
            if field in ("task_id", "benchmark"):
                continue
            values = value if isinstance(value, list) else [value]
            out.extend(ProtectedString(bench, str(record["task_id"]), field, v)
                       for v in values if isinstance(v, str) and v.strip())
    return out
