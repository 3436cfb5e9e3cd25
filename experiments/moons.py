"""Two moons, 2 qubits, all four models.

Run with python -m experiments.moons [qvc run flags]; flags override the defaults.
"""

from experiments._common import run_module

DEFAULTS: tuple[str, ...] = ("--seed", "42")

if __name__ == "__main__":
    raise SystemExit(run_module("moons", DEFAULTS))
