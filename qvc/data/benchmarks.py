"""The binary-classification benchmark families of Bowles, Ahmed & Schuld (2024).

"Better than classical? The subtle art of benchmarking quantum machine learning
models", arXiv:2403.07059 (code: github.com/XanaduAI/qml-benchmarks). Each family is
written here from the paper's definitions, with the settings of its dimension-scan
datasets (300 samples), and generated from ``numpy.random.default_rng(seed)``: the
same seed and dimension give the same data on any machine. Labels are 0/1 (the
study uses -1/+1). The draws differ from the study's own files (different random
streams), not the distributions.
"""

from __future__ import annotations

import math

import numpy as np

from qvc.errors import QvcUsageError

#: Samples per generated dataset (the study's 240 train + 60 test).
N_SAMPLES = 300

#: Family -> one line for ``qvc datasets``.
FAMILIES: dict[str, str] = {
    "linearly_separable": "Bowles et al. 2024: uniform in [-1,1]^d, label sign(sum x), margin 0.02 d; "
                          "300 samples, any --qubits",
    "hidden_manifold": "Bowles et al. 2024: 6-d Gaussian manifold embedded by tanh, labelled by a random "
                       "one-layer net; 300 samples, any --qubits",
    "two_curves": "Bowles et al. 2024: two noisy degree-5 Fourier curves offset by 0.1; 300 samples, "
                  "any --qubits",
    "hyperplanes_parity": "Bowles et al. 2024: parity of 2 random hyperplanes in 3-d, linearly embedded; "
                          "300 samples, any --qubits",
    "bars_and_stripes": "Bowles et al. 2024: noisy (std 0.5) bars vs stripes images; 300 samples, "
                        "--qubits a square (4, 9, 16, ...)",
}


def _linearly_separable(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    margin = 0.02 * d
    kept = np.empty((0, d))
    while kept.shape[0] < n:
        X = rng.uniform(-1.0, 1.0, size=(2 * n, d))
        kept = np.vstack([kept, X[np.abs(X.sum(axis=1)) > margin]])
    X = kept[:n]
    return X, (X.sum(axis=1) > 0).astype(int)


def _hidden_manifold(rng: np.random.Generator, n: int, d: int, m: int = 6) -> tuple[np.ndarray, np.ndarray]:
    F = rng.normal(size=(m, d))
    C = rng.normal(size=(n, m))
    bias = rng.uniform(-1.0, 1.0, size=d)
    X = np.tanh(C @ F / np.sqrt(m) - bias)
    W, v = rng.normal(size=(m, m)), rng.normal(size=m)
    score = np.tanh(C @ W.T) @ v / np.sqrt(m)
    y = (score > np.median(score)).astype(int)  # balanced by construction
    return X, y


def _two_curves(rng: np.random.Generator, n: int, d: int, degree: int = 5, offset: float = 0.1,
                noise: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
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
    return X, y


def _hyperplanes_parity(rng: np.random.Generator, n: int, d: int, n_planes: int = 2,
                        dim: int = 3) -> tuple[np.ndarray, np.ndarray]:
    w = rng.uniform(size=(n_planes, dim))
    b = rng.uniform(size=n_planes)
    half = n // 2
    even, odd = np.empty((0, dim)), np.empty((0, dim))
    for _ in range(200):  # draw until both parities have enough points (one can be rare)
        Z = rng.normal(size=(4 * n, dim))
        parity = (Z @ w.T + b > 0).sum(axis=1) % 2
        even, odd = np.vstack([even, Z[parity == 0]]), np.vstack([odd, Z[parity == 1]])
        if len(even) >= n - half and len(odd) >= half:
            break
    else:  # pragma: no cover - needs a parity class with probability < 1/1600
        raise QvcUsageError("hyperplanes_parity: could not draw balanced classes; try another seed")
    Z = np.vstack([even[: n - half], odd[:half]])
    y = np.r_[np.zeros(n - half, dtype=int), np.ones(half, dtype=int)]
    return Z @ rng.uniform(size=(dim, d)), y


def _bars_and_stripes(rng: np.random.Generator, n: int, d: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    side = math.isqrt(d)
    if side * side != d or side < 2:
        raise QvcUsageError(f"bars_and_stripes images are side x side pixels: --qubits must be a square "
                            f">= 4 (4, 9, 16, ...), got {d}")
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


def generate(name: str, n_features: int, seed: int, n_samples: int = N_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Generate family ``name`` in ``n_features`` dimensions (deterministic per seed and dimension).

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
    rng = np.random.default_rng([int(seed), int(n_features)])
    X, y = _GENERATORS[name](rng, int(n_samples), int(n_features))
    return np.asarray(X, dtype=float), np.asarray(y, dtype=int)
