"""Record the KL that TRL 69ad852 (the paper's runs) logged, on fixed inputs: tests/golden/kl_69ad852.json.

    python tests/golden/kl_69ad852.py --python /work/refenvs/trl_69ad852/bin/python

The reference venv has TRL at 69ad852 (`pip install --no-deps` of `git archive 69ad852`), transformers 4.49.0,
accelerate 1.4.0, datasets and torch (see tests/golden/README.md). This script runs with the standard library;
it re-runs itself in that venv (`--inner`), where it calls 69ad852's own `GRPOTrainer.compute_loss`, unbound, on
a stand-in trainer whose `_get_per_token_logps` returns the stored policy log-probabilities (the model forward is
the only part replaced). The logged `kl` metric it records is what the paper's `kl` curves show: each
sequence's mean k3 KL over its completion tokens, then the mean over sequences. It never imports openrs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "kl_69ad852.json"
TRL_COMMIT = "69ad852e5654a77f1695eb4c608906fe0c7e8624"
COMMAND = "python tests/golden/kl_69ad852.py --python /work/refenvs/trl_69ad852/bin/python"
# How the reference venv was built (torch's CPU wheel; `rich` is the one TRL requirement the `--no-deps` skips).
REFERENCE_VENV = [
    "python3.11 -m venv /work/refenvs/trl_69ad852",
    "pip install torch==2.13.0 transformers==4.49.0 accelerate==1.4.0 datasets rich",
    f"git -C <trl clone> archive {TRL_COMMIT} | tar -x -C /work/refenvs/trl_src",
    "pip install --no-deps /work/refenvs/trl_src",
]
LENGTHS = (3, 7, 12, 16)  # completion lengths; the width is the longest, as after padding
BETA, EPSILON = 0.04, 0.2  # the paper's beta (open-rs recipes) and TRL's default epsilon


def make_inputs(seed: int = 69852) -> dict:
    """Per-token log-probabilities (policy, reference) with padding after each completion, and a mask."""
    rng = random.Random(seed)
    width = max(LENGTHS)
    policy, ref, mask = [], [], []
    for length in LENGTHS:
        row = [round(-rng.uniform(0.01, 4.0), 6) for _ in range(width)]
        policy.append(row)
        # the reference drifts from the policy more on short completions, so the two means differ
        scale = 1.5 if length < 8 else 0.3
        ref.append([round(min(p + rng.gauss(0.0, scale), -0.001), 6) for p in row])  # log-probs: < 0
        mask.append([1] * length + [0] * (width - length))
    advantages = [round(rng.gauss(0.0, 1.0), 6) for _ in LENGTHS]
    return {
        "per_token_logps": policy,  # the padding positions hold values too: the mask must drop them
        "ref_per_token_logps": ref,
        "completion_mask": mask,
        "advantages": advantages,
        "beta": BETA,
        "epsilon": EPSILON,
        "dtype": "float32",
    }


def inner(inputs: dict) -> dict:
    """In the reference venv: 69ad852's `compute_loss` on the inputs; returns its logged metrics."""
    from collections import defaultdict
    from types import SimpleNamespace

    import accelerate
    import datasets
    import torch
    import transformers
    import trl
    from trl.trainer.grpo_trainer import GRPOTrainer

    logps = torch.tensor(inputs["per_token_logps"], dtype=torch.float32, requires_grad=True)
    ref = torch.tensor(inputs["ref_per_token_logps"], dtype=torch.float32)
    mask = torch.tensor(inputs["completion_mask"], dtype=torch.int32)  # 69ad852's mask is `.int()`
    batch = {
        "prompt_ids": torch.zeros(len(mask), 2, dtype=torch.long),
        "prompt_mask": torch.ones(len(mask), 2, dtype=torch.int32),
        "completion_ids": torch.zeros(mask.shape, dtype=torch.long),
        "completion_mask": mask,
        "ref_per_token_logps": ref,
        "old_per_token_logps": None,
        "advantages": torch.tensor(inputs["advantages"], dtype=torch.float32),
    }
    seen = {}

    def get_per_token_logps(model, input_ids, attention_mask, logits_to_keep):
        seen["shape"] = (tuple(input_ids.shape), logits_to_keep)
        return logps

    stand_in = SimpleNamespace(
        beta=inputs["beta"],
        epsilon=inputs["epsilon"],
        num_iterations=1,
        _get_per_token_logps=get_per_token_logps,
        _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
        control=SimpleNamespace(should_evaluate=False),
        accelerator=SimpleNamespace(gather_for_metrics=lambda t: t, is_main_process=True),
        args=SimpleNamespace(report_to=[]),
    )
    loss = GRPOTrainer.compute_loss(stand_in, None, batch)
    assert seen["shape"] == ((len(mask), 2 + mask.shape[1]), mask.shape[1]), seen
    metrics = stand_in._metrics["train"]
    with torch.no_grad():  # for contrast: TRL 1.16's `kl`, every token weighed alike
        delta = ref - logps
        per_token_kl = torch.exp(delta) - delta - 1
        token_mean = ((per_token_kl * mask).sum() / mask.sum()).item()
        per_sequence = ((per_token_kl * mask).sum(1) / mask.sum(1)).tolist()
    return {
        "kl": metrics["kl"][-1],
        "clip_ratio": metrics["clip_ratio"][-1],
        "loss": loss.item(),
        "kl_token_mean": token_mean,
        "kl_of_each_sequence": per_sequence,
        "versions": {
            "trl": trl.__version__,
            "transformers": transformers.__version__,
            "accelerate": accelerate.__version__,
            "torch": torch.__version__,
            "datasets": datasets.__version__,
            "python": sys.version.split()[0],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--python", default="/work/refenvs/trl_69ad852/bin/python", help="the reference venv's"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(json.load(sys.stdin))))
        return
    inputs = make_inputs()
    run = subprocess.run(
        [args.python, __file__, "--inner"],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""},
    )
    outputs = json.loads(run.stdout.strip().splitlines()[-1])
    header = {
        "original": "TRL 69ad852 trl/trainer/grpo_trainer.py GRPOTrainer.compute_loss, its logged `kl` metric",
        "commit": TRL_COMMIT,
        "versions": outputs.pop("versions"),
        "regenerate": COMMAND,
        "reference_venv": REFERENCE_VENV,
    }
    text = json.dumps({"header": header, "inputs": inputs, "outputs": outputs}, indent=1)
    text = re.sub(r"\[\s+([^\[\]{}\"]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    GOLDEN.write_text(text + "\n")
    print(json.dumps(outputs, indent=1))


if __name__ == "__main__":
    main()
