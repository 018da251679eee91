"""MBPP (report §4.1, Table 3; DeepSeek-Coder ``Evaluation/MBPP``): 3-shot for base models, instruct variant.

Rows 1-3 of the 974-row file are the shots, rows 10-509 the 500 test problems (both from
:func:`dscoder.benchmarks.load_mbpp`).

``protocol: deepseek`` (default) reproduces the official scripts:

* base (``eval_pal.py`` + ``mbpp.py``): each shot and the question read "You are an expert Python programmer,
  and here is your task: {text} Your code should pass these tests:\\n\\n{tests}\\n[BEGIN]"; shots end with
  "\\n{code}\\n[DONE]\\n" (carriage returns removed, tabs as four spaces). With a tokenizer, shots are dropped
  from the last while the prompt has 4096 - 500 tokens or more (:func:`fit_shots`). BOS, greedy, 500 new
  tokens, stop at ``[DONE]``; the completion is the text before it, stripped. The program is the HumanEval
  import list (``human_eval/evaluation.py``: ``re``, ``math``, ``heapq``, ``Counter``, ``List`` ... need no
  import), the completion and the asserts, run through ``exec`` in a fresh namespace (``__main__`` blocks do
  not run); the problem's ``test_setup_code`` is not used (task 367's asserts then miss their trees).
* instruct (``eval_instruct.py``): the chat template around "Please refer the given examples and generate a
  python function for my problem." with the same three shots as ">>> Problem / >>> Test Cases / >>> Code"
  blocks; 512 new tokens ending at ``<|EOT|>``; the code is the first block fenced exactly
  ``python`` + newline (else the whole answer); the program is that code and the asserts, without the import
  list; 10 s per program.

``protocol: strict``: the program is the completion, the problem's ``test_setup_code`` and the asserts, run as
a script (no implicit imports); an instruct answer is read from its first fenced block whatever the tag, an
unterminated one included.
"""

from __future__ import annotations

import re
from typing import Any

from dscoder.evaluation.extract import first_code_block
from dscoder.evaluation.generation import Request
from dscoder.evaluation.tasks.base import Program, Task, execute_programs, isolated_checks, with_tests
from dscoder.evaluation.tasks.humaneval import DEEPSEEK_PYTHON_IMPORTS
from dscoder.tokenization.special_tokens import EOT, MODEL_MAX_LENGTH

__all__ = [
    "MBPPTask",
    "fit_shots",
    "mbpp_instruct_code",
    "mbpp_instruct_prompt",
    "mbpp_question",
    "mbpp_shots",
]

STOP = "[DONE]"
#: ``eval_pal.py``: ``max_seq_len`` and ``max_gen_len`` of the base script (its shot-dropping rule uses both)
OFFICIAL_MAX_SEQ_LEN, OFFICIAL_NEW_TOKENS = 4096, 500


def _clean_code(code: str) -> str:
    return code.replace("\r", "").replace("\t", "    ")


def mbpp_question(record: dict[str, Any]) -> str:
    tests = "\n".join(record["test_list"])
    return (
        f"You are an expert Python programmer, and here is your task: {record['text']} "
        f"Your code should pass these tests:\n\n{tests}\n[BEGIN]"
    )


def mbpp_shots(shots: list[dict[str, Any]]) -> str:
    return "".join(f"{mbpp_question(shot)}\n{_clean_code(shot['code'])}\n{STOP}\n" for shot in shots)


def fit_shots(shots: list[dict[str, Any]], question: str, tokenizer: Any) -> str:
    """``mbpp.py``'s prompt: the most shots (from the first) whose prompt encodes to fewer than 4096 - 500
    tokens; with none, the question's first 3596 tokens decoded back (special tokens kept, as there)."""
    limit = OFFICIAL_MAX_SEQ_LEN - OFFICIAL_NEW_TOKENS
    for n in range(len(shots), 0, -1):
        prompt = mbpp_shots(shots[:n]) + question
        if len(tokenizer.encode(prompt)) < limit:
            return prompt
    return tokenizer.decode(tokenizer.encode(question)[:limit])


def _instruct_example(record: dict[str, Any], with_code: bool) -> str:
    text = ">>> Problem:\n{}\n>>> Test Cases:\n{}\n".format(record["text"].strip(), "\n".join(record["test_list"]))
    if with_code:
        text += "\n>>> Code:\n```python\n{}\n```".format(_clean_code(record["code"]))
    return text


def mbpp_instruct_prompt(shots: list[dict[str, Any]], record: dict[str, Any]) -> str:
    """The user message of ``eval_instruct.py`` for one problem."""
    examples = "\n\n".join(f"- Example {i}:\n{_instruct_example(s, True)}" for i, s in enumerate(shots, 1))
    return (
        "Please refer the given examples and generate a python function for my problem.\n"
        f"Examples are listed as follows:\n{examples}\n\nHere is my problem:\n{_instruct_example(record, False)}"
    )  # the script strips its template before formatting: the question's closing newline stays


def mbpp_instruct_code(output: str) -> str:
    """``eval_instruct.py`` ``convert_for_evaluation``: the first block fenced ``python`` + newline (any
    case), else the whole answer."""
    blocks = re.findall("```python\n(.*?)```", output, re.DOTALL | re.IGNORECASE)
    return blocks[0] if blocks else output


class MBPPTask(Task):
    """``mbpp`` (3-shot, base models) and ``mbpp-instruct`` (``mode: instruct``)."""

    metric = "pass@1"
    timeout_s = 10.0
    tokenizer: Any = None  #: set by the suite to the generator's tokenizer (the base prompt's shot rule)
    tokenizer_optional = True  #: without one (``--generations``) every prompt has 3 shots: all but task 493

    def __init__(self, cfg, data_dir=None):
        super().__init__(cfg, data_dir)
        instruct = cfg.mode == "instruct"
        self.name = "mbpp-instruct" if instruct else "mbpp"
        self.display = "MBPP (instruct)" if instruct else "MBPP"
        self._fitted: dict[str, str] = {}  #: base prompts by task id once fitted to the tokenizer

    def isolated_checks_available(self) -> bool:
        return True

    def _load_split(self, split: str) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_mbpp

        return load_mbpp(split, data_dir=self.data_dir, source=self.cfg.source)

    def load(self) -> list[dict[str, Any]]:
        self._shot_records = self._load_split("shots")
        return self._load_split("test")

    def problems_for_samples(self, sample_ids: list[str]) -> list[dict[str, Any]]:
        """EvalPlus MBPP+ samples (ids ``Mbpp/N``: 378 problems from the whole of MBPP, some outside the 500 test
        problems) are scored on the MBPP problems they name, with MBPP's own tests; other ids on the 500."""
        if not sample_ids or not all(re.fullmatch(r"Mbpp/\d+", i) for i in sample_ids):
            return self.problems()
        self._shot_records = self._load_split("shots")
        rows = {int(r["task_id"]): r for r in self._load_split("full")}
        named = list(dict.fromkeys(int(i.split("/")[1]) for i in sample_ids))
        unknown = [n for n in named if n not in rows]
        if unknown:
            raise ValueError(f"task_id 'Mbpp/{unknown[0]}' is no MBPP problem (task ids 1-{max(rows)})")
        problems = [rows[n] for n in named]
        return problems[: self.cfg.limit] if self.cfg.limit is not None else problems

    def request(self, problem: dict[str, Any]) -> Request:
        key = str(problem["task_id"])
        deepseek = self.protocol == "deepseek"
        if self.cfg.mode == "instruct":  # eval_instruct.py never cuts the prompt
            return Request(key, mbpp_instruct_prompt(self._shot_records, problem), (), self.budget(512), chat=True,
                           eos_token=EOT, max_prompt_tokens=MODEL_MAX_LENGTH if deepseek else None)
        question = mbpp_question(problem)
        if deepseek and self.tokenizer is not None:
            prompt = self._fitted.get(key) or self._fitted.setdefault(
                key, fit_shots(self._shot_records, question, self.tokenizer))
        else:
            prompt = mbpp_shots(self._shot_records) + question
        return Request(key, prompt, (STOP,), self.budget(500),
                       max_prompt_tokens=OFFICIAL_MAX_SEQ_LEN if deepseek else None)

    def completion(self, problem: dict[str, Any], output: str) -> str:
        if self.cfg.mode == "instruct":
            if self.protocol == "deepseek":
                return mbpp_instruct_code(output)
            block = first_code_block(output, "python")
            return block if block is not None else output
        if self.protocol == "deepseek" and self.tokenizer is not None:
            # mbpp.py slices the decoded sequence at len(prompt); a prompt cut by fit_shots starts with BOS as
            # text, which the decoding skips, so the answer loses its first len(BOS) characters there
            bos = self.tokenizer.bos_token or ""
            if bos and self.request(problem).prompt.startswith(bos):
                output = output[len(bos):]
        return output.split(STOP)[0].strip()

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        tests = "\n".join(problem["test_list"])
        if self.protocol == "strict":
            setup = problem.get("test_setup_code") or ""
            if self.checks == "isolated" and not setup.strip():  # setup code builds objects the asserts pass
                # the reference's functions are what the asserts call
                entry_points = re.findall(r"^def\s+(\w+)", problem["code"], flags=re.MULTILINE)
                return Program("python", completion + "\n", checks=isolated_checks("", tests + "\n", entry_points))
            return with_tests("python", completion + "\n" + setup + "\n" + tests + "\n", setup + "\n" + tests + "\n")
        if self.cfg.mode == "instruct":  # evaluate_functional_correctness(is_mbpp=True)
            source = completion + "\n" + tests
        else:
            source = "\n".join(DEEPSEEK_PYTHON_IMPORTS) + "\n" + completion + "\n" + tests + "\n"
        return with_tests("python", source, tests, official_exec=True)

    def judge(self, problems, completions, sandbox):
        programs = [self.program(p, c) for p, c in zip(problems, completions)]
        return execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}",
                                protocol=self.protocol)
