"""Iris, 4 qubits (all four features), all four models.

Run with python -m experiments.iris [qvc run flags]; flags override the defaults.
"""

from experiments._common import run_module

DEFAULTS: tuple[str, ...] = ()  # the default seeds (ExperimentSpec)

if __name__ == "__main__":
    raise SystemExit(run_module("iris", DEFAULTS))
