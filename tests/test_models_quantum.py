"""Quantum estimators: sklearn compatibility, execution modes and ledger counts."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from qvc.errors import QvcUsageError
from qvc.models import QuantumKernelSVC, VQCClassifier


@pytest.fixture(scope="module")
def iris_small():
    x, y = load_iris(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))[:45]
    return MinMaxScaler((0, np.pi)).fit_transform(x[idx]), y[idx]


def test_qsvc_ledger_counts_fit_pairs_and_predict_support_vectors(iris_small):
    x, y = iris_small
    model = QuantumKernelSVC(seed=0).fit(x[:30], y[:30])
    assert model.ledger_.circuits(phase="fit") == 30 * 29 // 2
    model.predict(x[30:])
    n_support = len(model.svc_.support_)
    assert model.predict_ledger(x[30:]).circuits(phase="predict") == 15 * n_support
    assert model.kernel_.last_circuits == 15 * n_support


def test_qsvc_exact_matches_qiskit_ml_kernel(iris_small):
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    x, y = iris_small
    model = QuantumKernelSVC().fit(x, y)
    ref = FidelityStatevectorKernel(feature_map=model.feature_map_).evaluate(x)
    assert np.abs(model.kernel_.evaluate(x) - ref).max() < 1e-10


def test_vqc_ledger_counts_what_cobyla_evaluated(iris_small):
    x, y = iris_small
    model = VQCClassifier(ansatz_reps=1, max_iter=15, seed=1).fit(x[:30], y[:30])
    assert model.n_evaluations_ == model.qnn_.forward_circuits // 30
    assert model.ledger_.circuits(phase="fit") == 30 * model.n_evaluations_  # COBYLA: no gradient circuits
    proba = model.predict_proba(x[30:])
    assert proba.shape == (15, 3) and np.allclose(proba.sum(1), 1.0)  # mod-3 parity covers all outcomes
    assert model.predict_ledger(x[30:]).circuits(phase="predict") == 15
    assert set(model.predict(x[30:])) <= set(model.classes_)


@pytest.mark.parametrize("execution", ["exact", "shots", "noisy:fake_manila"])
def test_every_mode_fits_and_predicts(iris_small, execution):
    x, y = iris_small
    x, y = x[:16, :2], y[:16]
    for model in (QuantumKernelSVC(execution=execution, shots=128, seed=0),
                  VQCClassifier(ansatz_reps=1, max_iter=3, shots=128, execution=execution, seed=0)):
        pred = model.fit(x, y).predict(x)
        assert pred.shape == (16,)
        assert model.ledger_.circuits(phase="fit") > 0


def test_shots_mode_is_reproducible_and_differs_from_exact(iris_small):
    x, y = iris_small
    a = QuantumKernelSVC(execution="shots", shots=64, seed=3).fit(x, y).kernel_.evaluate(x[:5], x[5:9])
    b = QuantumKernelSVC(execution="shots", shots=64, seed=3).fit(x, y).kernel_.evaluate(x[:5], x[5:9])
    exact = QuantumKernelSVC().fit(x, y).kernel_.evaluate(x[:5], x[5:9])
    assert np.array_equal(a, b) and not np.allclose(a, exact)


def test_unknown_execution_mode_is_a_usage_error(iris_small):
    x, y = iris_small
    with pytest.raises(QvcUsageError, match="unknown fake backend"):
        QuantumKernelSVC(execution="noisy:fake_atlantis").fit(x, y)
    with pytest.raises(QvcUsageError, match="unknown execution mode"):
        VQCClassifier(execution="perfect").fit(x, y)


def test_sklearn_clone_pipeline_and_grid_search(iris_small):
    x, y = iris_small
    model = QuantumKernelSVC(C=2.0, execution="shots", seed=1)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    pipe = make_pipeline(MinMaxScaler((0, np.pi)), QuantumKernelSVC())
    assert pipe.fit(x, y).score(x, y) > 0.5
    # The search really sets each candidate: its CV scores equal models built with that value.
    grid = GridSearchCV(QuantumKernelSVC(), {"C": [0.01, 5.0]}, cv=2).fit(x, y)
    by_hand = [cross_val_score(QuantumKernelSVC(C=c), x, y, cv=2).mean() for c in (0.01, 5.0)]
    assert grid.cv_results_["mean_test_score"] == pytest.approx(by_hand, abs=1e-12)
    assert grid.best_params_["C"] == (0.01, 5.0)[int(np.argmax(by_hand))]
    vqc_grid = GridSearchCV(VQCClassifier(ansatz_reps=1, max_iter=3, seed=0), {"ansatz_reps": [1, 2]}, cv=2)
    best = vqc_grid.fit(x[:, :2], y).best_estimator_
    # real_amplitudes on 2 qubits: 2 * (reps + 1) weights
    assert best.n_weights_ == 2 * (vqc_grid.best_params_["ansatz_reps"] + 1)
    by_hand = [cross_val_score(VQCClassifier(ansatz_reps=r, max_iter=3, seed=0), x[:, :2], y, cv=2).mean()
               for r in (1, 2)]
    assert vqc_grid.cv_results_["mean_test_score"] == pytest.approx(by_hand, abs=1e-12)
