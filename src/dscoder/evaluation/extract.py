"""Turning raw model output into the code the paper's scripts score (report §4; DeepSeek-Coder ``Evaluation/``).

Written here (not imported) because the released scripts are not a library; each function says which
script's rule it follows.
"""

from __future__ import annotations

import re

__all__ = [
    "HUMANEVAL_PYTHON_STOPS",
    "LEETCODE_IMPORT_HELPER",
    "PYTHON_IMPORT_HELPER",
    "first_code_block",
    "first_nonblank_line",
    "leetcode_code",
    "leetcode_code_official",
    "leetcode_import_helper",
    "pal_solution_code",
    "python_import_helper",
]

#: Report §4.1: HumanEval Python completions end at the first of these.
HUMANEVAL_PYTHON_STOPS = ("\ndef", "\nclass", "\nif", "\n#", "\nprint")

#: Imports the HumanEval scripts put before every Python program (``human_eval/evaluation.py``).
PYTHON_IMPORT_HELPER = (
    "import math", "import re", "import sys", "import copy", "import datetime", "import itertools",
    "import collections", "import heapq", "import functools", "import hashlib", "import string",
    "from typing import *", "from collections import *",
)


def python_import_helper() -> str:
    """The helper block; numpy (also in the script's list) is imported only where installed, so a sandbox
    interpreter without numpy does not fail every program."""
    return "\n".join(PYTHON_IMPORT_HELPER) + "\ntry:\n    import numpy\n    import numpy as np\nexcept ImportError:\n    pass\n"


#: ``Evaluation/LeetCode/human_eval/evaluation.py`` adds ``from functools import *`` to the HumanEval list.
LEETCODE_IMPORT_HELPER = (*PYTHON_IMPORT_HELPER, "from functools import *")


def leetcode_import_helper() -> str:
    """:func:`python_import_helper` with the LeetCode script's ``from functools import *`` (``cache``,
    ``reduce``, ``lru_cache``, ``cmp_to_key`` without an import)."""
    return python_import_helper() + "from functools import *\n"


def first_code_block(text: str, language: str | None = None) -> str | None:
    """Body of the first fenced block (```lang ... ```), preferring one tagged ``language``; None if none."""
    if language:
        match = re.search(rf"```{re.escape(language)}[^\n]*\n(.*?)```", text, re.DOTALL | re.IGNORECASE)
        if match:
            return match.group(1)
    match = re.search(r"```[^\n]*\n(.*?)```", text, re.DOTALL)
    if match:
        return match.group(1)
    match = re.search(r"```[^\n]*\n(.*)$", text, re.DOTALL)  # unterminated block (budget ran out)
    return match.group(1) if match else None


def leetcode_code(output: str, prompt_sft: str) -> str:
    """``Evaluation/LeetCode/evaluate_leetcode.py``: [PYTHON] tags count as fences; a fenced block wins; an
    output that continues the prompt's method body gets the prompt's class stub in front; else the output up
    to the first top-level statement."""
    output = output.replace("[PYTHON]", "```python").replace("[/PYTHON]", "```")
    if output.startswith("\n        "):
        stub = first_code_block(prompt_sft, "python") or ""
        return stub.strip() + "\n" + output
    if "```python" in output:
        block = first_code_block(output, "python")
        if block is not None:
            return block
    return re.split(r"\ndef|\nclass|\nif|\n#|\nprint", output)[0]


def _leetcode_script_block(generation: str) -> str:
    """``extract_python_code`` of ``evaluate_leetcode.py``; IndexError when a python tag has no block that
    the script's pattern finds (as in the script)."""
    generation = generation.replace("[PYTHON]", "```python").replace("[/PYTHON]", "```")
    if "```python" in generation:
        return re.findall(r"```python\n(.*?)\n```", generation, re.DOTALL)[0]
    return re.split(r"\ndef|\nclass|\nif|\n#|\nprint", generation)[0]


def leetcode_code_official(output: str, prompt_sft: str) -> str:
    """``Evaluation/LeetCode/evaluate_leetcode.py`` to the letter (``protocol: deepseek``).

    An output that continues the method body gets the prompt's class stub in front; else the first python
    fence, which must have a newline right after the tag and right before the closing fence (a ``python3``
    tag, an unterminated block or code glued to the closing fence find none); without a python tag, the
    output up to the first top-level ``def``/``class``/``if``/``#``/``print``. When a python tag has no such
    block the whole raw output is scored (the script's bare ``except``)."""
    try:
        if output.startswith("\n        "):
            return _leetcode_script_block(prompt_sft).strip() + "\n" + output
        return _leetcode_script_block(output)
    except IndexError:
        return output


def pal_solution_code(output: str) -> str:
    """``Evaluation/PAL-Math/run.py``: the python block that defines ``solution()`` (with what precedes the
    def inside the block, e.g. imports), else the empty string."""
    match = re.search(r"```python\n(.*?)def solution\(\):\n(.*?)```", output, re.DOTALL)
    if not match:
        return ""
    return match.group(1) + "def solution():\n" + match.group(2)


def first_nonblank_line(text: str) -> str:
    """The first line holding anything but whitespace, with its indentation, without the newline."""
    for line in text.split("\n"):
        if line.strip():
            return line
    return ""
