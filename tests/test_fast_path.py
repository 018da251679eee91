"""CPU tests of the fast path's logic (issue 8): chunked loss, kernel fallbacks, varlen attention plumbing."""

from __future__ import annotations

import copy
import sys
import types

import pytest
import torch
from torch import nn

import dscoder  # noqa: F401
from dscoder.modeling import DeepseekCoderForCausalLM, fast_path, preset_config
from dscoder.modeling.chunked_loss import chunked_causal_lm_loss, default_chunk_size
from dscoder.modeling.fast_path import (
    cu_seqlens_from_position_ids,
    enable_fast_path,
    select_varlen_kernel,
)

VOCAB = 256


def _reference_loss(hidden, weight, labels, **kwargs):
    from transformers.loss.loss_utils import ForCausalLMLoss

    return ForCausalLMLoss(hidden @ weight.t(), labels, weight.shape[0], **kwargs)


def _grads(loss_fn, hidden, weight, labels, **kwargs):
    h = hidden.clone().requires_grad_(True)
    w = weight.clone().requires_grad_(True)
    loss = loss_fn(h, w, labels, **kwargs)
    loss.backward()
    return loss.detach(), h.grad, w.grad


@pytest.mark.parametrize("chunk_size", [1, 5, 64, None])
@pytest.mark.parametrize("num_items", [None, 11])
def test_chunked_loss_and_grads_equal_plain_loss(chunk_size, num_items):
    g = torch.Generator().manual_seed(0)
    hidden, weight = torch.randn(3, 10, 16, generator=g), torch.randn(50, 16, generator=g)
    labels = torch.randint(0, 50, (3, 10), generator=g)
    labels[0, :4] = -100
    labels[2, 7] = -100
    extra = {} if num_items is None else {"num_items_in_batch": torch.tensor(num_items)}
    ref = _grads(_reference_loss, hidden, weight, labels, **extra)
    got = _grads(chunked_causal_lm_loss, hidden, weight, labels, chunk_size=chunk_size, **extra)
    assert abs(ref[0].item() - got[0].item()) <= 1e-6
    assert (ref[1] - got[1]).abs().max().item() <= 1e-6
    assert (ref[2] - got[2]).abs().max().item() <= 1e-6


def test_chunked_loss_with_shift_labels_frozen_head_and_bf16():
    g = torch.Generator().manual_seed(1)
    hidden, weight = torch.randn(2, 8, 16, generator=g), torch.randn(40, 16, generator=g)
    labels = torch.randint(0, 40, (2, 8), generator=g)
    shifted = torch.full_like(labels, -100)
    shifted[:, :-1] = labels[:, 1:]
    ref = _reference_loss(hidden, weight, labels)
    assert torch.allclose(chunked_causal_lm_loss(hidden, weight, None, shift_labels=shifted, chunk_size=3), ref)
    h = hidden.clone().requires_grad_(True)  # a frozen LM head (LoRA): only the hidden states get a gradient
    chunked_causal_lm_loss(h, weight, labels, chunk_size=4).backward()
    assert h.grad is not None and weight.grad is None
    bf = chunked_causal_lm_loss(hidden.bfloat16(), weight.bfloat16(), labels, chunk_size=4)
    assert bf.dtype == torch.float32 and abs(bf.item() - ref.item()) < 0.05 * ref.item()
    assert torch.isnan(chunked_causal_lm_loss(hidden, weight, torch.full_like(labels, -100)))
    with pytest.raises(ValueError, match="labels cover 10 positions but hidden states have 16"):
        chunked_causal_lm_loss(hidden, weight, labels[:, :5])


def test_default_chunk_size_follows_liger_heuristic():
    assert default_chunk_size(16384, 32256, 2048) == 1024  # 1.3B at 4 x 4096: 16 chunks of 1024 rows
    assert default_chunk_size(10, 32256, 2048) == 1
    assert default_chunk_size(7, 8, 16) == 7


def _tiny(seed: int = 0) -> DeepseekCoderForCausalLM:
    torch.manual_seed(seed)
    return DeepseekCoderForCausalLM(preset_config("tiny", vocab_size=VOCAB, bos_token_id=1, eos_token_id=2))


def _packed_batch():
    g = torch.Generator().manual_seed(2)
    lengths = [[5, 7, 4], [9, 7]]
    ids = torch.randint(3, VOCAB, (2, 16), generator=g)
    positions = torch.stack([torch.cat([torch.arange(n) for n in row]) for row in lengths])
    return ids, positions


def test_cpu_auto_uses_chunked_loss_and_keeps_attention():
    plain, fast = _tiny(), _tiny()
    report = enable_fast_path(fast)
    assert report.as_dict() == {
        "rms_norm": "torch",
        "rope": "torch",
        "swiglu": "torch",
        "cross_entropy": "chunked_torch",
        "attention": "sdpa",
        "varlen_kernel": "-",
        "compiled": False,
    }
    ids, positions = _packed_batch()
    ref = plain(ids, position_ids=positions, labels=ids, use_cache=False)
    out = fast(ids, position_ids=positions, labels=ids, use_cache=False)
    assert out.logits is None  # the full logits never exist
    assert abs(ref.loss.item() - out.loss.item()) <= 1e-6
    ref.loss.backward()
    out.loss.backward()
    diff = max((a.grad - b.grad).abs().max().item() for a, b in zip(plain.parameters(), fast.parameters()))
    assert diff <= 1e-6
    assert set(fast.state_dict()) == set(plain.state_dict())


def test_varlen_attention_isolates_packed_documents_and_keeps_generation():
    plain = _tiny().eval()
    fast = copy.deepcopy(plain)
    report = enable_fast_path(fast, attention="varlen")
    assert (report.attention, report.varlen_kernel) == ("dscoder_varlen", "segment_sdpa")
    ids, positions = _packed_batch()
    with torch.no_grad():
        ref = plain(ids, position_ids=positions, use_cache=False).logits
        fast.linear_cross_entropy = None
        got = fast(ids, position_ids=positions, use_cache=False).logits
        assert (ref - got).abs().max().item() <= 1e-5
        alone = plain(ids[:1, 5:12], use_cache=False).logits  # the second document of row 0, on its own
        assert (got[0, 5:12] - alone[0]).abs().max().item() <= 1e-5
        mask = torch.ones_like(ids)
        mask[1, :6] = 0  # left padding goes through sdpa with an explicit mask
        keep = mask.bool()
        assert (plain(ids, attention_mask=mask).logits - fast(ids, attention_mask=mask).logits)[
            keep
        ].abs().max() <= 1e-5
        kw = {"attention_mask": mask, "max_new_tokens": 6, "do_sample": False, "pad_token_id": 0}
        assert torch.equal(plain.generate(ids, **kw), fast.generate(ids, **kw))
        kw = {"max_new_tokens": 6, "do_sample": False, "pad_token_id": 0}  # no padding: decode steps have no mask
        assert torch.equal(plain.generate(ids[:, :9], **kw), fast.generate(ids[:, :9], **kw))
        # a multi-token step on top of a cache (no mask): queries are end-aligned with the keys
        prefix = plain(ids[:, :9], use_cache=True)
        fast_prefix = fast(ids[:, :9], use_cache=True)
        ref = plain(ids[:, 9:], cache=prefix.cache, use_cache=True).logits
        got = fast(ids[:, 9:], cache=fast_prefix.cache, use_cache=True).logits
        assert (ref - got).abs().max().item() <= 1e-5


def test_cu_seqlens_from_position_ids():
    _, positions = _packed_batch()
    cu, max_len = cu_seqlens_from_position_ids(positions, 2)
    assert cu.tolist() == [0, 5, 12, 16, 25, 32] and max_len == 9 and cu.dtype == torch.int32
    # a row that continues a document from the previous row still starts a new segment
    cu, max_len = cu_seqlens_from_position_ids(torch.tensor([[0, 1, 2, 3], [4, 5, 0, 1]]), 2)
    assert cu.tolist() == [0, 4, 6, 8] and max_len == 4
    cu, max_len = cu_seqlens_from_position_ids(torch.arange(6)[None], 3)  # unpacked rows, broadcast positions
    assert cu.tolist() == [0, 6, 12, 18] and max_len == 6


def test_varlen_kernel_fallback_order(monkeypatch):
    monkeypatch.setattr(fast_path, "flash_attn_available", lambda: True)
    monkeypatch.setattr(fast_path, "torch_varlen_available", lambda: True)
    assert select_varlen_kernel("cuda")[0] == "flash_attn"
    monkeypatch.setattr(fast_path, "flash_attn_available", lambda: False)
    assert select_varlen_kernel("cuda")[0] == "torch_varlen"
    monkeypatch.setattr(fast_path, "torch_varlen_available", lambda: False)
    assert select_varlen_kernel("cuda")[0] == "segment_sdpa"
    monkeypatch.setattr(fast_path, "flash_attn_available", lambda: True)
    assert select_varlen_kernel("cpu")[0] == "segment_sdpa"


def test_liger_requested_but_unusable_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fast_path, "liger_available", lambda: False)
    with pytest.raises(ImportError, match="needs liger-kernel"):
        enable_fast_path(_tiny(), kernels="liger")
    monkeypatch.setattr(fast_path, "liger_available", lambda: True)
    with pytest.raises(ValueError, match="needs the model on a CUDA device, it is on cpu"):
        enable_fast_path(_tiny(), kernels="liger")
    assert enable_fast_path(_tiny()).cross_entropy == "chunked_torch"  # auto on CPU never picks liger
    with pytest.raises(ValueError, match="kernels must be one of"):
        enable_fast_path(_tiny(), kernels="triton")
    with pytest.raises(TypeError, match="needs a DeepseekCoderForCausalLM, got Linear"):
        enable_fast_path(nn.Linear(2, 2))


def _fake_liger(monkeypatch):
    """liger-kernel's public names backed by plain PyTorch, to check how they are wired into the model."""
    from dscoder.modeling.chunked_loss import ChunkedLinearCrossEntropyFunction
    from dscoder.modeling.modeling_deepseek_coder import (
        DeepseekCoderRMSNorm,
        apply_rotary_pos_emb,
    )

    calls = {"rope": 0, "swiglu": 0, "flce": 0}

    class LigerRMSNorm(DeepseekCoderRMSNorm):
        pass

    def rope(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
        calls["rope"] += 1
        return apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim)

    def swiglu(a, b):
        calls["swiglu"] += 1
        return nn.functional.silu(a) * b

    def flce(hidden, weight, target, ignore_index=-100, reduction="mean"):
        assert reduction == "sum"
        calls["flce"] += 1
        return ChunkedLinearCrossEntropyFunction.apply(hidden, weight, target, ignore_index, 8)

    root = types.ModuleType("liger_kernel")
    transformers_mod = types.ModuleType("liger_kernel.transformers")
    transformers_mod.LigerRMSNorm, transformers_mod.liger_rotary_pos_emb = LigerRMSNorm, rope
    functional = types.ModuleType("liger_kernel.transformers.functional")
    functional.liger_swiglu, functional.liger_fused_linear_cross_entropy = swiglu, flce
    for name, mod in [
        ("liger_kernel", root),
        ("liger_kernel.transformers", transformers_mod),
        ("liger_kernel.transformers.functional", functional),
    ]:
        monkeypatch.setitem(sys.modules, name, mod)
    return LigerRMSNorm, calls


def test_liger_kernels_are_wired_into_every_layer(monkeypatch):
    liger_norm, calls = _fake_liger(monkeypatch)
    plain, fast = _tiny(), _tiny()
    assert fast_path.apply_liger_kernels(fast) == ("liger", "liger", "liger", "liger_fused_linear")
    norms = [m for m in fast.modules() if isinstance(m, liger_norm)]
    assert len(norms) == 2 * 2 + 1  # two per layer + the final norm
    assert fast.model.norm.weight is dict(fast.named_parameters())["model.norm.weight"]
    assert set(fast.state_dict()) == set(plain.state_dict())
    ids, positions = _packed_batch()
    ref = plain(ids, position_ids=positions, labels=ids, use_cache=False).loss
    got = fast(ids, position_ids=positions, labels=ids, use_cache=False).loss
    assert abs(ref.item() - got.item()) <= 1e-6
    assert calls == {"rope": 2, "swiglu": 2, "flce": 1}
