"""The learning rate of a resumed run: the schedule for this run's trainer.max_steps, from the step restored."""

from __future__ import annotations

import logging
import math

from transformers import TrainerCallback

log = logging.getLogger(__name__)


class ResumedScheduleCallback(TrainerCallback):
    """Sets the learning rate a resumed run goes on with to its schedule's value at the restored step.

    Transformers rebuilds the scheduler for the new `max_steps` but restores the optimizer's learning
    rate as it was saved, so after `trainer.max_steps` is raised the first added step would train at
    the old schedule's last value, and only the next ones at the new schedule's (neither schedule).
    With the same max_steps this changes nothing: the saved rate is the schedule's value.
    """

    def on_train_begin(self, args, state, control, optimizer=None, lr_scheduler=None, **kwargs):
        lambdas = getattr(lr_scheduler, "lr_lambdas", None)
        if not state.global_step or optimizer is None or not lambdas:
            return
        rates = [
            base * fn(state.global_step) for base, fn in zip(lr_scheduler.base_lrs, lambdas, strict=True)
        ]
        saved = [group["lr"] for group in optimizer.param_groups]
        if all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15) for a, b in zip(rates, saved, strict=True)):
            return
        for group, rate in zip(optimizer.param_groups, rates, strict=True):
            group["lr"] = rate
        lr_scheduler._last_lr = list(rates)  # what Transformers logs as this step's learning_rate
        log.info(
            "learning rate at step %d: %.4g, the %s schedule's for max_steps=%d (the checkpoint's was %.4g)",
            state.global_step, rates[0], getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type),
            state.max_steps, saved[0],
        )  # fmt: skip
