"""A reward that misbehaves while training ends the run in one line naming its entry and a row."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.cli_helpers import run_command


def nan_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """NaN for every completion (a reward that silently counts for nothing)."""
    return [float("nan")] * len(completions)


def raising_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """Raises on every completion."""
    raise ZeroDivisionError("division by zero")


def short_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """One value too few."""
    return [0.0] * (len(completions) - 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nan_reward", "reward.funcs.broken (nan_reward) returned NaN or None for all 8 rows of a batch at step 1, "
                       "e.g. for row 0: completion '"),
        ("raising_reward", "reward.funcs.broken (raising_reward) raised ZeroDivisionError: division by zero, on row 0 "
                           "(completion '"),
        ("short_reward", "reward.funcs.broken (short_reward) returned 7 values for 8 completions at step 1"),
    ],
)  # fmt: skip
def test_a_misbehaving_reward_stops_training_in_one_line(tmp_path, target, expected):
    spec = f"{{_target_:tests.integration.test_bad_rewards.{target},weight:1.0}}"
    result = run_command(
        "openrs.train", "+experiment=tiny", f"hydra.run.dir={tmp_path / 'run'}", f"+reward.funcs.broken={spec}",
        timeout=600,
    )  # fmt: skip
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert result.returncode == 2, output[-3000:]
    assert len(errors) == 1 and expected in errors[0], errors
    assert "answer '" in errors[0] and "Traceback" not in output
