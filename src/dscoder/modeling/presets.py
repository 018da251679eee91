"""Model presets: the released DeepSeek-Coder shapes (report Table 2, docs/paper.md) and a tiny one for tests and demos.

``preset_config("deepseek-coder-1.3b")`` gives the released base model's configuration; keyword overrides replace
any field (``preset_config("tiny", vocab_size=len(tokenizer))``). Instruct checkpoints differ only in their EOS
(``eos_token_id=EOT_ID``).
"""

from __future__ import annotations

from typing import Any

from ..tokenization.special_tokens import BOS_ID, EOS_ID, RELEASED_MODEL_VOCAB_SIZE
from .configuration_deepseek_coder import DEEPSEEK_CODER_ROPE, DeepseekCoderConfig

_BASE: dict[str, Any] = {
    "vocab_size": RELEASED_MODEL_VOCAB_SIZE,
    "max_position_embeddings": 16_384,
    "rope_parameters": DEEPSEEK_CODER_ROPE,
    "bos_token_id": BOS_ID,
    "eos_token_id": EOS_ID,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
}

#: name -> the fields that define it (everything else is ``_BASE``).
PRESETS: dict[str, dict[str, Any]] = {
    "deepseek-coder-1.3b": {
        **_BASE,
        "hidden_size": 2048,
        "intermediate_size": 5504,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
    },
    "deepseek-coder-6.7b": {
        **_BASE,
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
    },
    "deepseek-coder-33b": {
        **_BASE,
        "hidden_size": 7168,
        "intermediate_size": 19200,
        "num_hidden_layers": 62,
        "num_attention_heads": 56,
        "num_key_value_heads": 8,
    },
    # v1.5 continues DeepSeek-LLM-7B (report §5): its vocabulary, RoPE base 10000 without scaling, 4K positions,
    # and that tokenizer's BOS/EOS ids (100000/100001; the instruct model ends turns with 100015).
    "deepseek-coder-7b-v1.5": {
        **_BASE,
        "vocab_size": 102_400,
        "max_position_embeddings": 4096,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10_000.0},
        "bos_token_id": 100_000,
        "eos_token_id": 100_001,
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 30,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
    },
    # Tests and the CPU demo: the 1.3B recipe (RoPE, vocabulary, ids) at a width a laptop trains in seconds;
    # 2 KV heads for 4 heads so grouped-query attention is exercised too.
    "tiny": {
        **_BASE,
        "hidden_size": 128,
        "intermediate_size": 344,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
    },
}

#: Parameter counts the names promise (report Table 2), for checks.
NOMINAL_PARAMETERS: dict[str, float] = {
    "deepseek-coder-1.3b": 1.3e9,
    "deepseek-coder-6.7b": 6.7e9,
    "deepseek-coder-33b": 33e9,
    "deepseek-coder-7b-v1.5": 6.9e9,
}


def preset_config(name: str, **overrides: Any) -> DeepseekCoderConfig:
    """The :class:`DeepseekCoderConfig` of preset ``name`` with ``overrides`` applied (any config field)."""
    if name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}")
    fields = {**PRESETS[name], **overrides}
    if isinstance(fields.get("rope_parameters"), dict):
        fields["rope_parameters"] = dict(fields["rope_parameters"])
    return DeepseekCoderConfig(**fields)


def count_parameters(config: DeepseekCoderConfig) -> int:
    """Parameters of a :class:`DeepseekCoderForCausalLM` built on the meta device (no memory is allocated)."""
    import torch

    from .modeling_deepseek_coder import DeepseekCoderForCausalLM

    with torch.device("meta"):
        model = DeepseekCoderForCausalLM(config)
    return sum(p.numel() for p in model.parameters())


__all__ = ["NOMINAL_PARAMETERS", "PRESETS", "count_parameters", "preset_config"]
