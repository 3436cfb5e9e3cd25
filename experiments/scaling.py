"""Scaling study: energy vs qubits and samples, growth-law fits and the break-even point.

Runs the sweep in ``experiments/scaling.toml`` (same schema as every spec file)
and writes the sweep report::

    python -m experiments.scaling [--workers N] [--scheduler tcp://HOST:PORT] [--out DIR]
    python -m experiments.scaling --resume RUN_DIR
    python -m experiments.scaling --limits     # largest qubit count exact simulation holds here
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from qvc.cli import main as qvc_main

SPEC = Path(__file__).with_name("scaling.toml")


def memory_limits(spec_path: str | Path = SPEC) -> dict[int, int]:
    """Largest qubit count whose exact kernel simulation fits in memory, per sample size of the spec."""
    from qvc._validation import available_memory_bytes, statevector_bytes
    from qvc.experiment.specfile import load_spec_file

    have = 0.8 * available_memory_bytes()
    sizes = sorted({p.samples or 0 for p in load_spec_file(spec_path).points})
    out = {}
    for n in sizes:
        q = 1
        while statevector_bytes(q + 1, max(1, n)) <= have:
            q += 1
        out[n] = q
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scaling sweep (or print the memory limits with ``--limits``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--limits" in args:
        for n, q in memory_limits().items():
            print(f"samples {n or 'all'}: exact simulation holds up to {q} qubits in memory here")
        return 0
    if "--resume" in args:
        return qvc_main(["sweep", *args])
    return qvc_main(["sweep", str(SPEC), *args])


if __name__ == "__main__":
    raise SystemExit(main())
