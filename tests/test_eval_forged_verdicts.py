"""Issue 23, the way a user would meet it: completions that forge a verdict (the flush chain) or read their tests
(the answer key, by four routes) go through ``dscoder eval SUITE --task T --generations FILE`` on real HumanEval and
MBPP problems, under ``protocol: deepseek`` and ``strict`` with ``checks: shared`` and ``isolated``; they score
nothing, while the canonical solutions of the same problems pass.

One CLI run per protocol and checks mode (a sandbox and its warm interpreter each): about 2 s per run here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from dscoder.benchmarks import load_humaneval_multilingual, load_mbpp
from dscoder_cli import main

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux")

HOSTILE = Path(__file__).parent / "data" / "hostile" / "python"
ANSWER_KEYS = ("answer_key_files", "answer_key_frames", "answer_key_bytecode", "answer_key_fds")
ATTACKS = ("flush_chain", *ANSWER_KEYS)
MODES = {  # suite settings of each protocol and checks mode
    "deepseek": "protocol: deepseek\n",
    "strict-shared": "protocol: strict\n",
    "strict-isolated": "protocol: strict\n",
}


def _module_part(name: str) -> str:
    """The attack's module code without its wrong ``add``."""
    text = (HOSTILE / f"{name}.py").read_text()
    return re.sub(r"\ndef add\(a, b\):\n(    .*\n)+", "\n", text)


def _function_body(name: str) -> str:
    """The attack as the body of the function under test (a base completion: everything indented, so that no stop
    word cuts it). An answer key returns what the tests expect for the call's arguments."""
    lines = ["    _args = tuple(locals().values())"]
    lines += [("    " + line) if line.strip() else "" for line in _module_part(name).splitlines()]
    if name in ANSWER_KEYS:
        lines.append("    return _answer_key(_args)[1]")
    return "\n".join(lines) + "\n"


def _mbpp_solution(name: str, function: str) -> str:
    """The attack as an MBPP solution defining ``function``."""
    if name in ANSWER_KEYS:
        body = "".join(("    " + line + "\n") if line.strip() else "\n" for line in _module_part(name).splitlines())
        return f"def {function}(*args):\n{body}    return _answer_key(args)[1]\n"
    return f"def {function}(*args):\n    return None\n\n{_module_part(name)}"


def _suite(tmp_path: Path, mode: str, task: str) -> Path:
    checks = {"strict-shared": "    checks: shared\n", "strict-isolated": "    checks: isolated\n"}.get(mode, "")
    path = tmp_path / f"{mode}-{task}.yaml"
    path.write_text(f"name: {mode}\n{MODES[mode]}tasks:\n  - task: {task}\n{checks}")
    return path


def _run(tmp_path: Path, mode: str, task: str, generations: Path, limit: int | None = None) -> list[dict]:
    out = tmp_path / f"out-{mode}-{task}"
    args = ["eval", str(_suite(tmp_path, mode, task)), "--task", task, "--generations", str(generations),
            "--allow-code-execution", "--output", str(out), "--workers", "2"]
    assert main(args + (["--limit", str(limit)] if limit else [])) == 0
    return json.loads((out / task / "results.json").read_text())["samples"]


@pytest.mark.parametrize("mode", list(MODES))
def test_forged_verdicts_and_answer_keys_score_nothing_on_humaneval(tmp_path, mode):
    problems = load_humaneval_multilingual("python")[:3]
    samples = [[p["canonical_solution"], *(_function_body(a) for a in ATTACKS)] for p in problems]
    generations = tmp_path / "generations.json"  # bigcode's --load_generations_path format
    generations.write_text(json.dumps(samples))
    results = _run(tmp_path, mode, "humaneval-python", generations, limit=len(problems))
    kinds = ["canonical", *ATTACKS] * len(problems)
    passed = {kind: sum(r["passed"] for k, r in zip(kinds, results) if k == kind) for kind in dict.fromkeys(kinds)}
    assert passed == {"canonical": 3, **dict.fromkeys(ATTACKS, 0)}, [
        (k, r["status"], r["stderr"][-200:]) for k, r in zip(kinds, results) if k != "canonical" and r["passed"]]


@pytest.mark.parametrize("mode", ["deepseek", "strict-isolated"])
def test_forged_verdicts_and_answer_keys_score_nothing_on_mbpp_plus_ids(tmp_path, mode):
    """EvalPlus samples with MBPP+ ids (``Mbpp/N``), one outside the 500 test problems (Mbpp/2, a shot)."""
    rows = {r["task_id"]: r for r in load_mbpp("full")}
    lines = []
    for number in (2, 11, 12):
        function = re.search(r"^def\s+(\w+)", rows[number]["code"], flags=re.MULTILINE).group(1)
        lines.append({"task_id": f"Mbpp/{number}", "solution": rows[number]["code"]})
        lines += [{"task_id": f"Mbpp/{number}", "solution": _mbpp_solution(a, function)} for a in ATTACKS]
    generations = tmp_path / "samples.jsonl"
    generations.write_text("".join(json.dumps(line) + "\n" for line in lines))
    results = _run(tmp_path, mode, "mbpp", generations)
    assert [r["task_id"] for r in results[:: len(ATTACKS) + 1]] == ["2", "11", "12"]
    verdicts = [(r["task_id"], bool(r["passed"])) for r in results]
    expected = [(str(n), kind == "canonical") for n in (2, 11, 12) for kind in ("canonical", *ATTACKS)]
    assert verdicts == expected, [(r["task_id"], r["status"], r["stderr"][-300:]) for r in results]
