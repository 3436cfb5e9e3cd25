"""StatevectorQNN equals qiskit's exact references (forward and gradients) and counts its circuits."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_machine_learning.neural_networks import EstimatorQNN

from qvc.errors import QvcUsageError
from qvc.quantum.circuits import ansatz, feature_map
from qvc.quantum.qnn import StatevectorQNN, parity_interpret


def _circuit(n, reps=2):
    fm, an = feature_map(n), ansatz(n, reps=reps)
    qc = QuantumCircuit(n)
    qc.compose(fm, inplace=True)
    qc.compose(an, inplace=True)
    return qc, fm, an


@pytest.mark.parametrize("n_classes", [2, 3])
def test_forward_equals_statevector_probabilities(n_classes):
    rng = np.random.default_rng(n_classes)
    qc, fm, an = _circuit(3)
    x, w = rng.uniform(0, 2, (7, 3)), rng.uniform(-np.pi, np.pi, an.num_parameters)
    qnn = StatevectorQNN(qc, fm.parameters, an.parameters,
                         interpret=parity_interpret(n_classes), output_shape=n_classes)
    out = qnn.forward(x, w)
    ref = np.zeros((7, n_classes))
    for i, xi in enumerate(x):
        probs = Statevector(qc.assign_parameters(np.r_[xi, w])).probabilities()  # sorted parameter order
        np.add.at(ref[i], np.arange(probs.size) % n_classes, probs)
    assert np.abs(out - ref).max() < 1e-10
    assert qnn.forward_circuits == 7


def test_forward_and_gradients_equal_estimator_qnn():
    rng = np.random.default_rng(0)
    n = 3
    qc, fm, an = _circuit(n)
    x, w = rng.uniform(0, 2, (5, n)), rng.uniform(-np.pi, np.pi, an.num_parameters)
    ours = StatevectorQNN(qc, fm.parameters, an.parameters, interpret=parity_interpret(2), output_shape=2,
                          input_gradients=True)
    # parity mod 2 is qubit 0's bit, so p0 - p1 = <Z_0>
    ref = EstimatorQNN(circuit=qc, observables=SparsePauliOp("I" * (n - 1) + "Z"), input_params=fm.parameters,
                       weight_params=an.parameters, estimator=StatevectorEstimator(), input_gradients=True,
                       default_precision=0.0)
    out = ours.forward(x, w)
    assert np.abs((out[:, 0] - out[:, 1]) - ref.forward(x, w)[:, 0]).max() < 1e-10
    in_grad, w_grad = ours.backward(x, w)
    ref_in, ref_w = ref.backward(x, w)
    assert np.abs((w_grad[:, 0] - w_grad[:, 1]) - ref_w[:, 0]).max() < 1e-10
    assert np.abs((in_grad[:, 0] - in_grad[:, 1]) - ref_in[:, 0]).max() < 1e-10
    # weights: 2 shifts per ansatz angle; inputs: 2 per feature-map angle that holds an input
    n_feature_angles = sum(1 for inst in fm.data if inst.operation.params)
    assert ours.gradient_circuits == 5 * 2 * (an.num_parameters + n_feature_angles)


def test_shots_mode_is_seeded_and_unbiased():
    rng = np.random.default_rng(4)
    qc, fm, an = _circuit(2, reps=1)
    x, w = rng.uniform(0, 2, (3, 2)), rng.uniform(-np.pi, np.pi, an.num_parameters)
    exact = StatevectorQNN(qc, fm.parameters, an.parameters, interpret=parity_interpret(2),
                           output_shape=2).forward(x, w)
    qnn = StatevectorQNN(qc, fm.parameters, an.parameters, interpret=parity_interpret(2), output_shape=2,
                         execution="shots", shots=100, seed=3)
    draws = np.stack([qnn.forward(x, w) for _ in range(2000)])
    assert np.all(np.abs(draws.mean(0) - exact) < 5 * np.sqrt(exact * (1 - exact) / 100 / 2000) + 1e-12)
    again = StatevectorQNN(qc, fm.parameters, an.parameters, interpret=parity_interpret(2), output_shape=2,
                           execution="shots", shots=100, seed=3)
    assert np.array_equal(again.forward(x, w), draws[0])


def test_noisy_mode_forward_only():
    qc, fm, an = _circuit(2, reps=1)
    qnn = StatevectorQNN(qc, fm.parameters, an.parameters, interpret=parity_interpret(2), output_shape=2,
                         execution="noisy:fake_manila", shots=500, seed=0)
    out = qnn.forward(np.full((2, 2), 0.3), np.zeros(an.num_parameters))
    assert out.shape == (2, 2) and np.allclose(out.sum(1), 1.0)
    with pytest.raises(QvcUsageError, match="COBYLA"):
        qnn.backward(np.full((2, 2), 0.3), np.zeros(an.num_parameters))


def test_interpret_validation():
    qc, fm, an = _circuit(2, reps=1)
    with pytest.raises(QvcUsageError, match="output_shape"):
        StatevectorQNN(qc, fm.parameters, an.parameters, interpret=parity_interpret(2))
    with pytest.raises(QvcUsageError, match="outside"):
        StatevectorQNN(qc, fm.parameters, an.parameters, interpret=lambda b: b, output_shape=2)


@pytest.mark.parametrize("interpret", [None, 3])
def test_adjoint_gradients_equal_parameter_shift(interpret):
    rng = np.random.default_rng(7)
    n = 3
    qc, fm, an = _circuit(n)
    x, w = rng.uniform(0, 2, (4, n)), rng.uniform(-np.pi, np.pi, an.num_parameters)
    kwargs = {} if interpret is None else {"interpret": parity_interpret(interpret), "output_shape": interpret}
    qnn = StatevectorQNN(qc, fm.parameters, an.parameters, input_gradients=True, **kwargs)
    in_grad, w_grad = qnn.backward(x, w)
    values = np.hstack([x, np.broadcast_to(w, (4, w.size))])
    n_in = len(fm.parameters)
    ps_w, _ = qnn._suffix.probability_gradients(values, list(range(n_in, values.shape[1])), qnn._reduce,
                                                initial=qnn._prefix_states(x))
    ps_in, _ = qnn._full.probability_gradients(values, list(range(n_in)), qnn._reduce)
    assert np.abs(w_grad - ps_w).max() < 1e-10
    assert np.abs(in_grad - ps_in).max() < 1e-10
