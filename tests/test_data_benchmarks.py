"""The Bowles-Ahmed-Schuld benchmark families: listed, runnable, deterministic per seed and dimension."""

import numpy as np
import pytest

from qvc.cli import main
from qvc.data import DATASETS, DEFAULT_QUBITS, prepare_dataset
from qvc.data.benchmarks import FAMILIES, generate
from qvc.errors import QvcUsageError


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_is_deterministic_balanced_and_seed_dependent(name):
    d = 16 if name == "bars_and_stripes" else 5
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
    # the study's polarity: -1 (class 0) where sum x > 0
    assert np.all(np.abs(s) > 0.02 * 6) and np.array_equal(y, (s < 0).astype(int))


def test_prepare_uses_the_requested_dimension():
    d = prepare_dataset("hidden_manifold", n_features=3, seed=1)
    assert d.n_features == 3 and "pca" not in d.preprocessing
    assert len(d.y_train) + len(d.y_test) == 300


def test_bars_and_stripes_needs_a_square():
    with pytest.raises(QvcUsageError, match="square"):
        prepare_dataset("bars_and_stripes", n_features=5, seed=0)


@pytest.mark.parametrize("d, ceiling", [(4, "75 %"), (9, "87.5 %")])
def test_bars_and_stripes_below_4x4_is_refused_with_its_ceiling(d, ceiling):
    with pytest.raises(QvcUsageError, match=ceiling):
        generate("bars_and_stripes", d, seed=0)
    assert DEFAULT_QUBITS["bars_and_stripes"] == 16


@pytest.mark.parametrize("name", ["two_curves", "hyperplanes_parity"])
def test_standardised_as_the_study(name):
    X, _ = generate(name, 4, seed=0)
    assert np.allclose(X.mean(axis=0), 0) and np.allclose(X.std(axis=0), 1)


def test_hyperplanes_redraws_unbalanced_hyperplanes():
    """The study's generator asserts n/2 points of each parity among 4n draws; qvc draws new hyperplanes
    then (as the study's re-seeding does), never more points from the same ones."""
    for seed in range(12):
        X, y = generate("hyperplanes_parity", 3, seed=seed, n_hyperplanes=3)
        assert X.shape == (300, 3) and y.sum() == 150


def test_scan_parameters_change_the_family_and_are_checked():
    base = generate("two_curves", 4, seed=0)[0]
    assert not np.allclose(generate("two_curves", 4, seed=0, degree=3)[0], base)
    assert np.array_equal(generate("two_curves", 4, seed=0, degree=5)[0], base)  # 1/(2*5) = 0.1
    assert generate("hidden_manifold", 4, seed=0, manifold_dim=2)[0].shape == (300, 4)
    with pytest.raises(QvcUsageError, match="--degree applies to two_curves, not hidden_manifold"):
        generate("hidden_manifold", 4, seed=0, degree=3)
    with pytest.raises(QvcUsageError, match="--manifold-dim applies to a generated family"):
        prepare_dataset("iris", seed=0, data_params={"manifold_dim": 3})


def test_listed_and_runnable(tmp_path, capsys):
    assert main(["datasets"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in FAMILIES)
    assert main(["run", "two_curves", "--qubits", "3", "--models", "svm", "--seeds", "1", "--no-tune",
                 "--out", str(tmp_path), "--quiet"]) == 0
