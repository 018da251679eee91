"""The DeepSeek multi-step schedule (report §3.4, SPEC §5.1): exact values, and resuming from its state."""

from __future__ import annotations

import math

import pytest
import torch

from dscoder.training.schedule import (
    DEEPSEEK_DECAY,
    deepseek_lr_multiplier,
    get_deepseek_schedule,
)

PEAK = 5.3e-4  # 1.3B peak learning rate (report Table 2)


def _sched(total=10_000, warmup=2000, peak=PEAK):
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=peak, betas=(0.9, 0.95), weight_decay=0.1)
    return opt, get_deepseek_schedule(opt, num_warmup_steps=warmup, num_training_steps=total)


def _lr_at(step, total=10_000, warmup=2000):
    return PEAK * deepseek_lr_multiplier(step, num_warmup_steps=warmup, num_training_steps=total)


def test_decay_constant_is_sqrt_of_a_tenth():
    assert DEEPSEEK_DECAY == pytest.approx(0.31622776601683794, abs=1e-15)
    assert DEEPSEEK_DECAY**2 == pytest.approx(0.1, rel=1e-12)


def test_exact_values_along_the_schedule():
    total = 10_000
    assert _lr_at(0) == 0.0
    assert _lr_at(1000) == pytest.approx(PEAK / 2, rel=1e-12)
    assert _lr_at(1999) == pytest.approx(PEAK * 1999 / 2000, rel=1e-12)
    assert _lr_at(2000) == pytest.approx(PEAK, rel=1e-12)  # end of warm-up
    assert _lr_at(7999) == pytest.approx(PEAK, rel=1e-12)  # 79.99%
    assert _lr_at(8000) == pytest.approx(PEAK * math.sqrt(0.1), rel=1e-12)  # 80%: first step down
    assert _lr_at(8000) == pytest.approx(1.6760071598892432e-04, rel=1e-12)
    assert _lr_at(8999) == pytest.approx(PEAK * math.sqrt(0.1), rel=1e-12)
    assert _lr_at(9000) == pytest.approx(PEAK * 0.1, rel=1e-12)  # 90%: 10% of the peak
    assert _lr_at(total - 1) == pytest.approx(5.3e-5, rel=1e-12)  # the end


def test_scheduler_follows_the_function_and_milestones_round_up():
    opt, sched = _sched(total=103, warmup=10)
    seen = []
    for _ in range(103):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    expected = [PEAK * deepseek_lr_multiplier(s, num_warmup_steps=10, num_training_steps=103) for s in range(103)]
    assert seen == pytest.approx(expected, rel=1e-12)
    # 0.8 * 103 = 82.4 -> the first decayed step is 83; 0.9 * 103 = 92.7 -> 93
    assert seen[82] == pytest.approx(PEAK) and seen[83] == pytest.approx(PEAK * DEEPSEEK_DECAY)
    assert seen[92] == pytest.approx(PEAK * DEEPSEEK_DECAY) and seen[93] == pytest.approx(PEAK * 0.1)


def test_resume_from_state_dict_continues_the_same_curve():
    opt, sched = _sched(total=100, warmup=10)
    for _ in range(85):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2, sched2 = _sched(total=100, warmup=10)
    sched2.load_state_dict(state)
    for step in range(85, 100):
        assert sched2.get_last_lr()[0] == pytest.approx(_lr_at(step, total=100, warmup=10), rel=1e-12)
        opt2.step()
        sched2.step()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_warmup_steps": 10, "num_training_steps": 0}, "num_training_steps"),
        ({"num_warmup_steps": -1, "num_training_steps": 10}, "num_warmup_steps"),
        ({"num_warmup_steps": 1, "num_training_steps": 10, "milestones": (0.9, 0.8)}, "milestones"),
        ({"num_warmup_steps": 1, "num_training_steps": 10, "decay": 1.5}, "decay"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match=message):
        get_deepseek_schedule(opt, **kwargs)
