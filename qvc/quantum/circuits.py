"""Circuit builders shared by the quantum models and the ledger."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit.library import pauli_feature_map, real_amplitudes, zz_feature_map

#: Entanglement patterns of the ZZ feature map (qiskit's names), and ``none``: no two-qubit gate at
#: all (the map's one-qubit ``Z`` part; the VQC's ansatz without its ``cx`` layers), the
#: no-entanglement control of Bowles, Ahmed & Schuld 2024 (arXiv:2403.07059).
ENTANGLEMENTS = ("full", "linear", "reverse_linear", "circular", "pairwise", "sca", "none")


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

    ``entanglement="none"`` drops every pair term: the same Hadamard layers and one-qubit
    phases (``pauli_feature_map(paulis=["Z"])``), a product state.

    >>> feature_map(3, entanglement="none").decompose().num_nonlocal_gates()
    0
    """
    alpha = 2.0 * float(bandwidth)
    if num_qubits == 1 or entanglement == "none":
        return pauli_feature_map(num_qubits, reps=reps, paulis=["Z"], alpha=alpha)
    return zz_feature_map(num_qubits, reps=reps, entanglement=entanglement, alpha=alpha)


def ansatz(num_qubits: int, reps: int = 3, entanglement: str = "reverse_linear") -> QuantumCircuit:
    """``real_amplitudes`` ansatz with ``num_qubits * (reps + 1)`` weights.

    ``entanglement="none"``: the same ``ry`` weights without the ``cx`` layers (the
    no-entanglement control); any other value keeps qiskit's default (``reverse_linear``).

    Examples
    --------
    >>> ansatz(4, reps=3).num_parameters, ansatz(4, reps=3, entanglement="none").num_parameters
    (16, 16)
    """
    if entanglement == "none":
        return real_amplitudes(num_qubits, reps=reps, entanglement=[])
    return real_amplitudes(num_qubits, reps=reps)


def iqp_feature_map(num_qubits: int, repeats: int = 2, scaling: float = 1.0) -> QuantumCircuit:
    r"""IQP embedding (Havlicek et al. 2019), as qml-benchmarks' ``IQPKernelClassifier`` builds it.

    Each repeat is a Hadamard layer, ``rz(s x_i)`` on every qubit and ``rzz(s^2 x_i x_j)``
    on every pair ``i < j`` (PennyLane's ``IQPEmbedding`` with its default all-pairs pattern:
    ``MultiRZ`` on two wires is ``rzz``); ``s`` is qml-benchmarks' ``scaling``. qml-benchmarks
    min-max scales the features to ``[-pi/2, pi/2]``
    (XanaduAI/qml-benchmarks, src/qml_benchmarks/models/iqp_kernel.py); qvc's features arrive
    in ``[0, pi]``, so the circuit takes ``x_i - pi/2``: the same angles.

    Examples
    --------
    >>> qc = iqp_feature_map(3, repeats=2)
    >>> qc.num_parameters, dict(qc.count_ops())
    (3, {'h': 6, 'rz': 6, 'rzz': 6})
    """
    from math import pi

    from qiskit.circuit import ParameterVector

    x = ParameterVector("x", num_qubits)
    s = float(scaling)
    u = [s * (x[i] - pi / 2) for i in range(num_qubits)]
    qc = QuantumCircuit(num_qubits, name="iqp")
    for _ in range(int(repeats)):
        qc.h(range(num_qubits))
        for i in range(num_qubits):
            qc.rz(u[i], i)
        for i in range(num_qubits):
            for j in range(i + 1, num_qubits):
                qc.rzz(u[i] * u[j], i, j)
    return qc


def reupload_circuit(num_qubits: int, layers: int = 3, entanglement: str = "brickwork"
                     ) -> tuple[QuantumCircuit, list, list]:
    r"""Data re-uploading classifier circuit (Perez-Salinas et al., Quantum 4, 226 (2020)).

    Every layer uploads the data again: on each qubit ``rx(w_{l,i} x_i + b_{l,i})`` (a trainable
    scale and offset of feature ``i``, the paper's :math:`	heta + w \circ x`) then a trainable
    ``ry(t_{l,i})``; between layers a brickwork of ``cz`` gates (pairs ``(0,1),(2,3),...`` then
    ``(1,2),(3,4),...``, alternating, as qml-benchmarks' ``DataReuploadingClassifier``);
    ``entanglement="none"`` leaves them out. ``3 x layers x num_qubits`` weights.

    Returns
    -------
    circuit, input_params, weight_params

    Examples
    --------
    >>> qc, x, w = reupload_circuit(3, layers=3)
    >>> len(x), len(w), qc.count_ops()["cz"]
    (3, 27, 2)
    """
    from qiskit.circuit import ParameterVector

    x = ParameterVector("x", num_qubits)
    w = ParameterVector("w", 3 * int(layers) * num_qubits)
    qc = QuantumCircuit(num_qubits, name="reupload")
    k = 0
    for layer in range(int(layers)):
        for i in range(num_qubits):
            qc.rx(w[k] * x[i] + w[k + 1], i)
            qc.ry(w[k + 2], i)
            k += 3
        if entanglement != "none" and layer < int(layers) - 1:
            for i in range(layer % 2, num_qubits - 1, 2):
                qc.cz(i, i + 1)
    return qc, list(x), list(w)


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
