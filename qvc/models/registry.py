"""The model registry, as data: one table of every model qvc compares.

Each :class:`ModelEntry` says what a model is (name, family, pair), how it is
built, which hyperparameters it has (name, type, range, untuned default) and
what it costs in memory and time. Everything else (the spec, the spec-file
loader, the sweep scheduler, scaling, the CLI and the tuner) reads this table;
no other module spells a model name. The candidate values searched for each
hyperparameter live in one TOML file (:data:`qvc.models.hyperparams.DEFAULT_SEARCH_SPACE`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sklearn.base import BaseEstimator

from qvc.errors import QvcUsageError
from qvc.models.classical import make_frontier, make_mlp, make_svm
from qvc.models.matching import MATCHING_RULE, match_mlp_hidden_units, mlp_param_count
from qvc.models.quantum import (
    OPTIMIZERS,
    READOUTS,
    IQPKernelSVC,
    ProjectedKernelSVC,
    QuantumKernelSVC,
    ReuploadingClassifier,
    VQCClassifier,
)
from qvc.quantum.circuits import ENTANGLEMENTS

if TYPE_CHECKING:
    from qiskit import QuantumCircuit


@dataclass(frozen=True)
class HyperParameter:
    """One hyperparameter: its type, valid range and untuned default.

    Parameters
    ----------
    name : str
    kind : str
        ``float``, ``int``, ``choice`` or ``layers`` (``"matched"`` or comma-separated widths).
    default : object
        The value used without tuning (``--no-tune``); ``None`` means the run's shared
        setting (e.g. ``max_iter``).
    help : str
    low, high : float, optional
        Inclusive bounds (``low_open``: ``low`` itself excluded).
    choices : tuple of str
        Allowed values of a ``choice``; for numbers, strings also accepted (e.g. ``"scale"``).

    Examples
    --------
    >>> HyperParameter("C", "float", 1.0, "regularisation", low=0, low_open=True).parse("10")
    10.0
    """

    name: str
    kind: str
    default: object
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """The valid values in words."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "layers":
            return "'matched' or comma-separated hidden-layer widths >= 1 (e.g. 16 or 16,16)"
        rng = []
        if self.low is not None:
            rng.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            rng.append(f"<= {self.high:g}")
        text = f"{'an integer' if self.kind == 'int' else 'a number'} {' and '.join(rng)}".strip()
        if self.choices:
            text += " or one of " + ", ".join(self.choices)
        return text

    def parse(self, value: object, key: str = "") -> object:
        """Return ``value`` converted and checked, or raise :class:`~qvc.errors.QvcUsageError`."""
        key = key or self.name
        bad = QvcUsageError(f"{key} must be {self.describe()} (got {value!r})", key=key)
        if isinstance(value, bool):
            raise bad
        if self.kind == "choice":
            if str(value) not in self.choices:
                raise bad
            return str(value)
        if self.kind == "layers":
            text = str(value).strip().lower()
            if text == "matched":
                return "matched"
            try:
                widths = [int(t) for t in text.replace("-", ",").split(",") if t.strip()]
            except ValueError:
                raise bad from None
            if not widths or min(widths) < 1:
                raise bad
            return ",".join(map(str, widths))
        if isinstance(value, str) and value in self.choices:
            return value
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad from None
        if not math.isfinite(number):
            raise bad
        if self.kind == "int":
            if not number.is_integer():
                raise bad
            number = int(number)
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            raise bad
        if self.high is not None and number > self.high:
            raise bad
        return number


@dataclass(frozen=True)
class ModelConfig:
    """Settings shared by the models of one run.

    ``params`` holds the hyperparameters fixed for this run, per model
    (``{"qsvc": {"bandwidth": 0.1}}``); the rest take their registry defaults.
    """

    n_features: int
    n_classes: int
    seed: int = 42
    max_iter: int = 100
    shots: int = 1024
    execution: str = "exact"
    #: Feature-map entanglement of the quantum models unless a hyperparameter fixes it
    #: (the run's ``--entanglement``).
    entanglement: str = "full"
    #: ``circuit -> (fidelity, how)``: the run's device estimate that sets the target fidelity of
    #: ``execution="mps:matched"`` (injected by the runner, which knows the device).
    circuit_fidelity: Callable[[QuantumCircuit], tuple[float, str]] | None = None
    params: dict = field(default_factory=dict)
    #: The VQC trains on the IBM backend too (``ibm:`` execution only).
    train_on_hardware: bool = False
    #: The user's own feature map / ansatz: ``module:function`` or an OpenQASM 3 file
    #: (:func:`qvc.quantum.usercircuit.load_circuit`); ``None``: the built-in circuits.
    feature_map: str | None = None
    ansatz: str | None = None
    #: Threads of the statevector engine for the kernel model (state build and Gram step).
    threads: int = 1


@dataclass(frozen=True)
class BuiltModel:
    """An unfitted estimator and what the result row says about it."""

    name: str
    pair: str
    family: str
    estimator: BaseEstimator
    n_params: int
    matching: str
    hyperparameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelEntry:
    """One row of the registry.

    Attributes
    ----------
    name, family, pair, description : str
    hyperparameters : tuple of HyperParameter
    build : callable
        ``build(cfg, params) -> (estimator, n_params, matching)``; ``params`` has a
        value for every hyperparameter.
    kernel_params : tuple of str
        Hyperparameters that change the kernel's feature map (a search computes one
        Gram matrix per setting of these and reuses it for the others).
    statevectors_held : callable
        ``f(n_samples) -> int``: statevectors held at once in exact simulation (0: classical).
    relative_cost : callable
        ``f(n_samples, qubits, max_iter) -> float``: rough relative run time (schedules sweeps).
    executions : tuple of str or None
        Execution kinds (:func:`qvc.quantum.execution.execution_kinds`) the model computes
        with; ``None``: every kind (classical models run locally whatever the mode).
    trains_on_hardware : bool
        Whether ``--train-on-hardware`` applies (the model trains on the IBM backend too).
    sequential_cost : callable or None
        ``f(n_samples, qubits) -> float`` replacing ``relative_cost`` under a
        non-statevector execution (``mps``), for scheduling sweeps.

    The circuits a hardware run of a quantum model would send, before it runs, are its
    estimator's ``planned_ledger(n_features, n_train, n_test, train_on_hardware=...)``
    (:meth:`planned_circuits`): the estimator's own circuits, not a copy of its rules.
    """

    name: str
    family: str
    pair: str
    description: str
    hyperparameters: tuple[HyperParameter, ...]
    build: Callable[[ModelConfig, dict], tuple[BaseEstimator, int, str]]
    kernel_params: tuple[str, ...] = ()
    statevectors_held: Callable[[int], int] = lambda n: 0
    relative_cost: Callable[[int, int, int], float] = lambda n, q, it: float(n)
    executions: tuple[str, ...] | None = None
    trains_on_hardware: bool = False
    mps_cost: Callable[[int, int], float] | None = None
    #: Whether a run without ``--models`` includes it (the original matched pairs do).
    in_default_run: bool = True
    #: Whether ``--feature-map`` / ``--ansatz`` (the user's circuits) apply to it.
    user_circuits: tuple[str, ...] = ()

    def supports(self, kind: str) -> bool:
        """Whether the model computes with execution kind ``kind`` (``"mps"``, ``"ibm"`` ...)."""
        return self.executions is None or kind in self.executions

    def planned_circuits(self, estimator: BaseEstimator, n_features: int, n_train: int, n_test: int, *,
                         train_on_hardware: bool = False) -> list:
        """Ledger entries a hardware run of ``estimator`` would send (``[]`` for a classical model)."""
        plan = getattr(estimator, "planned_ledger", None)
        if not self.quantum or plan is None:
            return []
        return list(plan(n_features, n_train, n_test, train_on_hardware=train_on_hardware))

    @property
    def quantum(self) -> bool:
        """Whether this is the quantum side of its pair."""
        return self.family == "quantum"

    def hyperparameter(self, name: str) -> HyperParameter:
        """The hyperparameter ``name``, or a usage error listing the known ones."""
        for hp in self.hyperparameters:
            if hp.name == name:
                return hp
        known = ", ".join(hp.name for hp in self.hyperparameters)
        raise QvcUsageError(f"model {self.name!r} has no hyperparameter {name!r}; known: {known}",
                            key="params")

    def defaults(self, cfg: ModelConfig | None = None) -> dict:
        """Untuned values of every hyperparameter (``None`` defaults resolved from ``cfg``)."""
        out = {}
        for hp in self.hyperparameters:
            value = hp.default
            if value is None and cfg is not None:
                value = getattr(cfg, hp.name)
            out[hp.name] = value
        return out


# -- builders ----------------------------------------------------------------------------------

def _qubit_cost(q: int) -> float:
    return 1.0 + 2.0 ** min(q, 40) / 512.0


def _build_svm(cfg: ModelConfig, p: dict):
    return make_svm(cfg.seed, C=p["C"], gamma=p["gamma"]), 0, "same split, features and seed as qsvc"


def _build_qsvc(cfg: ModelConfig, p: dict):
    from qvc.quantum.execution import parse_execution

    if parse_execution(cfg.execution).kind == "mps":
        import qiskit_aer  # noqa: F401 - imported here, outside the metered fit

    est = QuantumKernelSVC(
        feature_map_reps=p["feature_map_reps"], entanglement=p["entanglement"], C=p["C"],
        bandwidth=p["bandwidth"], shots=cfg.shots, execution=cfg.execution, seed=cfg.seed,
        circuit_fidelity=cfg.circuit_fidelity, feature_map=_user_circuit(cfg.feature_map), threads=cfg.threads,
    )
    return est, 0, "same split, features and seed as svm"


def _user_circuit(source: str | None):
    if source is None:
        return None
    from qvc.quantum.usercircuit import load_circuit

    return load_circuit(source)


def _build_iqp(cfg: ModelConfig, p: dict):
    est = IQPKernelSVC(repeats=p["repeats"], C=p["C"], bandwidth=p["bandwidth"], shots=cfg.shots,
                       execution=cfg.execution, seed=cfg.seed, threads=cfg.threads)
    return est, 0, "same split, features and seed as svm"


def _build_pqk(cfg: ModelConfig, p: dict):
    est = ProjectedKernelSVC(
        feature_map_reps=p["feature_map_reps"], entanglement=p["entanglement"], bandwidth=p["bandwidth"],
        gamma_factor=p["gamma_factor"], C=p["C"], shots=cfg.shots, execution=cfg.execution, seed=cfg.seed,
        feature_map=_user_circuit(cfg.feature_map),
    )
    return est, 0, "same split, features and seed as svm"


def _build_vqc(cfg: ModelConfig, p: dict):
    ans = _user_circuit(cfg.ansatz)
    est = VQCClassifier(
        feature_map_reps=p["feature_map_reps"], ansatz_reps=p["ansatz_reps"],
        max_iter=p["max_iter"], shots=cfg.shots, execution=cfg.execution, seed=cfg.seed,
        bandwidth=p["bandwidth"], optimizer=p["optimizer"], readout=p["readout"],
        entanglement=p["entanglement"], train_on_hardware=cfg.train_on_hardware,
        feature_map=_user_circuit(cfg.feature_map), ansatz=ans,
    )
    weights = ans.num_parameters if ans is not None else VQCClassifier.weight_count(cfg.n_features, p["ansatz_reps"])
    return est, weights, MATCHING_RULE


def _build_reupload(cfg: ModelConfig, p: dict):
    est = ReuploadingClassifier(
        layers=p["layers"], max_iter=p["max_iter"], shots=cfg.shots, execution=cfg.execution, seed=cfg.seed,
        optimizer=p["optimizer"], readout=p["readout"], entanglement=p["entanglement"],
    )
    return est, ReuploadingClassifier.weight_count(cfg.n_features, p["layers"]), (
        "same split, features, seed and iteration budget as mlp (the mlp's width is matched to the vqc's weights)")


def _optimiser(p: dict) -> dict:
    return {"solver": p["solver"], "learning_rate_init": p["learning_rate_init"], "batch_size": p["batch_size"]}


def _build_mlp(cfg: ModelConfig, p: dict):
    if p["hidden"] == "matched":
        vqc = MODELS["vqc"]
        reps = cfg.params.get("vqc", {}).get("ansatz_reps", vqc.hyperparameter("ansatz_reps").default)
        target = VQCClassifier.weight_count(cfg.n_features, reps)
        hidden, n_params = match_mlp_hidden_units(cfg.n_features, cfg.n_classes, target)
        return make_mlp(hidden, p["max_iter"], cfg.seed, alpha=p["alpha"], **_optimiser(p)), n_params, MATCHING_RULE
    widths = tuple(int(w) for w in str(p["hidden"]).split(","))
    n_params = mlp_param_count(cfg.n_features, widths, cfg.n_classes)
    return (make_mlp(widths, p["max_iter"], cfg.seed, alpha=p["alpha"], **_optimiser(p)), n_params,
            "same split, features and seed as vqc; width chosen by tuning, not matched to the VQC")


_FRONTIER_MATCHING = "frontier: same split, features and seed; tuned by the same CV and budget, not parameter-matched"


def _linear_params(cfg: ModelConfig) -> int:
    return (cfg.n_features + 1) * (cfg.n_classes if cfg.n_classes > 2 else 1)


def _frontier_builder(name: str, n_params: Callable[[ModelConfig], int]):
    def build(cfg: ModelConfig, p: dict):
        return make_frontier(name, cfg.seed, p), n_params(cfg), _FRONTIER_MATCHING
    return build


_POSITIVE: dict[str, Any] = {"low": 0.0, "low_open": True}
_REPS: dict[str, Any] = {"low": 1, "high": 10}
_DEPTH = HyperParameter("max_depth", "int", "none", "tree depth ('none': grow until pure)", low=1,
                        choices=("none",))

#: The ZZ feature map's hyperparameters, shared by both quantum models.
_FEATURE_MAP = (
    HyperParameter("bandwidth", "float", 1.0,
                   "scales every rotation angle of the feature map (alpha = 2 * bandwidth)", **_POSITIVE),
    HyperParameter("feature_map_reps", "int", 2, "ZZ feature-map repetitions", **_REPS),
    HyperParameter("entanglement", "choice", None, "ZZ feature-map entanglement (default: the run's --entanglement)",
                   choices=ENTANGLEMENTS),
)

#: The registry: model name -> entry, in display order.
MODELS: dict[str, ModelEntry] = {
    m.name: m
    for m in (
        ModelEntry(
            "svm", "classical", "svm", "RBF support-vector classifier (scikit-learn SVC)",
            (
                HyperParameter("C", "float", 1.0, "SVM regularisation", **_POSITIVE),
                HyperParameter("gamma", "float", "scale", "RBF width (or 'scale'/'auto')",
                               choices=("scale", "auto"), **_POSITIVE),
            ),
            _build_svm,
        ),
        ModelEntry(
            "qsvc", "quantum", "svm", "SVM on a fidelity quantum kernel (ZZ feature map)",
            (
                *_FEATURE_MAP,
                HyperParameter("C", "float", 1.0, "SVM regularisation", **_POSITIVE),
            ),
            _build_qsvc,
            kernel_params=tuple(hp.name for hp in _FEATURE_MAP),
            # all N states when they fit, else a blocked Gram step (two at least)
            statevectors_held=lambda n: min(n, 2),
            relative_cost=lambda n, q, it: n * n * _qubit_cost(q),
            executions=("exact", "shots", "noisy", "ibm", "mps"),
            # polynomial: bonds stay small where MPS is chosen
            mps_cost=lambda n, q: n * n * (1.0 + q / 4.0),
            user_circuits=("feature_map",),
        ),
        ModelEntry(
            "iqp", "quantum", "svm",
            "SVM on the IQP-embedding fidelity kernel (qml-benchmarks' IQPKernelClassifier)",
            (
                HyperParameter("repeats", "int", 2, "IQP layer repetitions", **_REPS),
                HyperParameter("bandwidth", "float", 1.0, "scales the centred features (qml-benchmarks' scaling)",
                               **_POSITIVE),
                HyperParameter("C", "float", 1.0, "SVM regularisation", **_POSITIVE),
            ),
            _build_iqp,
            kernel_params=("repeats", "bandwidth"),
            statevectors_held=lambda n: n,
            relative_cost=lambda n, q, it: n * n * _qubit_cost(q),
            executions=("exact", "shots"),
            in_default_run=False,
        ),
        ModelEntry(
            "pqk", "quantum", "svm",
            "SVM on a projected quantum kernel (Huang et al. 2021: RBF on one-qubit X/Y/Z expectations)",
            (
                *_FEATURE_MAP,
                HyperParameter("gamma_factor", "float", 1.0,
                               "multiplies the default RBF width 1/(var(features) n_features)", **_POSITIVE),
                HyperParameter("C", "float", 1.0, "SVM regularisation", **_POSITIVE),
            ),
            _build_pqk,
            statevectors_held=lambda n: n,
            relative_cost=lambda n, q, it: 3.0 * n * _qubit_cost(q),
            executions=("exact", "shots"),
            in_default_run=False,
            user_circuits=("feature_map",),
        ),
        ModelEntry(
            "mlp", "classical", "nn", "multi-layer perceptron trained by L-BFGS (scikit-learn)",
            (
                HyperParameter("hidden", "layers", "matched",
                               "hidden-layer widths, or 'matched' (parameter count closest to the VQC's)"),
                HyperParameter("alpha", "float", 1e-4, "L2 penalty", low=0.0),
                HyperParameter("max_iter", "int", None, "L-BFGS iterations (default: the run's max_iter)",
                               low=1),
                HyperParameter("solver", "choice", "lbfgs", "training optimizer (adam: the study's)",
                               choices=("lbfgs", "adam")),
                HyperParameter("learning_rate_init", "float", 1e-3, "adam's step size", **_POSITIVE),
                HyperParameter("batch_size", "int", "auto", "adam's minibatch size ('auto': min(200, n))", low=1,
                               choices=("auto",)),
            ),
            _build_mlp,
        ),
        ModelEntry(
            "vqc", "quantum", "nn", "variational quantum classifier (ZZ map + real_amplitudes ansatz)",
            (
                *_FEATURE_MAP,
                HyperParameter("ansatz_reps", "int", 3, "real_amplitudes repetitions", **_REPS),
                HyperParameter("optimizer", "choice", "cobyla", "training optimizer",
                               choices=tuple(OPTIMIZERS)),
                HyperParameter("readout", "choice", "mod", "bitstring -> class", choices=tuple(READOUTS)),
                HyperParameter("max_iter", "int", None, "optimizer iterations (default: the run's max_iter)",
                               low=1),
            ),
            _build_vqc,
            statevectors_held=lambda n: 1,
            relative_cost=lambda n, q, it: 50.0 * n * it * _qubit_cost(q),
            executions=("exact", "shots", "noisy", "ibm"),
            trains_on_hardware=True,
            user_circuits=("feature_map", "ansatz"),
        ),
        ModelEntry(
            "reupload", "quantum", "nn", "data re-uploading classifier (Perez-Salinas et al. 2020)",
            (
                HyperParameter("layers", "int", 3, "upload layers (3 x layers x qubits weights)", low=1, high=20),
                HyperParameter("entanglement", "choice", "brickwork",
                               "cz brickwork between layers, or none (the no-entanglement control: "
                               "--param reupload.entanglement=none)", choices=("brickwork", "none")),
                HyperParameter("optimizer", "choice", "cobyla", "training optimizer", choices=tuple(OPTIMIZERS)),
                HyperParameter("readout", "choice", "mod", "bitstring -> class", choices=tuple(READOUTS)),
                HyperParameter("max_iter", "int", None, "optimizer iterations (default: the run's max_iter)",
                               low=1),
            ),
            _build_reupload,
            statevectors_held=lambda n: 1,
            relative_cost=lambda n, q, it: 50.0 * n * it * _qubit_cost(q),
            executions=("exact", "shots"),
            in_default_run=False,
        ),
        # -- the classical frontier (pair "frontier": no quantum partner; added by --frontier) --
        ModelEntry(
            "logreg", "classical", "frontier", "logistic regression (scikit-learn, L-BFGS)",
            (HyperParameter("C", "float", 1.0, "inverse L2 regularisation", **_POSITIVE),),
            _frontier_builder("logreg", _linear_params),
        ),
        ModelEntry(
            "linsvm", "classical", "frontier", "linear support-vector classifier (scikit-learn LinearSVC)",
            (HyperParameter("C", "float", 1.0, "SVM regularisation", **_POSITIVE),),
            _frontier_builder("linsvm", _linear_params),
        ),
        ModelEntry(
            "knn", "classical", "frontier", "k-nearest neighbours (scikit-learn)",
            (
                HyperParameter("n_neighbors", "int", 5, "neighbours that vote", low=1),
                HyperParameter("weights", "choice", "uniform", "vote weights", choices=("uniform", "distance")),
            ),
            _frontier_builder("knn", lambda cfg: 0),
        ),
        ModelEntry(
            "gnb", "classical", "frontier", "Gaussian naive Bayes (scikit-learn)",
            (HyperParameter("var_smoothing", "float", 1e-9, "variance added for stability", **_POSITIVE),),
            _frontier_builder("gnb", lambda cfg: 2 * cfg.n_features * cfg.n_classes + cfg.n_classes),
        ),
        ModelEntry(
            "tree", "classical", "frontier", "decision tree (scikit-learn CART)",
            (_DEPTH,),
            _frontier_builder("tree", lambda cfg: 0),
        ),
        ModelEntry(
            "forest", "classical", "frontier", "random forest (scikit-learn)",
            (HyperParameter("n_estimators", "int", 50, "trees", low=1), _DEPTH),
            _frontier_builder("forest", lambda cfg: 0),
            relative_cost=lambda n, q, it: 20.0 * n,
        ),
    )
}

#: Model names in display order.
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)

#: The classical frontier models (pair ``frontier``), added to a run by ``--frontier``.
FRONTIER_MODELS: tuple[str, ...] = tuple(m.name for m in MODELS.values() if m.pair == "frontier")

#: The models of a run by default: the original matched pairs (the frontier and the other quantum
#: families are opt-in).
DEFAULT_MODELS: tuple[str, ...] = tuple(m for m in MODEL_NAMES
                                        if m not in FRONTIER_MODELS and MODELS[m].in_default_run)

#: Every model of each pair: pair name -> (classical, quantum, quantum, ...).
PAIR_MEMBERS: dict[str, tuple[str, ...]] = {
    pair: tuple(m.name for m in MODELS.values() if m.pair == pair and not m.quantum)
    + tuple(m.name for m in MODELS.values() if m.pair == pair and m.quantum)
    for pair in dict.fromkeys(m.pair for m in MODELS.values()) if pair != "frontier"
}

def _pairs() -> dict[str, tuple[str, str]]:
    out = {}
    for pair in dict.fromkeys(m.pair for m in MODELS.values()):
        c = [m.name for m in MODELS.values() if m.pair == pair and not m.quantum]
        q = [m.name for m in MODELS.values() if m.pair == pair and m.quantum]
        if c and q:  # a model without a partner (e.g. a classical frontier model) forms no pair
            out[pair] = (c[0], q[0])
    return out


#: Matched pairs: pair name -> (classical, quantum).
PAIRS: dict[str, tuple[str, str]] = _pairs()

#: Names of the quantum models.
QUANTUM_MODELS: tuple[str, ...] = tuple(m.name for m in MODELS.values() if m.quantum)


def get_model(name: str) -> ModelEntry:
    """The registry entry of ``name``, or a usage error listing the models.

    Examples
    --------
    >>> get_model("qsvc").pair, get_model("qsvc").family
    ('svm', 'quantum')
    """
    try:
        return MODELS[name]
    except KeyError:
        raise QvcUsageError(f"unknown model {name!r}; choose from: {', '.join(MODEL_NAMES)}",
                            key="models") from None


def resolve_params(name: str, cfg: ModelConfig, params: dict | None = None) -> dict:
    """Every hyperparameter of ``name``: registry defaults, then ``cfg.params[name]``, then ``params``."""
    entry = get_model(name)
    values = entry.defaults(cfg)
    for source in (cfg.params.get(name, {}), params or {}):
        for key, value in source.items():
            values[key] = entry.hyperparameter(key).parse(value, f"{name}.{key}")
    return values


def build_model(name: str, cfg: ModelConfig, params: dict | None = None) -> BuiltModel:
    """Build model ``name`` for the data described by ``cfg``.

    Parameters
    ----------
    name : str
        A registry name (:data:`MODEL_NAMES`).
    cfg : ModelConfig
    params : dict, optional
        Hyperparameters overriding the defaults and ``cfg.params`` (e.g. a tuned candidate).

    Examples
    --------
    >>> m = build_model("mlp", ModelConfig(n_features=4, n_classes=3))
    >>> m.n_params, m.estimator.hidden_layer_sizes
    (19, (2,))
    >>> build_model("qsvc", ModelConfig(4, 3), {"bandwidth": 0.1}).estimator.bandwidth
    0.1
    """
    entry = get_model(name)
    values = resolve_params(name, cfg, params)
    est, n_params, matching = entry.build(cfg, values)
    return BuiltModel(name, entry.pair, entry.family, est, int(n_params), matching, values)
