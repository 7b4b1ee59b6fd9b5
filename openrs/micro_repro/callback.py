"""A TrainerCallback that scores the policy on held-out problems before, during and after GRPO."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from transformers import TrainerCallback

from openrs.micro_repro.evaluation import held_out_accuracy
from openrs.micro_repro.plot import plot_learning_curve
from openrs.micro_repro.task import held_out_rows

log = logging.getLogger(__name__)

RESULT_FILE = "micro_repro.json"
PLOT_FILE = "micro_repro.png"


class HeldOutAccuracyCallback(TrainerCallback):
    """Held-out accuracy at step 0, every `eval_every` steps and at the end, in `<run_dir>/micro_repro.json`."""

    def __init__(
        self,
        run_dir: str,
        system_prompt: str = "",
        num_problems: int = 64,
        num_samples: int = 4,
        eval_every: int = 10,
        temperature: float = 1.0,
        max_new_tokens: int = 48,
        seed: int = 0,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.system_prompt = system_prompt
        self.rows = held_out_rows(num_problems, seed)
        self.sampling = dict(num_samples=num_samples, temperature=temperature, max_new_tokens=max_new_tokens)
        self.eval_every = eval_every
        self.seed = seed
        self.curve: list[dict] = []

    def _evaluate(self, step: int, model, tokenizer) -> None:
        if self.curve and self.curve[-1]["step"] == step:
            return
        # The same seed at every point: differences come from the weights, not from the sampling.
        accuracy = held_out_accuracy(
            model, tokenizer, self.rows, self.system_prompt, seed=self.seed, **self.sampling
        )
        self.curve.append({"step": step, "accuracy": accuracy})
        log.info("held-out accuracy at step %d: %.3f", step, accuracy)
        self._write()

    def _write(self) -> None:
        before, after = self.curve[0]["accuracy"], self.curve[-1]["accuracy"]
        result = {
            "before": before,
            "after": after,
            "improvement": after - before,
            "num_problems": len(self.rows),
            "seed": self.seed,
            **self.sampling,
            "curve": self.curve,
        }
        (self.run_dir / RESULT_FILE).write_text(json.dumps(result, indent=2) + "\n")

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        """Score the starting policy (on resume, keep the curve recorded up to the checkpoint)."""
        saved = self.run_dir / RESULT_FILE
        if state.global_step > 0 and saved.exists():
            self.curve = [p for p in json.loads(saved.read_text())["curve"] if p["step"] <= state.global_step]
        self._evaluate(state.global_step, model, processing_class)

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        """Score the policy every `eval_every` optimizer steps."""
        if self.eval_every > 0 and state.global_step % self.eval_every == 0:
            self._evaluate(state.global_step, model, processing_class)

    def on_train_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        """Score the final policy, then log before/after and plot the learning curve."""
        self._evaluate(state.global_step, model, processing_class)
        before, after = self.curve[0]["accuracy"], self.curve[-1]["accuracy"]
        log.info("held-out accuracy: %.3f before GRPO, %.3f after (%+.3f)", before, after, after - before)
        plot_learning_curve(self.curve, state.log_history, self.run_dir / PLOT_FILE)
