"""The generated accelerate config and DeepSpeed JSON, read back by accelerate itself.

DeepSpeed is not installed here (it is in the `gpu` extra), so ZeRO cannot run on CPU; instead the
files go through what `accelerate launch` and Transformers do with them before DeepSpeed is called.
"""

from __future__ import annotations

import json

import pytest
import yaml

from openrs.launch import batch_sizes, plan_layout
from openrs.launch.files import ACCELERATE_FILE, DEEPSPEED_FILE, training_command, write_launch_files
from openrs.training.grpo_args import grpo_config_kwargs

FOUR = ["0", "1", "2", "3"]


def _launch(compose_cfg, tmp_path, overrides, gpus=FOUR):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    _, cfg = compose_cfg(overrides)
    layout = plan_layout(cfg.hardware, gpus)
    launch_dir = write_launch_files(cfg, layout, batch_sizes(cfg.trainer, cfg.hardware), tmp_path)
    command = training_command(launch_dir, tmp_path)
    args = launch_command_parser().parse_args(command[command.index("--config_file") :])
    args, defaults, _ = _validate_launch_command(args)
    return cfg, launch_dir, args, defaults


@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_settings_reach_the_plugin_transformers_builds(compose_cfg, tmp_path, monkeypatch, stage):
    from accelerate.utils.launch import prepare_deepspeed_cmd_env

    cfg, launch_dir, args, defaults = _launch(
        compose_cfg, tmp_path, ["+experiment=exp2", f"hardware.deepspeed=zero{stage}"]
    )
    # openrs's choice of GPUs is gpu_ids; accelerate turns it into CUDA_VISIBLE_DEVICES only on a machine where
    # it detects CUDA, so the environment below is not checked for it (it would test the machine, not openrs).
    assert args.use_deepspeed and args.num_processes == 3 and args.gpu_ids == "0,1,2"
    # What `accelerate launch` hands the training processes (it refuses fields the JSON must own).
    args.deepspeed_fields_from_accelerate_config = ",".join(defaults.deepspeed_config)
    _, env = prepare_deepspeed_cmd_env(args)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from accelerate.utils import DeepSpeedPlugin

    # What TrainingArguments.__post_init__ does in each training process under accelerate + DeepSpeed.
    plugin = DeepSpeedPlugin()
    grpo = grpo_config_kwargs(cfg, tmp_path, [1.0, 1.0])
    plugin.set_mixed_precision("bf16" if grpo["bf16"] else "no")
    ds = plugin.deepspeed_config
    assert plugin.zero_stage == stage
    assert plugin.is_zero3_init_enabled() is (stage == 3)
    # The values Transformers' HfTrainerDeepSpeedConfig.trainer_config_process matches against the args.
    assert ds["train_micro_batch_size_per_gpu"] == grpo["per_device_train_batch_size"]
    assert ds["gradient_accumulation_steps"] == grpo["gradient_accumulation_steps"]
    assert (
        ds["train_batch_size"]
        == grpo["per_device_train_batch_size"] * 3 * grpo["gradient_accumulation_steps"]
    )
    assert ds["gradient_clipping"] == grpo["max_grad_norm"]
    assert ds["bf16"]["enabled"] is grpo["bf16"] and ds["fp16"]["enabled"] is False
    assert json.loads((launch_dir / DEEPSPEED_FILE).read_text())["zero_optimization"]["stage"] == stage


def test_cpu_ddp_launches_two_processes_without_deepspeed(compose_cfg, tmp_path):
    _, launch_dir, args, _ = _launch(compose_cfg, tmp_path, ["hardware=cpu_ddp"], gpus=None)
    # torchrun-style launch of 2 processes; each finds no GPU and joins a gloo group.
    assert args.multi_gpu and not args.cpu and not args.use_deepspeed
    assert args.num_processes == 2
    assert not (launch_dir / DEEPSPEED_FILE).exists()
    assert "gpu_ids" not in yaml.safe_load((launch_dir / ACCELERATE_FILE).read_text())


def test_ddp_on_gpus_without_deepspeed(compose_cfg, tmp_path):
    _, _, args, _ = _launch(compose_cfg, tmp_path, ["+experiment=exp2", "hardware.deepspeed=null"])
    assert args.multi_gpu and not args.use_deepspeed
    assert args.mixed_precision == "bf16" and args.gpu_ids == "0,1,2"
