"""``import dscoder`` registers the model without loading transformers' modeling code (issue 7 budget)."""

from __future__ import annotations

import json
import subprocess
import sys

BASELINE = "from transformers import AutoConfig, AutoModelForCausalLM"
MARGIN_S = 0.6  # the budget is +0.3 s; the rest absorbs noise on a shared machine


def _import_seconds(statement: str, runs: int = 2) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


def test_import_dscoder_is_within_budget_of_transformers_auto_import():
    baseline = _import_seconds(BASELINE)
    ours = _import_seconds("import dscoder")
    assert ours <= baseline + MARGIN_S, f"import dscoder took {ours:.2f}s vs {baseline:.2f}s for `{BASELINE}`"


def test_import_dscoder_registers_lazily_without_modeling_utils():
    code = (
        "import json, sys, dscoder\n"
        "from transformers import AutoConfig, AutoModelForCausalLM, AutoModel\n"
        "from dscoder.modeling import DeepseekCoderConfig\n"
        "before = 'transformers.modeling_utils' in sys.modules\n"
        "registered = [AutoConfig.for_model('deepseek_coder').__class__.__name__,\n"
        "              AutoModelForCausalLM._model_mapping[DeepseekCoderConfig].__name__,\n"
        "              AutoModel._model_mapping[DeepseekCoderConfig].__name__]\n"
        "from dscoder.modeling import DeepseekCoderForCausalLM\n"
        "real = AutoModelForCausalLM._model_mapping[DeepseekCoderConfig] is DeepseekCoderForCausalLM\n"
        "llama_untouched = 'LlamaConfig' not in [c.__name__ for c in AutoModelForCausalLM._model_mapping._extra_content]\n"
        "print(json.dumps([before, registered, 'transformers.modeling_utils' in sys.modules, real, llama_untouched]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, registered, after, real, llama_untouched = json.loads(out.stdout.strip().splitlines()[-1])
    assert before is False
    assert registered == ["DeepseekCoderConfig", "DeepseekCoderForCausalLM", "DeepseekCoderModel"]
    assert after is True and real is True and llama_untouched is True
