"""The official DeepSeek-Coder evaluation code as an oracle for differential tests (issue 16).

Imports the scripts of ``../shared/reference/deepseek-coder-official/Evaluation`` unchanged (never copied into
the project; :mod:`official_eval_scripts` loads them) and drives them with a stand-in model:
:class:`ScriptedModel` records the ids and generation settings each script sends to ``generate`` and answers
with given text, so prompts, token ids, extraction, program assembly and verdicts come from the official code. The released tokenizer is rebuilt from
``../shared/reference/deepseek-coder-vocab``. Everything skips with a reason where ``../shared`` is missing.
"""

from __future__ import annotations

import functools
import json
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED_DIR
from official_eval_scripts import load_script

OFFICIAL_DIR = SHARED_DIR / "reference" / "deepseek-coder-official" / "Evaluation"
VOCAB_GGUF = SHARED_DIR / "reference" / "deepseek-coder-vocab" / "ggml-vocab-deepseek-coder.gguf"
BENCHMARKS_DIR = SHARED_DIR / "benchmarks"
CONSTRUCTED_DIR = Path(__file__).parent / "data" / "eval_constructed"

_LOADED: dict[str, types.SimpleNamespace] = {}


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the project's ../shared folder with the official DeepSeek-Coder code)")
    return path


def official(benchmark: str) -> types.SimpleNamespace:
    """The official code of ``Evaluation/<benchmark>`` (``HumanEval`` or ``MBPP``), each folder with its own
    ``human_eval``/``utils`` packages (:func:`official_eval_scripts.load_script`): ``script`` (the base
    script), ``instruct`` (``eval_instruct.py``), ``evaluation`` and ``execution`` (its ``human_eval``),
    ``utils`` and ``dataset`` (its ``utils``)."""
    if benchmark not in _LOADED:
        require(OFFICIAL_DIR / benchmark)
        bare = ("human_eval", "utils")
        # humaneval.py / mbpp.py import attrdict (unused on the paths driven here; not installable on 3.10+)
        script = load_script(f"{benchmark}/{benchmark.lower()}.py", bare, stubs={"attrdict": {"AttrDict": dict}})
        evaluation = script.evaluate_functional_correctness.__globals__  # that folder's human_eval/evaluation.py
        dataset = script.HumanEvalDataset if benchmark == "HumanEval" else script.MBPPDataset
        _LOADED[benchmark] = types.SimpleNamespace(
            script=script,
            instruct=load_script(f"{benchmark}/eval_instruct.py", bare),
            evaluation=types.SimpleNamespace(process_humaneval_test=evaluation["process_humaneval_test"]),
            execution=types.SimpleNamespace(check_correctness=evaluation["check_correctness"]),
            utils=types.SimpleNamespace(cleanup_code=script.cleanup_code),
            dataset=types.SimpleNamespace(**{dataset.__name__: dataset}),
        )
    return _LOADED[benchmark]


@functools.cache
def released_tokenizer(instruct: bool = False):
    """The released DeepSeek-Coder tokenizer (instruct: EOS ``<|EOT|>`` and the released chat template)."""
    from dscoder.tokenization import to_transformers, tokenizer_from_gguf
    from dscoder.tokenization.special_tokens import EOT, RELEASED_CHAT_TEMPLATE

    if instruct:
        backend = released_tokenizer(False).backend_tokenizer
        return to_transformers(backend, eos_token=EOT, chat_template=RELEASED_CHAT_TEMPLATE)
    return tokenizer_from_gguf(require(VOCAB_GGUF))


class ScriptedModel:
    """Stands in for the model: records what each ``generate`` call receives and continues the prompt with
    the next scripted answer (then the EOS the script asked for)."""

    device = "cpu"

    def __init__(self, tokenizer, answers: Iterable[str]):
        self.tokenizer, self.answers, self.calls = tokenizer, iter(answers), []

    def eval(self):
        return self

    def generate(self, inputs=None, **kwargs):
        import torch

        ids = kwargs.pop("input_ids", inputs)
        if hasattr(ids, "keys"):  # eval_instruct.py passes the chat template's BatchEncoding as is
            ids = ids["input_ids"]
        prompt = ids[0].tolist()
        self.calls.append({"input_ids": prompt, **{k: v for k, v in kwargs.items() if k != "attention_mask"}})
        answer = self.tokenizer.encode(next(self.answers), add_special_tokens=False)
        return torch.tensor([prompt + answer + [kwargs["eos_token_id"]]])


class _OneProcess:
    """The ``accelerate.Accelerator`` surface the base scripts use, for one process."""

    process_index, num_processes, device, is_local_main_process = 0, 1, "cpu", True

    def wait_for_everyone(self):
        pass


def _run_base_script(benchmark: str, tokenizer, tmp_path: Path, answers: list[str], **kw) -> tuple[list, list]:
    """Run ``Evaluation/<benchmark>``'s ``eval_model`` as ``eval_pal.py`` sets it up (4096 / 500, batch 1,
    one sample), scoring skipped; returns the ``generate`` calls and the logged records."""
    from dscoder.tokenization import save_tokenizer

    mod = official(benchmark)
    tok_dir = save_tokenizer(tokenizer, tmp_path / "tokenizer")
    cls = mod.script.HumanEval if benchmark == "HumanEval" else mod.script.MBPP
    evaluator = cls(data_root=str(BENCHMARKS_DIR / kw.pop("subdir")), max_seq_len=4096,
                    tokenizer_cfg={"cls": None, "model_path": str(tok_dir)}, log_dir=str(tmp_path / "log"),
                    n_sample=1, batch_size=1, max_gen_len=500, **kw)
    evaluator.log_score = lambda *a, **k: None  # reads CUDA memory stats
    evaluator._calculate_final_score = lambda accelerator: None  # scoring is compared separately
    model = ScriptedModel(evaluator.tokenizer, answers)
    evaluator.eval_model(model, _OneProcess())
    logs = list((tmp_path / "log").glob("*_rank0_*"))
    records = [json.loads(line) for line in logs[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    return model.calls, records


def humaneval_base(language: str, tokenizer, tmp_path: Path, answers: list[str]) -> tuple[list, list]:
    """``eval_pal.py`` for HumanEval ``language``: (generate calls, logged records with ``generation``)."""
    return _run_base_script("HumanEval", tokenizer, tmp_path, answers, subdir="humaneval-multilingual",
                            language=language)


def mbpp_base(tokenizer, tmp_path: Path, answers: list[str]) -> tuple[list, list]:
    """``eval_pal.py`` for MBPP: (generate calls, logged records with ``generation``)."""
    return _run_base_script("MBPP", tokenizer, tmp_path, answers, subdir="mbpp")


def humaneval_instruct(language: str, problem: dict, answer: str, tokenizer) -> tuple[dict, dict]:
    """``eval_instruct.py``'s ``generate_one`` for one problem record of ``humaneval-<language>.jsonl``:
    (the generate call, the example with ``output`` and ``generation``)."""
    model = ScriptedModel(tokenizer, [answer])
    example = official("HumanEval").instruct.generate_one(dict(problem), language, tokenizer, model)
    return model.calls[0], example


def mbpp_instruct_examples() -> list[dict]:
    """``eval_instruct.py``'s ``read_test_examples`` over ``mbpp.jsonl`` (500 prompts)."""
    return list(official("MBPP").instruct.read_test_examples(str(require(BENCHMARKS_DIR / "mbpp" / "mbpp.jsonl"))))


def mbpp_instruct(example: dict, answer: str, tokenizer) -> tuple[dict, dict]:
    model = ScriptedModel(tokenizer, [answer])
    out = official("MBPP").instruct.generate_one(dict(example), tokenizer, model)
    return model.calls[0], out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def problems_by_id(path: Path) -> dict[Any, dict]:
    return {r["task_id"]: r for r in read_jsonl(require(path))}


def program(benchmark: str, sample: dict, problems: dict, language: str, is_mbpp: bool = False) -> str:
    """``human_eval/evaluation.py``'s ``process_humaneval_test``: the program the official harness runs."""
    return official(benchmark).evaluation.process_humaneval_test(sample, problems, False, is_mbpp, language)


def verdict(benchmark: str, program_text: str, language: str, timeout: float, tmp_dir: Path, key: str) -> bool:
    """``check_correctness`` on one program (Python: ``exec`` in a guarded child process; other languages:
    the script's compiler and runtime commands). Call with the official folder as working directory. ``key``
    names the program's folder (the runner's own random suffix repeats across forked workers)."""
    result = official(benchmark).execution.check_correctness(
        key, {"test_code": program_text}, language, timeout, str(tmp_dir / "tmp"), 0)
    return result["passed"]


def constructed(name: str) -> list[dict]:
    """The constructed completions of ``tests/data/eval_constructed/<name>.jsonl``."""
    return read_jsonl(CONSTRUCTED_DIR / f"{name}.jsonl")
