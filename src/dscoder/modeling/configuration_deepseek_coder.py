"""DeepSeek-Coder model configuration (report §3.3, Table 2; docs/paper.md).

The architecture is Llama's: RMSNorm, SwiGLU, RoPE, no attention bias, untied embeddings. The defaults are the
released 1.3B base model's ``config.json`` (hidden 2048, 24 layers, 16 heads, intermediate 5504, vocab 32256,
RoPE base 100000 with linear scaling 4.0 over 16384 positions, BOS 32013, EOS 32014).

This file only imports ``transformers`` so that ``save_pretrained`` can copy it next to a checkpoint and the
checkpoint loads with ``trust_remote_code=True`` on a machine without dscoder.
"""

from __future__ import annotations

from typing import ClassVar

from huggingface_hub.dataclasses import strict
from transformers.configuration_utils import PreTrainedConfig

#: RoPE of the released DeepSeek-Coder 1.3B/6.7B/33B checkpoints (report §3.6: factor 4, base 100000).
DEEPSEEK_CODER_ROPE = {"rope_type": "linear", "factor": 4.0, "rope_theta": 100_000.0}


@strict
class DeepseekCoderConfig(PreTrainedConfig):
    r"""Configuration of a [`DeepseekCoderForCausalLM`].

    Args:
        vocab_size: rows of the embedding matrix and the LM head (32256 for the released tokenizer, padded).
        hidden_size / intermediate_size / num_hidden_layers / num_attention_heads: the Table 2 shape.
        num_key_value_heads: KV heads for grouped-query attention (33B: 8); ``None`` means as many as heads.
        head_dim: per-head width; ``None`` means ``hidden_size // num_attention_heads``.
        rope_parameters: transformers 5 RoPE dict (``rope_type``, ``rope_theta`` and ``factor`` for ``linear``).
            Legacy ``rope_scaling`` / ``rope_theta`` keys (the released Llama-format configs) are merged into it.
        rms_norm_eps, hidden_act, attention_bias, attention_dropout, mlp_bias, initializer_range: as in Llama.
    """

    model_type = "deepseek_coder"
    keys_to_ignore_at_inference: ClassVar[list[str]] = ["cache"]
    base_model_tp_plan: ClassVar[dict] = {
        "layers.*.self_attn.q_proj": "colwise",
        "layers.*.self_attn.k_proj": "colwise",
        "layers.*.self_attn.v_proj": "colwise",
        "layers.*.self_attn.o_proj": "rowwise",
        "layers.*.mlp.gate_proj": "colwise",
        "layers.*.mlp.up_proj": "colwise",
        "layers.*.mlp.down_proj": "rowwise",
    }
    base_model_pp_plan: ClassVar[dict] = {
        "embed_tokens": (["input_ids"], ["inputs_embeds"]),
        "layers": (["hidden_states", "attention_mask"], ["hidden_states"]),
        "norm": (["hidden_states"], ["hidden_states"]),
    }

    vocab_size: int = 32256
    hidden_size: int = 2048
    intermediate_size: int = 5504
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_key_value_heads: int | None = None
    head_dim: int | None = None
    hidden_act: str = "silu"
    max_position_embeddings: int = 16384
    initializer_range: float = 0.02
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    pad_token_id: int | None = None
    bos_token_id: int | None = 32013
    eos_token_id: int | list[int] | None = 32014
    tie_word_embeddings: bool = False
    rope_parameters: dict | None = None
    attention_bias: bool = False
    attention_dropout: int | float = 0.0
    mlp_bias: bool = False

    def __post_init__(self, **kwargs):
        if self.head_dim is None:
            self.head_dim = self.hidden_size // max(self.num_attention_heads, 1)
        if self.num_key_value_heads is None:
            self.num_key_value_heads = self.num_attention_heads
        legacy_rope = "rope_scaling" in kwargs or "rope_theta" in kwargs
        if self.rope_parameters is None and not legacy_rope:
            self.rope_parameters = dict(DEEPSEEK_CODER_ROPE)
        elif self.rope_parameters is not None:
            self.rope_parameters = dict(self.rope_parameters)  # never share the caller's dict
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        """Shape checks at config time (transformers' ``@strict`` runs every ``validate_*`` method)."""
        for name in ("hidden_size", "num_attention_heads", "num_key_value_heads", "num_hidden_layers", "vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"DeepseekCoderConfig.{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(
                f"DeepseekCoderConfig: num_attention_heads ({self.num_attention_heads}) does not divide "
                f"hidden_size ({self.hidden_size})"
            )
        if self.num_attention_heads % self.num_key_value_heads != 0:
            raise ValueError(
                f"DeepseekCoderConfig: num_key_value_heads ({self.num_key_value_heads}) does not divide "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        rope_type = (self.rope_parameters or {}).get("rope_type", "default")
        if rope_type in ("linear", "dynamic", "yarn", "longrope", "llama3") and "factor" not in self.rope_parameters:
            raise ValueError(f"DeepseekCoderConfig: rope_parameters of type {rope_type!r} need a 'factor'")


DeepseekCoderConfig.register_for_auto_class()

__all__ = ["DEEPSEEK_CODER_ROPE", "DeepseekCoderConfig"]
