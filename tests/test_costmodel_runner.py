"""The runner prices quantum rows with the hardware model (median + 90 % interval, components)."""

from __future__ import annotations

import pytest

from qvc.errors import QvcUsageError
from qvc.experiment.results import COLUMNS, load_results
from qvc.experiment.runner import run_experiment
from qvc.experiment.spec import ExperimentSpec


def _run(tmp_path, **kw):
    spec = ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(42,), qubits=2, max_samples=40,
                          out_dir=str(tmp_path), **kw)
    return run_experiment(spec, progress=None)


def test_quantum_rows_carry_hardware_columns(tmp_path):
    result = _run(tmp_path)
    svm, qsvc = result.rows
    hw = [c for c in COLUMNS if c.startswith("hw_")]
    assert all(c in qsvc for c in hw)
    assert qsvc["hw_energy_method"] == "modelled" and qsvc["hw_attribution"] == "attributional"
    assert qsvc["hw_qpu_seconds_low"] < qsvc["hw_qpu_seconds"] < qsvc["hw_qpu_seconds_high"]
    assert qsvc["hw_energy_j_low"] < qsvc["hw_energy_j"] < qsvc["hw_energy_j_high"]
    assert qsvc["hw_jobs"] == 2  # fit and predict are separate submissions
    comps = sum(qsvc[f"hw_energy_{c}_j"] for c in
                ("cryogenics", "vacuum", "lasers", "control", "readout", "servers", "facility"))
    assert comps == pytest.approx(qsvc["hw_energy_typical_j"], rel=1e-12)
    assert qsvc["hw_qpu_seconds_fit"] > 0 and qsvc["hw_qpu_seconds_predict"] > 0
    assert qsvc["hw_landauer_j"] > 0
    assert svm["hw_attribution"] == "" and svm["hw_jobs"] == 0
    frame = load_results(result.run_dir)
    assert frame.loc[frame.model == "qsvc", "hw_energy_j_high"].dtype.kind == "f"
    assert result.metadata["hardware_model"]["attribution"] == "attributional"
    assert result.metadata["device"]["power"]["cryogenics"]["static_w"]["source"]


def test_marginal_attribution_and_mitigation(tmp_path):
    base = run_experiment(ExperimentSpec("iris", models=("qsvc",), seeds=(42,), qubits=2, max_samples=40,
                                         out_dir=str(tmp_path)), progress=None).rows[0]
    mar = run_experiment(ExperimentSpec("iris", models=("qsvc",), seeds=(42,), qubits=2, max_samples=40,
                                        out_dir=str(tmp_path), attribution="marginal",
                                        mitigation_factor=2.0), progress=None).rows[0]
    assert mar["hw_attribution"] == "marginal" and mar["hw_mitigation_factor"] == 2.0
    assert mar["hw_energy_typical_j"] < base["hw_energy_typical_j"]
    assert mar["hw_qpu_seconds"] > base["hw_qpu_seconds"]  # twice the shots


def test_spec_rejects_bad_hardware_options():
    with pytest.raises(QvcUsageError, match="attribution"):
        ExperimentSpec("iris", attribution="both").validate()
    with pytest.raises(QvcUsageError, match="mitigation_factor"):
        ExperimentSpec("iris", mitigation_factor=0.0).validate()
