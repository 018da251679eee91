"""LeetCode under ``protocol: deepseek`` against the official scripts (``Evaluation/LeetCode``): the user message
and token ids of all 180 problems (plain and CoT) as ``vllm_inference.py`` sends them to vLLM, and the extracted
program and verdict of the constructed outputs in ``data/eval_constructed/leetcode.jsonl`` as
``evaluate_leetcode.py`` and its ``human_eval`` executor give them. ``protocol: strict`` is checked against the
expectations written beside each case."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
from official_eval_scripts import load_script

from dscoder.evaluation.generation import GenerationSettings, HFGenerator
from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks import TaskConfig, build_task

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "eval_constructed" / "leetcode.jsonl")
         .read_text(encoding="utf-8").splitlines() if line.strip()]
TIMEOUT_S = 10.0  # evaluate_functional_correctness's default, which evaluate_leetcode.py keeps


@pytest.fixture(scope="module")
def released_instruct_tokenizer(reference_vocab_dir):
    from dscoder.tokenization import tokenizer_from_gguf
    from dscoder.tokenization.special_tokens import EOT, RELEASED_CHAT_TEMPLATE

    return tokenizer_from_gguf(reference_vocab_dir / "ggml-vocab-deepseek-coder.gguf", eos_token=EOT,
                               chat_template=RELEASED_CHAT_TEMPLATE)


def _task(benchmarks_dir, **kw):
    return build_task(TaskConfig(task="leetcode", mode="instruct", **kw), benchmarks_dir)


def _official_prompts(problems, cot: bool, tokenizer, tmp_path) -> list[str]:
    """``vllm_inference.generate_main`` with a stand-in vLLM that records the prompt strings it is given."""
    seen: list[str] = []

    class RecordingLLM:
        def __init__(self, **kwargs):
            pass

        def generate(self, prompts, params):
            seen.extend(prompts)
            return [types.SimpleNamespace(outputs=[types.SimpleNamespace(text="")]) for _ in prompts]

    script = load_script("LeetCode/vllm_inference.py",
                         stubs={"vllm": {"LLM": RecordingLLM, "SamplingParams": lambda **kw: kw}})
    script.AutoTokenizer = types.SimpleNamespace(from_pretrained=lambda *a, **k: tokenizer)
    data = tmp_path / f"data{int(cot)}.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in problems), encoding="utf-8")
    script.generate_main(str(data), "released", str(tmp_path / f"out{int(cot)}.jsonl"), cot=cot)
    return seen


@pytest.mark.parametrize("cot", [False, True])
def test_prompts_and_token_ids_of_all_180_problems(benchmarks_dir, released_instruct_tokenizer, tmp_path, cot):
    tok = released_instruct_tokenizer
    task = _task(benchmarks_dir, cot=cot)
    problems = task.problems()
    official = _official_prompts(problems, cot, tok, tmp_path)
    assert len(official) == len(problems) == 180
    generator = HFGenerator.__new__(HFGenerator)  # only its prompt encoding is exercised: no model
    generator.tokenizer, generator.settings = tok, GenerationSettings(max_length=4096)
    same_text = same_ids = 0
    for problem, prompt in zip(problems, official):
        request = task.request(problem)
        ours = tok.apply_chat_template([{"role": "user", "content": request.prompt}], tokenize=False,
                                       add_generation_prompt=True)
        same_text += ours == prompt
        same_ids += generator.encode(request) == tok.encode(prompt)  # vLLM encodes a prompt string so
    assert (same_text, same_ids) == (180, 180)
    ids = generator.encode(task.request(problems[0]))
    assert ids[:2] == [tok.bos_token_id] * 2 and task.request(problems[0]).max_new_tokens == 1024
    strict = _task(benchmarks_dir, cot=cot, protocol="strict")
    strict_ids = generator.encode(strict.request(problems[0]))
    assert strict_ids[0] == tok.bos_token_id and strict_ids[1] != tok.bos_token_id


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        yield sb


def _official_verdicts(cases, problems_by_id, tmp_path):
    """``evaluate_leetcode.evaluate_main``'s generation step, then its executor's ``check_correctness`` on the
    program ``process_humaneval_test`` assembles (the import helper, the generation and the test)."""
    script = load_script("LeetCode/evaluate_leetcode.py", bare_packages=("human_eval",))
    evaluation = script.evaluate_functional_correctness.__globals__
    generations, verdicts = [], []
    for case in cases:
        result = {"task_id": case["task_id"], "output": case["output"],
                  "prompt_sft": problems_by_id[case["task_id"]]["prompt_sft"]}
        try:  # evaluate_main's block, verbatim in behaviour
            if result["output"].startswith("\n        "):
                result["generation"] = script.extract_python_code(result["prompt_sft"]).strip() + "\n" + result["output"]
            else:
                result["generation"] = script.extract_python_code(result["output"])
        except Exception:  # noqa: BLE001 - the script's bare except
            result["generation"] = result["output"]
        generations.append(result["generation"])
        result["test_code"] = evaluation["process_humaneval_test"](result, problems_by_id, False, False, "python")
        outcome = evaluation["check_correctness"](case["task_id"], result, "python", TIMEOUT_S, str(tmp_path), 0)
        verdicts.append(outcome["passed"])
    return generations, verdicts


def test_constructed_outputs_extract_and_judge_like_the_official_scripts(benchmarks_dir, sandbox, tmp_path):
    assert len(CASES) >= 30
    task = _task(benchmarks_dir)
    problems_by_id = {p["task_id"]: p for p in task.problems()}
    problems = [problems_by_id[c["task_id"]] for c in CASES]
    official_generations, official_passed = _official_verdicts(CASES, problems_by_id, tmp_path)
    ours = [task.completion(p, c["output"]) for p, c in zip(problems, CASES)]
    passed = [v["passed"] for v in task.judge(problems, ours, sandbox)]
    ids = [c["id"] for c in CASES]
    assert [i for i, a, b in zip(ids, ours, official_generations) if a != b] == []
    assert [i for i, a, b in zip(ids, passed, official_passed) if a != b] == []
    assert passed == [c["expect_deepseek"] for c in CASES]
    strict = _task(benchmarks_dir, protocol="strict")
    strict_passed = [v["passed"] for v in strict.judge(
        problems, [strict.completion(p, c["output"]) for p, c in zip(problems, CASES)], sandbox)]
    assert {i: s for i, s, c in zip(ids, strict_passed, CASES) if s != c["expect_strict"]} == {}


def test_strict_differs_only_where_documented(benchmarks_dir):
    deepseek, strict = _task(benchmarks_dir, cot=True), _task(benchmarks_dir, cot=True, protocol="strict")
    problem = deepseek.problems()[0]
    assert deepseek.request(problem).prompt.endswith("\nYou need first write a step-by-step outline and then write "
                                                     "the code.")
    assert strict.request(problem).prompt.endswith("\nYou need first to write a step-by-step outline and then write "
                                                   "the code.")
    assert not strict.request(problem).double_bos and deepseek.request(problem).double_bos
    assert strict.timeout_s == deepseek.timeout_s == TIMEOUT_S
    unterminated = "```python\nclass Solution:\n    pass\n"
    assert deepseek.completion(problem, unterminated) == unterminated
    assert strict.completion(problem, unterminated) == "class Solution:\n    pass\n"
