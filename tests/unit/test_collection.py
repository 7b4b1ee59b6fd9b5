"""Collecting the suite imports no heavy library, so `pytest -m "not slow"` starts in seconds."""

from __future__ import annotations

from tests.conftest import HEAVY_IMPORTS_AT_COLLECTION, HEAVY_LIBRARIES


def test_no_test_module_imports_a_heavy_library_at_module_level():
    """torch, transformers, ... are imported inside tests and fixtures, not when pytest collects."""
    assert not HEAVY_IMPORTS_AT_COLLECTION, (
        f"these test modules import {', '.join(HEAVY_LIBRARIES)} at module level (move the import into the "
        f"test or a fixture): {HEAVY_IMPORTS_AT_COLLECTION}"
    )
