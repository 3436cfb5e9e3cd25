"""Circuit builders shared by the quantum models and the ledger."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit.library import pauli_feature_map, real_amplitudes, zz_feature_map

#: Entanglement patterns of the ZZ feature map (qiskit's names).
ENTANGLEMENTS = ("full", "linear", "reverse_linear", "circular", "pairwise", "sca")


def feature_map(
    num_qubits: int, reps: int = 2, entanglement: str = "full", bandwidth: float = 1.0
) -> QuantumCircuit:
    """ZZ feature map (qiskit's ``zz_feature_map``), the default data encoding.

    ``bandwidth`` scales *every* rotation angle of the map: it is qiskit's
    ``alpha = 2 * bandwidth``, so the one-qubit phases are ``2 b x_i`` and the pair
    phases ``2 b (pi - x_i)(pi - x_j)``. ``bandwidth=1`` is qiskit's default map;
    small values give the wide, low-entanglement kernels of Shaydulin & Wild,
    "Importance of kernel bandwidth in quantum machine learning" (arXiv:2111.05451).
    (Scaling only the inputs would leave the pair phases near the constant pi**2.)

    On one qubit there are no pairs, so the ZZ map is its single-qubit (``Z``) part;
    qiskit's ``zz_feature_map`` refuses one qubit, so that case is built as
    ``pauli_feature_map(1, paulis=["Z"], alpha=2 * bandwidth)``, the same circuit.

    Examples
    --------
    >>> feature_map(3).num_parameters, feature_map(1).num_parameters
    (3, 1)
    >>> feature_map(2, reps=1, bandwidth=0.1).num_parameters
    2
    """
    alpha = 2.0 * float(bandwidth)
    if num_qubits == 1:
        return pauli_feature_map(1, reps=reps, paulis=["Z"], alpha=alpha)
    return zz_feature_map(num_qubits, reps=reps, entanglement=entanglement, alpha=alpha)


def ansatz(num_qubits: int, reps: int = 3) -> QuantumCircuit:
    """``real_amplitudes`` ansatz with ``num_qubits * (reps + 1)`` weights.

    Examples
    --------
    >>> ansatz(4, reps=3).num_parameters
    16
    """
    return real_amplitudes(num_qubits, reps=reps)


def kernel_template(fmap: QuantumCircuit) -> QuantumCircuit:
    """Compute-uncompute fidelity circuit ``U(x) U(y)^dagger`` with measurements.

    The fidelity ``|<phi(y)|phi(x)>|^2`` is the probability of the all-zeros outcome.
    """
    from qiskit.circuit import ParameterVector

    n = fmap.num_parameters
    x, y = ParameterVector("x", n), ParameterVector("y", n)
    left = fmap.assign_parameters(dict(zip(fmap.parameters, x)))
    right = fmap.assign_parameters(dict(zip(fmap.parameters, y)))
    qc = left.compose(right.inverse())
    qc.measure_all()
    return qc


def qnn_template(fmap: QuantumCircuit, ans: QuantumCircuit) -> QuantumCircuit:
    """Feature map followed by the ansatz, measured on all qubits."""
    qc = fmap.compose(ans)
    qc.measure_all()
    return qc
