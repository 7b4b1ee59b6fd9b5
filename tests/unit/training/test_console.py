"""The training console: one concise line per step from TRL's logs, and the commands to try next."""

from __future__ import annotations

from pathlib import Path

LOGS = {
    "loss": 0.01,
    "reward": 1.2345,
    "rewards/accuracy_reward/mean": 0.5,
    "rewards/accuracy_reward/std": 0.4,
    "rewards/think_answer_format_reward/mean": 0.7346,
    "completions/mean_length": 31.25,
    "kl": 0.0,
}


def test_reward_means_are_named_without_the_reward_suffix():
    from openrs.training.console import reward_means

    assert reward_means(LOGS) == {"accuracy": 0.5, "think_answer_format": 0.7346}


def test_step_line_has_step_reward_each_reward_length_and_speed():
    from openrs.training.console import step_line

    assert step_line(7, 40, LOGS, 1.94) == (
        "step  7/40 | reward 1.234 | accuracy 0.500  think_answer_format 0.735 | length 31.2 | 1.9 s/step"
    )


def test_step_line_leaves_out_what_was_not_logged():
    from openrs.training.console import step_line

    assert step_line(1, 4, {"loss": 0.0}, None) == "step 1/4"


def test_next_commands_evaluate_report_and_sweep_this_run():
    from openrs.training.console import next_commands

    commands = [command for command, _ in next_commands(Path("outputs/run"), "cpu", "tiny")]
    assert commands[0] == "python -m openrs.evaluate model_path=outputs/run eval=smoke"
    assert commands[1] == "python -m openrs.report outputs/run"
    assert commands[2] == "python -m openrs.train -m +experiment=tiny seed=1,2,3"
    gpu = [command for command, _ in next_commands(Path("r"), "cuda", "my_own_name")]
    assert (
        gpu[0] == "python -m openrs.evaluate model_path=r"
        and gpu[2] == "python -m openrs.train -m seed=1,2,3"
    )


def test_ready_line_says_what_was_built_and_the_threads_in_use():
    from types import SimpleNamespace

    import torch

    from openrs.training.console import ConsoleCallback

    trainer = SimpleNamespace(
        args=SimpleNamespace(world_size=2),
        train_dataset=[{}] * 63,
        model=SimpleNamespace(num_parameters=lambda: 110_000),
    )
    line = ConsoleCallback("r", "tiny", "tiny-qwen2", "cpu_ddp", "cpu").ready_line(trainer)
    threads = torch.get_num_threads()
    assert line == (
        f"ready: tiny-qwen2 (0.11M parameters), 63 prompts, cpu_ddp: 2 processes x {threads} CPU "
        f"thread{'s' if threads != 1 else ''}; training"
    )
