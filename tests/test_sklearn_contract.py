"""The scikit-learn estimator contract for the quantum estimators (issue #14, item 6).

scikit-learn's own estimator checks run on both quantum estimators; the checks they are
expected to fail are declared below with the reason, and everything else must pass.
"""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from qvc.errors import QvcUsageError
from qvc.models import IQPKernelSVC, ProjectedKernelSVC, QuantumKernelSVC, ReuploadingClassifier, VQCClassifier

# check_classifiers_train asks for training accuracy > 0.83 on three standardised Gaussian
# blobs with default hyperparameters, a bar set for classical models. It is a statement
# about model capacity, not about the API: the ZZ feature map is periodic in its inputs
# and its kernel on unscaled blobs reaches 0.57 (0.83 on angle-scaled blobs, still not
# above 0.83); a VQC with a few COBYLA steps stays near 0.4-0.5. All API assertions of that
# check (shapes, predict_proba agreement, errors on wrong input) are covered by the other
# checks that pass.
_CAPACITY = (
    "training accuracy > 0.83 on standardised blobs at default hyperparameters: a capacity bar "
    "for classical models, not an API requirement (ZZ kernel reaches 0.57, VQC ~0.4)"
)
_EXPECTED_FAILURES = {"check_classifiers_train": _CAPACITY}


def _expected_failed_checks(estimator) -> dict[str, str]:
    if isinstance(estimator, IQPKernelSVC):  # the IQP kernel clears the capacity bar
        return {}
    return dict(_EXPECTED_FAILURES)


@parametrize_with_checks(
    [QuantumKernelSVC(), VQCClassifier(ansatz_reps=1, max_iter=10, seed=0), IQPKernelSVC(repeats=1),
     ProjectedKernelSVC(feature_map_reps=1), ReuploadingClassifier(layers=1, max_iter=10, seed=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))[:40]
    return MinMaxScaler((0, np.pi)).fit_transform(x[idx, :3]), y[idx]


def _models():
    return [QuantumKernelSVC(seed=0), VQCClassifier(ansatz_reps=1, max_iter=8, seed=0)]


@pytest.mark.parametrize(("model", "method"), [
    (QuantumKernelSVC(), "predict"), (QuantumKernelSVC(), "decision_function"),
    (QuantumKernelSVC(), "predict_ledger"), (VQCClassifier(), "predict"),
    (VQCClassifier(), "predict_proba"), (VQCClassifier(), "predict_ledger"),
])
def test_unfitted_raises_not_fitted(iris, model, method):
    with pytest.raises(NotFittedError):
        getattr(model, method)(iris[0])


@pytest.mark.parametrize("model", _models(), ids=["qsvc", "vqc"])
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_fitted_model_pickles_and_predicts_the_same(iris, model, dump, tmp_path):
    x, y = iris
    model.fit(x[:30], y[:30])
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(model))
    else:
        joblib.dump(model, tmp_path / "m.joblib")
        loaded = joblib.load(tmp_path / "m.joblib")
    assert np.array_equal(loaded.predict(x[30:]), model.predict(x[30:]))
    scores = "decision_function" if hasattr(model, "decision_function") else "predict_proba"
    np.testing.assert_allclose(getattr(loaded, scores)(x[30:]), getattr(model, scores)(x[30:]),
                               rtol=0, atol=1e-12)
    assert loaded.ledger_.circuits() == model.ledger_.circuits() > 0


def test_vqc_n_iter_is_the_cobyla_iterations(iris):
    x, y = iris
    model = VQCClassifier(ansatz_reps=1, max_iter=12, seed=0).fit(x, y)
    # COBYLA evaluates once per iteration; 6 weights need 8 evaluations to start, < 12
    assert 8 <= model.n_iter_ <= 12
    assert model.n_iter_ == model.n_evaluations_ == model.qnn_.forward_circuits // len(x)


@pytest.mark.parametrize("model", _models(), ids=["qsvc", "vqc"])
def test_predict_leaves_the_fit_ledger_alone(iris, model):
    x, y = iris
    model.fit(x[:30], y[:30])
    before = [(e.phase, e.n_circuits) for e in model.ledger_.entries]
    for _ in range(3):
        model.predict(x[30:])
    assert [(e.phase, e.n_circuits) for e in model.ledger_.entries] == before
    assert model.ledger_.circuits(phase="predict") == 0
    per_sample = model.predict_ledger(x[30:31]).circuits(phase="predict")
    assert per_sample > 0
    assert model.predict_ledger(x[30:]).circuits(phase="predict") == 10 * per_sample


def test_train_on_hardware_is_a_parameter_and_needs_ibm(iris):
    x, y = iris
    model = VQCClassifier(ansatz_reps=1, max_iter=2, train_on_hardware=True)
    assert model.get_params()["train_on_hardware"] is True
    with pytest.raises(QvcUsageError, match="needs an ibm:<backend> execution"):
        model.fit(x, y)
