"""The DeepSeek-Coder model (report §3.3) as a transformers model.

Light names (the config, presets) are imported eagerly; the model classes, the fast path and the converters
load on first access (PEP 562), so ``import dscoder`` never imports ``transformers.modeling_utils``.
"""

from __future__ import annotations

import importlib

from .configuration_deepseek_coder import DEEPSEEK_CODER_ROPE, DeepseekCoderConfig
from .presets import NOMINAL_PARAMETERS, PRESETS, count_parameters, preset_config

_LAZY: dict[str, str] = {
    "DeepseekCoderPreTrainedModel": "modeling_deepseek_coder",
    "DeepseekCoderModel": "modeling_deepseek_coder",
    "DeepseekCoderForCausalLM": "modeling_deepseek_coder",
    "enable_fast_path": "fast_path",
    "FastPathReport": "fast_path",
    "chunked_causal_lm_loss": "chunked_loss",
    "convert_checkpoint": "conversion",
    "llama_to_deepseek_coder": "conversion",
    "deepseek_coder_to_llama": "conversion",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if module in ("modeling_deepseek_coder", "fast_path", "conversion"):
        from .registration import resolve_auto_classes

        resolve_auto_classes()
    globals()[name] = value
    return value


__all__ = [
    "DEEPSEEK_CODER_ROPE",
    "NOMINAL_PARAMETERS",
    "PRESETS",
    "DeepseekCoderConfig",
    "DeepseekCoderForCausalLM",
    "DeepseekCoderModel",
    "DeepseekCoderPreTrainedModel",
    "FastPathReport",
    "chunked_causal_lm_loss",
    "convert_checkpoint",
    "count_parameters",
    "deepseek_coder_to_llama",
    "enable_fast_path",
    "llama_to_deepseek_coder",
    "preset_config",
]
