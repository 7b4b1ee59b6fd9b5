"""`kl_per_sequence` of `trainer=paper` equals the `kl` TRL 69ad852 logged, recorded from 69ad852 itself.

tests/golden/kl_69ad852.json holds fixed log-probabilities (policy and reference, four completions of 3 to 16
tokens, padding after each) and the `kl` metric 69ad852's own `GRPOTrainer.compute_loss` logged on them
(regenerate: `python tests/golden/kl_69ad852.py`, in a TRL 69ad852 + transformers 4.49 venv). openrs's
`OpenRSGRPOTrainer._kl_per_sequence` runs on the same inputs with the paper preset's settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "kl_69ad852.json"


def test_kl_per_sequence_is_the_kl_trl_69ad852_logged(compose_cfg, tmp_path):
    import torch

    from openrs.training.grpo_args import build_grpo_config
    from openrs.training.paper_trainer import OpenRSGRPOTrainer

    golden = json.loads(GOLDEN.read_text())
    assert golden["header"]["commit"].startswith("69ad852")
    assert golden["header"]["versions"]["transformers"] == "4.49.0"
    given, logged = golden["inputs"], golden["outputs"]

    _, cfg = compose_cfg(["+experiment=tiny", "trainer=paper"])
    args = build_grpo_config(cfg, tmp_path, [1.0])
    trainer = SimpleNamespace(args=args, importance_sampling_level=args.importance_sampling_level)
    logps = torch.tensor(given["per_token_logps"], dtype=torch.float32)
    mask = torch.tensor(given["completion_mask"], dtype=torch.int32)
    inputs = {"completion_mask": mask, "ref_per_token_logps": torch.tensor(given["ref_per_token_logps"])}
    kl = OpenRSGRPOTrainer._kl_per_sequence(trainer, logps, inputs).item()
    assert kl == pytest.approx(logged["kl"], abs=1e-6)

    # TRL 1.16's `kl` weighs every token alike: on these lengths it is another number.
    delta = inputs["ref_per_token_logps"] - logps
    token_mean = (((torch.exp(delta) - delta - 1) * mask).sum() / mask.sum()).item()
    assert token_mean == pytest.approx(logged["kl_token_mean"], abs=1e-6)
    assert abs(kl - token_mean) > 0.1 * token_mean
