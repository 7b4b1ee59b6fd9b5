"""Each hardware option's process layout, and openrs's batch arithmetic checked against TRL's own rule."""

from __future__ import annotations

import pytest

from openrs.errors import ConfigError
from openrs.launch import batch_sizes, plan_layout
from openrs.preflight import check_launch

FOUR = ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    "overrides, gpus, processes, training_gpus, vllm_gpu, stage, launcher",
    [
        (["hardware=cpu"], None, 1, (), None, None, False),
        (["hardware=cpu_ddp"], None, 2, (), None, None, True),
        (["hardware=cpu_zero2"], None, 2, (), None, 2, True),  # DeepSpeed's CPU accelerator, gloo
        (["hardware=cpu_zero3"], None, 2, (), None, 3, True),
        (["hardware=cpu_vllm"], None, 1, (), None, None, False),  # vLLM-CPU colocated, in-process
        (["hardware=single_gpu"], ["0"], 1, ("0",), None, None, False),  # vLLM colocated, in-process
        (["hardware=local_4gpu"], FOUR, 3, ("0", "1", "2"), "3", 2, True),
        (["hardware=local_4gpu", "hardware.deepspeed=zero3"], FOUR, 3, ("0", "1", "2"), "3", 3, True),
        (["hardware=local_4gpu", "hardware.vllm_server_gpu=0"], FOUR, 3, ("1", "2", "3"), "0", 2, True),
        # Inside a SLURM job, CUDA_VISIBLE_DEVICES names the allocated GPUs: the layout follows them.
        (["hardware=slurm_4gpu"], ["4", "5", "6", "7"], 3, ("4", "5", "6"), "7", 2, True),
        (["hardware=local_4gpu", "hardware.use_vllm=false"], FOUR, 3, ("0", "1", "2"), None, 2, True),
    ],
)
def test_hardware_option_gives_its_process_layout(
    compose_cfg, overrides, gpus, processes, training_gpus, vllm_gpu, stage, launcher
):
    _, cfg = compose_cfg(["+experiment=exp2", *overrides])
    layout = plan_layout(cfg.hardware, gpus)
    assert layout.num_processes == processes
    assert layout.training_gpus == training_gpus
    assert layout.vllm_gpu == vllm_gpu
    assert layout.deepspeed_stage == stage
    assert layout.needs_launcher is launcher


def test_single_gpu_colocates_vllm(compose_cfg):
    _, cfg = compose_cfg(["+experiment=exp2", "hardware=single_gpu"])
    assert cfg.hardware.use_vllm and cfg.hardware.vllm_mode == "colocate"
    assert cfg.hardware.deepspeed is None


@pytest.mark.parametrize(
    "overrides, named",
    [
        (["hardware.deepspeed=zero4"], "hardware.deepspeed"),
        (["hardware.num_training_processes=4"], "need 5 GPUs"),
        (["hardware.vllm_server_gpu=4"], "hardware.vllm_server_gpu=4"),
        (["hardware.vllm_mode=remote"], "hardware.vllm_mode"),
        (["hardware=cpu_zero2", "hardware.deepspeed=zero1"], "hardware.deepspeed"),
        (["trainer.num_generations=5"], "trainer.num_generations=5"),
        (["trainer.per_device_train_batch_size=5", "trainer.gradient_accumulation_steps=1"], "= 15 is not"),
        (["run.resume=sometimes"], "run.resume"),
        (["hardware=slurm_4gpu"], "hydra/launcher=openrs_slurm"),
    ],
)
def test_impossible_layouts_fail_in_one_line_before_anything_starts(
    compose_cfg, monkeypatch, overrides, named
):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    _, cfg = compose_cfg(["+experiment=exp2", *overrides])
    with pytest.raises(ConfigError) as err:
        check_launch(cfg)
    assert named in str(err.value)
    assert "\n" not in str(err.value)


def test_slurm_layout_passes_inside_a_slurm_job(compose_cfg, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    _, cfg = compose_cfg(["+experiment=exp2", "hardware=slurm_4gpu"])
    check_launch(cfg)


def test_paper_batch_sizes(compose_cfg):
    _, cfg = compose_cfg(["+experiment=exp2"])
    sizes = batch_sizes(cfg.trainer, cfg.hardware)
    # 6 per device x 3 processes x 4 accumulation: 72 completions, 12 prompts x 6 generations per step,
    # generated as the original did, one micro-step at a time: 18 completions, 3 prompts (steps_per_generation=1).
    assert (sizes.train_batch_size, sizes.generation_batch_size, sizes.prompts_per_generation) == (72, 18, 3)


def _trl_generation_batch(processes: int, **kwargs) -> tuple[int, int]:
    """TRL 1.16's GRPOConfig arithmetic as it runs in each of `processes` processes."""
    from trl import GRPOConfig

    class InProcessGroup(GRPOConfig):
        @property
        def world_size(self) -> int:
            return processes

    config = InProcessGroup(output_dir="unused", use_cpu=True, report_to="none", **kwargs)
    return config.generation_batch_size, config.steps_per_generation


@pytest.mark.parametrize(
    "per_device, processes, grad_accum, num_generations, extra",
    [
        (6, 3, 4, 6, {}),  # the paper
        (8, 1, 1, 4, {}),  # tiny
        (8, 2, 1, 4, {}),  # cpu_ddp
        (4, 3, 4, 6, {}),  # 48 is divisible by 6 although 4 x 3 = 12 per micro-step is too
        (4, 3, 1, 8, {}),  # 12 completions cannot hold groups of 8
        (6, 3, 4, 5, {}),
        (6, 3, 4, 6, {"generation_batch_size": 36}),
        (6, 3, 4, 6, {"generation_batch_size": 20}),
        (6, 3, 4, 6, {"steps_per_generation": 2}),
        (2, 3, 1, 4, {"steps_per_generation": 2}),
        (4, 1, 2, 8, {"steps_per_generation": 1}),  # 4 per generation cannot hold a group of 8
    ],
)
def test_batch_rule_agrees_with_trl(compose_cfg, per_device, processes, grad_accum, num_generations, extra):
    _, cfg = compose_cfg(
        [
            "+experiment=exp2",
            f"trainer.per_device_train_batch_size={per_device}",
            f"hardware.num_training_processes={processes}",
            f"trainer.gradient_accumulation_steps={grad_accum}",
            f"trainer.num_generations={num_generations}",
            # steps_per_generation has its own key (exp2 sets it to 1); other GRPOConfig keys go in extra.
            f"trainer.steps_per_generation={extra.get('steps_per_generation', 'null')}",
            *[f"+trainer.extra.{k}={v}" for k, v in extra.items() if k != "steps_per_generation"],
        ]
    )
    trl_kwargs = dict(
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=grad_accum,
        num_generations=num_generations,
        **extra,
    )
    try:
        trl_result = _trl_generation_batch(processes, **trl_kwargs)
    except ValueError:
        trl_result = None
    try:
        sizes = batch_sizes(cfg.trainer, cfg.hardware)
        ours = (sizes.generation_batch_size, sizes.steps_per_generation)
    except ConfigError:
        ours = None
    assert ours == trl_result
