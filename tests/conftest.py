"""Shared fixtures: small real data, an isolated output folder, one small real run folder."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture()
def out_dir(tmp_path):
    """A fresh parent folder for run folders."""
    d = tmp_path / "reports"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory):
    """A real run folder for the report tests: iris, svm + qsvc + mlp, seeds 1, 2 and 3."""
    from qvc.experiment import ExperimentSpec, run_experiment

    out = tmp_path_factory.mktemp("runs")
    spec = ExperimentSpec("iris", models=("svm", "qsvc", "mlp"), seeds=(1, 2, 3), out_dir=str(out))
    return run_experiment(spec, progress=None).run_dir
