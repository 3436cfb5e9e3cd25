"""Projected quantum kernel features (Huang et al., Nat. Commun. 12, 2631 (2021)).

Each sample's state ``|phi(x)>`` is prepared once per measurement basis and every qubit's
one-qubit reduced density matrix is read out as its three Pauli expectation values
``<X_k>, <Y_k>, <Z_k>``; the kernel is then computed classically, an RBF kernel on those
``3 n`` numbers:

.. math::
    k(x, x') = \\exp\\Big(-\\gamma \\sum_k \\sum_{P \\in \\{X, Y, Z\\}}
    \\big(\\mathrm{tr}(P \\rho_k(x)) - \\mathrm{tr}(P \\rho_k(x'))\\big)^2\\Big)

(XanaduAI/qml-benchmarks, ``ProjectedQuantumKernel``). On hardware this is three circuits per
sample -- the state, rotated so that one measurement of all qubits in the computational basis
reads every qubit in ``X``, ``Y`` or ``Z`` -- so a fit runs ``3 N`` circuits where the fidelity
kernel runs ``N (N - 1) / 2``. :func:`basis_templates` gives those circuits to the ledger.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

#: The measurement bases, in the order of the feature vector's blocks.
BASES = ("X", "Y", "Z")

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_SDG = np.diag([1, -1j])
#: One-qubit rotation before a Z measurement that measures the basis (X: H; Y: H S^dagger).
_ROTATIONS = {"X": _H, "Y": _H @ _SDG, "Z": np.eye(2, dtype=complex)}


def pauli_features(states: np.ndarray) -> np.ndarray:
    """Exact ``[<X_0..X_{n-1}>, <Y_0..>, <Z_0..>]`` of each row of ``states`` (``(N, 2**n)``).

    Qubit ``k`` is bit ``k`` of the basis index (qiskit's order).

    Examples
    --------
    >>> plus = np.array([[1, 1]]) / np.sqrt(2)
    >>> pauli_features(plus).round(12).tolist()
    [[1.0, 0.0, 0.0]]
    """
    states = np.asarray(states, dtype=complex)
    m, dim = states.shape
    n = int(dim).bit_length() - 1
    out = np.empty((m, 3, n))
    for k in range(n):
        v = states.reshape(m, dim >> (k + 1), 2, 1 << k)
        a0, a1 = v[:, :, 0, :], v[:, :, 1, :]
        cross = np.einsum("mij,mij->m", a0.conj(), a1)
        out[:, 0, k] = 2.0 * cross.real
        out[:, 1, k] = 2.0 * cross.imag
        out[:, 2, k] = np.einsum("mij,mij->m", a0.conj(), a0).real - np.einsum("mij,mij->m", a1.conj(), a1).real
    return out.reshape(m, 3 * n)


def _rotate_all(states: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Apply the one-qubit unitary ``u`` to every qubit of every row of ``states``."""
    m, dim = states.shape
    n = int(dim).bit_length() - 1
    out = np.asarray(states, dtype=complex)
    for k in range(n):
        v = out.reshape(m, dim >> (k + 1), 2, 1 << k)
        out = np.einsum("ab,mibj->miaj", u, v).reshape(m, dim)
    return out


def sampled_pauli_features(states: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Pauli features estimated from ``shots`` measurements of each sample in each basis.

    Per sample and basis: the state rotated into the basis, its outcome distribution drawn
    ``Multinomial(shots)`` (the counts one circuit run with that many shots gives), and each
    qubit's expectation ``(n_0 - n_1) / shots`` from that circuit's counts -- the qubits of one
    circuit share their shots, as on hardware.

    Examples
    --------
    >>> plus = np.array([[1, 1]]) / np.sqrt(2)
    >>> f = sampled_pauli_features(plus, 1000, np.random.default_rng(0))
    >>> float(f[0, 0]), abs(float(f[0, 2])) < 0.1
    (1.0, True)
    """
    states = np.asarray(states, dtype=complex)
    m, dim = states.shape
    n = int(dim).bit_length() - 1
    out = np.empty((m, 3, n))
    idx = np.arange(dim)
    signs = np.array([1 - 2 * ((idx >> k) & 1) for k in range(n)], dtype=float)  # (n, dim)
    for b, basis in enumerate(BASES):
        probs = np.abs(_rotate_all(states, _ROTATIONS[basis])) ** 2
        probs = np.clip(probs, 0.0, None)
        probs /= probs.sum(axis=1, keepdims=True)
        counts = rng.multinomial(int(shots), probs)
        out[:, b, :] = counts @ signs.T / float(shots)
    return out.reshape(m, 3 * n)


def default_gamma(features: np.ndarray, n_features: int) -> float:
    """qml-benchmarks' default RBF width: ``1 / (var(features) * n_features)``.

    ``features`` are the training samples' Pauli features; a constant feature set (variance 0)
    gets ``1 / n_features``.

    Examples
    --------
    >>> default_gamma(np.array([[1.0, -1.0], [-1.0, 1.0]]), 2)
    0.5
    """
    var = float(np.var(np.asarray(features, dtype=float)))
    return 1.0 / ((var if var > 0 else 1.0) * int(n_features))


def projected_gram(f1: np.ndarray, f2: np.ndarray | None, gamma: float) -> np.ndarray:
    """``exp(-gamma ||f1_i - f2_j||^2)`` (scikit-learn's ``rbf_kernel``); ``f2=None``: ``f1`` itself."""
    from sklearn.metrics.pairwise import rbf_kernel

    return rbf_kernel(np.asarray(f1, dtype=float), None if f2 is None else np.asarray(f2, dtype=float),
                      gamma=float(gamma))


def basis_templates(fmap: QuantumCircuit) -> dict[str, QuantumCircuit]:
    """The three circuits a hardware run executes per sample: ``fmap``, rotated into X, Y or Z, measured.

    Examples
    --------
    >>> from qvc.quantum.circuits import feature_map
    >>> t = basis_templates(feature_map(2))
    >>> sorted(t), t["Y"].count_ops()["sdg"], t["X"].count_ops()["h"] - t["Z"].count_ops()["h"]
    (['X', 'Y', 'Z'], 2, 2)
    """
    out = {}
    for basis in BASES:
        qc = fmap.copy()
        if basis == "Y":
            qc.sdg(range(qc.num_qubits))
        if basis in ("X", "Y"):
            qc.h(range(qc.num_qubits))
        qc.measure_all()
        out[basis] = qc
    return out
