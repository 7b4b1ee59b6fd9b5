"""Each reward test starts with no remembered verdicts, so every check really runs."""

from __future__ import annotations

import pytest

from openrs.rewards.pool import forget_recent_verdicts


@pytest.fixture(autouse=True)
def _fresh_verdicts() -> None:
    forget_recent_verdicts()
