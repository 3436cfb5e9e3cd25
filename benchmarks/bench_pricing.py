"""Pricing speed: hardware cost of a 500-sample quantum-kernel Gram matrix (~125,000 circuits).

Target (issue 4): < 2 s to price the ledger. The model transpiles the parametrised
template once per device (gate counts do not depend on the bound values) and runs
the Monte Carlo vectorised. The reference in the same process is the naive way:
transpiling every bound circuit, timed on a few and extrapolated.

Run: ``python benchmarks/bench_pricing.py [--samples 500] [--qubits 10] [--draws 2000]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Import the qvc of this checkout, not whichever one is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--qubits", type=int, default=10)
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--reference-circuits", type=int, default=20)
    args = ap.parse_args()

    t0 = time.perf_counter()
    import numpy as np

    from qvc.energy.devices import list_devices
    from qvc.energy.hardware import _TIMING_CACHE, price_entries
    from qvc.quantum.circuits import feature_map, kernel_template
    from qvc.quantum.ledger import LedgerEntry

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    import qiskit_ibm_runtime  # noqa: F401  (fake backends; timed apart from pricing)

    t_import_runtime = time.perf_counter() - t0

    n = args.samples
    circuits = n * (n - 1) // 2
    tpl = kernel_template(feature_map(args.qubits))
    ledger = [LedgerEntry("qsvc", "fit", tpl, circuits, 1024, "kernel")]
    print(f"ledger: {n}-sample Gram matrix = {circuits:,} circuits x 1024 shots, "
          f"{args.qubits}-qubit ZZ kernel template; {args.draws} Monte Carlo draws")
    print(f"imports: qvc+qiskit {t_import:.2f} s, qiskit_ibm_runtime {t_import_runtime:.2f} s "
          "(not counted below)")
    print(f"{'device':16s} {'cold s':>8s} {'warm s':>8s} {'jobs':>7s} {'QPU s (median)':>15s} "
          f"{'energy J (median)':>18s}")
    cold_heron = None
    for name, device in list_devices().items():
        t0 = time.perf_counter()
        cost = price_entries(ledger, device, n_draws=args.draws)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        price_entries(ledger, device, n_draws=args.draws)
        warm = time.perf_counter() - t0
        if name == "ibm_heron":
            cold_heron = cold
        print(f"{name:16s} {cold:8.3f} {warm:8.3f} {cost.jobs:7d} {cost.qpu_seconds_interval.median:15.4g} "
              f"{cost.energy_interval.median:18.4g}")

    # Reference: transpile each bound circuit (what pricing would cost without the template rule).
    from qvc.energy.devices import get_device

    heron = get_device("ibm_heron")
    from qiskit.transpiler import generate_preset_pass_manager

    pm = generate_preset_pass_manager(optimization_level=1, target=heron.target, seed_transpiler=0)
    rng = np.random.default_rng(0)
    k = args.reference_circuits
    t0 = time.perf_counter()
    for _ in range(k):
        isa = pm.run(tpl.assign_parameters(rng.uniform(0, np.pi, tpl.num_parameters)))
        isa.estimate_duration(heron.target, unit="s")
    per_circuit = (time.perf_counter() - t0) / k
    naive = per_circuit * circuits
    _TIMING_CACHE.clear()
    print(f"reference (transpile every bound circuit): {per_circuit * 1e3:.1f} ms/circuit x {circuits:,} "
          f"= {naive:,.0f} s (extrapolated from {k})")
    print(f"ibm_heron cold pricing {cold_heron:.3f} s: {naive / cold_heron:,.0f}x faster than the reference; "
          f"target < 2 s: {'met' if cold_heron < 2.0 else 'NOT met'}")
    print(f"ibm_heron cold pricing including the one-off qiskit_ibm_runtime import: "
          f"{cold_heron + t_import_runtime:.3f} s")


if __name__ == "__main__":
    main()
