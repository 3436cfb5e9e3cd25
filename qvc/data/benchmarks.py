"""The binary-classification benchmark families of Bowles, Ahmed & Schuld (2024), qvc's protocol.

"Better than classical? The subtle art of benchmarking quantum machine learning
models", arXiv:2403.07059 (code: github.com/XanaduAI/qml-benchmarks). Each family is
written here from the study's generators (``src/qml_benchmarks/data/*.py``), with the
settings of its scans (300 samples), and drawn from ``numpy.random.default_rng([seed, d])``:
the same seed and dimension give the same data on any machine, and each seed a fresh draw
(the study draws one dataset per dimension). Labels are 0/1 where the study has -1/+1
(-1 -> 0, the study's order). The draws differ from the study's files (other random
streams), not the distributions; ``--protocol bowles2024`` replays the study's own files
(:mod:`qvc.data.bowles2024`). Where a family still differs from the study it says so in
:data:`FAMILIES` (``qvc datasets``).

Scan parameters (the study's ``_diff`` datasets): ``manifold_dim`` (hidden_manifold, default 6),
``degree`` (two_curves; default 5 with offset 0.1, a given degree gets the study's offset
1/(2 degree)), ``n_hyperplanes`` (hyperplanes_parity, default 2).
"""

from __future__ import annotations

import math

import numpy as np

from qvc.errors import QvcUsageError

#: Samples per generated dataset (the study's 300; qvc splits them by ``--test-size``, the study 240/60).
N_SAMPLES = 300

#: Smallest bars-and-stripes side: below 4x4 an all-on or all-off image is a bar and a stripe at once often
#: enough to cap accuracy (:func:`bars_and_stripes_ceiling`); the study uses 4x4 to 32x32.
MIN_BARS_SIDE = 4

#: Family -> one line for ``qvc datasets`` (what it is, and where it differs from the study).
FAMILIES: dict[str, str] = {
    "linearly_separable": "Bowles et al. 2024: uniform in [-1,1]^d, class 1 where sum x < 0, margin 0.02 d; 300 "
                          "samples, any --qubits (study: d = 2..20, one draw each)",
    "hidden_manifold": "Bowles et al. 2024: a --manifold-dim (6) normal manifold, tanh-embedded, labelled by a random "
                       "one-layer net; 300 samples, any --qubits (study: d = 2..20; manifold 2..20 at d = 10)",
    "two_curves": "Bowles et al. 2024: two noisy Fourier curves of --degree 5 offset by 1/(2 degree), "
                  "standardised; 300 samples, any --qubits (study: d = 2..20, and degree 2..20 at d = 10)",
    "hyperplanes_parity": "Bowles et al. 2024: parity of --n-hyperplanes (2) random hyperplanes in 3-d, linearly "
                          "embedded, standardised; 300 samples, any --qubits (study: 2..20 hyperplanes at d = 10 only)",
    "bars_and_stripes": "Bowles et al. 2024: noisy (std 0.5) bars vs stripes images; 300 samples, --qubits a "
                        "square >= 16 (4x4; study: 4x4..32x32 with 1000 + 200 samples)",
}

#: Family -> the scan parameter it takes (with its default).
FAMILY_PARAMETERS: dict[str, tuple[str, int]] = {
    "hidden_manifold": ("manifold_dim", 6), "two_curves": ("degree", 5), "hyperplanes_parity": ("n_hyperplanes", 2),
}


def bars_and_stripes_ceiling(side: int) -> float:
    """Bayes accuracy ceiling of noise-free ``side x side`` bars and stripes.

    An image with all lines on, or all off, is drawn as a bar and as a stripe alike (probability
    ``2 / 2**side`` per class), so half of them are misclassified by any rule: ``1 - 2**-side``.

    Examples
    --------
    >>> bars_and_stripes_ceiling(2), bars_and_stripes_ceiling(4)
    (0.75, 0.9375)
    """
    return 1.0 - 2.0 ** -int(side)


def _linearly_separable(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    margin = 0.02 * d
    kept = np.empty((0, d))
    while kept.shape[0] < n:
        X = rng.uniform(-1.0, 1.0, size=(2 * n, d))
        kept = np.vstack([kept, X[np.abs(X.sum(axis=1)) > margin]])
    X = kept[:n]
    return X, (X.sum(axis=1) < 0).astype(int)  # the study: -1 (class 0) where sum x > 0


def _hidden_manifold(rng: np.random.Generator, n: int, d: int, m: int = 6) -> tuple[np.ndarray, np.ndarray]:
    F = rng.normal(size=(m, d))
    C = rng.normal(size=(n, m))
    bias = rng.uniform(-1.0, 1.0, size=d)
    X = np.tanh(C @ F / np.sqrt(m) - bias)
    W, v = rng.normal(size=(m, m)), rng.normal(size=m)
    score = np.tanh(C @ W.T) @ v / np.sqrt(m)
    y = (score > np.median(score)).astype(int)  # balanced by construction
    return X, y


def _two_curves(rng: np.random.Generator, n: int, d: int, degree: int = 5, offset: float | None = None,
                noise: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    if offset is None:  # the study's 1/(2 degree): 0.1 at its default degree 5 and in its degree scan
        offset = 1.0 / (2 * degree)
    coeffs = rng.uniform(size=(d, degree + 1, 2))
    coeffs /= np.linalg.norm(coeffs)
    k = np.arange(1, degree + 1)

    def curve(t: np.ndarray) -> np.ndarray:
        phase = np.pi * np.outer(t, k)  # (n, degree); frequency k * pi over t in [0, 1]
        X = (coeffs[:, 0, 0] + coeffs[:, 0, 1])[None, :] + np.cos(phase) @ coeffs[:, 1:, 0].T \
            + np.sin(phase) @ coeffs[:, 1:, 1].T
        return X + rng.normal(scale=noise, size=X.shape)

    half = n // 2
    X = np.vstack([curve(rng.uniform(size=half)), curve(rng.uniform(size=n - half)) + offset])
    y = np.r_[np.zeros(half, dtype=int), np.ones(n - half, dtype=int)]
    return _standardise(X), y


def _standardise(X: np.ndarray) -> np.ndarray:
    """The study's final ``StandardScaler().fit_transform(X)`` (two curves, hyperplanes)."""
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(X)


def _hyperplanes_parity(rng: np.random.Generator, n: int, d: int, n_planes: int = 2,
                        dim: int = 3) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    for _ in range(1000):  # the study's generator asserts both parities among 4n points, else is re-seeded:
        w = rng.uniform(size=(n_planes, dim))  # new hyperplanes, as a fresh seed draws them
        b = rng.uniform(size=n_planes)
        Z = rng.normal(size=(4 * n, dim))
        parity = (Z @ w.T + b > 0).sum(axis=1) % 2
        even, odd = Z[parity == 0], Z[parity == 1]
        if len(even) >= n - half and len(odd) >= half:
            break
    else:  # pragma: no cover - a parity below n/2 of 4n points 1000 times over
        raise QvcUsageError("hyperplanes_parity: could not draw hyperplanes with balanced parities; try another seed")
    Z = np.vstack([even[: n - half], odd[:half]])
    y = np.r_[np.zeros(n - half, dtype=int), np.ones(half, dtype=int)]
    return _standardise(Z @ rng.uniform(size=(dim, d))), y


def _bars_and_stripes(rng: np.random.Generator, n: int, d: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    side = math.isqrt(d)
    if side * side != d:
        raise QvcUsageError(f"bars_and_stripes images are side x side pixels: --qubits must be a square "
                            f">= {MIN_BARS_SIDE ** 2} (16, 25, 36, ...), got {d}")
    if side < MIN_BARS_SIDE:
        raise QvcUsageError(
            f"bars_and_stripes at {side}x{side} pixels caps any classifier at "
            f"{100 * bars_and_stripes_ceiling(side):g} % accuracy (all-on and all-off images are bars and stripes "
            f"alike); use --qubits {MIN_BARS_SIDE ** 2} or more (the study uses 4x4 to 32x32)")
    X = -np.ones((n, side, side))
    y = (rng.uniform(size=n) > 0.5).astype(int)  # 1: stripes (rows), 0: bars (columns)
    for i in range(n):
        on = rng.uniform(size=side) > 0.5
        if y[i]:
            X[i, on, :] = 1.0
        else:
            X[i, :, on] = 1.0
    X += rng.normal(scale=noise, size=X.shape)
    return X.reshape(n, d), y


_GENERATORS = {
    "linearly_separable": _linearly_separable,
    "hidden_manifold": _hidden_manifold,
    "two_curves": _two_curves,
    "hyperplanes_parity": _hyperplanes_parity,
    "bars_and_stripes": _bars_and_stripes,
}


def generate(name: str, n_features: int, seed: int, n_samples: int = N_SAMPLES, *, manifold_dim: int | None = None,
             degree: int | None = None, n_hyperplanes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Generate family ``name`` in ``n_features`` dimensions (deterministic per seed and dimension).

    ``manifold_dim``, ``degree`` and ``n_hyperplanes`` set the scan parameter of the family that has
    it (:data:`FAMILY_PARAMETERS`); giving one to another family is a usage error.

    Examples
    --------
    >>> X, y = generate("two_curves", 3, seed=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((300, 3), [0, 1])
    >>> bool((generate("two_curves", 3, seed=1)[0] == X).all())
    True
    """
    if name not in _GENERATORS:
        raise QvcUsageError(f"unknown benchmark family {name!r}; choose one of: {', '.join(FAMILIES)}")
    if n_features < 1:
        raise QvcUsageError(f"--qubits must be >= 1 (got {n_features})")
    given = {k: v for k, v in {"manifold_dim": manifold_dim, "degree": degree,
                                "n_hyperplanes": n_hyperplanes}.items() if v is not None}
    kwargs = {}
    for key, value in given.items():
        owner = [f for f, (p, _) in FAMILY_PARAMETERS.items() if p == key][0]
        if owner != name:
            raise QvcUsageError(f"--{key.replace('_', '-')} applies to {owner}, not {name}")
        if isinstance(value, bool) or int(value) != value or int(value) < 1:
            raise QvcUsageError(f"--{key.replace('_', '-')} must be an integer >= 1 (got {value!r})")
        kwargs[{"manifold_dim": "m", "degree": "degree", "n_hyperplanes": "n_planes"}[key]] = int(value)
    rng = np.random.default_rng([int(seed), int(n_features)])
    X, y = _GENERATORS[name](rng, int(n_samples), int(n_features), **kwargs)
    return np.asarray(X, dtype=float), np.asarray(y, dtype=int)
