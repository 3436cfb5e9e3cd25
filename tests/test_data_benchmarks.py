"""The Bowles-Ahmed-Schuld benchmark families: listed, runnable, deterministic per seed and dimension."""

import numpy as np
import pytest

from qvc.cli import main
from qvc.data import DATASETS, prepare_dataset
from qvc.data.benchmarks import FAMILIES, generate
from qvc.errors import QvcUsageError


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_is_deterministic_balanced_and_seed_dependent(name):
    d = 9 if name == "bars_and_stripes" else 5
    X1, y1 = generate(name, d, seed=3)
    X2, y2 = generate(name, d, seed=3)
    X3, _ = generate(name, d, seed=4)
    assert X1.shape == (300, d) and np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    assert set(np.unique(y1)) == {0, 1} and 0.35 < y1.mean() < 0.65
    assert name in DATASETS


def test_linearly_separable_keeps_its_margin():
    X, y = generate("linearly_separable", 6, seed=0)
    s = X.sum(axis=1)
    assert np.all(np.abs(s) > 0.02 * 6) and np.array_equal(y, (s > 0).astype(int))


def test_prepare_uses_the_requested_dimension():
    d = prepare_dataset("hidden_manifold", n_features=3, seed=1)
    assert d.n_features == 3 and "pca" not in d.preprocessing
    assert len(d.y_train) + len(d.y_test) == 300


def test_bars_and_stripes_needs_a_square():
    with pytest.raises(QvcUsageError, match="square"):
        prepare_dataset("bars_and_stripes", n_features=5, seed=0)


def test_listed_and_runnable(tmp_path, capsys):
    assert main(["datasets"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in FAMILIES)
    assert main(["run", "two_curves", "--qubits", "3", "--models", "svm", "--seeds", "1", "--no-tune",
                 "--out", str(tmp_path), "--quiet"]) == 0
