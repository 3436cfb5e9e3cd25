"""QNN class probabilities from IBM hardware (or a fake backend) counts.

Inference runs the trained circuit (feature map + ansatz with the trained
weights) through qiskit-ml's ``SamplerQNN`` on a
:class:`~qvc.quantum.ibm.sampler.IbmSampler`, with the same parity
interpretation VQC uses (measured integer mod the number of classes); the
predicted class is the most probable one, as in ``VQC.predict``.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qvc.quantum.ibm.sampler import IbmSampler


def hardware_qnn(
    feature_map: QuantumCircuit, ansatz: QuantumCircuit, n_classes: int, sampler: IbmSampler,
    interpret=None,
):
    """``SamplerQNN`` over ``feature_map`` + ``ansatz`` whose counts come from ``sampler``.

    ``interpret`` maps a measured integer to a class (default: ``x mod n_classes``).
    """
    from qiskit_machine_learning.neural_networks import SamplerQNN

    circuit = feature_map.compose(ansatz)
    circuit.measure_all()
    k = int(n_classes)
    return SamplerQNN(
        circuit=circuit,
        input_params=list(feature_map.parameters),
        weight_params=list(ansatz.parameters),
        interpret=interpret if interpret is not None else (lambda x: x % k),
        output_shape=k,
        sampler=sampler,
    )


def hardware_class_probabilities(
    feature_map: QuantumCircuit, ansatz: QuantumCircuit, X: np.ndarray, weights: np.ndarray,
    n_classes: int, sampler: IbmSampler, interpret=None,
) -> np.ndarray:
    """Class probabilities, shape ``(len(X), n_classes)``, estimated from shots on the backend.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from qvc.quantum.circuits import ansatz, feature_map
    >>> from qvc.quantum.ibm import IbmRunContext, IbmSampler, parse_ibm_execution
    >>> ctx = IbmRunContext(store_path=pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> s = IbmSampler(parse_ibm_execution("ibm:fake_manila"), default_shots=64, seed=3,
    ...                   context=ctx)
    >>> p = hardware_class_probabilities(feature_map(2), ansatz(2, 1), np.zeros((3, 2)),
    ...                                  np.zeros(4), 2, s)
    >>> p.shape, bool(np.allclose(p.sum(axis=1), 1.0))
    ((3, 2), True)
    """
    qnn = hardware_qnn(feature_map, ansatz, n_classes, sampler, interpret)
    return np.asarray(qnn.forward(np.asarray(X, dtype=float), np.asarray(weights, dtype=float)))
