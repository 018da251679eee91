"""``import dscoder`` registers the model without loading transformers' modeling code (issue 7 budget).

Budget: ``import dscoder`` may cost at most 0.3 s more than ``from transformers import AutoConfig,
AutoModelForCausalLM``. Measured twice: the increment in one process (exact budget), and cold imports in fresh
processes against the baseline measured in the same test (generous margin: this machine is shared).
"""

from __future__ import annotations

import json
import subprocess
import sys

BASELINE = "from transformers import AutoConfig, AutoModelForCausalLM"
BUDGET_S = 0.3
MARGIN_S = 0.6  # cold-import noise on a loaded machine grows with the import itself: + 10% of the baseline


def _seconds(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _cold(statement: str) -> float:
    return _seconds(f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)")


def test_import_dscoder_costs_at_most_budget_on_top_of_transformers_auto_classes():
    extra = _seconds(
        f"import time; {BASELINE}; t = time.perf_counter(); import dscoder; print(time.perf_counter() - t)"
    )
    assert extra <= BUDGET_S


def test_cold_import_dscoder_is_within_budget_of_transformers_auto_import():
    baseline, ours = [], []
    for _ in range(3):  # interleaved so that load on the machine hits both alike
        baseline.append(_cold(BASELINE))
        ours.append(_cold("import dscoder"))
    limit = min(baseline) * 1.1 + MARGIN_S
    assert min(ours) <= limit, f"import dscoder took {min(ours):.2f}s vs {min(baseline):.2f}s for `{BASELINE}`"


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
        "extra = [c.__name__ for c in AutoModelForCausalLM._model_mapping._extra_content]\n"
        "print(json.dumps([before, registered, 'transformers.modeling_utils' in sys.modules, real, extra]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, registered, after, real, extra = json.loads(out.stdout.strip().splitlines()[-1])
    assert before is False
    assert registered == ["DeepseekCoderConfig", "DeepseekCoderForCausalLM", "DeepseekCoderModel"]
    assert after is True and real is True
    assert "LlamaConfig" not in extra
