"""Evaluate: `python -m openrs.evaluate model_path=<Hub id | model dir | checkpoint | training run dir>`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from openrs.cli import hydra_command
from openrs.commands import EVALUATE
from openrs.config.store import to_typed
from openrs.errors import OpenRSError
from openrs.evaluate.config import EvalConfig, register_eval_configs
from openrs.evaluate.report import TABLE_FILE
from openrs.evaluate.runner import evaluate, write_run_file
from openrs.run_dir import RunDir

log = logging.getLogger("openrs.evaluate")
register_eval_configs()


def print_table(run_dir: Path) -> None:
    """CLI output: the results table, then where everything was written."""
    print((run_dir / TABLE_FILE).read_text())  # noqa: T201
    print(f"run dir: {run_dir}")  # noqa: T201


@hydra_command(EVALUATE)  # openrs.cli: own --help, user errors (Hydra's too) in one line, exit 2
def main(dict_cfg: DictConfig) -> None:
    """Hydra entry point: compose, save the resolved config, evaluate; user errors end in one line."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        cfg = to_typed(dict_cfg, EvalConfig)
        write_run_file(RunDir(run_dir).config, OmegaConf.to_yaml(dict_cfg, resolve=True))
        evaluate(cfg, run_dir)
    except OpenRSError as err:
        log.error("%s", err)
        sys.exit(2)
    print_table(run_dir)


if __name__ == "__main__":
    main()
