"""qvc: what does a quantum machine-learning model cost in energy, next to its classical match?

The public API is re-exported here, loaded on first use (so ``qvc --version`` and
``qvc datasets`` do not import qiskit); everything not listed in ``__all__`` is internal.

Examples
--------
>>> import qvc
>>> qvc.ExperimentSpec is qvc.experiment.ExperimentSpec
True
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> the subpackage that defines it.
_EXPORTS = {
    "ExperimentSpec": "qvc.experiment",
    "run_experiment": "qvc.experiment",
    "load_results": "qvc.experiment",
    "prepare_dataset": "qvc.data",
    "list_datasets": "qvc.data",
    "QuantumKernelSVC": "qvc.models",
    "VQCClassifier": "qvc.models",
    "IQPKernelSVC": "qvc.models",
    "ProjectedKernelSVC": "qvc.models",
    "ReuploadingClassifier": "qvc.models",
    "StatevectorKernel": "qvc.quantum",
    "StatevectorQNN": "qvc.quantum",
    "TrainableStatevectorKernel": "qvc.quantum",
    "CircuitLedger": "qvc.quantum",
    "EnergyMeter": "qvc.energy",
    "measure_repeated": "qvc.energy",
    "get_device": "qvc.energy",
    "price_entries": "qvc.energy",
    "write_report": "qvc.report",
    "export_run": "qvc.report",
    "QvcUsageError": "qvc.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qvc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
