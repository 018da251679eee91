"""DeepseekCoderForCausalLM against transformers' LlamaForCausalLM (issue 7), CPU, fp32."""

from __future__ import annotations

import pickle

import pytest
import torch

import dscoder  # noqa: F401  (registers the Auto classes)
from dscoder.modeling import (
    DeepseekCoderConfig,
    DeepseekCoderForCausalLM,
    preset_config,
)
from dscoder.tokenization.special_tokens import BOS_ID, EOS_ID

VOCAB = 256
SHAPE = {
    "vocab_size": VOCAB,
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "max_position_embeddings": 512,
}
VARIANTS = {
    # GQA (4 heads, 2 KV heads) with the released linear RoPE scaling, as in the 33B model
    "gqa_linear_rope": {
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rope_scaling": {"type": "linear", "factor": 4.0},
        "rope_theta": 100_000.0,
    },
    # plain multi-head attention with unscaled RoPE, as in v1.5
    "mha_default_rope": {"num_attention_heads": 4, "num_key_value_heads": 4, "rope_theta": 10_000.0},
}


def _pair(variant: str, attn: str):
    from transformers import LlamaConfig, LlamaForCausalLM

    kwargs = {**SHAPE, **VARIANTS[variant], "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(**kwargs)).eval()
    ours = DeepseekCoderForCausalLM(DeepseekCoderConfig(**kwargs)).eval()
    missing = ours.load_state_dict(llama.state_dict())
    assert not missing.missing_keys and not missing.unexpected_keys
    llama.set_attn_implementation(attn)
    ours.set_attn_implementation(attn)
    return llama, ours


def _left_padded_batch():
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, VOCAB, (3, 24), generator=g)
    mask = torch.ones_like(ids)
    mask[1, :7] = 0
    mask[2, :15] = 0
    ids[mask == 0] = 0
    return ids, mask


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_logits_equal_llama_on_left_padded_batch(variant, attn):
    llama, ours = _pair(variant, attn)
    ids, mask = _left_padded_batch()
    with torch.no_grad():
        ref = llama(ids, attention_mask=mask).logits
        got = ours(ids, attention_mask=mask).logits
    keep = mask.bool()
    assert (ref[keep] - got[keep]).abs().max().item() <= 1e-5


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_loss_and_greedy_generate_equal_llama(attn):
    llama, ours = _pair("gqa_linear_rope", attn)
    ids, mask = _left_padded_batch()
    labels = ids.masked_fill(mask == 0, -100)
    with torch.no_grad():
        assert torch.allclose(
            llama(ids, attention_mask=mask, labels=labels).loss,
            ours(ids, attention_mask=mask, labels=labels).loss,
            atol=1e-6,
        )
    kw = {"attention_mask": mask, "max_new_tokens": 10, "do_sample": False, "pad_token_id": 0}
    assert torch.equal(llama.generate(ids, **kw), ours.generate(ids, **kw))


def test_save_then_auto_round_trip_keeps_logits_and_never_unpickles(tmp_path, monkeypatch):
    from transformers import AutoConfig, AutoModelForCausalLM

    llama, ours = _pair("gqa_linear_rope", "sdpa")
    ours.save_pretrained(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "model.safetensors" in names and not [n for n in names if n.endswith((".bin", ".pt", ".pth"))]
    assert AutoConfig.from_pretrained(tmp_path).model_type == "deepseek_coder"

    def refuse(*args, **kwargs):
        raise AssertionError("loading unpickled something")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path, attn_implementation="sdpa").eval()
    assert type(loaded) is DeepseekCoderForCausalLM
    ids, mask = _left_padded_batch()
    with torch.no_grad():
        diff = (llama(ids, attention_mask=mask).logits - loaded(ids, attention_mask=mask).logits)[mask.bool()]
    assert diff.abs().max().item() <= 1e-5


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_packed_documents_equal_documents_alone(attn):
    _, ours = _pair("gqa_linear_rope", attn)
    g = torch.Generator().manual_seed(2)
    lengths = [[5, 7, 4], [9, 7]]  # two packed rows of 16 tokens
    docs = [[torch.randint(3, VOCAB, (n,), generator=g) for n in row] for row in lengths]
    ids = torch.stack([torch.cat(row) for row in docs])
    positions = torch.stack([torch.cat([torch.arange(n) for n in row]) for row in lengths])
    with torch.no_grad():
        packed = ours(ids, position_ids=positions, use_cache=False).logits
        for r, row in enumerate(docs):
            start = 0
            for doc in row:
                alone = ours(doc[None], use_cache=False).logits[0]
                assert (packed[r, start : start + len(doc)] - alone).abs().max().item() <= 1e-5
                start += len(doc)


def test_tiny_trains_with_gradient_checkpointing():
    torch.manual_seed(0)
    model = DeepseekCoderForCausalLM(preset_config("tiny", vocab_size=VOCAB, bos_token_id=1, eos_token_id=2))
    model.activation_checkpointing_enable()
    model.train()
    assert model.is_activation_checkpointing
    batch = torch.randint(3, VOCAB, (4, 32), generator=torch.Generator().manual_seed(3))
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        loss = model(batch, labels=batch).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5


def test_config_defaults_are_the_released_1_3b():
    config = DeepseekCoderConfig()
    assert (config.hidden_size, config.intermediate_size, config.num_hidden_layers) == (2048, 5504, 24)
    assert (config.num_attention_heads, config.num_key_value_heads, config.vocab_size) == (16, 16, 32_256)
    assert config.rope_parameters == {"rope_type": "linear", "factor": 4.0, "rope_theta": 100_000.0}
    assert (config.bos_token_id, config.eos_token_id) == (BOS_ID, EOS_ID)
    assert config.max_position_embeddings == 16_384 and config.rms_norm_eps == 1e-6
    assert config.tie_word_embeddings is False


def test_legacy_rope_keys_become_rope_parameters():
    config = DeepseekCoderConfig(rope_scaling={"type": "linear", "factor": 4.0}, rope_theta=100_000)
    assert config.rope_parameters["rope_type"] == "linear"
    assert config.rope_parameters["factor"] == 4.0 and config.rope_parameters["rope_theta"] == 100_000
    assert DeepseekCoderConfig(rope_theta=10_000.0).rope_parameters == {"rope_type": "default", "rope_theta": 10_000.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden_size": 100, "num_attention_heads": 3}, "num_attention_heads (3) does not divide hidden_size (100)"),
        ({"num_attention_heads": 16, "num_key_value_heads": 3}, "num_key_value_heads (3) does not divide"),
        ({"rope_parameters": {"rope_type": "linear", "rope_theta": 1e5}}, "'linear' need a 'factor'"),
        ({"rope_scaling": {"type": "linear"}, "rope_theta": 1e5}, "'linear' need a 'factor'"),
    ],
)
def test_invalid_config_fails_at_config_time(kwargs, message):
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        DeepseekCoderConfig(**kwargs)


def test_missing_flash_attn_gives_transformers_error():
    pytest.importorskip("transformers")
    try:
        import flash_attn  # noqa: F401

        pytest.skip("flash_attn is installed here")
    except ImportError:
        pass
    config = preset_config("tiny", vocab_size=VOCAB, bos_token_id=1, eos_token_id=2)
    with pytest.raises(ImportError, match="flash_attn|FlashAttention|flash-attn"):
        DeepseekCoderForCausalLM._from_config(config, attn_implementation="flash_attention_2")


def test_flex_attention_matches_sdpa():
    _, ours = _pair("gqa_linear_rope", "sdpa")
    ids = torch.randint(3, VOCAB, (2, 16), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        ref = ours(ids).logits
        ours.set_attn_implementation("flex_attention")
        got = ours(ids).logits
    assert (ref - got).abs().max().item() <= 1e-4
