"""PAL math (report §4.3, Table 7; DeepSeek-Coder ``Evaluation/PAL-Math``): GSM8K, MATH, GSM-Hard, SVAMP, ASDiv,
MAWPS (TabMWP's data is not in the source repository, so it is absent here).

Prompt (both protocols): the few-shot ``solution()`` prompt (``prompts/math.md`` for MATH, ``prompts/gsm8k.md``
for the others) then ``"\\n\\nQuestion: {question}\\n"``, the question built as ``utils/parser.py``'s
``parse_question`` builds it (SVAMP: the body gets a final "." when it lacks one); greedy, 512 new tokens, stop
at ``Question`` or ``----------------``; under ``protocol: deepseek`` a prompt longer than 2048 tokens keeps its
last 2048 (``run.py``'s cut; some MATH prompts), under ``strict`` it is whole. The python block defining ``solution()`` is extracted as ``run.py``
does and run in the sandbox, 5 s per program (the script's executor).

``protocol: deepseek`` (default) scores as ``run.py`` does: the code is ``exec``'ed in a fresh namespace (code
containing ``input(`` or ``os.system(`` is refused, as the script's runtime does), the answer is
``str(solution())`` (which must pickle), normalised by ``strip_string`` and compared with the reference
(``parse_ground_truth``, also normalised) by the script's ``math_equal`` -- its sympy stage runs inside the
sandbox (:mod:`dscoder.evaluation.math_answers`). ``protocol: strict`` prints ``solution()`` from a script and
compares the last printed line with the loader's reference by :func:`~dscoder.evaluation.math_answers.math_equal`
(numeric, never ``eval``).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from dscoder.evaluation.extract import pal_solution_code
from dscoder.evaluation.generation import Request, truncate_at_stop
from dscoder.evaluation.math_answers import (
    SYMBOLIC_EQUAL_SOURCE,
    math_equal,
    official_extract_answer,
    official_math_equal,
    official_strip_string,
)
from dscoder.evaluation.tasks.base import Program, Task, execute_programs

logger = logging.getLogger(__name__)

__all__ = ["PAL_MAX_CONTEXT", "PAL_STOPS", "PALMathTask", "official_gold", "official_question"]

PAL_STOPS = ("Question", "----------------")
#: ``run.py --max_context_length``: longer prompts (some MATH ones) keep their last 2048 ids (``protocol: deepseek``)
PAL_MAX_CONTEXT = 2048
_DISPLAY = {"gsm8k": "GSM8K", "math": "MATH", "gsm-hard": "GSM-Hard", "svamp": "SVAMP", "asdiv": "ASDiv",
            "mawps": "MAWPS"}
_ANSWER_TAG = "DSCODER-PAL-ANSWER "
_SYMBOLIC_TAG = "DSCODER-SYMBOLIC "
_SYMBOLIC_CHUNK = 100  # pairs per sandboxed sympy program (one sympy import each)

#: The PAL program under ``protocol: deepseek``: ``PythonExecutor(get_answer_expr='solution()')`` of ``run.py``.
_DEEPSEEK_RUNNER = """\
import json, pickle, re
code = {code!r}
if re.search(r"(\\s|^)?input\\(", code) or re.search(r"(\\s|^)?os.system\\(", code):
    raise SystemExit("refused: input( or os.system( in the program (as the official runtime)")
namespace = {{}}
exec(code, namespace)
result = eval("solution()", namespace)
text = str(result)
pickle.dumps(result)
print("\\n{tag}" + json.dumps(text))
"""


def official_question(record: dict[str, Any], dataset: str) -> str:
    """``parse_question`` of ``utils/parser.py``: the text after "Question:" in the prompt."""
    if dataset == "asdiv":
        question = f"{record['body'].strip()} {record['question'].strip()}"
    elif dataset == "svamp":
        body = record["Body"].strip()
        question = f"{body if body.endswith('.') else body + '.'} {record['Question'].strip()}"
    else:
        key = next((k for k in ("question", "problem", "Question", "input") if k in record), None)
        question = str(record[key]) if key else ""
    if not question:
        raise ValueError(f"pal-{dataset}: record {record.get('task_id')} has no question")
    return question.strip()


def official_gold(record: dict[str, Any], dataset: str) -> str:
    """``parse_ground_truth`` of ``utils/parser.py``: the reference answer, normalised by ``strip_string``."""
    if dataset == "math":
        answer: Any = official_extract_answer(record["solution"])
    elif dataset == "gsm8k":
        answer = record["answer"].split("####")[-1]
    elif dataset == "svamp":
        answer = record["Answer"]
    elif dataset == "asdiv":
        answer = re.sub(r"\(.*?\)", "", record["answer"])
    else:  # gsm-hard, mawps
        answer = record["target"]
    return official_strip_string(answer)


class PALMathTask(Task):
    metric = "accuracy"
    timeout_s = 5.0

    def __init__(self, cfg, data_dir=None, dataset: str = "gsm8k"):
        super().__init__(cfg, data_dir)
        self.dataset = dataset
        self.name = f"pal-{dataset}"
        self.display = _DISPLAY[dataset]

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_pal_math, load_pal_prompt

        self._fewshot = load_pal_prompt(self.dataset, data_dir=self.data_dir)
        return load_pal_math(self.dataset, data_dir=self.data_dir, source=self.cfg.source)

    def request(self, problem: dict[str, Any]) -> Request:
        prompt = f"{self._fewshot}\n\nQuestion: {official_question(problem, self.dataset)}\n"
        return Request(str(problem["task_id"]), prompt, PAL_STOPS, self.budget(512),
                       max_prompt_tokens=PAL_MAX_CONTEXT if self.protocol == "deepseek" else None)

    def reference(self, problem: dict[str, Any]) -> str:
        """The answer a prediction is compared with: ``parse_ground_truth``'s (deepseek) or the loader's (strict)."""
        return official_gold(problem, self.dataset) if self.protocol == "deepseek" else problem["gold"]

    def completion(self, problem: dict[str, Any], output: str) -> str:
        """``run.py``: the output cut at the first stop word (generation stops there too; outputs scored with
        ``--generations`` are cut here), then the python block that defines ``solution()``."""
        return pal_solution_code(truncate_at_stop(output, PAL_STOPS))

    def program(self, completion: str) -> Program | None:
        if not completion.strip():  # no block: the script's executor fails on it (answer ""), unrun here
            return None
        if self.protocol == "deepseek":
            return Program("python", _DEEPSEEK_RUNNER.format(code=completion, tag=_ANSWER_TAG))
        return Program("python", completion + "\n\nprint(solution())\n")

    def judge(self, problems, completions, sandbox):
        programs = [self.program(c) for c in completions]
        verdicts = execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}",
                                    protocol=self.protocol)
        if self.protocol != "deepseek":
            for problem, verdict in zip(problems, verdicts):
                lines = verdict["stdout"].strip().splitlines()
                prediction = lines[-1].strip() if verdict["passed"] and lines else None
                verdict["prediction"], verdict["gold"] = prediction, problem["gold"]
                verdict["ran"] = verdict["passed"]
                verdict["passed"] = math_equal(prediction, problem["gold"])
            return verdicts
        golds = [self.reference(p) for p in problems]
        predictions = [official_strip_string(_answer(v)) if v["passed"] else "" for v in verdicts]
        pending: dict[tuple[str, str], bool] = {}

        def record(a: str, b: str) -> bool:
            pending[(a, b)] = False
            return False

        for gold, prediction in zip(golds, predictions):  # run.py calls math_equal(gt, pred)
            official_math_equal(gold, prediction, record)
        decided = self._symbolic_equal(sandbox, list(pending))
        for gold, prediction, verdict in zip(golds, predictions, verdicts):
            verdict["prediction"], verdict["gold"], verdict["ran"] = prediction, gold, verdict["passed"]
            verdict["passed"] = official_math_equal(gold, prediction, lambda a, b: decided.get((a, b), False))
        return verdicts

    def _symbolic_equal(self, sandbox, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """The grader's sympy stage for ``pairs``, run in the sandbox (``parse_expr`` evaluates Python)."""
        if not pairs:
            return {}
        seconds = max(1, round(2 * self.timeout_s))
        chunks = [pairs[i : i + _SYMBOLIC_CHUNK] for i in range(0, len(pairs), _SYMBOLIC_CHUNK)]
        programs = [Program("python", f"PAIRS = {json.dumps(chunk)!r}\nSECONDS = {seconds}\n" + SYMBOLIC_EQUAL_SOURCE)
                    for chunk in chunks]
        verdicts = execute_programs(sandbox, programs, 60.0 + seconds * _SYMBOLIC_CHUNK,
                                    progress=f"grade {self.name} (sympy)")
        decided: dict[tuple[str, str], bool] = {}
        for chunk, verdict in zip(chunks, verdicts):
            lines = [line for line in verdict["stdout"].splitlines() if line.startswith(_SYMBOLIC_TAG)]
            if not verdict["passed"] or not lines:
                logger.warning("%s: the sympy grading stage failed for %d answers (counted unequal): %s",
                               self.name, len(chunk), verdict["stderr"].strip().splitlines()[-1:] or verdict["status"])
                continue
            decided.update(zip(chunk, json.loads(lines[-1][len(_SYMBOLIC_TAG):])))
        return decided


def _answer(verdict: dict[str, Any]) -> str:
    """``str(solution())`` as the deepseek runner printed it ("" when it printed none)."""
    for line in reversed(verdict["stdout"].splitlines()):
        if line.startswith(_ANSWER_TAG):
            try:
                return str(json.loads(line[len(_ANSWER_TAG):]))
            except json.JSONDecodeError:
                return ""
    return ""
