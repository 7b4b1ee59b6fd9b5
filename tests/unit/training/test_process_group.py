"""A finished run's process group is ended before Python's teardown (gloo's threads abort a rank otherwise)."""

from __future__ import annotations

import pytest

from openrs.training.trainer import close_process_group


@pytest.fixture
def gloo_group(tmp_path):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    yield dist
    if dist.is_initialized():
        dist.destroy_process_group()


def test_the_process_group_is_destroyed(gloo_group):
    assert gloo_group.is_initialized()
    close_process_group()
    assert not gloo_group.is_initialized()


def test_a_lone_process_has_none_to_close():
    import torch.distributed as dist

    close_process_group()
    assert not dist.is_initialized()
