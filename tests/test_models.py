import numpy as np
import pytest
from qiskit.quantum_info import Statevector
from qiskit_machine_learning.kernels import FidelityStatevectorKernel
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from qvc.data import prepare_dataset
from qvc.models import (
    ModelConfig,
    QuantumKernelSVC,
    VQCClassifier,
    build_model,
    match_mlp_hidden_units,
    mlp_param_count,
)
from qvc.quantum.circuits import feature_map


@pytest.fixture(scope="module")
def iris2():
    return prepare_dataset("iris", n_features=2, seed=0)


def test_kernel_gram_matches_qiskit_ml_and_statevector(iris2):
    X = iris2.X_train[:30]
    model = QuantumKernelSVC().fit(X, iris2.y_train[:30])
    ours = model.kernel_.evaluate(X)
    ref = FidelityStatevectorKernel(feature_map=feature_map(2)).evaluate(X)
    assert np.max(np.abs(ours - ref)) < 1e-10
    # and against an independent statevector computation of |<phi(x)|phi(y)>|^2
    fm = feature_map(2)
    states = [Statevector(fm.assign_parameters(x)).data for x in X[:5]]
    direct = np.abs(np.array([[np.vdot(a, b) for b in states] for a in states])) ** 2
    assert np.max(np.abs(ours[:5, :5] - direct)) < 1e-10


def test_qsvc_ledger_counts(iris2):
    n, m = 20, 7
    model = QuantumKernelSVC(shots=100).fit(iris2.X_train[:n], iris2.y_train[:n])
    assert model.ledger_.circuits(phase="fit") == n * (n - 1) // 2
    model.predict(iris2.X_test[:m])
    n_sv = len(model.svc_.support_)
    assert model.predict_ledger(iris2.X_test[:m]).circuits(phase="predict") == m * n_sv
    assert model.ledger_.circuits(phase="predict") == 0  # predict leaves the fit ledger alone
    assert model.ledger_.shots(phase="fit") == 100 * n * (n - 1) // 2


def test_qsvc_predictions_from_support_vectors_equal_full_gram(iris2):
    from sklearn.svm import SVC

    X, y = iris2.X_train[:40], iris2.y_train[:40]
    model = QuantumKernelSVC().fit(X, y)
    full = SVC(kernel="precomputed").fit(model.kernel_.evaluate(X), y)
    assert np.array_equal(model.predict(iris2.X_test), full.predict(model.kernel_.evaluate(iris2.X_test, X)))


def test_quantum_models_work_in_sklearn_tools(iris2):
    est = clone(QuantumKernelSVC(C=2.0))
    assert est.get_params()["C"] == 2.0 and not hasattr(est, "svc_")
    search = GridSearchCV(make_pipeline(MinMaxScaler((0, np.pi)), QuantumKernelSVC()),
                          {"quantumkernelsvc__C": [0.5, 2.0]}, cv=2)
    X, y = iris2.X_train[:30], iris2.y_train[:30]
    search.fit(X, y)
    by_hand = [cross_val_score(make_pipeline(MinMaxScaler((0, np.pi)), QuantumKernelSVC(C=c)), X, y, cv=2).mean()
               for c in (0.5, 2.0)]
    assert search.cv_results_["mean_test_score"] == pytest.approx(by_hand, abs=1e-12)
    assert search.best_score_ == pytest.approx(max(by_hand), abs=1e-12)


def test_vqc_trains_and_records_ledger(iris2):
    X, y = iris2.X_train[:12], iris2.y_train[:12]
    model = VQCClassifier(ansatz_reps=1, max_iter=4, seed=1).fit(X, y)
    assert model.n_weights_ == 4 and model.weights_.shape == (4,)
    assert model.ledger_.circuits(phase="fit") == model.n_evaluations_ * len(X)
    pred = model.predict(iris2.X_test[:5])
    assert set(pred) <= set(model.classes_)
    assert model.predict_ledger(iris2.X_test[:5]).circuits(phase="predict") == 5


def test_mlp_matching_rule():
    # VQC on 4 qubits with reps=3 has 16 weights; iris has 3 classes: 8h+3 -> h=2 (19)
    assert match_mlp_hidden_units(4, 3, 16) == (2, 19)
    # binary, 8 qubits: 32 weights; 8h + h + h + 1 = 10h + 1 -> h=3 (31)
    assert match_mlp_hidden_units(8, 2, 32) == (3, 31)
    built = build_model("mlp", ModelConfig(n_features=8, n_classes=2, max_iter=7))
    assert built.estimator.hidden_layer_sizes == (3,) and built.estimator.max_iter == 7
    assert mlp_param_count(8, 3, 2) == built.n_params == 31
    assert "closest" in built.matching
