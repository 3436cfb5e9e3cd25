"""Experiment specs, the runner and the result store."""

from qvc.experiment.results import COLUMNS, SCHEMA_VERSION, load_results, write_results
from qvc.experiment.runner import RunResult, run_experiment
from qvc.experiment.spec import ExperimentSpec

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "ExperimentSpec",
    "RunResult",
    "load_results",
    "run_experiment",
    "write_results",
]
