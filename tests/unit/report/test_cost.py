"""GPU-hours, the default price and the paper's cost table."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from openrs.report.cost import (
    DEFAULT_PRICE_PER_GPU_HOUR,
    PAPER_COSTS,
    cost_comparison,
    gpu_hours,
    price_per_gpu_hour,
)


def test_default_price_is_the_papers_rate():
    assert pytest.approx(42 / (4 * 24)) == DEFAULT_PRICE_PER_GPU_HOUR
    assert {c.model: c.cost_usd for c in PAPER_COSTS} == {
        "Open-RS": 42, "DeepScaleR-1.5B-Preview": 3629, "Still-3-1.5B-Preview": 2268,
        "Qwen2.5-7B-SimpleRL": 1633, "Eurus-2-7B-PRIME": 1088,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("gpus", "seconds", "expected"),
    [(4, 24 * 3600, 96.0), (0, 500.0, 0.0), (None, 500.0, None), (1, None, None), (1, float("nan"), None)],
)
def test_gpu_hours(gpus, seconds, expected):
    assert gpu_hours(gpus, seconds) == expected


def test_cost_comparison_puts_the_measured_total_beside_the_paper():
    runs = pd.DataFrame(
        {"num_gpus": [4, 4, None], "wall_time_s": [3600.0, 1800.0, 60.0],
         "gpu_hours": [4.0, 2.0, None], "cost_usd": [1.75, 0.875, None]}
    )  # fmt: skip
    table = cost_comparison(runs, "measured")
    assert table["model"].tolist()[:-1] == [c.model for c in PAPER_COSTS]
    measured = table.iloc[-1]
    assert (measured.model, measured.gpu_hours, measured.cost_usd) == ("measured", 6.0, 2.625)
    assert measured.hardware == "3 runs: 4 GPU"
    assert measured.vs_open_rs == pytest.approx(2.625 / 42)


@pytest.mark.parametrize("text, price", [("0.44", 0.44), ("0", 0.0), ("1e1", 10.0)])
def test_price_accepts_dollars(text, price):
    assert price_per_gpu_hour(text) == price


@pytest.mark.parametrize("text", ["-1", "-0.01", "nan", "inf", "-inf", "abc", ""])
def test_price_rejects_what_is_not_a_price(text):
    with pytest.raises(argparse.ArgumentTypeError):
        price_per_gpu_hour(text)
