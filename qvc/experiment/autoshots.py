"""``--shots auto``: the shots a hardware run needs to reproduce the simulated model.

A model simulated exactly (``--execution exact``) is priced at the smallest shot
count, on a doubling ladder ``16, 32, ... , cap``, for which shot noise -- the
engine's ``shots`` mode: binomial draws on each kernel entry (with the same PSD
projection of the Gram matrix), multinomial draws on each class distribution --
keeps the test predictions within ``tolerance`` of the exact model's:

* **qsvc**: two conditions, the larger count wins. (a) *Entries resolved*: the
  typical kernel entry the decision uses -- the median exact fidelity between test
  samples and the exact model's support vectors, ``K`` -- is estimated to
  :data:`ENTRY_RELATIVE_ERROR` (10 %) relative standard error, ``S >= (1 - K) /
  (K * 0.1**2)`` (a binomial estimate of ``K`` from ``S`` shots has relative error
  ``sqrt((1 - K) / (S K))``). Without it a model whose kernel has concentrated
  (near-identity Gram matrix, predictions all one class) would look reproducible
  from a handful of shots that read every entry as zero. (b) *Predictions
  reproduced*: the SVM refitted on a shot-noisy training Gram matrix, predicting
  from a shot-noisy test kernel against its (new) support vectors, disagrees with
  the exact model's test predictions on at most ``tolerance`` of them on average
  over :data:`REPEATS` seeded draws.
* **pqk** (projected kernel): the same prediction rule (b) on its own protocol: every
  sample's X, Y and Z measurements drawn with that many shots (one multinomial per circuit,
  :func:`qvc.quantum.projected.sampled_pauli_features`), the RBF width recomputed from the noisy
  training features, the SVM refitted and predicting from noisy test features. Rule (a) has no
  counterpart: the features are expectation values in ``[-1, 1]``, which do not concentrate the
  way ``2**-n`` fidelities do.
* **vqc**: the trained weights' class probabilities of the test samples are drawn
  with that many shots; the same disagreement rule. The rule does not re-simulate
  training (COBYLA on a noisy loss); the count prices the training circuits too, and
  :mod:`qvc.experiment.shottraining` trains the model again at that count where it is
  affordable (the row's ``shot_training`` says what was done).

Fidelity-kernel entries concentrate like ``2**-n``, so the count grows with the
qubits; above ``cap`` the run is declared infeasible rather than priced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from qvc.errors import QvcUsageError

#: Seeded shot-noise draws per ladder rung.
REPEATS = 5
#: First rung of the ladder.
LADDER_START = 16
#: Default largest shot count priced; above it the run is infeasible.
DEFAULT_SHOTS_CAP = 2**20
#: Default tolerance: mean fraction of test predictions allowed to differ from exact.
DEFAULT_SHOTS_TOLERANCE = 0.02
#: Relative standard error to which the typical kernel entry must be resolved (modelling choice).
ENTRY_RELATIVE_ERROR = 0.1


@dataclass
class ShotsChoice:
    """The shot count chosen for pricing, and why.

    Attributes
    ----------
    shots : int or None
        Shots per circuit (``None``: infeasible, above ``cap``).
    rule : str
        The rule in words (recorded in result rows).
    tolerance : float
    cap : int
    ladder : list of (int, float)
        Each rung tried and its mean disagreement with the exact predictions.
    """

    shots: int | None
    rule: str
    tolerance: float
    cap: int
    ladder: list[tuple[int, float]] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """False when no rung up to ``cap`` met the tolerance."""
        return self.shots is not None


def check_tolerance(tolerance: float) -> float:
    """Validate ``--shots-tolerance``: a fraction in (0, 1).

    Examples
    --------
    >>> check_tolerance(0.02)
    0.02
    """
    try:
        t = float(tolerance)
    except (TypeError, ValueError):
        raise QvcUsageError(f"--shots-tolerance must be a number in (0, 1) (got {tolerance!r})") from None
    if not (math.isfinite(t) and 0.0 < t < 1.0):
        raise QvcUsageError(
            f"--shots-tolerance must be a fraction of test predictions in (0, 1) (got {tolerance!r}); "
            "e.g. 0.02 allows 2 % of predictions to differ from the exact model"
        )
    return t


def check_cap(cap: int) -> int:
    """Validate ``--shots-cap`` (an integer >= the first ladder rung)."""
    if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < LADDER_START:
        raise QvcUsageError(f"--shots-cap must be an integer >= {LADDER_START} (got {cap!r})")
    return int(cap)


def _ladder(cap: int):
    s = LADDER_START
    while s <= cap:
        yield s
        s *= 2


def _rule(kind: str, tolerance: float, cap: int, entry: str = "") -> str:
    what = {"kernel": "SVM refitted on a shot-noisy Gram matrix, predicting from a shot-noisy test kernel",
            "projected": "SVM refitted on shot-noisy X/Y/Z features of the training samples, predicting from "
                         "shot-noisy test features",
            "probabilities": "trained weights' test class probabilities drawn with the shots (training under "
                   "shot noise: see shot_training)"}[kind]
    return (f"{entry}smallest shots on the ladder {LADDER_START}, {2 * LADDER_START}, ... <= {cap} whose "
            f"mean share of test predictions differing from the exact model over {REPEATS} seeded draws "
            f"is <= {tolerance:g} ({what})")


def _search(disagreement, kind: str, tolerance: float, cap: int, *, start: float = 0.0,
            entry: str = "") -> ShotsChoice:
    ladder = []
    rule = _rule(kind, tolerance, cap, entry)
    for s in _ladder(cap):
        if s < start:
            continue
        d = float(np.mean([disagreement(s, r) for r in range(REPEATS)]))
        ladder.append((s, d))
        if d <= tolerance:
            return ShotsChoice(s, rule, tolerance, cap, ladder)
    return ShotsChoice(None, rule, tolerance, cap, ladder)


def auto_shots_kernel(
    gram: np.ndarray, test_kernel: np.ndarray, y_train: np.ndarray, exact_pred: np.ndarray,
    *, C: float = 1.0, tolerance: float = DEFAULT_SHOTS_TOLERANCE, cap: int = DEFAULT_SHOTS_CAP,
    seed: int = 0,
) -> ShotsChoice:
    """Shots for a precomputed-kernel SVM to reproduce its exact predictions.

    Parameters
    ----------
    gram : ndarray (N, N)
        Exact training Gram matrix.
    test_kernel : ndarray (M, N)
        Exact kernel between test and *all* training samples.
    y_train, exact_pred : ndarray
        Training labels and the exact model's test predictions.

    Examples
    --------
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 2)); y = (X[:, 0] > 0).astype(int)
    >>> k = lambda a, b: np.exp(-((a[:, None] - b[None]) ** 2).sum(-1))
    >>> from sklearn.svm import SVC
    >>> pred = SVC(kernel="precomputed").fit(k(X, X), y).predict(k(X[:5], X))
    >>> choice = auto_shots_kernel(k(X, X), k(X[:5], X), y, pred)
    >>> choice.feasible and choice.shots >= 16
    True
    """
    from qiskit import QuantumCircuit
    from sklearn.svm import SVC

    from qvc.quantum.kernels import StatevectorKernel

    tolerance, cap = check_tolerance(tolerance), check_cap(cap)
    gram = np.clip(np.asarray(gram, dtype=float), 0.0, 1.0)
    test_kernel = np.clip(np.asarray(test_kernel, dtype=float), 0.0, 1.0)
    y_train, exact_pred = np.asarray(y_train), np.asarray(exact_pred)

    def disagreement(shots: int, r: int) -> float:
        # only the kernel's shot-noise draws are used; it needs some feature map (as in qiskit-ml)
        noisy = StatevectorKernel(feature_map=QuantumCircuit(1), execution="shots", shots=shots,
                                  seed=seed * 1000 + r)
        g = noisy._make_psd(noisy._shot_noise(gram, True))
        svc = SVC(kernel="precomputed", C=C).fit(g, y_train)
        t = np.zeros_like(test_kernel)
        sv = svc.support_
        t[:, sv] = noisy._shot_noise(test_kernel[:, sv], False)
        return float(np.mean(svc.predict(t) != exact_pred))

    if len(np.unique(y_train)) < 2:
        return ShotsChoice(LADDER_START, "single training class: predictions do not depend on the "
                           "kernel", tolerance, cap, [])
    exact_sv = SVC(kernel="precomputed", C=C).fit(gram, y_train).support_
    k = float(np.median(test_kernel[:, exact_sv])) if exact_sv.size and test_kernel.size else 0.0
    eps = ENTRY_RELATIVE_ERROR
    need = (1.0 - k) / (k * eps * eps) if k > 0 else math.inf
    entry = (f"at least (1 - K)/(K x {eps:g}^2) = {need:.4g} shots to resolve the median test-vs-support "
             f"fidelity K = {k:.3g} to {eps:.0%} relative standard error; then the ")
    if need > cap:
        return ShotsChoice(None, entry + _rule("kernel", tolerance, cap)[0:0] + "prediction rule was not "
                           f"tried: above the cap {cap}", tolerance, cap, [])
    return _search(disagreement, "kernel", tolerance, cap, start=need, entry=entry)


def auto_shots_probabilities(
    proba: np.ndarray, *, tolerance: float = DEFAULT_SHOTS_TOLERANCE, cap: int = DEFAULT_SHOTS_CAP,
    seed: int = 0,
) -> ShotsChoice:
    """Shots for a classifier reading class probabilities to reproduce its exact argmax.

    Examples
    --------
    >>> auto_shots_probabilities(np.array([[0.9, 0.1], [0.2, 0.8]])).shots
    16
    """
    tolerance, cap = check_tolerance(tolerance), check_cap(cap)
    p = np.clip(np.asarray(proba, dtype=float), 0.0, None)
    p = p / p.sum(axis=1, keepdims=True)
    exact = np.argmax(p, axis=1)

    def disagreement(shots: int, r: int) -> float:
        rng = np.random.default_rng(seed * 1000 + r)
        counts = rng.multinomial(shots, p)
        return float(np.mean(np.argmax(counts, axis=1) != exact))

    return _search(disagreement, "probabilities", tolerance, cap)


def auto_shots_projected(
    train_states: np.ndarray, test_states: np.ndarray, y_train: np.ndarray, exact_pred: np.ndarray, *,
    n_features: int, gamma_factor: float = 1.0, C: float = 1.0, tolerance: float = DEFAULT_SHOTS_TOLERANCE,
    cap: int = DEFAULT_SHOTS_CAP, seed: int = 0,
) -> ShotsChoice:
    """Shots for a projected-kernel SVM to reproduce its exact predictions (rule (b) on its protocol).

    Examples
    --------
    >>> from qvc.quantum.circuits import feature_map
    >>> from qvc.quantum.kernels import batched_statevectors
    >>> from qvc.quantum.statevector import compile_circuit
    >>> rng = np.random.default_rng(0); X = rng.uniform(0, 3, size=(20, 2)); y = (X[:, 0] > 1.5).astype(int)
    >>> S = batched_statevectors(compile_circuit(feature_map(2, bandwidth=0.25)), X)
    >>> from qvc.quantum.projected import pauli_features, default_gamma, projected_gram
    >>> from sklearn.svm import SVC
    >>> F = pauli_features(S); g = default_gamma(F, 2)
    >>> pred = SVC(kernel="precomputed").fit(projected_gram(F, None, g), y).predict(projected_gram(F[:5], F, g))
    >>> auto_shots_projected(S, S[:5], y, pred, n_features=2).feasible
    True
    """
    from sklearn.svm import SVC

    from qvc.quantum.projected import default_gamma, projected_gram, sampled_pauli_features

    tolerance, cap = check_tolerance(tolerance), check_cap(cap)
    y_train, exact_pred = np.asarray(y_train), np.asarray(exact_pred)
    if len(np.unique(y_train)) < 2:
        return ShotsChoice(LADDER_START, "single training class: predictions do not depend on the "
                           "kernel", tolerance, cap, [])

    def disagreement(shots: int, r: int) -> float:
        rng = np.random.default_rng([seed, r, shots])
        f_tr = sampled_pauli_features(train_states, shots, rng)
        f_te = sampled_pauli_features(test_states, shots, rng)
        gamma = float(gamma_factor) * default_gamma(f_tr, n_features)
        svc = SVC(kernel="precomputed", C=C).fit(projected_gram(f_tr, None, gamma), y_train)
        return float(np.mean(svc.predict(projected_gram(f_te, f_tr, gamma)) != exact_pred))

    return _search(disagreement, "projected", tolerance, cap)


def auto_shots_for(est, X_train, y_train, X_test, y_pred, *, tolerance: float, cap: int,
                   seed: int = 0) -> ShotsChoice | None:
    """The :class:`ShotsChoice` of a fitted qvc quantum model (``None`` for other estimators).

    Needs the model simulated exactly: a ``QuantumKernelSVC`` (its exact training Gram
    matrix ``gram_`` and kernel) or a ``VQCClassifier`` (its QNN and weights). The extra
    kernel / forward evaluations happen outside any meter window.
    """
    from qvc.models.quantum import ProjectedKernelSVC, QuantumKernelSVC, VQCClassifier

    if isinstance(est, ProjectedKernelSVC):
        if est.execution != "exact":
            return None
        X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
        return auto_shots_projected(est.states(X_train), est.states(X_test), y_train, y_pred,
                                    n_features=X_train.shape[1], gamma_factor=est.gamma_factor, C=est.C,
                                    tolerance=tolerance, cap=cap, seed=seed)
    if isinstance(est, QuantumKernelSVC):
        gram = getattr(est, "gram_", None)
        if gram is None:
            gram = est.kernel_.evaluate(X_train)
        test_kernel = est.kernel_.evaluate(np.asarray(X_test, dtype=float), np.asarray(X_train, dtype=float))
        return auto_shots_kernel(gram, test_kernel, y_train, y_pred, C=est.C, tolerance=tolerance,
                                 cap=cap, seed=seed)
    if isinstance(est, VQCClassifier):
        proba = est.qnn_.forward(np.asarray(X_test, dtype=float), est.weights_)
        return auto_shots_probabilities(proba[:, : max(2, len(est.classes_))], tolerance=tolerance,
                                        cap=cap, seed=seed)
    return None
