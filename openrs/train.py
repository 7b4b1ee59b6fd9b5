"""Train with GRPO: `python -m openrs.train [+experiment=exp2] [group=option] [key=value ...]`."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from openrs.config.store import register_configs, to_typed
from openrs.errors import OpenRSError
from openrs.ranks import is_main_process

log = logging.getLogger("openrs.train")
CONF_DIR = str(Path(__file__).resolve().parents[1] / "conf")
register_configs()


def run(cfg, run_dir: Path) -> dict:
    """The recipe: checks, rewards, GRPOConfig, tokenizer, data, model, trainer, train, summary."""
    from openrs import launch
    from openrs.data import build_train_dataset
    from openrs.models import build_tokenizer, model_source
    from openrs.preflight import run_preflight
    from openrs.rewards import build_reward_funcs
    from openrs.training import grpo_args, summary, trainer
    from openrs.training.loggers import setup_loggers

    start = time.time()
    run_preflight(cfg)
    if launch.needs_launcher(cfg):  # several processes (+ a vLLM server) each run this recipe
        return launch.launch(cfg, run_dir)
    setup_loggers(cfg.run, run_dir)
    reward_funcs, weights = build_reward_funcs(cfg.reward.funcs)
    resume_from = trainer.last_checkpoint(run_dir) if cfg.run.resume == "auto" else None
    grpo_config = grpo_args.build_grpo_config(cfg, run_dir / trainer.CHECKPOINT_DIR, weights)
    tokenizer = build_tokenizer(cfg.model)
    dataset = build_train_dataset(cfg.dataset, tokenizer, cfg.seed, run_dir)  # fails before the model
    model = model_source(cfg.model, tokenizer, cfg.seed, run_dir)
    callbacks = trainer.build_callbacks(cfg.callbacks, run_dir, trainer.checkpoint_step(resume_from))
    grpo = trainer.build_trainer(model, tokenizer, dataset, reward_funcs, grpo_config, callbacks)
    metrics = trainer.train(grpo, resume_from)
    summary.write_summary(
        run_dir, experiment=cfg.experiment_name, seed=cfg.seed, wall_time_s=round(time.time() - start, 2),
        global_step=grpo.state.global_step, resumed_from=resume_from, train_metrics=metrics,
    )  # fmt: skip
    return metrics


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def main(dict_cfg: DictConfig) -> None:
    """Hydra entry point: compose, save the resolved config, run; user errors end in one line."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        cfg = to_typed(dict_cfg)
        if is_main_process():  # the launched processes of one run share its run dir
            (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(dict_cfg, resolve=True))
        run(cfg, run_dir)
    except OpenRSError as err:
        log.error("%s", err)
        sys.exit(2)
    log.info("run dir: %s", run_dir)


if __name__ == "__main__":
    main()
