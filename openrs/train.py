"""Train with GRPO: `python -m openrs.train [+experiment=exp2] [group=option] [key=value ...]`."""

from __future__ import annotations

import time

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from openrs import data, launch, models, preflight, rewards
from openrs.cli import hydra_command
from openrs.commands import TRAIN
from openrs.config.schema import TrainConfig
from openrs.config.store import register_configs, to_typed
from openrs.run_dir import ResumePoint, RunDir, claim_run_dir
from openrs.training import banner, grpo_args, loggers, summary, trainer

register_configs()


def build_inputs(cfg: TrainConfig, run_dir: RunDir) -> tuple:
    """The tokenizer, the training set (its errors come before any model loads) and the policy's path."""
    tokenizer = models.build_tokenizer(cfg.model)
    dataset = data.build_train_dataset(cfg.dataset, tokenizer, cfg.seed, run_dir)
    return tokenizer, dataset, models.model_source(cfg.model, tokenizer, cfg.seed, run_dir)


def train(cfg: TrainConfig, run_dir: RunDir, start: ResumePoint) -> None:
    """The recipe: loggers, rewards, GRPOConfig, data and model, trainer, train from `start`, summary."""
    began = time.time()
    loggers.setup_loggers(cfg.run, run_dir)
    reward_funcs, weights = rewards.build_reward_funcs(cfg.reward.funcs, guard=cfg.reward)
    grpo_config = grpo_args.build_grpo_config(cfg, run_dir.checkpoints, weights)
    tokenizer, dataset, model = build_inputs(cfg, run_dir)
    callbacks = trainer.build_callbacks(cfg.callbacks, run_dir, start.step, cfg.validation)
    grpo = trainer.build_trainer(model, tokenizer, dataset, reward_funcs, grpo_config, callbacks)
    metrics = trainer.train(grpo, start.checkpoint)
    summary.write_summary(run_dir, experiment=cfg.experiment_name, seed=cfg.seed, train_metrics=metrics,
                          wall_time_s=round(time.time() - began, 2), global_step=grpo.state.global_step,
                          resumed_from=start.checkpoint, best=summary.best_checkpoint(grpo.state))  # fmt: skip
    trainer.close_process_group()


@hydra_command(TRAIN)  # openrs.cli: own --help, user errors (Hydra's too) in one line, exit 2
def main(dict_cfg: DictConfig) -> None:
    """Check the config, take the run dir, then train here or in launched processes (each runs `train`)."""
    cfg, run_dir = to_typed(dict_cfg), RunDir(HydraConfig.get().runtime.output_dir)
    preflight.run_preflight(cfg)
    config_yaml, exclusive = OmegaConf.to_yaml(dict_cfg, resolve=True), not launch.is_launched_child()
    with claim_run_dir(run_dir, cfg.run.resume, cfg.trainer.max_steps, config_yaml, exclusive) as start:
        if start.complete:
            return
        banner.start_process(cfg, run_dir.path, start.step, launched=not exclusive)  # before any warm-up
        if not launch.needs_launcher(cfg):
            return train(cfg, run_dir, start)
        launch.launch(cfg, run_dir.path, build_inputs(cfg, run_dir)[2])  # several processes (+ a vLLM server)


if __name__ == "__main__":
    main()
