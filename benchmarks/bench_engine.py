"""Speed of qvc's quantum engine against qiskit-machine-learning, same process, same data.

Run from the repository root::

    python benchmarks/bench_engine.py            # 4, 8 and 12 qubits (+ 16-qubit kernel)
    python benchmarks/bench_engine.py --quick    # 4 and 8 qubits only

Data: breast_cancer (569 samples), standardised, PCA to n features = n qubits,
scaled to angles (qvc.data.prepare_dataset, seed 42).

Kernel: the full 569 x 569 Gram matrix with the ZZ feature map (reps 2, full
entanglement). ``StatevectorKernel`` and ``FidelityStatevectorKernel`` are timed on
the whole matrix (and compared entry by entry). ``FidelityQuantumKernel`` (compute-
uncompute on the reference ``StatevectorSampler``) is timed on a subset and
extrapolated per circuit to the 161,596 circuits of the full matrix: those numbers are
labelled EXTRAPOLATED.

QNN: one full VQC training run on the training split (426 samples): ZZ feature map +
real_amplitudes(reps 3), one-hot cross-entropy, COBYLA(maxiter=100), same initial
point. qvc's ``VQCClassifier`` (exact) is timed end to end. qiskit-ml's ``VQC`` on
``StatevectorSampler`` and on Aer's ``SamplerV2`` is timed for a few
objective evaluations (VQC.fit with a minimizer that stops after --ref-iters
evaluations); its time per evaluation is multiplied by the number of evaluations the
full run makes (EXTRAPOLATED unless --full-reference).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# Import this checkout's qvc, not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _data(n: int):
    from qvc.data import prepare_dataset

    d = prepare_dataset("breast_cancer", n_features=n, seed=42)
    return d


def bench_kernel(n: int, fqk_subset: int) -> dict:
    from qiskit.primitives import StatevectorSampler
    from qiskit_machine_learning.kernels import FidelityQuantumKernel, FidelityStatevectorKernel
    from qiskit_machine_learning.state_fidelities import ComputeUncompute

    from qvc.quantum.circuits import feature_map
    from qvc.quantum.kernels import StatevectorKernel

    d = _data(n)
    x = np.vstack([d.X_train, d.X_test])
    m = x.shape[0]
    fm = feature_map(n)
    t_ours, k_ours = _timed(lambda: StatevectorKernel(feature_map=fm).evaluate(x))
    t_fsk, k_fsk = _timed(lambda: FidelityStatevectorKernel(feature_map=fm).evaluate(x))
    fqk = FidelityQuantumKernel(feature_map=fm, fidelity=ComputeUncompute(sampler=StatevectorSampler(seed=1)))
    sub = x[:fqk_subset]
    t_sub, _ = _timed(lambda: fqk.evaluate(sub))
    per_circuit = t_sub / (fqk_subset * (fqk_subset - 1) // 2)
    t_fqk = per_circuit * (m * (m - 1) // 2)
    return {
        "n": n, "samples": m, "ours_s": t_ours, "fsk_s": t_fsk, "fqk_subset_s": t_sub,
        "fqk_per_circuit_ms": 1e3 * per_circuit, "fqk_extrapolated_s": t_fqk,
        "max_abs_diff": float(np.abs(k_ours - k_fsk).max()),
    }


def _first_evaluations(k: int):
    """A qiskit-ml ``Minimizer`` that evaluates VQC's objective ``k`` times and stops.

    (scipy's COBYLA cannot stop earlier than ``n_weights + 2`` evaluations, which at 12
    qubits is about an hour on the reference sampler.) The points follow COBYLA's own start:
    the initial point, then one step of ``rhobeg = 1`` along each axis.
    """
    from qiskit_machine_learning.optimizers import OptimizerResult

    def minimize(fun, x0, jac=None, bounds=None):
        x0 = np.asarray(x0, dtype=float)
        values = []
        for i in range(k):
            x = x0.copy()
            if i:
                x[(i - 1) % x.size] += 1.0
            values.append(fun(x))
        result = OptimizerResult()
        result.x, result.fun, result.nfev = x0, values[0], k
        return result

    return minimize


def bench_qnn(n: int, ref_iters: int, full_reference: bool, max_iter: int = 100) -> dict:
    from qiskit.primitives import StatevectorSampler
    from qiskit_aer.primitives import SamplerV2 as AerSampler
    from qiskit_machine_learning.algorithms import VQC
    from qiskit_machine_learning.optimizers import COBYLA

    from qvc.models import VQCClassifier
    from qvc.quantum.circuits import ansatz, feature_map

    d = _data(n)
    x, y = d.X_train, d.y_train
    ours = VQCClassifier(max_iter=max_iter, seed=0)
    t_ours, _ = _timed(lambda: ours.fit(x, y))
    evals = ours.n_evaluations_
    init = np.random.default_rng(0).random(ansatz(n).num_parameters)  # the point VQCClassifier starts from
    out = {"n": n, "train_samples": x.shape[0], "ours_s": t_ours, "evaluations": evals,
           "train_acc": float(ours.score(x, y))}
    for label, sampler in (("statevector_sampler", StatevectorSampler(seed=1)), ("aer", AerSampler(seed=1))):
        optimizer = COBYLA(maxiter=max_iter) if full_reference else _first_evaluations(ref_iters)
        vqc = VQC(feature_map=feature_map(n), ansatz=ansatz(n), optimizer=optimizer,
                  initial_point=init, sampler=sampler)
        t_ref, _ = _timed(lambda v=vqc: v.fit(x, y))
        # evaluations the reference made: COBYLA's nfev, or exactly ref_iters for the stopping minimizer
        n_evals = int(vqc.fit_result.nfev) if full_reference else ref_iters
        per_eval = t_ref / n_evals
        out[f"{label}_timed_s"] = t_ref
        out[f"{label}_timed_evals"] = n_evals
        out[f"{label}_per_eval_s"] = per_eval
        out[f"{label}_full_s"] = t_ref if full_reference else per_eval * evals
    return out


def bench_16_qubits(samples: int = 300) -> dict:
    from qvc.quantum.circuits import feature_map
    from qvc.quantum.kernels import StatevectorKernel

    x = np.vstack([_data(16).X_train, _data(16).X_test])[:samples]
    t, k = _timed(lambda: StatevectorKernel(feature_map=feature_map(16)).evaluate(x))
    return {"samples": x.shape[0], "seconds": t, "shape": k.shape}


def _warm_up() -> None:
    """Pay one-time imports (sympy, scipy BLAS, qiskit-ml) before any timing, for both sides."""
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    from qvc.quantum.circuits import feature_map
    from qvc.quantum.kernels import StatevectorKernel

    x = np.random.default_rng(0).random((4, 2))
    StatevectorKernel(feature_map=feature_map(2)).evaluate(x)
    FidelityStatevectorKernel(feature_map=feature_map(2)).evaluate(x)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 and 8 qubits only, no 16-qubit run")
    parser.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")], default=None,
                        help="comma-separated qubit counts (default 4,8,12)")
    parser.add_argument("--fqk-subset", type=int, default=30,
                        help="samples in the FidelityQuantumKernel subset (default 30)")
    parser.add_argument("--ref-iters", type=int, default=5,
                        help="objective evaluations timed for qiskit-ml VQC before extrapolating (default 5)")
    parser.add_argument("--full-reference", action="store_true",
                        help="train qiskit-ml VQC for all iterations instead of extrapolating (slow)")
    parser.add_argument("--skip-qnn", action="store_true")
    parser.add_argument("--skip-kernel", action="store_true")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([4, 8] if args.quick else [4, 8, 12])
    warnings.simplefilter("ignore")
    _warm_up()

    if not args.skip_kernel:
        print("== Kernel: full 569 x 569 Gram matrix, breast_cancer PCA, zz_feature_map(reps=2) ==")
        print(f"{'qubits':>6} {'qvc s':>8} {'FSK s':>8} {'FSK/qvc':>8} {'FQK s (EXTRAP.)':>16} "
              f"{'FQK/qvc':>9} {'FQK ms/circ':>11} {'max|diff|':>10}")
        for n in sizes:
            r = bench_kernel(n, args.fqk_subset)
            print(f"{n:>6} {r['ours_s']:>8.3f} {r['fsk_s']:>8.2f} {r['fsk_s'] / r['ours_s']:>8.1f} "
                  f"{r['fqk_extrapolated_s']:>16.0f} {r['fqk_extrapolated_s'] / r['ours_s']:>9.0f} "
                  f"{r['fqk_per_circuit_ms']:>11.2f} {r['max_abs_diff']:>10.1e}", flush=True)
        print(f"FSK = qiskit-ml FidelityStatevectorKernel (measured on the full matrix); FQK = "
              f"FidelityQuantumKernel + StatevectorSampler, measured on {args.fqk_subset} samples "
              "and EXTRAPOLATED per circuit to N(N-1)/2 circuits.")
        if not args.quick:
            r = bench_16_qubits()
            print(f"16 qubits, exact: {r['samples']} x {r['samples']} Gram matrix in {r['seconds']:.1f} s (measured)")

    if not args.skip_qnn:
        how = ("measured" if args.full_reference else
               f"EXTRAPOLATED: time per objective evaluation (over {args.ref_iters} evaluations of VQC's own "
               "objective) x the evaluations of the full run")
        print()
        print("== QNN: VQC training, breast_cancer train split (426), COBYLA(maxiter=100) ==")
        print(f"{'qubits':>6} {'evals':>5} {'qvc s':>8} {'SVSampler s':>12} {'ratio':>7} {'Aer s':>9} "
              f"{'ratio':>7} {'train acc':>9}")
        for n in sizes:
            r = bench_qnn(n, args.ref_iters, args.full_reference)
            sv, aer = r["statevector_sampler_full_s"], r["aer_full_s"]
            print(f"{n:>6} {r['evaluations']:>5} {r['ours_s']:>8.2f} {sv:>12.0f} {sv / r['ours_s']:>7.0f} "
                  f"{aer:>9.0f} {aer / r['ours_s']:>7.0f} {r['train_acc']:>9.3f}", flush=True)
        print(f"qvc = VQCClassifier (exact, measured end to end); SVSampler / Aer = qiskit-ml VQC with "
              f"StatevectorSampler / Aer SamplerV2 (1024 shots), {how}.")


if __name__ == "__main__":
    main()
