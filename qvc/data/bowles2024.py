"""The published datasets of Bowles, Ahmed & Schuld (2024), replayed bit for bit.

"Better than classical? The subtle art of benchmarking quantum machine learning models",
arXiv:2403.07059; code and result tables: github.com/XanaduAI/qml-benchmarks (commit
``0bbf84855d4da9099adea6a7522029795664d05b``). The study's scripts
``paper/benchmarks/generate_<family>.py`` seed NumPy's legacy global generator once
(``np.random.seed``: 42 linearly separable, 3 hidden manifold, 3 two curves, 1 hyperplanes,
42 before each bars-and-stripes size), then loop over the datasets in a fixed order, each
drawn by ``src/qml_benchmarks/data/<family>.py`` and split by
``train_test_split(X, y, test_size=0.2)`` (240 train / 60 test, unstratified, shuffled from
the same global stream). Here the same calls run on a private
``numpy.random.RandomState(seed)`` in the same order, so dataset *k* of a script is its
*k*-th draw: the arrays equal the study's CSV files (``np.savetxt`` writes 19 significant
digits, which round-trips float64 exactly), and the study's SVC grid on them reproduces the
published ``mean_test_score`` (tests/test_bowles2024.py against tests/data/bowles2024_svc.csv).

The scans (the study's folder names):

========================  ===========================  =====================================
family                    scan                         parameter
========================  ===========================  =====================================
linearly_separable        d = 2..20                    (margin 0.02 d)
hidden_manifold           d = 2..20, manifold 6        ``manifold_dim`` = 2..20 at d = 10
                                                       (``hidden_manifold_diff``)
two_curves                d = 2..20, degree 5,         ``degree`` = 2..20 at d = 10, offset
                          offset 0.1                   1/(2 degree) (``two_curves_diff``)
hyperplanes_parity        (none)                       ``n_hyperplanes`` = 2..20 at d = 10,
                                                       3-d hyperplanes (``hyperplanes_diff``)
bars_and_stripes          4x4, 8x8, 16x16, 32x32       1000 train + 200 test, noise 0.5
========================  ===========================  =====================================

Labels are the study's -1/+1 (qvc encodes them 0/1 in sorted order, so -1 -> 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qvc.errors import QvcUsageError

#: The study's repository and the commit its scripts and tables are read from.
SOURCE_REPO = "XanaduAI/qml-benchmarks"
SOURCE_COMMIT = "0bbf84855d4da9099adea6a7522029795664d05b"

#: Family -> the seed its generation script passes to ``np.random.seed``.
SCRIPT_SEEDS = {"linearly_separable": 42, "hidden_manifold": 3, "two_curves": 3, "hyperplanes_parity": 1,
                "bars_and_stripes": 42}

#: The range of every scan (dimensions and scan parameters alike).
SCAN = range(2, 21)
#: Dimension of the ``_diff`` scans.
DIFF_DIMENSION = 10
#: Image sides of the bars-and-stripes datasets.
BARS_SIDES = (4, 8, 16, 32)
#: The data parameter each family's ``_diff`` scan varies.
DIFF_PARAMETER = {"hidden_manifold": "manifold_dim", "two_curves": "degree", "hyperplanes_parity": "n_hyperplanes"}


@dataclass(frozen=True)
class StudySplit:
    """One of the study's datasets, split as its script split it.

    Attributes
    ----------
    X_train, X_test : ndarray
    y_train, y_test : ndarray of -1/+1
    file : str
        The study's file stem (``paper/benchmarks`` writes ``<file>_train.csv`` and ``_test.csv``;
        the results are ``paper/results/<folder>/<Model>/<Model>_<file>_GridSearchCV.csv``).
    folder : str
        The study's results folder of the dataset.
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    file: str
    folder: str


# -- the study's generators, on an explicit RandomState (call for call as in src/qml_benchmarks/data) --

def _linearly_separable(rs: np.random.RandomState, n: int, d: int, margin: float):
    w = np.ones(d)
    X = 2 * rs.rand(2 * n, d) - 1
    X = np.array([x for x in X if np.abs(np.dot(x, w)) > margin][:n])
    y = np.array([-1 if np.dot(x, w) > 0 else 1 for x in X])
    return X, y


def _hidden_manifold(rs: np.random.RandomState, n: int, d: int, m: int):
    F = rs.normal(size=(m, d))
    C = rs.normal(size=(n, m), loc=0, scale=1)
    biases = 2 * rs.uniform(size=(d,)) - 1
    X = np.tanh(C @ F / np.sqrt(m) - biases)
    W = rs.normal(size=(m, m))
    v = rs.normal(size=(m,))
    score = np.array([np.dot(v, np.tanh(W @ c) / np.sqrt(m)) for c in C])
    score = score - np.median(score)
    return X, np.array([-1 if s < 0 else 1 for s in score])


def _two_curves(rs: np.random.RandomState, n: int, d: int, degree: int, offset: float, noise: float):
    from sklearn.preprocessing import StandardScaler

    coeffs = rs.uniform(size=(d, degree + 1, 2))
    coeffs = coeffs / np.linalg.norm(coeffs)
    scaling = 0.5 * 2 * np.pi

    def fourier(t: float, c: np.ndarray) -> float:
        res = c[0, 0] + c[0, 1]
        for f in range(1, degree + 1):
            res += c[f, 0] * np.cos(f * scaling * t) + c[f, 1] * np.sin(f * scaling * t)
        return res + rs.normal(loc=0, scale=noise)

    halves = []
    for _ in range(2):
        A = np.zeros(shape=(n // 2, d))
        for s in range(n // 2):
            t = rs.rand()
            for i in range(d):
                A[s, i] = fourier(t, coeffs[i])
        halves.append(A)
    X = np.r_[halves[0], np.add(halves[1], offset)]
    y = np.array([-1] * (n // 2) + [1] * (n // 2))
    return StandardScaler().fit_transform(X), y


def _hyperplanes(rs: np.random.RandomState, n: int, d: int, n_planes: int, dim: int):
    from sklearn.preprocessing import StandardScaler

    weights = rs.uniform(size=(n_planes, dim))
    biases = rs.uniform(size=(n_planes,))
    Z = rs.normal(size=(4 * n, dim))
    ones = (Z @ weights.T + biases > 0).sum(axis=1)  # the perceptrons' votes, one row per point
    y = np.where(ones % 2 == 0, 1, -1)
    A, B = Z[y == 1], Z[y == -1]
    if len(A) < n // 2 or len(B) < n // 2:  # pragma: no cover - the study's assert; its seed 1 passes
        raise QvcUsageError("hyperplanes: a parity class is too rare (the study's generator asserts here)")
    Z = np.r_[A[: n // 2], B[: n // 2]]
    y = np.array([-1] * (n // 2) + [1] * (n // 2))
    X = Z @ rs.uniform(size=(dim, d))
    return StandardScaler().fit_transform(X), y


def _bars_and_stripes(rs: np.random.RandomState, n: int, side: int, noise: float):
    X = np.ones([n, 1, side, side]) * -1
    y = np.zeros([n])
    for i in range(n):
        if rs.rand() > 0.5:
            rows = np.where(rs.rand(side) > 0.5)[0]
            X[i, 0, rows, :] = 1.0
            y[i] = +1
        else:
            columns = np.where(rs.rand(side) > 0.5)[0]
            X[i, 0, :, columns] = 1.0
            y[i] = -1
        X[i, 0] = X[i, 0] + rs.normal(0, noise, size=X[i, 0].shape)
    return X.reshape(n, -1), y


def _split(rs: np.random.RandomState, X, y, file: str, folder: str) -> StudySplit:
    from sklearn.model_selection import train_test_split

    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=rs)  # the global stream
    return StudySplit(np.asarray(X_tr, float), np.asarray(X_te, float), np.asarray(y_tr, int),
                      np.asarray(y_te, int), file, folder)


def _check_scan(value: int, what: str) -> int:
    if int(value) not in SCAN:
        raise QvcUsageError(f"--protocol bowles2024: the study has {what} {SCAN.start}..{SCAN.stop - 1} only "
                            f"(got {value})")
    return int(value)


def _check_diff_dimension(family: str, d: int, param: str) -> None:
    if d != DIFF_DIMENSION:
        raise QvcUsageError(f"--protocol bowles2024: the study's {family} scan over {param} is at "
                            f"{DIFF_DIMENSION} dimensions only; use --qubits {DIFF_DIMENSION} (got {d})")


def study_split(family: str, n_features: int, *, manifold_dim: int | None = None, degree: int | None = None,
                n_hyperplanes: int | None = None) -> StudySplit:
    """The study's dataset of ``family`` at ``n_features`` dimensions (or its ``_diff`` scan point).

    Replays the family's generation script from its seed up to the requested dataset (the
    datasets before it in the script's loop are drawn and discarded), so the arrays are the
    study's own.

    Parameters
    ----------
    family : str
        ``linearly_separable``, ``hidden_manifold``, ``two_curves``, ``hyperplanes_parity`` or
        ``bars_and_stripes``.
    n_features : int
        Dimensions (``bars_and_stripes``: pixels, 16, 64, 256 or 1024).
    manifold_dim, degree, n_hyperplanes : int, optional
        A point of the family's ``_diff`` scan (at 10 dimensions); ``hyperplanes_parity`` has no
        other scan and defaults to 2 hyperplanes.

    Returns
    -------
    StudySplit

    Examples
    --------
    >>> s = study_split("linearly_separable", 3)
    >>> s.X_train.shape, s.X_test.shape, s.file
    ((240, 3), (60, 3), 'linearly_separable_3d')
    """
    d = int(n_features)
    seed = SCRIPT_SEEDS.get(family)
    if seed is None:
        raise QvcUsageError(f"--protocol bowles2024 covers {', '.join(SCRIPT_SEEDS)}; {family!r} is not one "
                            "of the study's generated datasets")
    given = {"manifold_dim": manifold_dim, "degree": degree, "n_hyperplanes": n_hyperplanes}
    wrong = [k for k, v in given.items() if v is not None and DIFF_PARAMETER.get(family) != k]
    if wrong:
        raise QvcUsageError(f"--{wrong[0].replace('_', '-')} does not apply to {family} (it sets "
                            f"{[f for f, p in DIFF_PARAMETER.items() if p == wrong[0]][0]})")
    rs = np.random.RandomState(seed)
    n = 300
    if family == "bars_and_stripes":
        side = math.isqrt(d)
        if side * side != d or side not in BARS_SIDES:
            raise QvcUsageError("--protocol bowles2024: the study's bars_and_stripes images are 4x4, 8x8, 16x16 "
                                f"or 32x32; use --qubits 16, 64, 256 or 1024 (got {d})")
        X_tr, y_tr = _bars_and_stripes(rs, 1000, side, 0.5)  # the script reseeds 42 per size
        X_te, y_te = _bars_and_stripes(rs, 200, side, 0.5)
        return StudySplit(X_tr, X_te, y_tr.astype(int), y_te.astype(int),
                          f"bars_and_stripes_{side}_x_{side}_0.5noise", "bars_and_stripes")
    if family == "linearly_separable":
        _check_scan(d, "dimensions")
        for k in SCAN:
            X, y = _linearly_separable(rs, n, k, 0.02 * k)
            s = _split(rs, X, y, f"linearly_separable_{k}d", "linearly_separable")
            if k == d:
                return s
    if family == "hidden_manifold":
        if manifold_dim is not None:
            _check_diff_dimension(family, d, "manifold_dim")
            _check_scan(manifold_dim, "manifold dimensions")
        else:
            _check_scan(d, "dimensions")
        for k in SCAN:
            X, y = _hidden_manifold(rs, n, k, 6)
            s = _split(rs, X, y, f"hidden_manifold-6manifold-{k}d", "hidden_manifold")
            if manifold_dim is None and k == d:
                return s
        for m in SCAN:
            X, y = _hidden_manifold(rs, n, DIFF_DIMENSION, m)
            s = _split(rs, X, y, f"hidden_manifold-10d-{m}manifold", "hidden_manifold_diff")
            if m == manifold_dim:
                return s
    if family == "two_curves":
        if degree is not None:
            _check_diff_dimension(family, d, "degree")
            _check_scan(degree, "degrees")
        else:
            _check_scan(d, "dimensions")
        for k in SCAN:
            X, y = _two_curves(rs, n, k, 5, 0.1, 0.01)
            s = _split(rs, X, y, f"two_curves-5degree-0.1offset-{k}d", "two_curves")
            if degree is None and k == d:
                return s
        for g in SCAN:
            X, y = _two_curves(rs, n, DIFF_DIMENSION, g, 1 / (2 * g), 0.01)
            s = _split(rs, X, y, f"two_curves-10d-{g}degree", "two_curves_diff")
            if g == degree:
                return s
    if family == "hyperplanes_parity":
        _check_diff_dimension(family, d, "n_hyperplanes")
        planes = _check_scan(2 if n_hyperplanes is None else n_hyperplanes, "hyperplane counts")
        for h in SCAN:
            X, y = _hyperplanes(rs, n, DIFF_DIMENSION, h, 3)
            s = _split(rs, X, y, f"hyperplanes-10d-from3d-{h}n", "hyperplanes_diff")
            if h == planes:
                return s
    raise AssertionError("unreachable: every scan returns inside its loop")  # pragma: no cover
