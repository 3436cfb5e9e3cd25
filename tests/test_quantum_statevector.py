"""The batched statevector engine equals qiskit's Statevector on the same circuits."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import U2Gate, efficient_su2, pauli_feature_map, real_amplitudes, zz_feature_map
from qiskit.quantum_info import Statevector

from qvc.errors import QvcUsageError
from qvc.quantum.statevector import CompiledCircuit


def _max_error(qc, rng, batch=3):
    values = rng.uniform(-3, 3, (batch, qc.num_parameters))
    states = CompiledCircuit(qc).statevectors(values)
    return max(
        np.abs(states[i] - Statevector(qc.assign_parameters(values[i])).data).max() for i in range(batch)
    )


@pytest.mark.parametrize(
    "qc",
    [zz_feature_map(5), zz_feature_map(4, entanglement="linear", reps=3), real_amplitudes(5, reps=2),
     efficient_su2(4), pauli_feature_map(3, paulis=["X", "YZ", "ZZ"])],
    ids=["zz5", "zz4-linear", "real_amplitudes", "efficient_su2", "pauli"],
)
def test_library_circuits_match_qiskit(qc):
    assert _max_error(qc, np.random.default_rng(0)) < 1e-10


def test_mixed_standard_gates_match_qiskit():
    t = ParameterVector("t", 8)
    qc = QuantumCircuit(5)
    gates = [
        ("h", 0), ("rx", 2 * t[0] + 1, 1), ("cry", t[1], 0, 2), ("crx", t[2], 3, 1), ("rzz", t[3], 0, 3),
        ("rxx", t[4], 1, 2), ("ryy", t[5] ** 2, 2, 3), ("u", t[6], t[7], 0.3, 2),
        ("cu", t[0], t[1], t[2], t[3], 1, 0), ("ccx", 0, 1, 2), ("swap", 1, 3), ("y", 2), ("s", 1),
        ("t", 0), ("sx", 3), ("cswap", 0, 1, 2), ("crz", t[4], 2, 0), ("cp", t[5], 3, 1), ("rz", t[6], 1),
        ("p", t[7], 2), ("ecr", 0, 1), ("iswap", 2, 3), ("r", t[0], t[1], 3), ("cy", 0, 3), ("ch", 1, 2),
        ("rzx", t[1], 0, 2), ("mcx", [0, 1, 2], 4), ("h", range(5)), ("ry", t[3], 4),
    ]
    for name, *args in gates:
        getattr(qc, name)(*args)
    qc.append(U2Gate(t[2], t[3]), [0])
    qc.global_phase = t[0]
    assert _max_error(qc, np.random.default_rng(1)) < 1e-10


def test_parameter_order_and_measurements():
    fm = zz_feature_map(3)
    measured = fm.copy()
    measured.measure_all()
    x = np.random.default_rng(2).random((4, 3))
    a = CompiledCircuit(fm).statevectors(x)
    b = CompiledCircuit(measured).statevectors(x)
    assert np.allclose(a, b, atol=1e-14)
    with pytest.raises(QvcUsageError, match="parameter values"):
        CompiledCircuit(fm).statevectors(np.zeros((2, 5)))


def test_mid_circuit_measurement_is_rejected():
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.h(0)
    with pytest.raises(QvcUsageError, match="mid-circuit"):
        CompiledCircuit(qc)


def test_parameter_shift_gradient_matches_finite_differences():
    t = ParameterVector("t", 3)
    qc = QuantumCircuit(2)
    qc.ry(2 * t[0], 0)
    qc.cx(0, 1)
    qc.rx(t[1] * t[2], 1)
    qc.rzz(t[2], 0, 1)
    qc.ry(t[0], 1)
    cc = CompiledCircuit(qc)
    values = np.random.default_rng(3).uniform(-2, 2, (4, 3))
    grad, shifted = cc.probability_gradients(values, [0, 1, 2], lambda p: p)
    assert shifted == 2 * 4  # four parametrised gate angles, two shifts each
    eps = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        plus, minus = cc.statevectors(values + step), cc.statevectors(values - step)
        fd = (np.abs(plus) ** 2 - np.abs(minus) ** 2) / (2 * eps)
        assert np.abs(grad[:, :, j] - fd).max() < 1e-7


def test_phase_blocks_with_permutations_and_constant_prefix_match_qiskit():
    # quadratic-form blocks with affine permutations (x, cx, swap, y) and constant phases (s, cz),
    # a block that is not quadratic (rzz on a three-bit parity) and a non-affine one (ccx)
    t = ParameterVector("t", 3)
    qc = QuantumCircuit(5)
    qc.h(range(4))
    qc.x(4)
    for q in range(5):
        qc.p(t[q % 3] * (q + 1), q)
    qc.cx(0, 2)
    qc.rz(t[0], 2)
    qc.swap(1, 3)
    qc.cp(t[1], 1, 0)
    qc.s(3)
    qc.cz(0, 4)
    qc.y(0)
    qc.crz(t[2], 4, 1)
    qc.cx(3, 1)
    qc.h(range(5))
    qc.rzz(t[2], 2, 3)  # qubit 2 carries b0 ^ b2 here: cubic phase, the general path
    qc.h(1)
    qc.ccx(0, 1, 2)
    qc.rz(t[0], 1)
    qc.global_phase = 0.3
    assert _max_error(qc, np.random.default_rng(4)) < 1e-10


def test_compiled_circuits_are_shared_between_equal_circuits():
    from qvc.quantum.statevector import compile_circuit

    a = compile_circuit(zz_feature_map(3))
    assert compile_circuit(zz_feature_map(3)) is a  # fresh Parameter objects, same circuit
    assert compile_circuit(zz_feature_map(3, reps=1)) is not a
    assert compile_circuit(zz_feature_map(3, alpha=1.5)) is not a
    qc = zz_feature_map(3)
    x = np.random.default_rng(5).random((2, 3))
    assert np.allclose(compile_circuit(qc).statevectors(x), CompiledCircuit(qc).statevectors(x), atol=1e-14)


def test_repeated_phase_blocks_and_small_direct_tables_match_qiskit(monkeypatch):
    # every rep of a ZZ map has the same phase table (built once per batch), also when a rep's
    # parameters appear in another order or a rep differs (alpha); tables of <= 16 basis states
    # are built by sin/cos directly, larger ones by doubling: both equal qiskit
    from qvc.quantum.statevector import blocks as sv

    fm = zz_feature_map(3)
    x = list(fm.parameters)
    other = QuantumCircuit(3)
    other.h(range(3))
    for a, b in ((0, 1), (0, 2), (1, 2)):
        other.rzz(x[b] * x[a], a, b)
    circuits = [zz_feature_map(2, reps=3), zz_feature_map(4), zz_feature_map(5), fm.compose(other),
                fm.compose(zz_feature_map(3, alpha=1.5, parameter_prefix="y")).compose(fm)]
    for qc in circuits:
        cc = CompiledCircuit(qc)
        assert cc._shared_tables() or qc.num_qubits == 3
        assert _max_error(qc, np.random.default_rng(6)) < 1e-10
    monkeypatch.setattr(sv, "_DIRECT_TABLE_MAX_DIM", 2**10)
    for qc in circuits:
        assert _max_error(qc, np.random.default_rng(6)) < 1e-10


def test_shifted_angle_columns_are_not_taken_from_a_repeated_block():
    # parameter shift moves one angle column: the rep that holds it needs its own table
    qc = zz_feature_map(3)
    cc = CompiledCircuit(qc)
    assert cc._shared_tables()
    values = np.random.default_rng(7).uniform(0, np.pi, (2, 3))
    angles = cc.angles(values)
    col = max(cc._shared_tables())  # a column of the last rep's block
    qf = cc._ops[col].quadratic()
    shifted = angles.copy()
    shifted[:, qf.cols[0]] += 0.7
    got = cc.run_angles(shifted)
    cc._shared = {}  # the same run without sharing
    assert np.abs(got - cc.run_angles(shifted)).max() < 1e-12


def test_constant_layers_of_several_windows_match_qiskit():
    # the second Hadamard layer of a 9- and 10-qubit map spans three windows, written into two
    # alternating arrays (the run's own state among them); a layer with a complex window (s, h)
    qc = QuantumCircuit(10)
    qc.h(range(10))
    qc.s(range(0, 10, 3))
    qc.rz(ParameterVector("t", 1)[0], 4)
    qc.h(range(10))
    for circuit in (zz_feature_map(9), zz_feature_map(10, reps=3), qc):
        assert _max_error(circuit, np.random.default_rng(8), batch=2) < 1e-10


@pytest.mark.parametrize(
    "qc",
    [zz_feature_map(5), zz_feature_map(4, entanglement="linear", reps=3), real_amplitudes(5, reps=2),
     efficient_su2(4), pauli_feature_map(3, paulis=["X", "YZ", "ZZ"])],
    ids=["zz5", "zz4-linear", "real_amplitudes", "efficient_su2", "pauli"],
)
@pytest.mark.parametrize("threads", [1, 2])
def test_chunked_and_threaded_runs_match_qiskit(qc, threads, monkeypatch):
    # chunks of 3 states (a ragged last one), written into the result; scratch reused across chunks
    import qvc._validation as v

    monkeypatch.setattr(v, "ENGINE_CHUNK_BYTES", 3 * 16 * 2**qc.num_qubits)
    rng = np.random.default_rng(1)
    values = rng.uniform(-3, 3, (8, qc.num_parameters))
    cc = CompiledCircuit(qc)
    states = cc.run_angles(cc.angles(values), threads=threads)
    for i in range(len(values)):
        assert np.abs(states[i] - Statevector(qc.assign_parameters(values[i])).data).max() < 1e-10
    again = cc.statevectors(values)  # a second call reuses the workspace: same result
    assert np.abs(again - states).max() < 1e-14
    start = rng.normal(size=states.shape) + 1j * rng.normal(size=states.shape)  # from given states
    ref = [Statevector(start[i] / np.linalg.norm(start[i])).evolve(qc.assign_parameters(values[i])).data
           for i in range(len(values))]
    got = cc.run_angles(cc.angles(values), start / np.linalg.norm(start, axis=1)[:, None], threads=threads)
    assert max(np.abs(got[i] - ref[i]).max() for i in range(len(values))) < 1e-10


def test_state_build_allocates_little_beyond_its_result(monkeypatch):
    # numpy's allocations are traced by tracemalloc (the prefaulted mmap is not: use np.empty here)
    import tracemalloc

    from qvc.quantum.statevector import buffers, compiler

    monkeypatch.setattr(buffers, "_POPULATE", None)
    monkeypatch.setattr(compiler, "_POOL", buffers.WorkspacePool())
    n, rows = 12, 200
    cc = CompiledCircuit(zz_feature_map(n))
    values = np.random.default_rng(0).uniform(0, np.pi, (rows, n))
    angles = cc.angles(values)
    tracemalloc.start()
    cc.run_angles(angles)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result = rows * 2**n * 16
    scratch = buffers.workspace_bytes(n, rows)
    assert peak <= result + scratch + 2 * 2**20, (peak / result, scratch / result)
