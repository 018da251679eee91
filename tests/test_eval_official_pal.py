"""PAL math under ``protocol: deepseek`` against the official ``Evaluation/PAL-Math`` scripts: the prompt, token
ids and reference answer of every problem of each set as ``run.py`` builds them, and for the constructed outputs
in ``data/eval_constructed/pal.jsonl`` the extracted program, the answer and the verdict as ``run.py``'s
extraction, ``PythonExecutor`` and ``math_equal`` give them. ``protocol: strict`` is checked against the
expectations written beside each case."""

from __future__ import annotations

import json
import math
import types
from pathlib import Path

import pytest
from official_eval_scripts import load_script

from dscoder.evaluation.generation import GenerationSettings, HFGenerator
from dscoder.evaluation.math_answers import official_math_equal
from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks import TaskConfig, build_task

SETS = ("gsm8k", "math", "gsm-hard", "svamp", "asdiv", "mawps")
CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "eval_constructed" / "pal.jsonl")
         .read_text(encoding="utf-8").splitlines() if line.strip()]
MAX_CONTEXT = 2048  # run.py's --max_context_length: the prompt ids keep their last 2048


@pytest.fixture(scope="module")
def run_py():
    """``run.py`` with stand-ins for what only its inference needs (torch, transformers) and for the two
    executor dependencies not installed here (pebble, timeout_decorator: the constructed programs end fast)."""
    return load_script("PAL-Math/run.py", bare_packages=("utils",), stubs={
        "torch": {}, "transformers": {"AutoTokenizer": None, "AutoModelForCausalLM": None, "GenerationConfig": None},
        "pebble": {"ProcessPool": None}, "timeout_decorator": {"timeout": lambda seconds: (lambda f: f)},
    })


@pytest.fixture(scope="module")
def official_samples(run_py, benchmarks_dir, tmp_path_factory):
    """``run.load_data`` for every set, from a folder laid out as the script expects."""
    import os

    root = tmp_path_factory.mktemp("pal")
    (root / "prompts").symlink_to(benchmarks_dir / "pal-math" / "prompts")
    for name in SETS:
        (root / "datasets" / name).mkdir(parents=True)
        (root / "datasets" / name / "test.json").symlink_to(benchmarks_dir / "pal-math" / name / "test.json")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return {name: run_py.load_data(types.SimpleNamespace(data_name=name)) for name in SETS}
    finally:
        os.chdir(cwd)


def _task(name, benchmarks_dir, **kw):
    return build_task(TaskConfig(task=f"pal-{name}", **kw), benchmarks_dir)


def test_prompts_token_ids_and_references_of_every_problem(official_samples, benchmarks_dir, reference_vocab_dir):
    """Every prompt and reference is compared as text. Token ids: every prompt is the set's few-shot text, which
    ends in dashes, then ``"\\n\\nQuestion: ..."``, and the pre-tokenizer always splits there, so a prompt's ids
    are BOS + the few-shot's + the rest's (checked exactly on 10 prompts per set and on the 5 longest, where our
    encoding must equal ``run.py``'s, its 2048-token cut included); that gives every prompt's length, and with
    identical text our ids equal ``run.py``'s whenever both keep the same number of ids."""
    from dscoder.tokenization import tokenizer_from_gguf

    tok = tokenizer_from_gguf(reference_vocab_dir / "ggml-vocab-deepseek-coder.gguf")
    generator = HFGenerator.__new__(HFGenerator)  # only its prompt encoding is exercised: no model
    generator.tokenizer, generator.settings = tok, GenerationSettings()
    counts, cut = {}, {}
    for name in SETS:
        task = _task(name, benchmarks_dir)
        problems, official = task.problems(), official_samples[name]
        requests = [task.request(p) for p in problems]
        assert requests[0].stop == ("Question", "----------------") and requests[0].max_new_tokens == 512
        same_prompt = sum(r.prompt == o["prompt"] for r, o in zip(requests, official))
        same_gold = sum(task.reference(p) == o["gt"] for p, o in zip(problems, official))
        fewshot = task._fewshot
        assert fewshot.endswith("-" * 16) and all(o["prompt"].startswith(fewshot + "\n\nQuestion: ") for o in official)
        head = tok(fewshot, add_special_tokens=False)["input_ids"]
        tails = tok([o["prompt"][len(fewshot):] for o in official], add_special_tokens=False)["input_ids"]
        lengths = [1 + len(head) + len(t) for t in tails]
        by_length = sorted(range(len(official)), key=lengths.__getitem__)
        for k in [*range(0, len(official), len(official) // 10)[:10], *by_length[-5:]]:
            # run.py: tokenizer(batch, padding=True) -> ids with BOS, then input_ids[:, -2048:]
            ids = tok([official[k]["prompt"]])["input_ids"][0]
            assert ids == [tok.bos_token_id] + head + tails[k]
            assert generator.encode(requests[k]) == ids[-MAX_CONTEXT:]
        kept = len(generator.encode(requests[by_length[-1]]))
        same_ids = sum(min(n, MAX_CONTEXT) == min(n, kept) for n in lengths)
        cut[name] = sum(n > MAX_CONTEXT for n in lengths)
        counts[name] = (len(official), same_prompt, same_gold, same_ids)
    assert counts == {name: (n, n, n, n) for name, (n, *_rest) in counts.items()}
    assert {name: n for name, (n, *_rest) in counts.items()} == {
        "gsm8k": 1319, "math": 5000, "gsm-hard": 1319, "svamp": 1000, "asdiv": 2215, "mawps": 2065}
    assert cut == {"gsm8k": 0, "math": 1, "gsm-hard": 0, "svamp": 0, "asdiv": 0, "mawps": 0}  # cut as run.py cuts


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        yield sb


def _official(run_py, case, sample):
    """``run.py`` on one raw output: its cut at the stop words (inline in its main loop), extraction,
    ``PythonExecutor.execute`` (answer ``solution()``), ``strip_string``, then ``math_equal(gt, pred)``."""
    output = case["output"]
    for stop_word in ("Question", "----------------"):  # run.py's stop_words, cut in order
        if stop_word in output:
            output = output[:output.index(stop_word)]
    code = run_py.extract_python_block_with_solution(output)
    runtime = run_py.PythonExecutor.execute.__globals__["GenericRuntime"]()
    result, _info = run_py.PythonExecutor.execute(code.split("\n"), runtime=runtime, answer_expr="solution()",
                                                   timeout_length=5)
    prediction = run_py.strip_string(result)
    return code, prediction, bool(run_py.math_equal(sample["gt"], prediction))


def test_constructed_outputs_are_scored_like_run_py(run_py, official_samples, benchmarks_dir, sandbox):
    assert len(CASES) >= 30
    by_set: dict[str, list[int]] = {}
    for i, case in enumerate(CASES):
        by_set.setdefault(case["dataset"], []).append(i)
    ours: dict[int, tuple] = {}
    strict_passed: dict[int, bool] = {}
    for name, indices in by_set.items():
        task, strict = _task(name, benchmarks_dir), _task(name, benchmarks_dir, protocol="strict")
        problems = task.problems()
        chosen = [problems[CASES[i]["idx"]] for i in indices]
        completions = [task.completion(p, CASES[i]["output"]) for p, i in zip(chosen, indices)]
        for i, c, v in zip(indices, completions, task.judge(chosen, completions, sandbox)):
            ours[i] = (c, v["prediction"], v["passed"])
        for i, v in zip(indices, strict.judge(chosen, completions, sandbox)):
            strict_passed[i] = v["passed"]
    official = {i: _official(run_py, c, official_samples[c["dataset"]][c["idx"]]) for i, c in enumerate(CASES)}
    assert {c["id"]: (ours[i], official[i]) for i, c in enumerate(CASES) if ours[i] != official[i]} == {}
    assert {c["id"]: ours[i][2] for i, c in enumerate(CASES) if ours[i][2] != c["expect_deepseek"]} == {}
    assert {c["id"]: strict_passed[i] for i, c in enumerate(CASES) if strict_passed[i] != c["expect_strict"]} == {}


def test_grader_matches_the_official_on_every_reference_against_typical_answers(run_py, official_samples):
    """``official_math_equal`` (the sympy stage here in-process, as the script runs it) against ``math_equal``
    of ``utils/grader.py`` for each MATH reference paired with itself, a float and a bare number."""
    from sympy import N, simplify
    from sympy.parsing.sympy_parser import parse_expr

    def symbolic(a, b):  # the script's symbolic_equal without parse_latex (antlr4 is not installed there)
        def parse(s):
            try:
                return parse_expr(s)
            except Exception:  # noqa: BLE001 - as the script
                return s
        a, b = parse(a), parse(b)
        try:
            if simplify(a - b) == 0:
                return True
        except Exception:  # noqa: BLE001, S110 - as the script
            pass
        try:
            return math.isclose(N(a), N(b), rel_tol=1e-3)
        except Exception:  # noqa: BLE001
            return False

    pairs = []
    for sample in official_samples["math"][:400]:
        gt = sample["gt"]
        pairs += [(gt, gt), (gt, "0.5"), (gt, "12"), (gt, f"({gt})"), (gt, gt.replace("\\frac", "\\dfrac"))]
    mismatches = [(gt, pred) for gt, pred in pairs
                  if official_math_equal(gt, pred, symbolic) != bool(run_py.math_equal(gt, pred))]
    assert mismatches == []
