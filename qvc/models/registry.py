"""Which models exist, how they pair up, and how each is built for a dataset."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.base import BaseEstimator

from qvc._preflight import MODEL_NAMES  # model names in display order (light module: argument checks)
from qvc.models.classical import make_mlp, make_svm
from qvc.models.matching import MATCHING_RULE, match_mlp_hidden_units
from qvc.models.quantum import QuantumKernelSVC, VQCClassifier

#: Matched pairs: pair name -> (classical, quantum).
PAIRS = {"svm": ("svm", "qsvc"), "nn": ("mlp", "vqc")}

_FAMILY = {"svm": "classical", "mlp": "classical", "qsvc": "quantum", "vqc": "quantum"}
_PAIR_OF = {m: p for p, members in PAIRS.items() for m in members}


@dataclass(frozen=True)
class ModelConfig:
    """Settings shared by the models of one run."""

    n_features: int
    n_classes: int
    seed: int = 42
    max_iter: int = 100
    shots: int = 1024
    execution: str = "exact"
    feature_map_reps: int = 2
    ansatz_reps: int = 3
    entanglement: str = "full"
    device: str | None = None
    #: The VQC trains on the IBM backend too (``ibm:`` execution only).
    train_on_hardware: bool = False


@dataclass(frozen=True)
class BuiltModel:
    """An unfitted estimator and what the result row says about it."""

    name: str
    pair: str
    family: str
    estimator: BaseEstimator
    n_params: int
    matching: str


def build_model(name: str, cfg: ModelConfig) -> BuiltModel:
    """Build model ``name`` for the data described by ``cfg``.

    Examples
    --------
    >>> m = build_model("mlp", ModelConfig(n_features=4, n_classes=3))
    >>> m.n_params, m.estimator.hidden_layer_sizes
    (19, (2,))
    """
    if name == "svm":
        est, n_params, match = make_svm(cfg.seed), 0, "same split, features and seed as qsvc"
    elif name == "qsvc":
        if str(cfg.execution).startswith("mps"):
            import qiskit_aer  # noqa: F401 - imported here, outside the metered fit

        est = QuantumKernelSVC(
            feature_map_reps=cfg.feature_map_reps, entanglement=cfg.entanglement, shots=cfg.shots,
            execution=cfg.execution, seed=cfg.seed, device=cfg.device,
        )
        n_params, match = 0, "same split, features and seed as svm"
    elif name == "vqc":
        est = VQCClassifier(
            feature_map_reps=cfg.feature_map_reps, ansatz_reps=cfg.ansatz_reps,
            max_iter=cfg.max_iter, shots=cfg.shots, execution=cfg.execution, seed=cfg.seed,
            train_on_hardware=cfg.train_on_hardware,
        )
        n_params, match = VQCClassifier.weight_count(cfg.n_features, cfg.ansatz_reps), MATCHING_RULE
    elif name == "mlp":
        target = VQCClassifier.weight_count(cfg.n_features, cfg.ansatz_reps)
        hidden, n_params = match_mlp_hidden_units(cfg.n_features, cfg.n_classes, target)
        est, match = make_mlp(hidden, cfg.max_iter, cfg.seed), MATCHING_RULE
    else:
        from qvc.errors import QvcUsageError

        raise QvcUsageError(f"unknown model {name!r}; choose from: {', '.join(MODEL_NAMES)}")
    return BuiltModel(name, _PAIR_OF[name], _FAMILY[name], est, int(n_params), match)
