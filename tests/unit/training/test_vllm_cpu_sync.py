"""The CPU weight sync for a colocated vLLM: what it calls on the engine, what it leaves to TRL's object."""

from __future__ import annotations

from types import SimpleNamespace

from openrs.training.vllm_cpu_sync import CPUColocateWeightSync, repack_tied_lm_head, use_cpu_weight_sync


class _Head:
    def __init__(self, weight):
        self.weight, self.repacked = weight, 0
        self.quant_method = SimpleNamespace(process_weights_after_loading=lambda layer: self._repack())

    def _repack(self):
        self.repacked += 1


def _engine_model(tied: bool):
    embed = SimpleNamespace(weight=object())
    return SimpleNamespace(
        model=SimpleNamespace(embed_tokens=embed), lm_head=_Head(embed.weight if tied else object())
    )


def test_only_a_tied_lm_head_is_repacked():
    for tied, expected in [(True, 1), (False, 0)]:
        model = _engine_model(tied)
        repack_tied_lm_head(model)
        assert model.lm_head.repacked == expected


def test_sync_reloads_all_weights_at_once_then_resets_the_cache():
    calls, model = [], _engine_model(tied=True)
    runner = SimpleNamespace(
        reload_weights=lambda **kw: calls.append(
            ("reload", list(kw["weights_iterator"]), kw["is_checkpoint_format"])
        ),
        get_model=lambda: model,
    )
    llm = SimpleNamespace(
        llm_engine=SimpleNamespace(
            model_executor=SimpleNamespace(driver_worker=SimpleNamespace(model_runner=runner))
        ),
        reset_prefix_cache=lambda: calls.append(("reset",)),
    )
    trl_generation = SimpleNamespace(
        llm=llm, mode="colocate", _iter_named_params=lambda: iter([("a", 1), ("b", 2)])
    )
    sync = CPUColocateWeightSync(trl_generation)
    assert sync.mode == "colocate"  # everything else is TRL's object
    sync.sync_weights()
    assert calls == [("reload", [("a", 1), ("b", 2)], True), ("reset",)]
    assert model.lm_head.repacked == 1 and sync.syncs == 1


def test_trainers_without_colocated_vllm_are_left_alone():
    for trainer in (SimpleNamespace(use_vllm=False), SimpleNamespace(use_vllm=True, vllm_mode="server")):
        before = dict(vars(trainer))
        use_cpu_weight_sync(trainer)
        assert vars(trainer) == before
