"""The micro reproduction's learning curve: held-out accuracy and training reward against steps."""

from __future__ import annotations

from pathlib import Path

ACCURACY_REWARD_KEY = "rewards/accuracy_reward/mean"


def plot_learning_curve(curve: list[dict], log_history: list[dict], path: Path) -> None:
    """Save a PNG of held-out accuracy per step, with the training accuracy reward beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    train = [(row["step"], row[ACCURACY_REWARD_KEY]) for row in log_history if ACCURACY_REWARD_KEY in row]
    if train:
        ax.plot(*zip(*train, strict=True), color="0.7", label="training accuracy reward (per batch)")
    ax.plot([p["step"] for p in curve], [p["accuracy"] for p in curve], "o-", label="held-out accuracy")
    ax.set(xlabel="GRPO step", ylabel="accuracy", ylim=(0, 1), title="Micro reproduction: GRPO on CPU")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
