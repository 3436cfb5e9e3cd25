"""qiskit-ml ad_hoc data, 2 qubits, all four models.

Run with python -m experiments.ad_hoc [qvc run flags]; flags override the defaults.
"""

from experiments._common import run_module

DEFAULTS: tuple[str, ...] = ()  # the default seeds (ExperimentSpec)

if __name__ == "__main__":
    raise SystemExit(run_module("ad_hoc", DEFAULTS))
