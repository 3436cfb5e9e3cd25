"""The fault-tolerant projection (--device ftqc:<qubit model>): estimator, energy model, CLI, runs, report."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qvc.cli import main

ROOT = Path(__file__).resolve().parents[1]
BELL = ROOT / "examples" / "bell.qasm"

pytest.importorskip("qdk", reason="the ftqc extra (qdk[qiskit]) is part of the test extra")


def _estimate_json(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["estimate", str(BELL), "--json", *args]) == 0
    return json.loads(out.getvalue())


def _one_error_line(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_estimate_json_equals_the_resource_estimator_on_the_same_circuit():
    import qdk.qiskit

    from qvc.quantum.qasm import load_qasm

    d = _estimate_json("--device", "ftqc:qubit_gate_ns_e3", "--shots", "1000", "--circuits", "10")
    direct = qdk.qiskit.estimate(load_qasm(BELL), {"qubitParams": {"name": "qubit_gate_ns_e3"},
                                                   "qecScheme": {"name": "surface_code"},
                                                   "errorBudget": 0.001}).data()
    assert d["physical_qubits"] == direct["physicalCounts"]["physicalQubits"]
    assert d["runtime_per_shot_s"] == pytest.approx(direct["physicalCounts"]["runtime"] * 1e-9, rel=1e-12)
    assert d["code_distance"] == direct["logicalQubit"]["codeDistance"]
    assert d["method"] == "projected"
    e = d["energy_j"]
    assert e["low"] < e["median"] < e["high"]
    assert d["templates"][0]["estimator_params"]["qubitParams"]["name"] == "qubit_gate_ns_e3"
    assert d["nisq_reference"]["device"] == "ibm_heron"


def test_methodology_worked_example_of_the_projection():
    text = (ROOT / "docs" / "methodology.md").read_text()
    d = _estimate_json("--device", "ftqc:qubit_gate_ns_e3", "--shots", "1000", "--circuits", "10")
    assert d["physical_qubits"] == 450 and "450 physical qubits" in text
    assert d["runtime_per_shot_s"] == pytest.approx(4e-6) and "T = 4 us" in text
    c = d["components_j"]
    assert c["cryogenics"] == pytest.approx(208.8) and "208.8 J" in text
    assert c["control"] == pytest.approx(270.0) and "270 J" in text
    assert c["decoding"] == pytest.approx(0.018) and "0.018 J" in text
    assert d["energy_j"]["typical"] == pytest.approx(670.3452) and "670.3452 J" in text
    marginal = _estimate_json("--device", "ftqc:qubit_gate_ns_e3", "--shots", "1000", "--circuits", "10",
                              "--attribution", "marginal")
    assert marginal["energy_j"]["typical"] == pytest.approx(113.4252) and "113.4252 J" in text


def test_cost_model_round_trips_and_the_interval_is_the_draws():
    from qvc.energy.costmodel import FtCostModel
    from qvc.energy.ftqc import get_ftqc, price_ftqc
    from qvc.quantum.ledger import LedgerEntry
    from qvc.quantum.qasm import load_qasm

    cost = price_ftqc([LedgerEntry("m", "fit", load_qasm(BELL), 10, 1000, "kernel")],
                      get_ftqc("qubit_gate_ns_e3"), shots=1000, n_draws=500, seed=3)
    again = FtCostModel.from_dict(json.loads(json.dumps(cost.cost_model.to_dict())))
    assert float(again.evaluate(again.typical())["energy_j"][0]) == pytest.approx(cost.energy_j)
    # every draw lies between the all-low and the all-high machine
    lo = {k: np.array([v[0]]) for k, v in again.params.items()}
    hi = {k: np.array([v[2]]) for k, v in again.params.items()}
    assert again.evaluate(lo)["energy_j"][0] <= cost.energy_interval.low
    assert cost.energy_interval.high <= again.evaluate(hi)["energy_j"][0]
    assert cost.ae_factor == pytest.approx((4 * np.pi * np.sqrt(1000) + 1) / 1000)


def test_telemetry_variable_is_set_before_qdk_is_first_imported():
    code = """
import os, sys, importlib.abc
seen = {}
class Spy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "qdk" and "qdk" not in seen:
            seen["qdk"] = (os.environ.get("QDK_PYTHON_TELEMETRY"), os.environ.get("QSHARP_PYTHON_TELEMETRY"))
        return None
sys.meta_path.insert(0, Spy())
os.environ["QDK_PYTHON_TELEMETRY"] = "enabled"  # a user setting that would switch it on
from qiskit import QuantumCircuit
from qvc.quantum.resource_estimator import estimate_resources, estimator_params
qc = QuantumCircuit(1); qc.h(0); qc.measure_all()
estimate_resources(qc, estimator_params("qubit_gate_ns_e3"))
import qdk.telemetry
print(seen["qdk"], qdk.telemetry.TELEMETRY_ENABLED)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "('none', 'none') False"


def test_unknown_qubit_model_is_one_line_exit_2(capsys):
    line = _one_error_line(capsys, ["estimate", str(BELL), "--device", "ftqc:qubit_gate_xx", "--shots", "10"])
    assert "qubit_gate_xx" in line and "ftqc:qubit_gate_ns_e3" in line
    line = _one_error_line(capsys, ["run", "iris", "--models", "qsvc", "--device", "ftqc:qubit_gate_xx",
                                    "--no-tune", "--seeds", "1"])
    assert "qubit_gate_xx" in line


def test_ftqc_preset_with_negative_power_is_one_line_exit_2(capsys, tmp_path):
    f = tmp_path / "ft.toml"
    f.write_text("""
[ftqc.mine]
description = "mine"
qubit_model = "qubit_gate_ns_e4"
qec_scheme = "surface_code"
error_budget = { value = 0.001, source = "unverified" }
profile = "superconducting"
[ftqc.mine_neg]
description = "negative"
qubit_model = "qubit_gate_ns_e4"
qec_scheme = "surface_code"
error_budget = { value = 0.001, source = "unverified" }
[ftqc.mine_neg.profile]
pue = { low = 1.1, typical = 1.2, high = 1.3, source = "unverified" }
decoding_j_per_patch_cycle = { low = 0.0, typical = 0.0, high = 0.0, source = "unverified" }
[ftqc.mine_neg.profile.power.control]
per_qubit_w = { low = -1.0, typical = 1.0, high = 2.0, source = "unverified" }
idle_fraction = { low = 0.0, typical = 0.0, high = 0.0, source = "unverified" }
""")
    line = _one_error_line(capsys, ["estimate", str(BELL), "--device", "ftqc:mine", "--device-file", str(f),
                                    "--shots", "10"])
    assert "per_qubit_w.low" in line and "non-negative" in line


def test_missing_extra_is_one_line_exit_2(capsys, monkeypatch):
    from qvc.quantum import resource_estimator as re_mod

    monkeypatch.setitem(sys.modules, "qdk", None)  # import qdk -> ImportError, as if not installed
    monkeypatch.setattr(re_mod, "_CACHE", {})
    line = _one_error_line(capsys, ["estimate", str(BELL), "--device", "ftqc:qubit_gate_ns_e3", "--shots", "10"])
    assert "ftqc extra" in line and "qdk[qiskit]==1.33.1" in line


def test_run_writes_ft_columns_and_the_report_sentence(tmp_path):
    from qvc.experiment.runner import run_experiment
    from qvc.experiment.spec import ExperimentSpec
    from qvc.record.results import load_results

    spec = ExperimentSpec("iris", models=("svm", "qsvc"), seeds=(0,), tune=False, samples=30,
                          device="ftqc:qubit_gate_ns_e3", out_dir=str(tmp_path))
    result = run_experiment(spec, progress=None)
    rows = load_results(result.run_dir / "results.csv")
    q = rows[rows.model == "qsvc"].iloc[0]
    s = rows[rows.model == "svm"].iloc[0]
    assert q["ft_energy_method"] == "projected" and q["ft_physical_qubits"] > 0 and q["ft_shots"] >= 16
    assert q["ft_energy_j_low"] <= q["ft_energy_j"] <= q["ft_energy_j_high"]
    assert q["device"] == "ibm_heron" and q["hw_energy_method"] == "modelled"
    assert s["ft_energy_method"] == "" or s["ft_energy_method"] != s["ft_energy_method"]  # blank for classical
    report = (result.run_dir / "report.md").read_text()
    assert "fault-tolerant" in report and "(projected)" in report


def test_sweep_analysis_adds_an_ftqc_break_even_series():
    import pandas as pd

    from qvc.analysis.scaling import analyse

    rows = [{"model": m, "qubits": q, "n_train": 30, "n_test": 10, "fit_energy_j": e, "predict_energy_j": 0.0,
             "fit_energy_method": "estimated", "hw_energy_j": h, "hw_energy_method": "modelled",
             "ft_energy_j": f, "ft_energy_j_low": f / 2, "ft_energy_j_high": f * 2, "ft_device": "ftqc:x",
             "ft_energy_method": "projected" if m == "qsvc" else "", "ft_shots": 1024.0,
             "ft_physical_qubits": 1e5, "accuracy_test": 0.9, "execution": "exact", "seed": seed}
            for q in range(2, 13) for seed in (1, 2, 3)  # three seeds: the quality gate's paired test
            for m, e, h, f in (("svm", 0.01, np.nan, np.nan), ("qsvc", 1e-3 * q * 2.0 ** q, 3e3 + 10 * q, 0.1 * q))]
    a = analyse(pd.DataFrame(rows), draws=30)
    ft = a.breakeven[a.breakeven.comparison == "ftqc < simulation"]
    assert len(ft) == 1 and "projected" in ft.iloc[0]["notes"] and "ftqc:x" in ft.iloc[0]["hardware_pricing"]
    # 1e-3 q 2^q (statevector) = 0.1 q (projected) at 2^q = 100, q = log2(100) = 6.64
    assert ft.iloc[0]["status"] == "crossing" and ft.iloc[0]["simulator"] == "statevector"
    assert ft.iloc[0]["x"] == pytest.approx(np.log2(100), abs=0.05)
    assert ft.iloc[0]["low"] <= ft.iloc[0]["x"] <= ft.iloc[0]["high"]
    assert set(a.curves[a.curves.series == "ftqc"]["label"]) == {"projected"}


def test_kernel_template_estimate_is_reproducible_and_is_the_estimators(monkeypatch):
    import qdk.qiskit

    from qvc.quantum import resource_estimator as re_mod
    from qvc.quantum.circuits import feature_map, kernel_template

    template = kernel_template(feature_map(3, 2, "full"))
    params = re_mod.estimator_params("qubit_gate_ns_e3")
    runs = []
    for _ in range(3):  # transpiler levels 2-3 vary from call to call; level 1 does not
        monkeypatch.setattr(re_mod, "_CACHE", {})
        runs.append(re_mod.estimate_resources(template, params))
    assert len({(r.physical_qubits, r.runtime_per_shot_s, r.t_states) for r in runs}) == 1
    direct = qdk.qiskit.estimate(re_mod.representative_binding(template), params,
                                 optimization_level=re_mod.TRANSPILE_LEVEL).data()
    assert runs[0].physical_qubits == direct["physicalCounts"]["physicalQubits"]
    assert runs[0].physical_qubits_tfactories > 0.5 * runs[0].physical_qubits  # rotations need T factories


def test_estimator_refusal_is_one_line_exit_2(capsys, tmp_path):
    f = tmp_path / "ft.toml"
    f.write_text("""
[ftqc.noisy_readout]
description = "readout error above the surface-code threshold"
qubit_model = "qubit_gate_ns_e3"
qec_scheme = "surface_code"
error_budget = { value = 0.001, source = "unverified" }
profile = "superconducting"
qubit_params = { oneQubitMeasurementErrorRate = 0.0229 }
""")
    line = _one_error_line(capsys, ["estimate", str(BELL), "--device", "ftqc:noisy_readout", "--device-file", str(f),
                                    "--shots", "10"])
    assert "resource estimator refused" in line and "0.01" in line


def test_devices_lists_the_ftqc_presets_with_sources(capsys):
    assert main(["devices", "--json"]) == 0
    ft = json.loads(capsys.readouterr().out)["ftqc"]
    assert set(ft) >= {"ftqc:" + m for m in ("qubit_gate_ns_e3", "qubit_gate_us_e4", "qubit_maj_ns_e6")}
    params = ft["ftqc:qubit_gate_ns_e3"]["params"]
    assert params["power.cryogenics.per_qubit_w"]["typical"] == 11.6
    assert all(p["source"] for p in params.values())
    assert not params["decoding_j_per_patch_cycle"]["verified"]  # says unverified: no source was found
