"""Two moons, 2 qubits, all four models.

Run with python -m experiments.moons [qvc run flags]; flags override the defaults.
"""

from experiments._common import run_module

DEFAULTS: tuple[str, ...] = ()  # the default seeds (ExperimentSpec)

if __name__ == "__main__":
    raise SystemExit(run_module("moons", DEFAULTS))
