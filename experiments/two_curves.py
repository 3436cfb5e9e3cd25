"""Bowles-Ahmed-Schuld benchmark family 'two_curves': 4 qubits = dimension 4, all four models.

Run with python -m experiments.two_curves [qvc run flags]; flags override the defaults (e.g. --qubits 9).
"""

from experiments._common import run_module

DEFAULTS: tuple[str, ...] = ("--qubits", "4")

if __name__ == "__main__":
    raise SystemExit(run_module("two_curves", DEFAULTS))
