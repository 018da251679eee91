"""Registry of the evaluation tasks (report §4): ``build_task(TaskConfig(task=NAME, ...))``.

Names: ``humaneval-{python,cpp,java,php,ts,cs,sh,js}`` and their ``-instruct`` variants (also reached with
``mode: instruct``), ``mbpp``, ``mbpp-instruct``, ``leetcode`` and ``leetcode-cot`` (also reached with ``cot:
true``), ``pal-{gsm8k,math,gsm-hard,svamp,asdiv,mawps}``, ``fim-single-line``, ``fim-files``, ``crosscodeeval``,
``crossfile-demo``, ``ds1000``. A built task's ``name`` (its name in a suite) is the config's ``name`` when set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from dscoder.evaluation.tasks.base import Task, TaskConfig
from dscoder.evaluation.tasks.crossfile import CrossFileTask
from dscoder.evaluation.tasks.ds1000 import DS1000Task
from dscoder.evaluation.tasks.fim import FileInfillingTask, SingleLineInfillingTask
from dscoder.evaluation.tasks.humaneval import HumanEvalTask
from dscoder.evaluation.tasks.leetcode import LeetCodeTask
from dscoder.evaluation.tasks.mbpp import MBPPTask
from dscoder.evaluation.tasks.pal_math import PALMathTask

__all__ = ["TASKS", "Task", "TaskConfig", "build_task"]

HUMANEVAL_LANGUAGES = ("python", "cpp", "java", "php", "ts", "cs", "sh", "js")


def _instruct(factory: Callable[..., Task], cfg: TaskConfig, data_dir: str | Path | None = None, **kw) -> Task:
    """An ``-instruct`` registry name: the task in ``mode: instruct``."""
    return factory(replace(cfg, mode="instruct"), data_dir, **kw)


def _cot(cfg: TaskConfig, data_dir: str | Path | None = None) -> Task:
    """``leetcode-cot``: LeetCode with the chain-of-thought sentence (``cot: true``)."""
    return LeetCodeTask(replace(cfg, cot=True), data_dir)

PAL_SETS = ("gsm8k", "math", "gsm-hard", "svamp", "asdiv", "mawps")

TASKS: dict[str, Callable[..., Task]] = {
    **{f"humaneval-{lang}": partial(HumanEvalTask, language=lang) for lang in HUMANEVAL_LANGUAGES},
    **{f"humaneval-{lang}-instruct": partial(_instruct, HumanEvalTask, language=lang) for lang in HUMANEVAL_LANGUAGES},
    "mbpp": MBPPTask,
    "mbpp-instruct": partial(_instruct, MBPPTask),
    "leetcode": LeetCodeTask,
    "leetcode-cot": _cot,
    **{f"pal-{name}": partial(PALMathTask, dataset=name) for name in PAL_SETS},
    "fim-single-line": SingleLineInfillingTask,
    "fim-files": FileInfillingTask,
    "crosscodeeval": CrossFileTask,
    "crossfile-demo": partial(CrossFileTask, demo=True),
    "ds1000": DS1000Task,
}


def build_task(cfg: TaskConfig, data_dir: str | Path | None = None) -> Task:
    try:
        factory = TASKS[cfg.task]
    except KeyError:
        raise ValueError(f"unknown task {cfg.task!r}; one of {', '.join(TASKS)}") from None
    task = factory(cfg, data_dir)
    if cfg.name:
        task.name = cfg.name
    return task
