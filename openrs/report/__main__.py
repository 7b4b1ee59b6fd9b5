"""Report a run or sweep: `python -m openrs.report <run or multirun dir> [--out DIR] [--price-per-gpu-hour P]`."""

from __future__ import annotations

import argparse
import logging
import sys

from openrs.errors import OpenRSError
from openrs.report.cost import DEFAULT_PRICE_PER_GPU_HOUR
from openrs.report.render import build_report, markdown_table, write_report

log = logging.getLogger("openrs.report")


def main(argv: list[str] | None = None) -> int:
    """Write the report files, print the run table; user errors end in one line and exit code 2."""
    parser = argparse.ArgumentParser(prog="python -m openrs.report", description=__doc__)
    parser.add_argument("dir", help="a run dir (outputs/DATE/TIME) or a multirun dir (multirun/DATE/TIME)")
    parser.add_argument("--out", help="where to write report.md, report.csv and the plots (default: DIR)")
    parser.add_argument(
        "--price-per-gpu-hour", type=float, default=DEFAULT_PRICE_PER_GPU_HOUR,
        help=f"dollars per GPU-hour (default {DEFAULT_PRICE_PER_GPU_HOUR:.4f}: the paper's $42 / (4 A40 × 24 h))",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = build_report(args.dir, args.price_per_gpu_hour)
        paths = write_report(report, args.out)
    except OpenRSError as err:
        log.error("%s", err)
        return 2
    for warning in report.warnings:
        log.warning("%s", warning)
    print(markdown_table(report.table))  # noqa: T201 - the CLI's output
    log.info("wrote %s", ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
