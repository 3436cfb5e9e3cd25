"""Issue 25 items 4-5: attribution scenarios (packing, utilisation share, marginal) and the global
sensitivity of the hardware-vs-classical ratio."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from qiskit import QuantumCircuit

from qvc.analysis.sensitivity import verdict_sensitivity
from qvc.cli import main
from qvc.energy.costmodel import CostModel
from qvc.energy.devices import load_device_file
from qvc.energy.hardware import capacity_of, price_entries, template_timing
from qvc.energy.packing import packing_capacity
from qvc.energy.scenarios import price_scenarios
from qvc.errors import QvcUsageError
from qvc.experiment.spec import ExperimentSpec
from qvc.quantum.ledger import LedgerEntry
from qvc.record.results import hardware_columns, scenario_columns
from qvc.report.run_report import build_run_report

LINE7 = """
[devices.line7]
description = "seven qubits on a line (test device)"
platform = "superconducting"
num_qubits = {{ value = 7, source = "test" }}
basis_gates = ["rz", "sx", "x", "cx"]
coupling = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6]]
gate_1q_s = {{ low = 20e-9, typical = 30e-9, high = 40e-9, source = "test" }}
gate_2q_s = {{ low = 200e-9, typical = 300e-9, high = 400e-9, source = "test" }}
readout_s = {{ low = 1e-6, typical = 1e-6, high = 1e-6, source = "test" }}
rep_delay_s = {{ low = 200e-6, typical = 250e-6, high = 300e-6, source = "test" }}
per_job_overhead_s = {{ low = 1.0, typical = 2.0, high = 3.0, source = "test" }}
per_circuit_overhead_s = {{ low = 0.0, typical = 0.0, high = 0.0, source = "test" }}
max_circuits_per_job = {{ value = 10000, source = "test" }}
gate_1q_error = {{ low = 0.001, typical = 0.001, high = 0.001, source = "test" }}
gate_2q_error = {{ low = 0.01, typical = 0.01, high = 0.01, source = "test" }}
readout_error = {{ low = 0.02, typical = 0.02, high = 0.02, source = "test" }}
pue = {{ low = 1.2, typical = 1.3, high = 1.4, source = "test" }}

[devices.line7.power.cryogenics]
static_w = {{ low = 9000.0, typical = 10000.0, high = 11000.0, source = "test" }}
idle_fraction = {{ low = 1.0, typical = 1.0, high = 1.0, source = "test" }}

[devices.line7.power.servers]
static_w = {{ low = {servers_low}, typical = 1000.0, high = {servers_high}, source = "test: the dominant input" }}
idle_fraction = {{ low = 0.5, typical = 0.7, high = 0.9, source = "test" }}
"""


def _device(tmp_path, servers_low=900.0, servers_high=1100.0):
    path = tmp_path / "line7.toml"
    path.write_text(LINE7.format(servers_low=servers_low, servers_high=servers_high))
    return load_device_file(path)["line7"]


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


# -- packing -------------------------------------------------------------------------------------
def test_a_line_of_seven_holds_three_copies_of_a_two_qubit_circuit(tmp_path):
    device = _device(tmp_path)
    timing = template_timing(_bell(), device)
    assert timing.active_qubits == 2 and timing.interaction_edges == ((0, 1),)
    assert capacity_of(timing, device) == 3
    line7 = [(i, i + 1) for i in range(6)]
    assert packing_capacity(3, [(0, 1), (1, 2)], 7, line7) == 2  # paths of three: 0-1-2, 3-4-5
    assert packing_capacity(1, [], 7, line7) == 7
    grid = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)] + \
           [(r * 3 + c, (r + 1) * 3 + c) for r in range(2) for c in range(3)]
    assert packing_capacity(4, [(0, 1), (1, 2), (2, 3), (3, 0)], 9, grid) == 1  # one square of a 3x3 grid


def test_packing_divides_the_executions_and_leaves_the_default_alone(tmp_path):
    device = _device(tmp_path)
    entries = [LedgerEntry("m", "fit", _bell(), 300, 1000, "kernel")]
    default = price_entries(entries, device)
    assert price_entries(entries, device, packing="none").energy_j == default.energy_j
    packed = price_entries(entries, device, packing="auto")
    assert packed.packing_copies == 3
    overhead = default.jobs * device.per_job_overhead_s
    assert packed.qpu_seconds - overhead == pytest.approx((default.qpu_seconds - overhead) / 3, rel=1e-12)
    two = price_entries(entries, device, packing=2)
    assert two.packing_copies == 2
    capped = price_entries(entries, device, packing=50)  # more than fit: what fits
    assert capped.packing_copies == 3 and capped.energy_j == packed.energy_j


def test_utilisation_charges_its_share_of_the_idle_power(tmp_path):
    device = _device(tmp_path)
    entries = [LedgerEntry("m", "fit", _bell(), 100, 1000, "kernel")]
    whole = price_entries(entries, device)
    assert price_entries(entries, device, utilisation=1.0).energy_j == whole.energy_j
    half = price_entries(entries, device, utilisation=0.5)
    t, pue = whole.qpu_seconds, device.pue.typical
    # cryogenics idle fraction 1, servers 0.7: P = W * (1 - f * (1 - u))
    expected = pue * t * (10000.0 * 0.5 + 1000.0 * (1 - 0.7 * 0.5))
    assert half.energy_j == pytest.approx(expected, rel=1e-12)
    out = price_scenarios(entries, device)
    assert out["shared"].utilisation == 0.5 and out["shared"].energy_j == pytest.approx(expected, rel=1e-12)
    assert out["marginal"].energy_j < out["shared"].energy_j < whole.energy_j
    assert out["packed"].packing_copies == 3
    with pytest.raises(QvcUsageError, match=r"utilisation must be in \(0, 1\]"):
        price_entries(entries, device, utilisation=0.0)


def test_scenario_columns_sit_beside_an_unchanged_default(tmp_path):
    device = _device(tmp_path)
    entries = [LedgerEntry("m", "fit", _bell(), 100, 1000, "kernel")]
    cost = price_entries(entries, device)
    row = {**hardware_columns(cost), **scenario_columns(price_scenarios(entries, device))}
    assert row["hw_energy_j"] == cost.energy_interval.median and row["hw_packing_copies"] == 1
    assert row["hw_packed_copies"] == 3 and row["hw_shared_utilisation"] == 0.5
    for name in ("packed", "shared", "marginal"):
        assert row[f"hw_energy_{name}_j_low"] <= row[f"hw_energy_{name}_j"] <= row[f"hw_energy_{name}_j_high"]
    model = CostModel.from_dict(json.loads(row["hw_cost_model"]))
    assert model.energy(model.typical())[0] == pytest.approx(cost.energy_j, rel=1e-12)


def test_the_cost_model_reproduces_price_entries_at_every_draw(tmp_path):
    from qvc.energy.hardware import draw_parameters

    device = _device(tmp_path)
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure_all()
    entries = [LedgerEntry("m", "fit", qc, 50, 500, "kernel"), LedgerEntry("m", "predict", _bell(), 20, 300, "k"),
               replace(LedgerEntry("v", "fit", _bell(), 40, 100, "qnn"), sequential_jobs=4,
                       host_seconds_per_round=0.5)]
    for mode in ("attributional", "marginal"):
        cost = price_entries(entries, device, mode=mode, mitigation="pec", packing="auto")
        model = CostModel.from_dict(json.loads(json.dumps(cost.cost_model.to_dict())))
        draws = draw_parameters(device, 2000, 0)
        energies = model.energy(draws)
        assert np.median(energies) == pytest.approx(cost.energy_interval.median, rel=1e-12)
        assert model.energy(model.typical())[0] == pytest.approx(cost.energy_j, rel=1e-12)


@pytest.mark.parametrize("flag,value,words", [
    ("--packing", "0", "--packing must be >= 1"),
    ("--packing", "20000", "--packing must be <= 10000"),
    ("--utilisation", "0", "--utilisation must be in (0, 1]"),
    ("--utilisation", "1.5", "--utilisation must be <= 1"),
])
def test_a_packing_or_utilisation_outside_its_range_is_one_line_exit_2(flag, value, words, tmp_path, capsys):
    assert main(["run", "iris", "--models", "svm", flag, value, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_packing_words_are_checked_by_the_spec():
    assert ExperimentSpec("iris", models=("svm",), packing="AUTO").validate().packing == "auto"
    with pytest.raises(QvcUsageError, match="packing must be auto, none or a number") as info:
        ExperimentSpec("iris", models=("svm",), packing="many").validate()
    assert info.value.key == "packing"


# -- sensitivity -----------------------------------------------------------------------------
def test_the_sensitivity_ranks_a_dominant_input_first(tmp_path):
    device = _device(tmp_path, servers_low=0.0, servers_high=1e6)  # 0 W .. 1 MW: it must dominate
    entries = [LedgerEntry("m", "fit", _bell(), 100, 1000, "kernel")]
    cost = price_entries(entries, device)
    result = verdict_sensitivity([cost.cost_model], [cost.energy_j / 2.0])
    assert result.top is not None and result.top.name == "power.servers.static_w"
    assert result.dearer and result.ratio_typical == pytest.approx(2.0, rel=1e-12)
    effects = {e.name: e for e in result.effects}
    # servers 0 W would not halve the energy (cryogenics alone is 10 kW of 11); packing does, at 3 copies
    # (2 copies halve the circuits' time, not the job's fixed 2 s)
    assert effects["power.servers.static_w"].flip_value is None
    flip = effects["packing"]
    assert flip.flips_within_range and flip.flip_value == 3.0
    assert effects["utilisation"].flip_value is not None


def test_pue_cancels_when_both_sides_carry_it(tmp_path):
    device = _device(tmp_path)
    cost = price_entries([LedgerEntry("m", "fit", _bell(), 100, 1000, "kernel")], device)
    linked = {e.name: e for e in verdict_sensitivity([cost.cost_model], [1.0], pue_linked=[True]).effects}
    alone = {e.name: e for e in verdict_sensitivity([cost.cost_model], [1.0], pue_linked=[False]).effects}
    assert linked["pue"].mu_star == pytest.approx(0.0, abs=1e-9) and alone["pue"].mu_star > 0.01


def _frame(cost, scenarios, classical_j: float) -> pd.DataFrame:
    rows = []
    for seed in (1, 2):
        rows.append({"model": "svm", "pair": "svm", "family": "classical", "seed": seed, "dataset": "d",
                     "accuracy_test": 0.9, "fit_energy_j": classical_j, "predict_energy_j": 0.0,
                     "fit_energy_method": "estimated", "predict_energy_method": "estimated",
                     "local_attribution": "attributional", "local_pue": 1.3,
                     "fit_energy_attributed_j": classical_j, "predict_energy_attributed_j": 0.0})
        rows.append({"model": "qsvc", "pair": "svm", "family": "quantum", "seed": seed, "dataset": "d",
                     "accuracy_test": 0.9, "fit_energy_j": 1.0, "predict_energy_j": 0.0, "device": "line7",
                     "fit_energy_method": "estimated", "predict_energy_method": "estimated", "shots": 1000,
                     **hardware_columns(cost), **scenario_columns(scenarios)})
    return pd.DataFrame(rows)


def test_the_report_names_the_top_input_and_shows_the_scenarios(tmp_path):
    device = _device(tmp_path, servers_low=0.0, servers_high=1e6)
    entries = [LedgerEntry("qsvc", "fit", _bell(), 100, 1000, "kernel")]
    cost = price_entries(entries, device)
    frame = _frame(cost, price_scenarios(entries, device), cost.energy_j / 2.0)
    doc = build_run_report(frame, {"run_id": "t"})
    sections = {s.anchor: s for s in doc.sections}
    text = " ".join(b for b in sections["what"].blocks if isinstance(b, str))
    assert "The input that matters most is power.servers.static_w" in text
    assert any(getattr(b, "svg", "").startswith("<svg") for b in sections["what"].blocks)  # the tornado
    scen = next(b for b in sections["attribution"].blocks if hasattr(b, "rows"))
    assert [r[0] for r in scen.rows] == ["default (the headline)", "packed", "shared", "marginal"]
    old = frame.drop(columns=[c for c in frame.columns if c.startswith(("hw_energy_packed", "hw_energy_shared",
                                                                        "hw_energy_marginal", "hw_cost_model"))])
    anchors = {s.anchor for s in build_run_report(old, {"run_id": "t"}).sections}
    assert "what" not in anchors and "attribution" not in anchors  # an old run folder still reports
