"""Multi-node runs: the node plan, batch sizes over every node's processes, and what each node launches."""

from __future__ import annotations

import json
import shutil

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from openrs.errors import ConfigError
from openrs.launch import batch_sizes, plan_layout
from openrs.launch.files import DEEPSPEED_FILE, write_launch_files
from openrs.launch.layout import plan_nodes
from openrs.launch.multinode import (
    GROUP_PORT,
    MAIN_PORT,
    SERVER_PORT,
    SlurmNodes,
    job_port,
    node_command,
    node_config,
    server_command,
    slurm_nodes,
)
from openrs.launch.server import LaunchError
from openrs.preflight import check_launch
from tests.conftest import CONF_DIR

FOUR = ["0", "1", "2", "3"]
NODES = SlurmNodes("4242", 1, ("gpu-a", "gpu-b", "gpu-c"))


@pytest.mark.parametrize(
    "overrides, nodes, training_nodes, server_node, per_node, training_gpus, vllm_gpu, world",
    [
        # The paper's node twice: GPU 3 of node 0 serves; every node trains on 3 GPUs (the same count on
        # each node, as torchrun needs: node 1's GPU 3 idles).
        ([], 2, 2, 0, 3, ("0", "1", "2"), "3", 6),
        # A node of its own for the server: the other nodes train on all their GPUs.
        (["hardware.num_nodes=3", "hardware.vllm_server_node=own", "hardware.num_training_processes=4"],
         3, 2, 2, 4, tuple(FOUR), None, 8),
        (["hardware.vllm_mode=colocate", "hardware.num_training_processes=4"], 2, 2, None, 4, tuple(FOUR), None, 8),
    ],
)  # fmt: skip
def test_multinode_plan_and_layout(
    compose_cfg, overrides, nodes, training_nodes, server_node, per_node, training_gpus, vllm_gpu, world
):
    _, cfg = compose_cfg(["+experiment=exp2", "hardware=slurm_multinode", *overrides])
    plan = plan_nodes(cfg.hardware)
    assert (plan.num_nodes, plan.training_nodes, plan.server_node) == (nodes, training_nodes, server_node)
    layout = plan_layout(cfg.hardware, FOUR)
    assert layout.num_processes == per_node and layout.num_machines == training_nodes
    assert layout.training_gpus == training_gpus and layout.vllm_gpu == vllm_gpu
    assert layout.world_size == world and layout.deepspeed_stage == 2
    assert batch_sizes(cfg.trainer, cfg.hardware).processes == world


@pytest.mark.parametrize(
    "overrides, per_device, grad_accum, completions, prompts",
    [
        ([], 6, 4, 144, 24),  # exp2 as is: each added process adds 6 x 4 completions per step
        # The paper's 12 prompts x 6 completions per step on 6 processes: half the accumulation.
        (["trainer.gradient_accumulation_steps=2"], 6, 2, 72, 12),
        # On 8 processes (vLLM colocated): 3 per device x 8 x 3.
        (["hardware.vllm_mode=colocate", "hardware.num_training_processes=4",
          "trainer.per_device_train_batch_size=3", "trainer.gradient_accumulation_steps=3"], 3, 3, 72, 12),
    ],
)  # fmt: skip
def test_batch_arithmetic_over_nodes(compose_cfg, overrides, per_device, grad_accum, completions, prompts):
    _, cfg = compose_cfg(["+experiment=exp2", "hardware=slurm_multinode", *overrides])
    sizes = batch_sizes(cfg.trainer, cfg.hardware)
    assert (sizes.per_device, sizes.grad_accum) == (per_device, grad_accum)
    # Prompts per optimiser step (exp2 generates them one micro-step at a time: steps_per_generation=1).
    assert sizes.train_batch_size == completions and completions // sizes.num_generations == prompts


@pytest.mark.parametrize(
    "overrides, named",
    [
        (["hardware=local_4gpu", "hardware.num_nodes=2"], "hardware.slurm_job=true"),
        (["hardware=slurm_4gpu", "hardware.vllm_server_node=own"], "num_nodes of 2 or more"),
        (["hardware=slurm_multinode", "hardware.vllm_server_node=last"], "hardware.vllm_server_node='last'"),
        (["hardware=slurm_multinode", "hardware.num_nodes=0"], "hardware.num_nodes must be at least 1"),
        # 5 per device x 2 nodes x 1 process = 10 completions cannot hold groups of 6.
        (["hardware=slurm_multinode_cpu", "trainer.per_device_train_batch_size=5",
          "trainer.gradient_accumulation_steps=1", "trainer.num_generations=6"], "2 processes"),
    ],
)  # fmt: skip
def test_impossible_multinode_settings_fail_in_one_line(compose_cfg, monkeypatch, overrides, named):
    monkeypatch.setenv("SLURM_JOB_ID", "1")
    _, cfg = compose_cfg(["+experiment=exp2", *overrides])
    with pytest.raises(ConfigError) as err:
        check_launch(cfg)
    assert named in str(err.value) and "\n" not in str(err.value)


def test_every_node_computes_the_same_ports_and_server_address(compose_cfg):
    _, cfg = compose_cfg(["+experiment=exp2", "hardware=slurm_multinode"])
    plan = plan_nodes(cfg.hardware)
    first, second = (node_config(cfg, plan, SlurmNodes("4242", rank, NODES.hostnames[:2])) for rank in (0, 1))
    assert first == second  # nothing depends on the node: the child configs are the same everywhere
    hw = first.hardware
    ports = {job_port("4242", which) for which in (MAIN_PORT, SERVER_PORT, GROUP_PORT)}
    assert hw.vllm_server_host == "gpu-a" and len(ports) == 3 and all(20000 <= p < 32768 for p in ports)
    assert hw.main_process_port == job_port("4242", MAIN_PORT) != job_port("4243", MAIN_PORT)
    # A fixed port stays: users choose it when the job's ports are taken.
    _, fixed = compose_cfg(["+experiment=exp2", "hardware=slurm_multinode", "hardware.vllm_server_port=8000"])
    assert node_config(fixed, plan, NODES).hardware.vllm_server_port == 8000


def test_each_node_launches_its_machine_rank_of_one_world(compose_cfg, tmp_path):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    _, cfg = compose_cfg(["+experiment=exp2", "hardware=slurm_multinode"])
    cfg = node_config(cfg, plan_nodes(cfg.hardware), NODES)
    layout = plan_layout(cfg.hardware, FOUR)
    launch_dir = write_launch_files(
        cfg, layout, batch_sizes(cfg.trainer, cfg.hardware), tmp_path, tmp_path / "n1"
    )
    command = node_command(launch_dir, tmp_path, NODES, cfg.hardware.main_process_port)
    args = launch_command_parser().parse_args(command[command.index("--machine_rank") :])
    args, _, _ = _validate_launch_command(args)
    assert args.use_deepspeed and args.deepspeed_multinode_launcher == "standard"  # torchrun on each node
    assert (args.num_machines, args.num_processes, args.machine_rank) == (2, 6, 1)
    assert args.main_process_ip == "gpu-a" and args.main_process_port == cfg.hardware.main_process_port
    # DeepSpeed checks its batch against all 6 processes': 6 per device x 6 x 4 accumulation.
    deepspeed = json.loads((launch_dir / DEEPSPEED_FILE).read_text())
    assert deepspeed["train_batch_size"] == 144 and deepspeed["train_micro_batch_size_per_gpu"] == 6


@pytest.mark.parametrize("placement", ["first", "own"])
def test_the_server_listens_for_other_nodes(compose_cfg, placement):
    _, cfg = compose_cfg(
        ["+experiment=exp2", "hardware=slurm_multinode", f"hardware.vllm_server_node={placement}"]
    )
    plan = plan_nodes(cfg.hardware)
    cfg = node_config(cfg, plan, NODES)
    from trl.scripts.vllm_serve import make_parser

    command = server_command(cfg, plan, "model")
    serve = command.index("vllm-serve")
    args, unknown = make_parser().parse_args_and_config(
        args=command[serve + 1 :], return_remaining_strings=True
    )
    assert unknown == [] and args.host == "0.0.0.0"
    assert args.port == cfg.hardware.vllm_server_port == job_port("4242", SERVER_PORT)
    if placement == "own":  # started on the last node from the first, as a step of the same job
        assert command[:2] == ["srun", "--overlap"] and "--nodelist=gpu-b" in command[:serve]
        assert args.data_parallel_size == 4 and cfg.hardware.vllm_server_host == "gpu-b"
    else:
        assert "srun" not in command and cfg.hardware.vllm_server_host == "gpu-a"


@pytest.mark.skipif(shutil.which("scontrol") is None, reason="needs SLURM's scontrol")
def test_slurm_nodes_reads_the_job_from_slurm():
    env = {"SLURM_JOB_ID": "77", "SLURM_NODEID": "1", "SLURM_JOB_NODELIST": "node[1-2]"}
    assert slurm_nodes(2, env) == SlurmNodes("77", 1, ("node1", "node2"))
    with pytest.raises(LaunchError, match="hardware.num_nodes=3"):
        slurm_nodes(3, env)


def test_slurm_nodes_outside_a_job_fails_in_one_line():
    with pytest.raises(LaunchError, match="SLURM_NODEID, SLURM_JOB_NODELIST unset"):
        slurm_nodes(2, {"SLURM_JOB_ID": "1"})


def test_slurm_launcher_asks_for_the_hardware_nodes():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=["hydra/launcher=openrs_slurm", "hardware=slurm_multinode", "hardware.num_nodes=3"],
            return_hydra_config=True,
        )
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert launcher["nodes"] == 3 and launcher["tasks_per_node"] == 1 and launcher["gpus_per_node"] == 4
