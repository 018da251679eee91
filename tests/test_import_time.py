"""``import dscoder`` registers the model without loading transformers' modeling code (issue 7 budget).

The budget (at most +0.3 s on top of ``from transformers import AutoConfig, AutoModelForCausalLM``) is measured by
``bench/import_time.py``; no timing is asserted here. What these tests pin is why it holds: on top of that
transformers import, ``import dscoder`` loads only its own modules, and registration stays lazy.
"""

from __future__ import annotations

import json
import subprocess
import sys

BASELINE = "from transformers import AutoConfig, AutoModelForCausalLM"


def test_import_dscoder_adds_only_its_own_modules_on_top_of_transformers_auto_classes():
    code = (
        f"import json, sys; {BASELINE}; before = set(sys.modules); import dscoder; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    added = json.loads(out.stdout.strip().splitlines()[-1])
    assert "dscoder" in added
    assert [m for m in added if m != "dscoder" and not m.startswith("dscoder.")] == []


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
