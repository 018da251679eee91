"""Causal-LM cross-entropy computed from hidden states in chunks, never materialising the full logits.

At DeepSeek-Coder-1.3B's shape a 4 x 4096 batch has 16384 positions x 32256 vocabulary entries: 2 GiB of bf16
logits, 4 GiB more once upcast to float32, and as much again for their gradient. This is the plain-PyTorch
fallback of the fast path (``dscoder.modeling.fast_path``) for machines without liger-kernel (CPU, AMD, no
Triton): it takes ``chunk_size`` rows at a time, computes their logits, log-sum-exp, loss and the gradients with
respect to the hidden states and the LM head weight right away (the trick of liger's fused linear cross-entropy),
and keeps only those gradients for the backward pass. No library offers this in plain PyTorch (liger's version is
Triton-only), hence the hand-written autograd Function.

The loss equals transformers' ``ForCausalLMLoss``: labels shifted left by one, ``ignore_index`` positions
skipped, logits upcast to float32, mean over counted positions or sum divided by ``num_items_in_batch``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def default_chunk_size(rows: int, vocab_size: int, hidden_size: int) -> int:
    """Rows per chunk so one chunk's logits are about as large as the hidden states (liger's heuristic)."""
    ratio = max(1, math.ceil(vocab_size / hidden_size))
    return max(1, min(rows, 2 ** math.ceil(math.log2(max(1, math.ceil(rows / ratio))))))


class ChunkedLinearCrossEntropyFunction(torch.autograd.Function):
    """Sum over rows of ``cross_entropy(hidden @ weight.T, target)``, gradients computed chunk by chunk in forward."""

    @staticmethod
    def forward(ctx, hidden, weight, target, ignore_index: int, chunk_size: int):
        need_hidden_grad, need_weight_grad = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_hidden = torch.zeros_like(hidden) if need_hidden_grad else None
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if need_weight_grad else None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        for start in range(0, hidden.shape[0], chunk_size):
            h = hidden[start : start + chunk_size]
            t = target[start : start + chunk_size]
            logits = (h @ weight.t()).float()
            valid = t != ignore_index
            safe_t = torch.where(valid, t, torch.zeros_like(t))
            lse = torch.logsumexp(logits, dim=-1)
            picked = logits.gather(1, safe_t[:, None]).squeeze(1)
            total += ((lse - picked) * valid).sum()
            if grad_hidden is None and grad_weight is None:
                continue
            # d(loss_row)/d(logits) = softmax - onehot, zero on ignored rows
            grad_logits = torch.exp(logits - lse[:, None])
            grad_logits[torch.arange(len(t), device=t.device), safe_t] -= 1.0
            grad_logits *= valid[:, None]
            if grad_hidden is not None:
                grad_hidden[start : start + chunk_size] = (grad_logits.to(weight.dtype) @ weight).to(hidden.dtype)
            if grad_weight is not None:
                grad_weight += grad_logits.t() @ h.float()
        ctx.save_for_backward(grad_hidden, grad_weight.to(weight.dtype) if grad_weight is not None else None)
        return total

    @staticmethod
    def backward(ctx, grad_output):
        grad_hidden, grad_weight = ctx.saved_tensors
        if grad_hidden is not None:
            grad_hidden = grad_hidden * grad_output.to(grad_hidden.dtype)
        if grad_weight is not None:
            grad_weight = grad_weight * grad_output.to(grad_weight.dtype)
        return grad_hidden, grad_weight, None, None, None


def shift_causal_labels(labels: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """``labels[..., 1:]`` padded with ``ignore_index``: the token each position predicts (as ForCausalLMLoss)."""
    return nn.functional.pad(labels, (0, 1), value=ignore_index)[..., 1:]


def causal_lm_rows(
    hidden_states: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100, shift_labels: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The hidden states as rows and the token each row predicts (ForCausalLMLoss's shift unless ``shift_labels``
    is given), on the same device; an error when their numbers differ."""
    targets = shift_labels if shift_labels is not None else shift_causal_labels(labels, ignore_index)
    hidden = hidden_states.reshape(-1, hidden_states.shape[-1])
    targets = targets.reshape(-1).to(hidden.device)
    if targets.shape[0] != hidden.shape[0]:
        raise ValueError(f"labels cover {targets.shape[0]} positions but hidden states have {hidden.shape[0]}")
    return hidden, targets


def reduce_summed_loss(
    total: torch.Tensor,
    targets: torch.Tensor,
    num_items_in_batch: int | torch.Tensor | None = None,
    ignore_index: int = -100,
) -> torch.Tensor:
    """ForCausalLMLoss's reduction of the summed cross-entropy ``total``: the mean over counted targets, or the sum
    divided by ``num_items_in_batch``."""
    if num_items_in_batch is None:
        return total / (targets != ignore_index).sum()  # nan when nothing is counted, as cross_entropy's mean
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(total.device)
    return total / num_items_in_batch


def chunked_causal_lm_loss(
    hidden_states: torch.Tensor,
    lm_head_weight: torch.Tensor,
    labels: torch.Tensor,
    num_items_in_batch: int | torch.Tensor | None = None,
    ignore_index: int = -100,
    shift_labels: torch.Tensor | None = None,
    chunk_size: int | None = None,
    **kwargs,
) -> torch.Tensor:
    """Causal-LM loss of ``lm_head(hidden_states)`` against ``labels`` without building the logits.

    Signature of the ``linear_cross_entropy`` hook of ``DeepseekCoderForCausalLM`` (extra model kwargs ignored).
    """
    hidden, targets = causal_lm_rows(hidden_states, labels, ignore_index, shift_labels)
    rows = chunk_size or default_chunk_size(hidden.shape[0], lm_head_weight.shape[0], hidden.shape[1])
    total = ChunkedLinearCrossEntropyFunction.apply(hidden, lm_head_weight, targets, ignore_index, rows)
    return reduce_summed_loss(total, targets, num_items_in_batch, ignore_index)


__all__ = [
    "ChunkedLinearCrossEntropyFunction",
    "causal_lm_rows",
    "chunked_causal_lm_loss",
    "default_chunk_size",
    "reduce_summed_loss",
    "shift_causal_labels",
]
