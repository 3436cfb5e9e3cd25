"""Fidelity-kernel entries from IBM hardware (or a fake backend) counts.

The kernel is qiskit-machine-learning's ``FidelityQuantumKernel`` with
``ComputeUncompute`` on a :class:`~qvc.quantum.ibm.sampler.IbmSampler`:
each entry is the probability of the all-zeros outcome of the compute-uncompute
circuit ``U(x) U(y)^dagger``, estimated from the shots. The Gram matrix of the
training set gets qiskit-ml's default positive-semidefinite projection, as any
qiskit-ml user of the same kernel would.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qvc.quantum.ibm.sampler import IbmSampler


def hardware_kernel(feature_map: QuantumCircuit, sampler: IbmSampler):
    """``FidelityQuantumKernel`` whose fidelities come from ``sampler``.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from qvc.quantum.circuits import feature_map
    >>> from qvc.quantum.ibm import IbmRunContext, IbmSampler, parse_ibm_execution
    >>> ctx = IbmRunContext(store_path=pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> s = IbmSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=64, seed=3,
    ...                   context=ctx)
    >>> k = hardware_kernel(feature_map(2), s).evaluate(np.array([[0.1, 0.2], [0.3, 0.1]]))
    >>> k.shape, round(float(k[0, 0]), 9), bool(0 <= k[0, 1] <= 1)
    ((2, 2), 1.0, True)
    """
    from qiskit_machine_learning.kernels import FidelityQuantumKernel
    from qiskit_machine_learning.state_fidelities import ComputeUncompute

    return FidelityQuantumKernel(feature_map=feature_map, fidelity=ComputeUncompute(sampler=sampler))


def kernel_against(
    kernel, X: np.ndarray, Y: np.ndarray, known: dict[bytes, int] | None = None,
    gram: np.ndarray | None = None, y_index: np.ndarray | None = None,
) -> np.ndarray:
    """Kernel matrix ``K[i, j] = k(X[i], Y[j])``, reusing Gram entries already measured.

    Rows of ``X`` that are training samples (``known`` maps a row's bytes to its
    training index) take their entries from the fitted ``gram`` at columns
    ``y_index`` instead of running the same overlap again on the QPU.
    """
    out = np.empty((X.shape[0], Y.shape[0]))
    fresh = []
    for i, x in enumerate(X):
        j = None if known is None else known.get(np.ascontiguousarray(x, dtype=float).tobytes())
        if j is not None and gram is not None and y_index is not None:
            out[i] = gram[j, y_index]
        else:
            fresh.append(i)
    if fresh:
        out[fresh] = kernel.evaluate(X[fresh], Y)
    return out
