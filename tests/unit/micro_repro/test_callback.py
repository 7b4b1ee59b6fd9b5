"""The held-out callback: seeded sampling, before/during/after points, a resume that keeps the curve."""

from __future__ import annotations

import json

from openrs.config.schema import TinyModelConfig
from openrs.micro_repro.evaluation import sample_completions
from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

PROMPTS = [[{"role": "user", "content": "12+34="}], [{"role": "user", "content": "56+78="}]]


def tiny_policy():
    tokenizer = build_tiny_tokenizer(300)
    return build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=0), tokenizer


def test_sampling_is_seeded_and_leaves_the_global_rng_alone():
    import torch

    model, tokenizer = tiny_policy()
    kwargs = dict(num_samples=3, temperature=1.0, max_new_tokens=6)
    torch.manual_seed(123)
    first = sample_completions(model, tokenizer, PROMPTS, seed=7, **kwargs)
    after_first = torch.rand(1)
    torch.manual_seed(123)
    second = sample_completions(model, tokenizer, PROMPTS, seed=7, **kwargs)
    assert first == second and len(first) == 6
    assert torch.equal(torch.rand(1), after_first)
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), after_first)  # as if no sampling had happened
    assert sample_completions(model, tokenizer, PROMPTS, seed=8, **kwargs) != first


def test_callback_records_before_during_after_and_resumes(tmp_path):
    from transformers import TrainerControl, TrainerState

    from openrs.micro_repro.callback import PLOT_FILE, RESULT_FILE, HeldOutAccuracyCallback

    model, tokenizer = tiny_policy()
    params = dict(run_dir=str(tmp_path), num_problems=3, num_samples=2, max_new_tokens=6, eval_every=2)
    args, control, state = None, TrainerControl(), TrainerState()
    callback = HeldOutAccuracyCallback(**params)
    callback.on_train_begin(args, state, control, model=model, processing_class=tokenizer)
    for step in (1, 2, 3):
        state.global_step = step
        callback.on_step_end(args, state, control, model=model, processing_class=tokenizer)
    callback.on_train_end(args, state, control, model=model, processing_class=tokenizer)
    result = json.loads((tmp_path / RESULT_FILE).read_text())
    assert [p["step"] for p in result["curve"]] == [0, 2, 3]
    assert result["improvement"] == result["after"] - result["before"]
    assert (result["num_problems"], result["num_samples"]) == (3, 2)
    assert (tmp_path / PLOT_FILE).stat().st_size > 0

    # Resumed from checkpoint-2: the points up to step 2 stay, later ones are measured again.
    state.global_step = 2
    resumed = HeldOutAccuracyCallback(**params)
    resumed.on_train_begin(args, state, control, model=model, processing_class=tokenizer)
    assert [p["step"] for p in resumed.curve] == [0, 2]
