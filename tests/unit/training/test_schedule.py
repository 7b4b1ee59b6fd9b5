"""A resumed run's learning rate follows the schedule for its max_steps from the restored step."""

from __future__ import annotations

import math

import pytest

LR = 1e-6


def _scheduler(total: int, kind: str):
    import torch
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    extra = {"min_lr_rate": 0.1} if kind == "cosine_with_min_lr" else {}
    warmup = math.ceil(0.1 * total)
    return optimizer, get_scheduler(kind, optimizer, warmup, total, scheduler_specific_kwargs=extra)


def _rates(total: int, kind: str) -> list[float]:
    """The learning rate each step of a run planned for `total` steps trains with (step 1 first)."""
    optimizer, scheduler = _scheduler(total, kind)
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


class _Args:
    def __init__(self, kind: str):
        self.lr_scheduler_type = kind


@pytest.mark.parametrize("kind", ["cosine_with_min_lr", "cosine", "linear", "constant"])
@pytest.mark.parametrize(("trained", "total"), [(4, 7), (4, 4), (6, 10)])
def test_added_steps_follow_the_schedule_for_the_new_total(kind, trained, total):
    # The checkpoint: `trained` steps of a run planned for `trained` steps.
    from transformers import TrainerState

    from openrs.training.schedule import ResumedScheduleCallback

    optimizer, scheduler = _scheduler(trained, kind)
    for _ in range(trained):
        optimizer.step()
        scheduler.step()
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    # Resumed as Transformers does: built for the new total, then the saved state loaded.
    optimizer, scheduler = _scheduler(total, kind)
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    state = TrainerState(global_step=trained, max_steps=total)
    ResumedScheduleCallback().on_train_begin(
        _Args(kind), state, None, optimizer=optimizer, lr_scheduler=scheduler
    )
    resumed = []
    for _ in range(total - trained):
        resumed.append(scheduler.get_last_lr()[0])  # what Transformers logs as the step's learning_rate
        assert optimizer.param_groups[0]["lr"] == pytest.approx(resumed[-1], rel=1e-12)
        optimizer.step()
        scheduler.step()
    assert resumed == pytest.approx(_rates(total, kind)[trained:], rel=1e-9, abs=1e-15)


def test_a_fresh_start_is_left_alone():
    from transformers import TrainerState

    from openrs.training.schedule import ResumedScheduleCallback

    optimizer, scheduler = _scheduler(4, "cosine")
    ResumedScheduleCallback().on_train_begin(
        _Args("cosine"),
        TrainerState(global_step=0, max_steps=4),
        None,
        optimizer=optimizer,
        lr_scheduler=scheduler,
    )
    assert optimizer.param_groups[0]["lr"] == 0.0  # warm-up's first step
