"""Shared fixtures: one small real run folder for the report tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory):
    """A real run folder: iris, svm + qsvc + mlp, seeds 1 and 2 (a few seconds on 2 cores)."""
    from qvc.experiment import ExperimentSpec, run_experiment

    out = tmp_path_factory.mktemp("runs")
    spec = ExperimentSpec("iris", models=("svm", "qsvc", "mlp"), seeds=(1, 2), out_dir=str(out))
    return run_experiment(spec, progress=None).run_dir
