"""``noisy:<fake backend>``: distribution once + multinomial shots vs Aer's per-shot sampler.

Run from the repository root::

    python benchmarks/bench_noisy.py                       # 4 qubits, 200 kernel circuits
    python benchmarks/bench_noisy.py --qubits 3 --circuits 100 --shots 1024,4096,16384

Both sides compute kernel entries ``P(0...0)`` of the ZZ compute-uncompute circuit (reps 2,
full entanglement) on the same circuits, transpiled for the same fake backend and compacted
to the same physical qubits, with the same ``NoiseModel.from_backend``:

* ``distribution``: :class:`qvc.quantum.execution.NoisyDistribution` (Aer density matrix with
  the noise model, ``save_probabilities``, readout assignment matrices) once per circuit, then
  Binomial(shots) draws -- what ``SamplerExecutor`` does by default;
* ``aer sampler``: ``SamplerExecutor(..., per_shot=True)``: Aer's ``SamplerV2`` with every
  shot sampled (the mode before this change).

The table gives CPU seconds (``time.process_time``) per side and shot count, and the largest
difference of the two sides' mean entries from the exact noisy distribution in units of the
binomial standard error (both should be a few units at most: equal distributions). One thread:
OpenMP and BLAS are pinned before anything is imported. The 1-minute load average is printed.

Last measured (2026-12-07, branch noise; a 2-vCPU VM shared with other work, load 1.6-2.2;
``python benchmarks/bench_noisy.py``: 4 qubits, 200 circuits, fake_torino; CPU s)::

       shots           side     cpu s  max |mean - p| / se
        1024   distribution      0.55                 2.90
        1024    aer sampler      0.80                 3.04
        4096   distribution      0.52                 2.35
        4096    aer sampler      1.50                 2.47
       16384   distribution      0.60                 2.62
       16384    aer sampler      4.56                 3.38

(run with ``PYTHONPATH=.`` from a worktree that is not the installed checkout)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qubits", type=int, default=4)
    ap.add_argument("--circuits", type=int, default=200)
    ap.add_argument("--shots", default="1024,4096,16384")
    ap.add_argument("--backend", default="fake_torino")
    args = ap.parse_args()

    from qvc.quantum.circuits import feature_map, kernel_template
    from qvc.quantum.execution import NoisyDistribution, SamplerExecutor, parse_execution

    mode = parse_execution(f"noisy:{args.backend}")
    template = kernel_template(feature_map(args.qubits))
    params = list(template.parameters)
    values = np.random.default_rng(0).uniform(0, np.pi, size=(args.circuits, template.num_parameters))
    exact = NoisyDistribution(mode, template).probabilities(params, values)[:, 0]
    print(f"{args.qubits} qubits, {args.circuits} kernel circuits on {args.backend}; "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'shots':>8} {'side':>14} {'cpu s':>9} {'max |mean - p| / se':>20}")
    for shots in (int(s) for s in args.shots.split(",")):
        for side, per_shot in (("distribution", False), ("aer sampler", True)):
            ex = SamplerExecutor(mode, shots=shots, seed=1, per_shot=per_shot)
            t0 = time.process_time()
            z = ex.zero_probability(template, params, values)
            cpu = time.process_time() - t0
            se = np.sqrt(np.clip(exact * (1 - exact), 1e-12, None) / shots)
            print(f"{shots:>8} {side:>14} {cpu:>9.2f} {np.max(np.abs(z - exact) / se):>20.2f}")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
