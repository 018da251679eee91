"""The DeepSeek multi-step learning-rate schedule (report §3.4; docs/paper.md).

Linear warm-up to the peak over ``num_warmup_steps`` (2000 in the paper), then three constant stages, each
√(1/10) of the one before: the rate steps down at 80% and at 90% of training and ends at 10% of the peak. The
report gives the stage ratio but not the step points; they come from DeepSeek LLM (arXiv 2401.02954 §2.3),
which steps at 80% and 90% of the training tokens.

Built as transformers' schedules are (a ``LambdaLR`` over a ``functools.partial`` of a pure function of the
step), so the rate depends only on the step counter: a run resumed from a checkpoint, whose scheduler state holds
that counter, follows exactly the same curve as an uninterrupted run.
"""

from __future__ import annotations

import math
from functools import partial

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

__all__ = ["DEEPSEEK_DECAY", "DEEPSEEK_MILESTONES", "deepseek_lr_multiplier", "get_deepseek_schedule"]

#: Each stage's rate is √(1/10) of the previous one (report §3.4).
DEEPSEEK_DECAY = math.sqrt(0.1)
#: Fractions of training where the rate steps down (DeepSeek LLM §2.3).
DEEPSEEK_MILESTONES = (0.8, 0.9)


def deepseek_lr_multiplier(
    step: int,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    milestones: tuple[float, ...] = DEEPSEEK_MILESTONES,
    decay: float = DEEPSEEK_DECAY,
) -> float:
    """The factor applied to the peak rate for the update at ``step`` (0-based).

    Warm-up is linear from 0 at step 0 to 1.0 at step ``num_warmup_steps``, the convention of transformers'
    own warm-up schedules (``get_linear_schedule_with_warmup``); a stage starts at the first step
    ``>= milestone * num_training_steps``.
    """
    if step < num_warmup_steps:
        return float(step) / float(num_warmup_steps)
    passed = sum(1 for m in milestones if step >= m * num_training_steps)
    return decay**passed


def get_deepseek_schedule(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    milestones: tuple[float, ...] = DEEPSEEK_MILESTONES,
    decay: float = DEEPSEEK_DECAY,
    last_epoch: int = -1,
) -> LambdaLR:
    """A ``LambdaLR`` with :func:`deepseek_lr_multiplier` (resumes through its ``state_dict``)."""
    if num_training_steps <= 0:
        raise ValueError(f"num_training_steps must be positive, got {num_training_steps}")
    if num_warmup_steps < 0:
        raise ValueError(f"num_warmup_steps must be >= 0, got {num_warmup_steps}")
    if list(milestones) != sorted(milestones) or any(not 0.0 < m <= 1.0 for m in milestones):
        raise ValueError(f"milestones must be increasing fractions in (0, 1], got {list(milestones)}")
    if not 0.0 < decay <= 1.0:
        raise ValueError(f"decay must be in (0, 1], got {decay}")
    fn = partial(
        deepseek_lr_multiplier,
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
        milestones=tuple(milestones),
        decay=decay,
    )
    return LambdaLR(optimizer, fn, last_epoch)
