"""Hardware cost model: hand calculations, attribution, Monte Carlo, sensitivity, Landauer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager

from qvc.energy.constants import K_BOLTZMANN
from qvc.energy.devices import get_device
from qvc.energy.hardware import (
    draw_parameters,
    estimate_circuit,
    price_entries,
    sensitivity,
    template_timing,
)
from qvc.energy.thermo import landauer_j, orders_above_floor
from qvc.errors import QvcUsageError
from qvc.quantum.circuits import feature_map, kernel_template
from qvc.quantum.ledger import LedgerEntry


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def test_heron_qpu_seconds_equal_hand_calculation_from_the_target():
    heron = get_device("ibm_heron")
    target = heron.backend().target
    tpl = kernel_template(feature_map(3))
    # independent transpilation and timing from the fake backend's own Target
    isa = generate_preset_pass_manager(optimization_level=1, target=target, seed_transpiler=0).run(tpl)
    duration = isa.estimate_duration(target, unit="s")
    circuits, shots = 45, 4000
    rep_delay = heron.backend().configuration().default_rep_delay  # 250 us
    per_job, per_circuit = 3.0, 0.0  # documented typical overheads of the preset
    hand = per_job + circuits * (per_circuit + shots * (duration + rep_delay))
    cost = price_entries([LedgerEntry("qsvc", "fit", tpl, circuits, shots, "kernel")], heron)
    assert cost.jobs == 1
    assert cost.qpu_seconds == pytest.approx(hand, rel=1e-12)
    # energy / QPU time = the documented attributional power (24 869 W)
    assert cost.energy_j / cost.qpu_seconds == pytest.approx(24869.0, rel=1e-12)
    assert cost.power_w == pytest.approx(heron.attributional_power_w(), rel=1e-12)
    assert sum(cost.components_j.values()) == pytest.approx(cost.energy_j, rel=1e-12)


def test_worked_example_of_methodology_md():
    """docs/methodology.md, section 'Worked example': every number reproduced."""
    heron = get_device("ibm_heron")
    t = template_timing(bell(), heron)
    assert t.gate_counts == {"rz": 6, "sx": 3, "cz": 1, "measure": 2}
    assert t.duration_s == pytest.approx(32e-9 + 68e-9 + 32e-9 + 1560e-9, rel=1e-12)  # 1.692 us
    entry = LedgerEntry("example", "fit", bell(), 10, 1000, "circuit")
    att = price_entries([entry], heron)
    assert att.qpu_seconds == pytest.approx(5.51692, rel=1e-12)
    assert att.energy_j == pytest.approx(137200.28348, rel=1e-12)
    assert att.components_j["cryogenics"] == pytest.approx(82753.8, rel=1e-12)
    assert att.components_j["control"] == pytest.approx(10095.9636, rel=1e-12)
    assert att.components_j["readout"] == pytest.approx(1655.076, rel=1e-12)
    assert att.components_j["servers"] == pytest.approx(11033.84, rel=1e-12)
    assert att.components_j["facility"] == pytest.approx(31661.60388, rel=1e-12)
    mar = price_entries([entry], heron, mode="marginal")
    assert mar.qpu_seconds == att.qpu_seconds
    assert mar.energy_j == pytest.approx(5852.348736, rel=1e-12)
    assert mar.components_j["cryogenics"] == 0.0
    assert att.erased_bits == 40000
    assert att.landauer_j == pytest.approx(40000 * K_BOLTZMANN * 300 * math.log(2), rel=1e-12)
    assert att.landauer_j == pytest.approx(1.14839e-16, rel=1e-5)
    assert att.orders_above_landauer == pytest.approx(21.08, abs=0.01)
    # the layered model, by hand: IonQ Forte-class runs gates one after another
    forte = get_device("ionq_forte")
    tf = template_timing(bell(), forte)
    assert tf.gate_counts == {"rz": 7, "sx": 3, "rzz": 1, "measure": 2}
    assert tf.duration_s == pytest.approx(3 * 135e-6 + 600e-6 + 200e-6, rel=1e-12)  # 1.205 ms
    fo = price_entries([entry], forte)
    assert fo.qpu_seconds == pytest.approx(5.0 + 10 * (10e-3 + 1000 * (1.205e-3 + 1e-3)), rel=1e-12)
    # and the parallel layered model: neutral atoms, layers sx|sx, cz, sx, measure|measure
    atoms = get_device("neutral_atom")
    assert template_timing(bell(), atoms).duration_s == pytest.approx(1e-6 + 0.5e-6 + 1e-6 + 10e-3)


def test_bound_circuits_time_like_their_template():
    heron = get_device("ibm_heron")
    tpl = kernel_template(feature_map(3))
    pm = generate_preset_pass_manager(optimization_level=1, target=heron.target, seed_transpiler=0)
    rng = np.random.default_rng(7)
    t = template_timing(tpl, heron)
    for _ in range(3):
        bound = tpl.assign_parameters(rng.uniform(0.1, np.pi, tpl.num_parameters))
        isa = pm.run(bound)
        assert isa.estimate_duration(heron.target, unit="s") == pytest.approx(t.duration_s, rel=1e-12)
        assert isa.count_ops()["cz"] == t.gate_counts["cz"]


def test_fit_and_predict_are_separate_submissions():
    heron = get_device("ibm_heron")
    qc = bell()
    fit = LedgerEntry("qsvc", "fit", qc, 10, 100, "kernel")
    pred = LedgerEntry("qsvc", "predict", qc, 10, 100, "kernel")
    both = price_entries([fit, pred], heron)
    one = price_entries([fit], heron)
    assert both.jobs == 2
    assert both.qpu_seconds == pytest.approx(2 * one.qpu_seconds, rel=1e-12)
    assert [(p.model, p.phase) for p in both.phases] == [("qsvc", "fit"), ("qsvc", "predict")]
    assert both.phase_median("fit", "qpu_seconds") == pytest.approx(one.qpu_seconds_interval.median, rel=1e-9)


def test_batching_rules_split_jobs():
    heron = get_device("ibm_heron")
    # 20 000 circuits > 10 000 per job; 20 000 x 1024 executions > 10 million per job
    cost = price_entries([LedgerEntry("m", "fit", bell(), 20_000, 1024, "kernel")], heron)
    assert cost.jobs == max(math.ceil(20_000 / 10_000), math.ceil(20_000 * 1024 / 10_000_000))


def test_mitigation_factor_multiplies_shots():
    heron = get_device("ibm_heron")
    e = [LedgerEntry("m", "fit", bell(), 10, 1000, "kernel")]
    base, mitig = price_entries(e, heron), price_entries(e, heron, mitigation_factor=3.0)
    shot_time = base.qpu_seconds - 3.0
    assert mitig.qpu_seconds == pytest.approx(3.0 + 3 * shot_time, rel=1e-12)
    with pytest.raises(QvcUsageError, match="mitigation-factor"):
        price_entries(e, heron, mitigation_factor=0.5)


def test_marginal_is_below_attributional_everywhere():
    for name in ("ibm_heron", "google_sycamore", "ionq_forte", "quantinuum_h2", "neutral_atom"):
        d = get_device(name)
        e = [LedgerEntry("m", "fit", bell(), 5, 100, "kernel")]
        att, mar = price_entries(e, d), price_entries(e, d, mode="marginal")
        assert 0 < mar.energy_j < att.energy_j
        assert mar.energy_interval.high <= att.energy_interval.high


def test_monte_carlo_is_seeded_and_brackets_the_median():
    heron = get_device("ibm_heron")
    e = [LedgerEntry("m", "fit", bell(), 100, 1000, "kernel")]
    a = price_entries(e, heron, n_draws=1000, seed=3)
    b = price_entries(e, heron, n_draws=1000, seed=3)
    c = price_entries(e, heron, n_draws=1000, seed=4)
    assert a.energy_interval == b.energy_interval
    assert a.energy_interval != c.energy_interval
    for iv in (a.energy_interval, a.qpu_seconds_interval):
        assert iv.low < iv.median < iv.high
    assert a.energy_interval.low < a.energy_j < a.energy_interval.high
    draws = draw_parameters(heron, 5000, seed=1)
    pue = draws["pue"]
    assert pue.min() >= 1.1 and pue.max() <= 1.6
    # triangular(1.1, 1.3, 1.6) has mean (1.1 + 1.3 + 1.6) / 3
    assert pue.mean() == pytest.approx(4.0 / 3.0, abs=0.01)


def test_sensitivity_ranks_what_moves_the_total():
    heron = get_device("ibm_heron")
    small = sensitivity([LedgerEntry("m", "fit", bell(), 1, 100, "kernel")], heron)
    assert small[0]["parameter"] == "per_job_overhead_s"  # a tiny job is all overhead
    big = sensitivity([LedgerEntry("m", "fit", bell(), 5000, 4000, "kernel")], heron)
    assert big[0]["parameter"] in {"rep_delay_s", "power.cryogenics.static_w"}
    swings = [r["energy_swing_j"] for r in big]
    assert swings == sorted(swings, reverse=True)
    fixed = {r["parameter"]: r for r in big}["power.cryogenics.idle_fraction"]
    assert fixed["energy_swing_j"] == 0.0


def test_landauer_floor():
    assert landauer_j(1) == pytest.approx(2.87e-21, rel=1e-3)
    assert landauer_j(1, temperature_k=0.015) == pytest.approx(landauer_j(1) * 0.015 / 300)
    assert orders_above_floor(landauer_j(1) * 1e6, landauer_j(1)) == pytest.approx(6.0)
    assert math.isnan(orders_above_floor(0.0, 1.0))


def test_estimate_circuit_reports_what_the_issue_asks():
    out = estimate_circuit(bell(), get_device("ibm_heron"), shots=1000, circuits=10)
    for key in ("device", "shots", "circuits", "qpu_seconds", "energy_j", "mode", "gate_counts",
                "depth", "duration_s", "landauer_j"):
        assert key in out
    assert set(out["qpu_seconds"]) == {"typical", "median", "low", "high"}
    assert {"total", "cryogenics", "control", "readout", "servers", "facility"} <= set(out["energy_j"])
    assert out["qpu_seconds"]["typical"] == pytest.approx(5.51692)
