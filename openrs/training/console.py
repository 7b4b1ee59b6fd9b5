"""What a training run prints once training starts: one line per step, the outcome and what to try next.

TRL's own console output (a progress bar and the raw dict of ~30 metrics per step) is replaced;
the full metrics still go to metrics.jsonl. Progress bars that say nothing for small data (datasets'
per-operation bars, transformers' one-shard "Writing model shards") are turned off.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from transformers import PrinterCallback, ProgressCallback, TrainerCallback

log = logging.getLogger("openrs.train")

# transformers bars with nothing to show for the models openrs trains on CPU.
QUIET_BARS = ("Writing model shards", "Loading weights")
REWARD_PREFIX, REWARD_SUFFIX = "rewards/", "/mean"


def quiet_progress_bars() -> None:
    """Turn off datasets' per-operation bars and transformers' save/load bars (other bars stay)."""
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()

    def hook(factory, args, kwargs):
        if kwargs.get("desc") in QUIET_BARS:
            return hf_logging.EmptyTqdm(*args, **kwargs)
        return factory(*args, **kwargs)

    hf_logging.set_tqdm_hook(hook)


def reward_means(logs: dict) -> dict[str, float]:
    """{short reward name: batch mean} from TRL's `rewards/<func name>/mean` keys."""
    means = {}
    for key, value in logs.items():
        if key.startswith(REWARD_PREFIX) and key.endswith(REWARD_SUFFIX) and value is not None:
            name = key[len(REWARD_PREFIX) : -len(REWARD_SUFFIX)].removesuffix("_reward")
            means[name] = float(value)
    return means


def step_line(step: int, max_steps: int, logs: dict, seconds: float | None) -> str:
    """`step 3/40 | reward 1.23 | accuracy 0.45 format 0.78 | length 31.2 | 1.9 s/step`."""
    parts = [f"step {step:>{len(str(max_steps))}}/{max_steps}"]
    if logs.get("reward") is not None:
        parts.append(f"reward {logs['reward']:.3f}")
    means = reward_means(logs)
    if means:
        parts.append("  ".join(f"{name} {value:.3f}" for name, value in means.items()))
    if logs.get("completions/mean_length") is not None:
        parts.append(f"length {logs['completions/mean_length']:.1f}")
    if seconds is not None:
        parts.append(f"{seconds:.1f} s/step")
    return " | ".join(parts)


def next_commands(run_dir: Path, device: str, experiment: str = "") -> list[tuple[str, str]]:
    """(command, what it does) to try after a run of `experiment` (a conf/experiment option or not)."""
    from openrs.cli_help import CONF_DIR

    smoke = " eval=smoke" if device == "cpu" else ""
    preset = f" +experiment={experiment}" if (CONF_DIR / "experiment" / f"{experiment}.yaml").exists() else ""
    return [
        (
            f"python -m openrs.evaluate model_path={run_dir}{smoke}",
            "score this run's checkpoints on the benchmarks",
        ),
        (f"python -m openrs.report {run_dir}", "its table and reward/accuracy/length plots"),
        (
            f"python -m openrs.train -m{preset} seed=1,2,3",
            "a sweep: this run for three seeds, one run dir each",
        ),
        ("python -m openrs.train --help", "every config group, option and preset (e.g. +experiment=exp2)"),
    ]


class ConsoleCallback(TrainerCallback):
    """Prints what was built, one concise line per logged step and the outcome (main process only)."""

    def __init__(
        self, run_dir: str, experiment: str = "", model: str = "", hardware: str = "", device: str = ""
    ):
        self.run_dir = Path(run_dir)
        self.experiment, self.model, self.hardware, self.device = experiment, model, hardware, device
        self.rewards: list[float] = []
        self.started = self.last_time = time.time()
        self.first_step = 0

    def ready_line(self, trainer) -> str:
        """What was built, once it is (the run's banner, openrs/training/banner.py, came before)."""
        args = trainer.args
        rows = len(trainer.train_dataset) if hasattr(trainer.train_dataset, "__len__") else "streamed"
        return (
            f"ready: {self.model} ({trainer.model.num_parameters() / 1e6:.2f}M parameters), {rows} prompts, "
            f"{self.hardware}: {_plural(args.world_size, 'process', 'es')} x "
            f"{_plural(_torch_threads(), 'CPU thread')}; training"
        )

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = self.last_time = time.time()
        self.first_step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs or "loss" not in logs:
            return
        now = time.time()
        seconds = logs.get("step_time") or (now - self.last_time) / max(1, args.logging_steps)
        self.last_time = now
        if logs.get("reward") is not None:
            self.rewards.append(float(logs["reward"]))
        log.info("%s", step_line(state.global_step, state.max_steps, logs, seconds))

    def on_train_end(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        steps, elapsed = state.global_step - self.first_step, time.time() - self.started
        lines = [f"done: {_plural(steps, 'step')} in {elapsed:.0f} s, run dir {self.run_dir}"]
        if len(self.rewards) >= 2:
            lines.append(
                f"  reward    {self.rewards[0]:.3f} at the first step -> {self.rewards[-1]:.3f} at the last"
            )
        for figure in sorted(self.run_dir.glob("*.png")):
            lines.append(f"  figure    {figure}")
        commands = next_commands(self.run_dir, self.device, self.experiment)
        width = max(len(command) for command, _ in commands)
        lines.append("next:")
        lines += [f"  {command:<{width}}  # {what}" for command, what in commands]
        log.info("%s", "\n".join(lines))


def _plural(count: int, noun: str, suffix: str = "s") -> str:
    return f"{count} {noun}{suffix if count != 1 else ''}"


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def use_console(trainer) -> None:
    """If a ConsoleCallback is configured: drop transformers' progress bar and raw-dict printer, move the
    console last (its summary follows every other callback's end of training) and say what was built."""
    consoles = [cb for cb in trainer.callback_handler.callbacks if isinstance(cb, ConsoleCallback)]
    if not consoles:
        return
    for callback in (ProgressCallback, PrinterCallback, consoles[0]):
        trainer.remove_callback(callback)
    trainer.add_callback(consoles[0])
    if trainer.is_world_process_zero():
        log.info("%s", consoles[0].ready_line(trainer))
