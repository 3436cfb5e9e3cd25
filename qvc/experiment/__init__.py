"""Experiment specs, the runner and the result store.

The names below load on first use (PEP 562), so that ``qvc.experiment.spec`` (the spec and its
defaults, which the command-line parser reads) imports without scikit-learn, qiskit or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qvc.experiment.runner import RunResult, run_experiment
    from qvc.experiment.spec import ExperimentSpec
    from qvc.record.results import COLUMNS, SCHEMA_VERSION, load_results, write_results

_HOME = {
    "COLUMNS": "qvc.record.results",
    "SCHEMA_VERSION": "qvc.record.results",
    "load_results": "qvc.record.results",
    "write_results": "qvc.record.results",
    "RunResult": "qvc.experiment.runner",
    "run_experiment": "qvc.experiment.runner",
    "ExperimentSpec": "qvc.experiment.spec",
}

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "ExperimentSpec",
    "RunResult",
    "load_results",
    "run_experiment",
    "write_results",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qvc.experiment' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
