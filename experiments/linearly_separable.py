"""Bowles-Ahmed-Schuld benchmark family 'linearly_separable': 4 qubits = dimension 4, all four models.

Run with python -m experiments.linearly_separable [qvc run flags]; flags override the defaults (e.g. --qubits 9).
"""

from experiments._common import run_module

DEFAULTS: tuple[str, ...] = ("--qubits", "4")

if __name__ == "__main__":
    raise SystemExit(run_module("linearly_separable", DEFAULTS))
