"""Classical and quantum model builders and the rules that match them."""

from qvc.models.classical import make_mlp, make_svm
from qvc.models.matching import MATCHING_RULE, match_mlp_hidden_units, mlp_param_count
from qvc.models.quantum import (
    EXECUTION_MODES,
    IQPKernelSVC,
    ProjectedKernelSVC,
    QuantumKernelSVC,
    ReuploadingClassifier,
    VQCClassifier,
)
from qvc.models.registry import MODEL_NAMES, PAIRS, ModelConfig, build_model

__all__ = [
    "EXECUTION_MODES",
    "MATCHING_RULE",
    "MODEL_NAMES",
    "PAIRS",
    "IQPKernelSVC",
    "ModelConfig",
    "ProjectedKernelSVC",
    "QuantumKernelSVC",
    "ReuploadingClassifier",
    "VQCClassifier",
    "build_model",
    "make_mlp",
    "make_svm",
    "match_mlp_hidden_units",
    "mlp_param_count",
]
