"""Evaluate: `python -m openrs.evaluate model_path=<Hub id | model dir | checkpoint | training run dir>`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from openrs.config.store import to_typed
from openrs.errors import OpenRSError
from openrs.evaluate.config import EvalConfig, register_eval_configs
from openrs.evaluate.report import TABLE_FILE
from openrs.evaluate.runner import evaluate

log = logging.getLogger("openrs.evaluate")
CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")
register_eval_configs()


def print_table(run_dir: Path) -> None:
    """CLI output: the results table, then where everything was written."""
    print((run_dir / TABLE_FILE).read_text())  # noqa: T201
    print(f"run dir: {run_dir}")  # noqa: T201


@hydra.main(config_path=CONF_DIR, config_name="evaluate", version_base="1.3")
def main(dict_cfg: DictConfig) -> None:
    """Hydra entry point: compose, save the resolved config, evaluate; user errors end in one line."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        cfg = to_typed(dict_cfg, EvalConfig)
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(dict_cfg, resolve=True))
        evaluate(cfg, run_dir)
    except OpenRSError as err:
        log.error("%s", err)
        sys.exit(2)
    print_table(run_dir)


if __name__ == "__main__":
    main()
