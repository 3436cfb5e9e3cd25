"""StatevectorKernel / StatevectorQNN as drop-ins for qiskit-ml's kernel and SamplerQNN (issue #19).

Each test reproduces one way the drop-in used to differ from qiskit-ml and checks it
against qiskit-ml itself (exact mode, ~1e-10). qiskit-ml's own test suites run against
these classes in CI through tests/peer/run_qiskit_ml_suite.py.
"""

import pickle

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter
from qiskit_machine_learning.neural_networks import SamplerQNN

from qvc.errors import QvcUsageError
from qvc.quantum.circuits import ansatz, feature_map
from qvc.quantum.kernels import StatevectorKernel
from qvc.quantum.qnn import StatevectorQNN, parity_interpret


def test_evaluated_kernel_and_fitted_qsvc_pickle():
    from qiskit_machine_learning.algorithms import QSVC
    from sklearn.datasets import make_blobs

    x, y = make_blobs(30, n_features=2, centers=2, random_state=1)
    kernel = StatevectorKernel(feature_map=feature_map(2))
    before = kernel.evaluate(x[:5])
    again = pickle.loads(pickle.dumps(kernel))
    assert np.array_equal(again.evaluate(x[:5]), before)
    qsvc = QSVC(quantum_kernel=StatevectorKernel(feature_map=feature_map(2))).fit(x[:20], y[:20])
    loaded = pickle.loads(pickle.dumps(qsvc))
    assert np.array_equal(loaded.predict(x[20:]), qsvc.predict(x[20:]))
    np.testing.assert_allclose(loaded.decision_function(x[20:]), qsvc.decision_function(x[20:]), atol=1e-12)


def test_weight_dependent_global_phase_is_accepted_like_sampler_qnn():
    x, w = Parameter("x"), Parameter("w")
    c = QuantumCircuit(1)
    c.ry(x, 0)
    c.p(w, 0)
    c.ry(x, 0)
    t = transpile(c, basis_gates=["rz", "sx", "x", "cx"], optimization_level=0)
    assert w in t.global_phase.parameters  # the case of the issue: phase 3pi + w/2 (or similar)
    ours = StatevectorQNN(t, [x], [w])
    ref = SamplerQNN(circuit=t, input_params=[x], weight_params=[w])
    xs, ws = np.array([[0.3], [1.2]]), np.array([0.7])
    np.testing.assert_allclose(ours.forward(xs, ws), ref.forward(xs, ws), atol=1e-10)
    np.testing.assert_allclose(ours.backward(xs, ws)[1], ref.backward(xs, ws)[1], atol=1e-10)


def test_shots_backward_without_weight_dependent_gates():
    x, w = Parameter("x"), Parameter("w")
    qc = QuantumCircuit(1)
    qc.ry(x, 0)
    qnn = StatevectorQNN(qc, [x], [w], execution="shots", shots=100, seed=0, input_gradients=True)
    input_grad, weight_grad = qnn.backward(np.array([[0.4], [1.0]]), np.array([0.2]))
    assert input_grad.shape == (2, 2, 1) and np.all(np.isfinite(input_grad))
    assert np.array_equal(weight_grad, np.zeros((2, 2, 1)))  # nothing depends on w
    # d p(1)/dx = sin(x)/2, estimated from 100 shots per shifted circuit
    assert np.abs(input_grad[:, 1, 0] - np.sin([0.4, 1.0]) / 2).max() < 0.25


def _qnn_circuit(n=2):
    fm, an = feature_map(n, reps=1), ansatz(n, reps=1)
    qc = QuantumCircuit(n)
    qc.compose(fm, inplace=True)
    qc.compose(an, inplace=True)
    return qc, list(fm.parameters), list(an.parameters)


def test_tuple_output_shape_matches_sampler_qnn():
    qc, inputs, weights = _qnn_circuit()

    def interpret(b):
        parity = bin(b).count("1") % 2
        return np.array([parity, 2 * parity])

    ours = StatevectorQNN(qc, inputs, weights, interpret=interpret, output_shape=(2, 3), input_gradients=True)
    ref = SamplerQNN(circuit=qc, input_params=inputs, weight_params=weights, interpret=interpret,
                     output_shape=(2, 3), input_gradients=True)
    x, w = np.array([[0.1, 0.5], [1.0, 2.0]]), np.linspace(0.1, 0.4, 4)
    out = ours.forward(x, w)
    assert out.shape == (2, 2, 3)
    np.testing.assert_allclose(out, ref.forward(x, w), atol=1e-10)
    for a, b in zip(ours.backward(x, w), ref.backward(x, w)):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-10)
    with pytest.raises(QvcUsageError, match="returned the integer .* output_shape"):
        StatevectorQNN(qc, inputs, weights, interpret=parity_interpret(2), output_shape=(2, 3))


def test_transpiled_circuit_reads_out_virtual_qubits_like_sampler_qnn():
    from qiskit.providers.fake_provider import GenericBackendV2
    from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

    qc, inputs, weights = _qnn_circuit()
    qc.measure_all()
    backend = GenericBackendV2(num_qubits=8, seed=123, noise_info=False)
    pm = generate_preset_pass_manager(optimization_level=1, backend=backend, initial_layout=[5, 7])
    transpiled = pm.run(qc)
    ours = StatevectorQNN(transpiled, inputs, weights)
    logical = StatevectorQNN(qc, inputs, weights)
    assert ours.num_virtual_qubits == 2 and ours.output_shape == (4,)
    x, w = np.array([[0.1, 0.5], [1.0, 2.0]]), np.linspace(0.1, 0.4, 4)
    np.testing.assert_allclose(ours.forward(x, w), logical.forward(x, w), atol=1e-10)
    np.testing.assert_allclose(ours.backward(x, w)[1], logical.backward(x, w)[1], atol=1e-10)


def test_sampler_qnn_properties():
    qc, inputs, weights = _qnn_circuit()
    qnn = StatevectorQNN(qc, inputs, weights, interpret=parity_interpret(2), output_shape=2)
    assert qnn.input_params == inputs and qnn.weight_params == weights
    assert qnn.circuit is qc and qnn.interpret is not None and qnn.num_virtual_qubits == 2
    assert not qnn.input_gradients
    qnn.input_gradients = True
    assert qnn.backward(np.array([[0.1, 0.2]]), np.zeros(4))[0].shape == (1, 2, 2)


def test_shots_alone_selects_shot_noise_and_exact_with_shots_is_refused():
    x = np.random.default_rng(0).uniform(0, np.pi, (6, 2))
    exact = StatevectorKernel(feature_map=feature_map(2)).evaluate(x)
    noisy = StatevectorKernel(feature_map=feature_map(2), shots=10, seed=1, enforce_psd=False)
    assert noisy.mode.kind == "shots" and noisy.shots == 10
    k = noisy.evaluate(x)
    assert not np.allclose(k, exact) and np.allclose(k * 10, np.round(k * 10))  # multiples of 1/10
    with pytest.raises(QvcUsageError, match="no effect with execution='exact'"):
        StatevectorKernel(feature_map=feature_map(2), execution="exact", shots=10)
    qc, inputs, weights = _qnn_circuit()
    assert StatevectorQNN(qc, inputs, weights, shots=10).mode.kind == "shots"
    with pytest.raises(QvcUsageError, match="no effect with execution='exact'"):
        StatevectorQNN(qc, inputs, weights, execution="exact", shots=10)


def test_sparse_outputs_equal_dense():
    sparse = pytest.importorskip("sparse")
    qc, inputs, weights = _qnn_circuit()
    kw = dict(interpret=parity_interpret(2), output_shape=2, input_gradients=True)
    dense, sp = StatevectorQNN(qc, inputs, weights, **kw), StatevectorQNN(qc, inputs, weights, sparse=True, **kw)
    x, w = np.array([[0.1, 0.5]]), np.linspace(0.1, 0.4, 4)
    out = sp.forward(x, w)
    assert isinstance(out, sparse.SparseArray) and sp.sparse
    np.testing.assert_allclose(out.todense(), dense.forward(x, w), atol=1e-12)
    for a, b in zip(sp.backward(x, w), dense.backward(x, w)):
        assert isinstance(a, sparse.SparseArray)
        np.testing.assert_allclose(a.todense(), b, atol=1e-12)


def test_qnn_pickles_and_gives_the_same_outputs():
    qc, inputs, weights = _qnn_circuit()
    qnn = StatevectorQNN(qc, inputs, weights, interpret=parity_interpret(2), output_shape=2)
    x, w = np.array([[0.1, 0.5], [1.0, 2.0]]), np.linspace(0.1, 0.4, 4)
    out = qnn.forward(x, w)
    loaded = pickle.loads(pickle.dumps(qnn))
    np.testing.assert_allclose(loaded.forward(x, w), out, atol=1e-12)
