"""Training fast path for :class:`DeepseekCoderForCausalLM` (the paper trains with FlashAttention-2, §3.3;
goal: at least transformers' Llama speed, bench/gpu_train.py).

``enable_fast_path(model)`` swaps, in place and without changing any weight or its name:

* RMSNorm, RoPE, SwiGLU -> liger-kernel's Triton kernels when liger is importable and the model is on CUDA
  (liger only patches the model types it knows, so they are applied here module by module);
* the LM head + cross-entropy -> liger's fused linear cross-entropy, or else :mod:`.chunked_loss` (plain
  PyTorch): the full logits are never materialised;
* attention -> ``dscoder_varlen``, registered with transformers' attention interface: packed rows (position ids
  restarting at 0 per document, any batch size) run as one variable-length FlashAttention call with
  ``cu_seqlens`` built once per forward. The kernel is ``flash_attn``'s ``flash_attn_varlen_func`` when that
  package is installed, else PyTorch's own ``torch.nn.attention.varlen.varlen_attn`` on CUDA. transformers'
  ``flash_attention_2`` only unpacks documents when the batch size is 1; padded batches and decoding with a cache
  go through transformers' sdpa;
* optionally ``torch.compile`` of each decoder layer (regional compilation: one graph compiled once, reused).

Every choice falls back to the plain path when its kernel is missing, and the returned :class:`FastPathReport`
says which kernel each piece uses. Nothing changes until it is called (a training recipe's switch calls it); it is
meant for GPUs, where every piece pays, while on CPU only the chunked loss helps (memory, not speed).
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

import torch
from torch import nn

from .chunked_loss import causal_lm_rows, chunked_causal_lm_loss, reduce_summed_loss
from .modeling_deepseek_coder import (
    DeepseekCoderForCausalLM,
    DeepseekCoderRMSNorm,
    apply_rotary_pos_emb,
)

VARLEN_ATTENTION = "dscoder_varlen"
KERNEL_CHOICES = ("auto", "liger", "torch")
ATTENTION_CHOICES = ("auto", "varlen", "keep")


@dataclass
class FastPathReport:
    """Which implementation each piece of the model uses after :func:`enable_fast_path`."""

    rms_norm: str
    rope: str
    swiglu: str
    cross_entropy: str
    attention: str
    varlen_kernel: str
    compiled: bool

    def as_dict(self) -> dict:
        return asdict(self)


def liger_available() -> bool:
    return importlib.util.find_spec("liger_kernel") is not None


def flash_attn_available() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def torch_varlen_available() -> bool:
    return importlib.util.find_spec("torch.nn.attention.varlen") is not None and torch.cuda.is_available()


# ---------------------------------------------------------------------------------------------------------------
# variable-length attention over packed rows
# ---------------------------------------------------------------------------------------------------------------
#: kernel(q, k, v, cu_seqlens, max_len, scale) with q (tokens, heads, dim), k/v (tokens, kv_heads, dim), causal
VarlenKernel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int, float], torch.Tensor]


def _flash_attn_kernel(q, k, v, cu_seqlens, max_len, scale):
    from flash_attn import flash_attn_varlen_func

    return flash_attn_varlen_func(q, k, v, cu_seqlens, cu_seqlens, max_len, max_len, softmax_scale=scale, causal=True)


def _torch_varlen_kernel(q, k, v, cu_seqlens, max_len, scale):
    from torch.nn.attention.varlen import varlen_attn

    causal, native_gqa = _torch_varlen_options()
    kwargs = {"scale": scale, **causal}
    if native_gqa:
        kwargs["enable_gqa"] = k.shape[1] != q.shape[1]
    elif k.shape[1] != q.shape[1]:
        k = k.repeat_interleave(q.shape[1] // k.shape[1], dim=1)
        v = v.repeat_interleave(q.shape[1] // v.shape[1], dim=1)
    return varlen_attn(q, k, v, cu_seqlens, cu_seqlens, max_len, max_len, **kwargs)


@functools.cache
def _torch_varlen_options() -> tuple[dict, bool]:
    """How this torch's ``varlen_attn`` spells causality (``is_causal`` or a window) and whether it does GQA."""
    from torch.nn.attention.varlen import varlen_attn

    params = inspect.signature(varlen_attn).parameters
    causal = {"is_causal": True} if "is_causal" in params else {"window_size": (-1, 0)}
    return causal, "enable_gqa" in params


def _segment_sdpa_kernel(q, k, v, cu_seqlens, max_len, scale):
    """Reference kernel (CPU, tests): one causal sdpa call per document."""
    out = torch.empty_like(q)
    bounds = cu_seqlens.tolist()
    gqa = k.shape[1] != q.shape[1]
    for start, end in itertools.pairwise(bounds):
        seg = [t[start:end].transpose(0, 1)[None] for t in (q, k, v)]
        res = nn.functional.scaled_dot_product_attention(*seg, is_causal=True, scale=scale, enable_gqa=gqa)
        out[start:end] = res[0].transpose(0, 1)
    return out


def select_varlen_kernel(device_type: str) -> tuple[str, VarlenKernel]:
    """The best variable-length attention kernel for ``device_type``: flash_attn, then PyTorch's, then sdpa."""
    if device_type == "cuda":
        if flash_attn_available():
            return "flash_attn", _flash_attn_kernel
        if torch_varlen_available():
            return "torch_varlen", _torch_varlen_kernel
    return "segment_sdpa", _segment_sdpa_kernel


class _CuSeqlensCache:
    """``cu_seqlens`` of the last ``position_ids`` tensor seen: computed once per forward, not once per layer."""

    def __init__(self) -> None:
        self.key: torch.Tensor | None = None
        self.value: tuple[torch.Tensor, int] | None = None

    def get(self, position_ids: torch.Tensor, batch: int) -> tuple[torch.Tensor, int]:
        if self.key is not position_ids:
            self.key, self.value = position_ids, cu_seqlens_from_position_ids(position_ids, batch)
        return self.value


def cu_seqlens_from_position_ids(position_ids: torch.Tensor, batch: int) -> tuple[torch.Tensor, int]:
    """Document boundaries of packed rows: a document starts where its position id is 0 and at each row start."""
    positions = position_ids.expand(batch, -1)
    starts = positions == 0
    starts[:, 0] = True
    flat = starts.reshape(-1).nonzero().flatten()
    total = torch.tensor([positions.numel()], device=flat.device, dtype=flat.dtype)
    cu_seqlens = torch.cat([flat, total]).to(torch.int32)
    return cu_seqlens, int((cu_seqlens[1:] - cu_seqlens[:-1]).max().item())


def _padded_sdpa_mask(attention_mask: torch.Tensor, q_len: int, kv_len: int) -> torch.Tensor:
    """4D boolean mask (batch, 1, q, kv) from a 2D padding mask: causal with the cache offset, padding hidden."""
    device = attention_mask.device
    causal = torch.arange(kv_len, device=device)[None, :] <= torch.arange(q_len, device=device)[:, None] + (
        kv_len - q_len
    )
    mask = causal[None, None] & attention_mask[:, None, None, -kv_len:].bool()
    return mask | ~mask.any(-1, keepdim=True)  # rows of pure padding attend to everything; their output is unused


def make_varlen_attention(kernel_name: str, kernel: VarlenKernel) -> Callable:
    """A transformers attention function running ``kernel`` over the documents of packed rows."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    cache = _CuSeqlensCache()

    def varlen_attention_forward(
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None = None,
        dropout: float = 0.0,
        position_ids: torch.Tensor | None = None,
        **kwargs,
    ):
        batch, heads, q_len, dim = query.shape
        kv_len = key.shape[2]
        if attention_mask is not None or q_len != kv_len or dropout > 0.0:
            # padding, decoding with a cache (queries end-aligned with the keys) or attention dropout:
            # transformers' sdpa, with an explicit mask unless plain causal attention is all that is needed
            mask = None
            if attention_mask is not None or q_len != kv_len:
                padding = attention_mask if attention_mask is not None else query.new_ones(batch, kv_len)
                mask = _padded_sdpa_mask(padding, q_len, kv_len)
            return sdpa_attention_forward(
                module, query, key, value, mask, dropout=dropout, scaling=scaling, is_causal=mask is None
            )
        if position_ids is None:
            position_ids = torch.arange(q_len, device=query.device)[None]
        cu_seqlens, max_len = cache.get(position_ids, batch)
        q = query.transpose(1, 2).reshape(batch * q_len, heads, dim)
        k = key.transpose(1, 2).reshape(batch * q_len, key.shape[1], dim)
        v = value.transpose(1, 2).reshape(batch * q_len, value.shape[1], dim)
        out = kernel(q, k, v, cu_seqlens, max_len, scaling if scaling is not None else dim**-0.5)
        return out.reshape(batch, q_len, heads, dim), None

    varlen_attention_forward.kernel_name = kernel_name
    return varlen_attention_forward


def register_varlen_attention(device_type: str) -> str:
    """Register ``dscoder_varlen`` (attention + mask function) with transformers; returns the kernel's name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask

    name, kernel = select_varlen_kernel(device_type)
    AttentionInterface.register(VARLEN_ATTENTION, make_varlen_attention(name, kernel))
    # flash's mask function: None when there is no padding, else the 2D padding mask
    AttentionMaskInterface.register(VARLEN_ATTENTION, flash_attention_mask)
    return name


# ---------------------------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------------------------
def _replace_modules(root: nn.Module, cls: type, build: Callable[[nn.Module], nn.Module]) -> int:
    count = 0
    for parent in list(root.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, cls):
                setattr(parent, name, build(child))
                count += 1
    return count


def _liger_rms_norm(old: DeepseekCoderRMSNorm) -> nn.Module:
    from liger_kernel.transformers import LigerRMSNorm

    new = LigerRMSNorm(old.weight.shape[0], eps=old.variance_epsilon)
    new.weight = old.weight  # the same Parameter: state_dict names, optimizer state and sharding are untouched
    return new


def _liger_linear_cross_entropy(
    hidden_states, lm_head_weight, labels, num_items_in_batch=None, ignore_index=-100, shift_labels=None, **kwargs
):
    from liger_kernel.transformers.functional import liger_fused_linear_cross_entropy

    hidden, targets = causal_lm_rows(hidden_states, labels, ignore_index, shift_labels)
    total = liger_fused_linear_cross_entropy(hidden, lm_head_weight, targets, ignore_index=ignore_index, reduction="sum")
    return reduce_summed_loss(total, targets, num_items_in_batch, ignore_index)


def apply_liger_kernels(lm: DeepseekCoderForCausalLM) -> tuple[str, str, str, str]:
    """liger's RMSNorm, RoPE, SwiGLU and fused linear cross-entropy on ``lm``'s modules; returns what was applied."""
    from liger_kernel.transformers import liger_rotary_pos_emb
    from liger_kernel.transformers.functional import liger_swiglu

    _replace_modules(lm, DeepseekCoderRMSNorm, _liger_rms_norm)
    swiglu = liger_swiglu if lm.config.hidden_act == "silu" else None  # liger's SwiGLU is SiLU-only
    for layer in lm.model.layers:
        layer.self_attn.rotary_fn = liger_rotary_pos_emb
        layer.mlp.act_mul = swiglu
    lm.linear_cross_entropy = _liger_linear_cross_entropy
    return "liger", "liger", "liger" if swiglu is not None else "torch", "liger_fused_linear"


def _find_causal_lm(model: nn.Module) -> DeepseekCoderForCausalLM:
    for module in model.modules():  # also finds it inside a peft / DDP / FSDP wrapper
        if isinstance(module, DeepseekCoderForCausalLM):
            return module
    raise TypeError(f"enable_fast_path needs a DeepseekCoderForCausalLM, got {type(model).__name__}")


def enable_fast_path(
    model: nn.Module,
    kernels: str = "auto",
    attention: str = "auto",
    compile: bool = False,
    chunk_size: int | None = None,
    device_type: str | None = None,
) -> FastPathReport:
    """Switch ``model`` (a :class:`DeepseekCoderForCausalLM`, possibly wrapped) to the fast path, in place.

    Call it once the model is on its training device: kernels are chosen for that device.

    Args:
        kernels: ``auto`` (liger when importable and the model is on CUDA, else PyTorch), ``liger`` (required:
            an error when it cannot be used) or ``torch`` (plain modules + the chunked loss).
        attention: ``auto`` (``dscoder_varlen`` on CUDA, unchanged elsewhere), ``varlen`` (always; on CPU it runs a
            per-document sdpa loop, for tests) or ``keep``.
        compile: ``torch.compile`` each decoder layer.
        chunk_size: rows per chunk of the PyTorch chunked loss (default: liger's heuristic).
        device_type: the device the model will train on (default: where its parameters are now); give it when a
            wrapper (FSDP, DeepSpeed) moves the model only later.
    """
    if kernels not in KERNEL_CHOICES:
        raise ValueError(f"kernels must be one of {KERNEL_CHOICES}, got {kernels!r}")
    if attention not in ATTENTION_CHOICES:
        raise ValueError(f"attention must be one of {ATTENTION_CHOICES}, got {attention!r}")
    lm = _find_causal_lm(model)
    device_type = device_type or next(lm.parameters()).device.type
    use_liger = kernels == "liger" or (kernels == "auto" and liger_available() and device_type == "cuda")
    if use_liger and not liger_available():
        raise ImportError("kernels='liger' needs liger-kernel (pip install 'dscoder[gpu]')")
    if use_liger and device_type != "cuda":
        raise ValueError(f"kernels='liger' needs the model on a CUDA device, it is on {device_type}")

    if use_liger:
        norm, rope, swiglu, loss = apply_liger_kernels(lm)
    else:
        for layer in lm.model.layers:
            layer.self_attn.rotary_fn = apply_rotary_pos_emb
            layer.mlp.act_mul = None
        if chunk_size is None:
            lm.linear_cross_entropy = chunked_causal_lm_loss
        else:
            lm.linear_cross_entropy = partial(chunked_causal_lm_loss, chunk_size=chunk_size)
        norm, rope, swiglu, loss = "torch", "torch", "torch", "chunked_torch"

    varlen_kernel = "-"
    if attention == "varlen" or (attention == "auto" and device_type == "cuda"):
        varlen_kernel = register_varlen_attention(device_type)
        lm.set_attn_implementation(VARLEN_ATTENTION)
    if compile:
        for layer in lm.model.layers:
            layer.compile()
    return FastPathReport(
        rms_norm=norm,
        rope=rope,
        swiglu=swiglu,
        cross_entropy=loss,
        attention=lm.config._attn_implementation,
        varlen_kernel=varlen_kernel,
        compiled=compile,
    )


__all__ = [
    "VARLEN_ATTENTION",
    "FastPathReport",
    "apply_liger_kernels",
    "cu_seqlens_from_position_ids",
    "enable_fast_path",
    "flash_attn_available",
    "liger_available",
    "make_varlen_attention",
    "register_varlen_attention",
    "select_varlen_kernel",
    "torch_varlen_available",
]
