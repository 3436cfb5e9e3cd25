"""Datasets and preprocessing to ``n`` features (= ``n`` qubits)."""

from qvc.data.datasets import (
    ANGLE_RANGE,
    DATASETS,
    DEFAULT_QUBITS,
    PROTOCOLS,
    PreparedData,
    list_datasets,
    load_csv,
    prepare_dataset,
)

__all__ = [
    "ANGLE_RANGE",
    "DATASETS",
    "DEFAULT_QUBITS",
    "PROTOCOLS",
    "PreparedData",
    "list_datasets",
    "load_csv",
    "prepare_dataset",
]
