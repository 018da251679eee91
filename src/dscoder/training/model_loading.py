"""Build the model and tokenizer a recipe names: a preset, a config, or a checkpoint plus config overrides.

The long-context stage (report §3.6) is this with ``init_from`` a pretrained checkpoint and overrides of
``rope_parameters`` (linear factor 4, base 100000) and ``max_position_embeddings``; continued pretraining
(report §5) starts from any Llama-architecture checkpoint the Auto classes load.
"""

from __future__ import annotations

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    PretrainedConfig,
    PreTrainedModel,
)

from dscoder.tokenization.special_tokens import padded_vocab_size
from dscoder.training.recipe import ModelConfig

__all__ = ["build_config", "build_model", "load_tokenizer"]


def load_tokenizer(spec: ModelConfig):
    """The tokenizer of ``model.tokenizer`` (or of ``model.init_from``), through dscoder's loader.

    ``dscoder.tokenization.load_tokenizer`` avoids transformers 5's whitespace bug on the released
    DeepSeek-Coder tokenizer (docs/paper.md §3.2) and otherwise defers to ``AutoTokenizer``.
    """
    from dscoder.tokenization.loading import load_tokenizer as _load

    source = spec.tokenizer or spec.init_from
    return _load(source, revision=spec.revision, trust_remote_code=spec.trust_remote_code)


def build_config(spec: ModelConfig, tokenizer=None) -> PretrainedConfig:
    """The model config with ``config_overrides`` applied (an unknown key is an error naming it)."""
    from dscoder.modeling.registration import register_auto_classes

    register_auto_classes()  # idempotent; `import dscoder` does it too
    if spec.preset:
        from dscoder.modeling import preset_config

        config = preset_config(spec.preset)
    else:
        config = AutoConfig.from_pretrained(
            spec.init_from or spec.config, revision=spec.revision, trust_remote_code=spec.trust_remote_code
        )
    for key, value in spec.config_overrides.items():
        if not hasattr(config, key):
            raise ValueError(f"model.config_overrides.{key}: {type(config).__name__} has no attribute {key!r}")
        setattr(config, key, dict(value) if isinstance(value, dict) else value)
    if tokenizer is not None:
        if spec.vocab_size_from_tokenizer:
            config.vocab_size = padded_vocab_size(len(tokenizer))  # 32,022 -> 32,256 as released
        if len(tokenizer) > config.vocab_size:
            raise ValueError(
                f"model: the tokenizer has {len(tokenizer)} entries but the model's vocab_size is "
                f"{config.vocab_size}; set model.vocab_size_from_tokenizer: true or use a matching tokenizer"
            )
        if spec.init_from is None:  # a fresh model takes its special ids from the tokenizer it is trained with
            for name in ("bos_token_id", "eos_token_id", "pad_token_id"):
                value = getattr(tokenizer, name, None)
                if value is not None:
                    setattr(config, name, value)
    config._attn_implementation = spec.attn_implementation
    return config


def build_model(spec: ModelConfig, config: PretrainedConfig, *, meta: bool = False) -> PreTrainedModel:
    """Instantiate the model: random init (preset/config), checkpoint weights (init_from), or on the meta device.

    Weights stay in float32 for training; mixed precision comes from the recipe's ``training.precision``.
    """
    kwargs = {"trust_remote_code": spec.trust_remote_code, "attn_implementation": spec.attn_implementation}
    if meta:
        with torch.device("meta"):
            return AutoModelForCausalLM.from_config(config, **kwargs)
    if spec.init_from:
        return AutoModelForCausalLM.from_pretrained(
            spec.init_from, config=config, revision=spec.revision, dtype=torch.float32, **kwargs
        )
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32, **kwargs)
