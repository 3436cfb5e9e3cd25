"""Shared entry point of the per-dataset experiment modules."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from qvc.cli import main as qvc_main


def run_module(dataset: str, defaults: Sequence[str] = (), argv: Sequence[str] | None = None) -> int:
    """Run ``qvc run DATASET`` with this module's defaults; command-line flags override them."""
    args = list(sys.argv[1:] if argv is None else argv)
    return qvc_main(["run", dataset, *defaults, *args])
