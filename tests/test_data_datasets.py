import numpy as np
import pytest

from qvc.data import ANGLE_RANGE, list_datasets, prepare_dataset
from qvc.errors import QvcUsageError


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "wine", "moons", "circles"])
def test_bundled_datasets_are_reduced_and_scaled(name):
    d = prepare_dataset(name, n_features=2, seed=3)
    assert d.X_train.shape[1] == d.X_test.shape[1] == d.n_features == 2
    # min-max fitted on the training split: training features span exactly the angle range
    assert np.allclose(d.X_train.min(axis=0), ANGLE_RANGE[0])
    assert np.allclose(d.X_train.max(axis=0), ANGLE_RANGE[1])
    assert set(np.unique(d.y_train)) == set(range(d.n_classes))


def test_split_is_stratified_and_seeded():
    a = prepare_dataset("iris", n_features=4, seed=7)
    b = prepare_dataset("iris", n_features=4, seed=7)
    c = prepare_dataset("iris", n_features=4, seed=8)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)
    # 150 iris samples, 50 per class, 25 % held out stratified -> 12 or 13 per class in test
    assert sorted(np.bincount(a.y_test).tolist()) == [12, 13, 13]


def test_pca_used_when_fewer_qubits_than_features():
    d = prepare_dataset("breast_cancer", n_features=3, seed=0)
    assert d.preprocessing["pca"]["n_components"] == 3
    assert 0 < d.preprocessing["pca"]["explained_variance_ratio"] < 1


def test_ad_hoc_keeps_its_native_range():
    d = prepare_dataset("ad_hoc", n_features=2, seed=1)
    assert d.feature_range == (0.0, 2 * np.pi)
    assert d.X_train.max() <= 2 * np.pi and d.n_classes == 2


def test_csv_dataset(tmp_path):
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    d = prepare_dataset("csv", n_features=3, csv_path=path, target="target")
    assert d.name == "wine" and d.n_features == 3 and d.n_classes == 3


@pytest.mark.parametrize(
    "content, target, message",
    [
        ("a,b,y\n1,x,0\n2,3,1\n", "y", "not numeric"),
        ("a,b,y\n1,,0\n2,3,1\n", "y", "missing values"),
        ("a,b,y\n1,2,0\n2,3,1\n", "label", "not in"),
    ],
)
def test_bad_csv_is_a_usage_error(tmp_path, content, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(QvcUsageError, match=message):
        prepare_dataset("csv", csv_path=path, target=target)


def test_unknown_dataset_and_too_many_qubits():
    with pytest.raises(QvcUsageError, match="unknown dataset"):
        prepare_dataset("mnist")
    with pytest.raises(QvcUsageError, match="iris has 4 features"):
        prepare_dataset("iris", n_features=5)
    assert "iris" in list_datasets()
