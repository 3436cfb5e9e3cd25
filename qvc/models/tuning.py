"""Hyperparameter tuning by stratified k-fold cross-validation on the training split only.

Any model of the registry is tuned with scikit-learn's search classes
(``GridSearchCV`` over the whole grid when it fits the budget, otherwise over a
``ParameterSampler`` draw of ``budget`` candidates, as ``RandomizedSearchCV`` draws them),
``refit=False``: the caller refits the best candidate in its own metered window.
A kernel model (``ModelEntry.kernel_params``, the qsvc) is tuned with its Gram
matrix computed **once per feature-map setting** on the whole training split and
reused across ``C`` and across folds: ``GridSearchCV(SVC(kernel="precomputed"))``
slices the precomputed matrix per fold (scikit-learn's pairwise convention), so a
search costs (number of feature-map settings) kernel evaluations, not one per
candidate and fold.

The functions only ever receive the training split; nothing here can see test data.
The same code tunes any scikit-learn estimator a registry entry builds, so further
models (e.g. a classical frontier) reuse it by adding a registry row and a search-space table.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, ParameterGrid, ParameterSampler, StratifiedKFold
from sklearn.svm import SVC

from qvc.models.hyperparams import candidate_grid, grid_size
from qvc.models.registry import PAIR_MEMBERS, ModelConfig, build_model, get_model, resolve_params
from qvc.quantum.ledger import LedgerEntry

#: Collapsed-kernel guard of the kernel search: a feature-map setting whose training Gram matrix has
#: an off-diagonal mean below this is skipped (its candidates recorded, not cross-validated). At
#: K < 1e-3 the Gram matrix is numerically the identity: the SVM memorises the training split,
#: and resolving one entry to 10 % needs (1 - K)/(K 0.1^2) > 10^5 shots (qvc.experiment.autoshots)
#: [modelling choice].
KERNEL_OFFDIAG_FLOOR = 1e-3


@dataclass
class Candidate:
    """One hyperparameter setting tried by a search.

    Attributes
    ----------
    params : dict
        Every hyperparameter of the model (searched ones and the rest).
    cv_accuracy, cv_std : float
        Mean and spread of the validation-fold accuracy.
    seconds : float
        Wall time this candidate alone would take to cross-validate (for a kernel model,
        its Gram matrix plus its fits), measured inside the search.
    circuits : int
        Circuits a QPU would run to cross-validate this candidate alone (0: classical).
    skipped : str
        Why the candidate was not cross-validated (empty when it was): a kernel that collapsed
        below :data:`KERNEL_OFFDIAG_FLOOR`; its ``cv_accuracy`` is then NaN.
    """

    params: dict
    cv_accuracy: float
    cv_std: float
    seconds: float
    circuits: int = 0
    skipped: str = ""

    def to_dict(self) -> dict:
        """Plain-JSON form (``skipped`` only when the candidate was not cross-validated)."""
        out = {"params": self.params, "cv_accuracy": self.cv_accuracy, "cv_std": self.cv_std,
               "seconds": self.seconds, "circuits": self.circuits}
        if self.skipped:
            out["skipped"] = self.skipped
        return out


@dataclass
class TuneResult:
    """What a search found and what it cost.

    Attributes
    ----------
    model : str
    best_params : dict
        Every hyperparameter of the best candidate (ties: first in search order).
    cv_accuracy : float
        Its mean validation accuracy.
    candidates : list of Candidate
    folds : int
    method : str
        ``grid``, ``random`` or ``defaults`` (nothing to search), plus the Gram reuse note.
    entries : list of LedgerEntry
        Circuits the search would run on a QPU (phase ``tune``).
    kernel_evaluations : int
        Gram matrices computed (kernel models; 0 otherwise).
    """

    model: str
    best_params: dict
    cv_accuracy: float
    candidates: list[Candidate] = field(default_factory=list)
    folds: int = 0
    method: str = ""
    entries: list[LedgerEntry] = field(default_factory=list)
    kernel_evaluations: int = 0

    @property
    def circuits(self) -> int:
        """Circuits of the whole search."""
        return int(sum(e.n_circuits for e in self.entries))


def budget_plan(models, space: dict, fixed: dict, budget: int) -> dict[str, tuple[int, str]]:
    """Candidates per model with the reason for any cut below ``budget``.

    Each model gets ``budget`` candidates, capped by its own grid and by its pair partner's
    (both models of a pair get the same number). A partner caps only when the search space
    has a table for it: a pair member the space does not cover (not run here) never collapses
    the other's search. The reason is ``""`` when the model gets the whole ``budget``.

    Examples
    --------
    >>> space = {"svm": {"C": [1, 10, 100]}, "qsvc": {"bandwidth": [0.1, 1.0]}}
    >>> budget_plan(["svm", "qsvc"], space, {}, 8)["svm"]
    (2, 'pair rule: capped by the qsvc grid (2 candidates) so both models of the pair get the same number')
    >>> budget_plan(["mlp", "vqc"], {"mlp": {"alpha": [1e-4, 1e-2]}}, {}, 8)["mlp"]
    (2, 'its grid has 2 candidates')
    """
    sizes = {m: grid_size(candidate_grid(m, space, fixed.get(m, {}))) for m in models}
    out: dict[str, tuple[int, str]] = {}
    for m in models:
        n, why = budget, ""
        if sizes[m] < n:
            n, why = sizes[m], f"its grid has {sizes[m]} candidate{'s' if sizes[m] != 1 else ''}"
        for members in PAIR_MEMBERS.values():
            if m not in members:
                continue
            for other in members:
                if other != m and other in sizes and other in space and sizes[other] < n:
                    n = sizes[other]
                    why = (f"pair rule: capped by the {other} grid ({n} candidate{'s' if n != 1 else ''}) so both "
                           "models of the pair get the same number")
        out[m] = (max(1, n), why)
    return out


def pair_budgets(models, space: dict, fixed: dict, budget: int) -> dict[str, int]:
    """Candidates per model: ``budget``, capped so both models of a pair get the same number
    (:func:`budget_plan` without the reasons).

    Examples
    --------
    >>> space = {"svm": {"C": [1, 10, 100]}, "qsvc": {"bandwidth": [0.1, 1.0]}}
    >>> pair_budgets(["svm", "qsvc"], space, {}, 8)
    {'svm': 2, 'qsvc': 2}
    """
    return {m: n for m, (n, _) in budget_plan(models, space, fixed, budget).items()}


def cv_splitter(y: np.ndarray, folds: int, seed: int, shuffle: bool = True) -> StratifiedKFold:
    """Stratified k folds, shuffled with ``seed`` unless ``shuffle`` is false (scikit-learn's ``cv=k``, as
    the study's GridSearchCV); k capped by the smallest class so every fold has each class."""
    counts = np.bincount(np.asarray(y))
    k = int(max(2, min(folds, counts[counts > 0].min())))
    if not shuffle:
        return StratifiedKFold(n_splits=k)
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)


def _candidates(grid: dict, n: int, seed: int, defaults: dict) -> tuple[list[dict], str]:
    """All of the grid, or ``n`` drawn by ``ParameterSampler``; the untuned defaults are always one
    of them when the grid holds them (so tuning can only match or beat them in CV)."""
    if grid_size(grid) <= n:
        return list(ParameterGrid(grid)), "grid"
    drawn = list(ParameterSampler(grid, n_iter=n, random_state=seed))
    base = {k: defaults[k] for k in grid}
    if all(base[k] in grid[k] for k in grid) and base not in drawn:
        drawn[-1] = base
    return drawn, "random"


def tune_model(
    name: str,
    cfg: ModelConfig,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    space: dict,
    n_candidates: int,
    folds: int = 3,
    shuffle: bool = True,
) -> TuneResult:
    """Tune model ``name`` by stratified k-fold CV on the training split.

    Parameters
    ----------
    name : str
        Registry name.
    cfg : ModelConfig
        Data shape, seed, shared budgets and the fixed hyperparameters (``cfg.params``).
    X_train, y_train : ndarray
        The training split (the only data a search sees).
    space : dict
        ``{model: {name: [values]}}`` (see :func:`~qvc.models.hyperparams.load_search_space`);
        names fixed in ``cfg.params`` are not searched.
    n_candidates : int
        Candidates to try (all of the grid when it is smaller).
    folds : int, default 3
    shuffle : bool, default True
        Shuffle the folds with ``cfg.seed`` (``False``: scikit-learn's ``cv=folds``, unshuffled).

    Returns
    -------
    TuneResult

    Examples
    --------
    >>> from qvc.data import prepare_dataset
    >>> d = prepare_dataset("iris", seed=0)
    >>> r = tune_model("svm", ModelConfig(4, 3, seed=0), d.X_train, d.y_train,
    ...                space={"svm": {"C": [0.1, 10.0]}}, n_candidates=2)
    >>> len(r.candidates), r.method.split(",")[0], sorted(r.best_params)
    (2, 'grid search', ['C', 'gamma'])
    """
    entry = get_model(name)
    X_train, y_train = np.asarray(X_train, dtype=float), np.asarray(y_train)
    grid = candidate_grid(name, space, cfg.params.get(name, {}))
    cv = cv_splitter(y_train, folds, cfg.seed, shuffle)
    if not grid:
        params = resolve_params(name, cfg)
        return TuneResult(name, params, float("nan"), [], cv.get_n_splits(), "defaults (nothing to search)")
    candidates, how = _candidates(grid, n_candidates, cfg.seed, resolve_params(name, cfg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the shared budget, as in the run
        if entry.kernel_params and set(grid) <= set(entry.kernel_params) | {"C"}:
            return _tune_kernel(name, cfg, X_train, y_train, candidates, how, cv)
        return _tune_generic(name, cfg, X_train, y_train, grid, candidates, how, cv)


class RegistryModel(ClassifierMixin, BaseEstimator):
    """A registry model as one scikit-learn estimator whose parameter is its hyperparameter dict.

    Lets scikit-learn's search classes try registry hyperparameters (``hidden="matched"``,
    ``bandwidth`` ...) that are not 1:1 estimator parameters: ``fit`` builds the model with
    :func:`~qvc.models.registry.build_model` and fits it.

    Examples
    --------
    >>> from qvc.data import prepare_dataset
    >>> d = prepare_dataset("iris", seed=0)
    >>> m = RegistryModel("svm", ModelConfig(4, 3), {"C": 10.0}).fit(d.X_train, d.y_train)
    >>> m.estimator_.C
    10.0
    """

    def __init__(self, name: str = "svm", cfg: ModelConfig | None = None, params: dict | None = None) -> None:
        self.name = name
        self.cfg = cfg
        self.params = params

    def fit(self, X, y) -> RegistryModel:
        """Build the model with ``params`` and fit it."""
        if self.cfg is None:
            raise ValueError("RegistryModel needs cfg (a ModelConfig)")
        self.estimator_ = build_model(self.name, self.cfg, self.params).estimator.fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X) -> np.ndarray:
        """The fitted model's predictions."""
        return self.estimator_.predict(X)


def _tune_generic(name, cfg, X, y, grid, candidates, how, cv) -> TuneResult:
    entries: list[LedgerEntry] = []
    per_fit: list[int] = []

    def scorer(est, X_val, y_val):
        acc = accuracy_score(y_val, est.predict(X_val))
        inner = est.estimator_
        if hasattr(inner, "ledger_"):  # this fold's fit + validation predict, as the search would run them
            got = list(inner.ledger_.entries)
            entries.extend(got)
            per_fit.append(sum(e.n_circuits for e in got))
        return acc

    # the candidates (all of the grid, or a ParameterSampler draw) as one searched parameter
    search = GridSearchCV(RegistryModel(name, cfg), {"params": candidates}, scoring=scorer, cv=cv,
                          refit=False, error_score="raise")
    search.fit(X, y)
    res = search.cv_results_
    k = cv.get_n_splits()
    out = []
    for i, params in enumerate(res["params"]):
        circuits = int(sum(per_fit[i * k:(i + 1) * k])) if per_fit else 0
        out.append(Candidate(
            resolve_params(name, cfg, params["params"]), float(res["mean_test_score"][i]),
            float(res["std_test_score"][i]),
            float((res["mean_fit_time"][i] + res["mean_score_time"][i]) * k), circuits,
        ))
    best = int(np.argmax([c.cv_accuracy for c in out]))
    tune_entries = [replace(e, phase="tune", note=f"search ({e.phase}): {e.note}") for e in entries]
    return TuneResult(name, out[best].params, out[best].cv_accuracy, out, k,
                      f"{how} search, {len(out)} candidates x {k} folds (scikit-learn GridSearchCV)",
                      tune_entries)


def _tune_kernel(name, cfg, X, y, candidates, how, cv) -> TuneResult:
    from qvc.quantum.kernels import StatevectorKernel

    entry = get_model(name)
    groups: dict[tuple, list[dict]] = {}
    for c in candidates:
        full = resolve_params(name, cfg, c)
        groups.setdefault(tuple(full[k] for k in entry.kernel_params), []).append(full)
    k = cv.get_n_splits()
    n = X.shape[0]
    out: list[Candidate] = []
    entries: list[LedgerEntry] = []
    collapsed: list[float] = []  # off-diagonal Gram mean per candidate
    from qvc.quantum.execution import parse_execution

    local = "exact" if parse_execution(cfg.execution).is_ibm else cfg.execution
    for members in groups.values():
        p0 = members[0]
        # the model's own circuits for this setting (the ZZ map, the IQP map, a user's map)
        fmap, priced = build_model(name, cfg, p0).estimator.kernel_circuits(X.shape[1])
        t0 = time.perf_counter()
        shots = cfg.shots if parse_execution(local).stochastic else None  # exact mode takes no shots
        kernel = StatevectorKernel(feature_map=fmap, execution=local, shots=shots, seed=cfg.seed,
                                   threads=cfg.threads)
        kernel.circuit_fidelity = cfg.circuit_fidelity
        gram = kernel.evaluate(X)
        gram_s = time.perf_counter() - t0
        circuits = n * (n - 1) // 2
        entries.append(LedgerEntry(  # priced at bandwidth 1: same gates (QuantumKernelSVC._ledger_template)
            name, "tune", priced, circuits, cfg.shots, "kernel",
            "search: one training Gram matrix per feature-map setting, sliced per fold and reused for every C",
        ))
        off = gram[~np.eye(n, dtype=bool)]
        off_mean = float(off.mean()) if off.size else 1.0
        if off_mean < KERNEL_OFFDIAG_FLOOR:
            why = (f"collapsed kernel: off-diagonal mean {off_mean:.3g} < {KERNEL_OFFDIAG_FLOOR:g} "
                   "(qvc.models.tuning.KERNEL_OFFDIAG_FLOOR)")
            out.extend(Candidate(full, float("nan"), float("nan"), gram_s, circuits, why) for full in members)
            collapsed.extend([off_mean] * len(members))
            continue
        search = GridSearchCV(SVC(kernel="precomputed"), [{"C": [m["C"]]} for m in members],
                              scoring="accuracy", cv=cv, refit=False, error_score="raise")
        search.fit(gram, y)
        res = search.cv_results_
        for i, full in enumerate(members):
            out.append(Candidate(
                full, float(res["mean_test_score"][i]), float(res["std_test_score"][i]),
                gram_s + float((res["mean_fit_time"][i] + res["mean_score_time"][i]) * k), circuits,
            ))
        collapsed.extend([off_mean] * len(members))
    tried = [i for i, c in enumerate(out) if not c.skipped]
    if tried:
        best = max(tried, key=lambda i: (out[i].cv_accuracy, -i))
        best = min(i for i in tried if out[i].cv_accuracy == out[best].cv_accuracy)  # ties: search order
    else:  # every setting collapsed: the least collapsed one, said so in the method
        best = int(np.argmax(collapsed))
    skipped = len(out) - len(tried)
    note = (f"; {skipped} candidates skipped: collapsed kernel (off-diagonal mean < {KERNEL_OFFDIAG_FLOOR:g})"
            + ("; every setting collapsed: the least collapsed kept, untested" if not tried else "")
            if skipped else "")
    return TuneResult(
        name, out[best].params, out[best].cv_accuracy, out, k,
        f"{how} search, {len(out)} candidates x {k} folds; {len(groups)} Gram matrices "
        f"(one per feature-map setting, reused across C and folds){note}",
        entries, kernel_evaluations=len(groups),
    )


def kernel_diagnostics(gram: np.ndarray, y: np.ndarray, n_support: int) -> dict:
    """Concentration diagnostics of a training Gram matrix.

    Returns the off-diagonal mean and standard deviation, the share of training points
    that are support vectors and the centred kernel-target alignment (Cortes, Mohri &
    Rostamizadeh 2012) ``<HKH, HTH>_F / (||HKH||_F ||HTH||_F)`` with ``T_ij = 1`` for equal
    labels and 0 otherwise, ``H`` the centring matrix. A collapsed kernel (off-diagonal
    spread < 0.01, i.e. nearly constant: every pair looks alike or every pair orthogonal)
    is flagged.

    Examples
    --------
    >>> d = kernel_diagnostics(np.eye(4), np.array([0, 0, 1, 1]), 4)
    >>> d["kernel_offdiag_mean"], d["kernel_collapsed"]
    (0.0, True)
    """
    gram = np.asarray(gram, dtype=float)
    y = np.asarray(y)
    n = gram.shape[0]
    off = gram[~np.eye(n, dtype=bool)]
    target = (y[:, None] == y[None, :]).astype(float)
    H = np.eye(n) - 1.0 / max(1, n)
    kc, tc = H @ gram @ H, H @ target @ H
    denom = np.linalg.norm(kc) * np.linalg.norm(tc)
    std = float(off.std()) if off.size else float("nan")
    return {
        "kernel_offdiag_mean": float(off.mean()) if off.size else float("nan"),
        "kernel_offdiag_std": std,
        "support_vector_share": float(n_support) / max(1, n),
        "kernel_target_alignment": float(np.sum(kc * tc) / denom) if denom > 0 else float("nan"),
        "kernel_collapsed": bool(off.size and std < 0.01),
    }
