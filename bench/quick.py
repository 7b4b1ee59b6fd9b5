"""`--quick`, shared by the benchmark scripts: CI's seconds-long check that a script still runs end to end.

A quick run uses the sizes its script passes here and writes its results file to a temporary folder, so the
committed figures are never overwritten by it. `tests/integration/test_bench_quick.py` runs every script so.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any


def parse_args(parser: argparse.ArgumentParser, **quick_values: Any) -> argparse.Namespace:
    """Parse with a `--quick` flag; with it, `quick_values` replace their options; `--out`, `--work-dir` go to a temp dir."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a seconds-long run that checks the script works (CI); figures mean nothing",
    )
    args = parser.parse_args()
    if args.quick:
        for name, value in quick_values.items():
            setattr(args, name, value)
        scratch = Path(tempfile.mkdtemp(prefix="openrs_bench_quick_"))
        if hasattr(args, "out"):
            args.out = type(args.out or Path())(scratch / "results.md")
        if hasattr(args, "work_dir"):
            args.work_dir = str(scratch / "work")
    return args
