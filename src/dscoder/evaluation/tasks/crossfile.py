"""Repository-level (cross-file) code completion (report §4.2, Table 8), in CrossCodeEval's format.

A record holds the in-file left context (``prompt``), the next line (``groundtruth``), ``right_context``,
``metadata`` (``task_id``, ``repository``, ``file``, ``groundtruth_start_lineno``) and ``crossfile_context``
(``text`` + ``list`` of retrieved chunks). The prompt is the cross-file context (as comments, cut to 512
tokens) followed by the left context, cut from the left so that prompt + 50 new tokens fit 2048 tokens; the
first line of the output is scored by exact match and edit similarity (report §4.3).

* ``crosscodeeval``: the benchmark's own JSONL (``data:``), whose ``crossfile_context`` already holds its BM25
  retrieval;
* ``crossfile-demo``: a set built by :func:`build_crossfile_set` from file records (e.g. the demo corpus): lines
  that use a name defined in another file of the same repository, with BM25+ retrieval (``rank-bm25``) of
  10-line chunks of the repository's other files, queried with the last 10 lines before the cursor.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from dscoder.evaluation.extract import first_nonblank_line
from dscoder.evaluation.generation import Request
from dscoder.evaluation.metrics import edit_similarity, exact_match, mean
from dscoder.evaluation.tasks.base import Task

__all__ = ["COMMENT", "CrossFileTask", "bm25_chunks", "build_crossfile_set", "crossfile_text"]

#: line-comment prefix of the languages CrossCodeEval covers (and the demo corpus's Python)
COMMENT = {"python": "#", "java": "//", "typescript": "//", "c-sharp": "//", "csharp": "//", "javascript": "//"}
_SEP = "-" * 50
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_DEFINITION = re.compile(r"^\s*(?:async\s+)?(?:def|class|function|interface|enum)\s+([A-Za-z_]\w*)", re.MULTILINE)

MAX_LENGTH, NEW_TOKENS, CROSSFILE_TOKENS = 2048, 50, 512


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def bm25_chunks(query: str, files: dict[str, str], top_k: int = 5, window: int = 10, stride: int = 5) -> list[dict]:
    """The ``top_k`` ``window``-line chunks of ``files`` (path -> text) most similar to ``query`` under BM25."""
    # BM25+ rather than rank-bm25's BM25Okapi: Okapi's IDF is zero for a term found in half of the chunks and
    # negative above, which leaves the small repositories of a demo corpus unranked; BM25+ keeps it positive.
    from rank_bm25 import BM25Plus

    chunks = []
    for path in sorted(files):
        lines = files[path].split("\n")
        for start in range(0, max(1, len(lines) - window + stride), stride):
            text = "\n".join(lines[start : start + window])
            if text.strip():
                chunks.append({"filename": path, "retrieved_chunk": text, "start_line": start + 1})
    if not chunks:
        return []
    bm25 = BM25Plus([_tokens(c["retrieved_chunk"]) or [""] for c in chunks])
    query_tokens = _tokens(query)
    scores = bm25.get_scores(query_tokens)
    wanted = set(query_tokens)
    matching = [i for i, c in enumerate(chunks) if wanted & set(_tokens(c["retrieved_chunk"]))]
    order = sorted(matching, key=lambda i: (-scores[i], i))[:top_k]
    return [dict(chunks[i], score=float(scores[i])) for i in order]


def crossfile_text(chunks: list[dict], language: str) -> str:
    """CrossCodeEval's comment block: a header, then each chunk with the file it comes from."""
    c = COMMENT.get(language, "#")
    out = [f"{c} Here are some relevant code fragments from other files of the repo:", f"{c} {_SEP}"]
    for chunk in chunks:
        out.append(f"{c} the below code fragment can be found in:")
        out.append(f"{c} {chunk['filename']}")
        out.append(f"{c} {_SEP}")
        out += [f"{c} {line}" for line in chunk["retrieved_chunk"].split("\n")]
        out.append(f"{c} {_SEP}")
    return "\n".join(out) + "\n"


def build_crossfile_set(
    repos: dict[str, dict[str, dict]],
    language: str = "python",
    per_repo: int = 4,
    seed: int = 0,
    query_lines: int = 10,
) -> list[dict[str, Any]]:
    """CrossCodeEval-format records from repositories (``{repo: {path: record}}``); see the module docstring."""
    rng = random.Random(seed)
    records = []
    for repo in sorted(repos):
        files = {p: r["text"] for p, r in repos[repo].items() if r.get("language") == language}
        if len(files) < 2:
            continue
        defined = {p: set(_DEFINITION.findall(t)) for p, t in files.items()}
        candidates = []
        for path in sorted(files):
            elsewhere = set().union(*(names for q, names in defined.items() if q != path)) - defined[path]
            if not elsewhere:
                continue
            for i, line in enumerate(files[path].split("\n")):
                if i >= 5 and len(line.strip()) >= 8 and not _DEFINITION.match(line) and elsewhere & set(_tokens(line)):
                    candidates.append((path, i))
        for path, i in sorted(rng.sample(candidates, min(per_repo, len(candidates)))):
            lines = files[path].split("\n")
            prompt = "".join(line + "\n" for line in lines[:i])
            others = {q: t for q, t in files.items() if q != path}
            chunks = bm25_chunks("\n".join(lines[max(0, i - query_lines) : i]), others)
            records.append({
                "prompt": prompt,
                "groundtruth": lines[i],
                "right_context": "\n".join(lines[i + 1 :]),
                "metadata": {"task_id": f"{repo}/{path}:L{i + 1}", "repository": repo, "file": path,
                             "groundtruth_start_lineno": i + 1, "language": language},
                "crossfile_context": {"text": crossfile_text(chunks, language), "list": chunks},
            })
    return records


class CrossFileTask(Task):
    """``crosscodeeval`` (``data:`` a CrossCodeEval JSONL) or ``crossfile-demo`` (``data:`` file records)."""

    metric = "exact_match"
    needs_execution = False
    tokenizer: Any = None  #: set by the runner: budgets are in tokens

    def __init__(self, cfg, data_dir=None, demo: bool = False, language: str = "python"):
        super().__init__(cfg, data_dir)
        self.demo, self.language = demo, language
        self.name = "crossfile-demo" if demo else "crosscodeeval"
        self.display = "Cross-file (demo repos)" if demo else "CrossCodeEval"

    def load(self) -> list[dict[str, Any]]:
        if self.cfg.data is None:
            what = "file records (e.g. the demo corpus)" if self.demo else "a CrossCodeEval line-completion JSONL"
            raise ValueError(f"{self.name}: set 'data' to {what}")
        if self.demo:
            from dscoder.evaluation.file_records import read_repositories

            repos = read_repositories(self.cfg.data, languages=(self.language,))
            records = build_crossfile_set(repos, self.language, self.cfg.max_problems_per_repo, self.cfg.seed)
        else:
            records = _read_jsonl(Path(self.cfg.data))
        for r in records:
            r["task_id"] = r["metadata"]["task_id"]
        return records

    def _cut(self, text: str, budget: int, keep: str) -> str:
        if self.tokenizer is None:  # no tokenizer (string-only use): about 4 characters per token
            return text[: budget * 4] if keep == "start" else text[-budget * 4 :]
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        ids = ids[:budget] if keep == "start" else ids[-budget:] if budget > 0 else []
        return self.tokenizer.decode(ids)

    def request(self, problem: dict[str, Any]) -> Request:
        new_tokens = self.budget(NEW_TOKENS)
        context = self._cut((problem.get("crossfile_context") or {}).get("text", ""), CROSSFILE_TOKENS, "start")
        used = len(self.tokenizer(context, add_special_tokens=False)["input_ids"]) if self.tokenizer else len(context) // 4
        left = self._cut(problem["prompt"], MAX_LENGTH - new_tokens - used - 1, "end")
        return Request(problem["task_id"], context + left, ("\n",), new_tokens)

    def completion(self, problem: dict[str, Any], output: str) -> str:
        return first_nonblank_line(output)

    def judge(self, problems, completions, sandbox):
        return [
            {"passed": exact_match(c, p["groundtruth"]), "edit_similarity": edit_similarity(c, p["groundtruth"])}
            for p, c in zip(problems, completions)
        ]

    def summarize(self, verdicts):
        return {
            "exact_match": 100.0 * mean(float(v["passed"]) for v in verdicts),
            "edit_similarity": mean(v["edit_similarity"] for v in verdicts),
        }


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    from dscoder.benchmarks import read_jsonl

    if not path.is_file():
        raise FileNotFoundError(f"CrossCodeEval file not found: {path}")
    records = read_jsonl(path)
    for number, record in enumerate(records, 1):
        missing = [k for k in ("prompt", "groundtruth", "metadata") if k not in record]
        if missing or not isinstance(record["metadata"], dict) or "task_id" not in record["metadata"]:
            raise ValueError(f"{path}: record {number}: missing CrossCodeEval field(s) {missing or ['metadata.task_id']}")
    return records
