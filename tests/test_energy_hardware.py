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
    # energy / QPU time = the documented attributional power (22 253 W)
    assert cost.energy_j / cost.qpu_seconds == pytest.approx(22253.0, rel=1e-12)
    assert cost.power_w == pytest.approx(heron.attributional_power_w(), rel=1e-12)
    assert sum(cost.components_j.values()) == pytest.approx(cost.energy_j, rel=1e-12)


def test_worked_example_of_methodology_md():
    """docs/methodology.md, section 'Worked example: both sides': every number reproduced."""
    heron = get_device("ibm_heron")
    t = template_timing(bell(), heron)
    assert t.gate_counts == {"rz": 6, "sx": 3, "cz": 1, "measure": 2}
    assert t.physical_qubits == (0, 1)
    assert t.duration_s == pytest.approx(32e-9 + 68e-9 + 32e-9 + 1560e-9, rel=1e-12)  # 1.692 us
    entry = LedgerEntry("example", "fit", bell(), 10, 1000, "circuit")
    att = price_entries([entry], heron)
    assert att.qpu_seconds == pytest.approx(5.51692, rel=1e-12)
    assert heron.attributional_power_w() == pytest.approx((11600 + 15 * 133 + 300 + 2000) * 1.4, rel=1e-12)
    assert att.energy_j == pytest.approx(122768.02076, rel=1e-12)
    assert att.components_j["cryogenics"] == pytest.approx(63996.272, rel=1e-12)
    assert att.components_j["control"] == pytest.approx(11006.2554, rel=1e-12)
    assert att.components_j["readout"] == pytest.approx(1655.076, rel=1e-12)
    assert att.components_j["servers"] == pytest.approx(11033.84, rel=1e-12)
    assert att.components_j["facility"] == pytest.approx(35076.57736, rel=1e-12)
    mar = price_entries([entry], heron, mode="marginal")
    assert mar.qpu_seconds == att.qpu_seconds
    assert mar.energy_j == pytest.approx(5167.147272, rel=1e-12)
    assert mar.components_j["cryogenics"] == 0.0
    # ESP by hand from the FakeTorino target's errors on the physical qubits
    target = heron.target
    err = {
        "sx0": target["sx"][(0,)].error, "sx1": target["sx"][(1,)].error, "cz": target["cz"][(0, 1)].error,
        "m0": target["measure"][(0,)].error, "m1": target["measure"][(1,)].error,
    }
    hand_esp = ((1 - err["sx0"]) * (1 - err["sx1"]) ** 2 * (1 - err["cz"]) * (1 - err["m0"]) * (1 - err["m1"]))
    assert att.esp == pytest.approx(hand_esp, rel=1e-12)
    assert att.esp == pytest.approx(0.80963, abs=5e-6)
    # PEC: gamma per operation, squared, multiplies the shots
    g = ((1 + err["sx0"]) / (1 - 2 * err["sx0"]) * ((1 + err["sx1"]) / (1 - 2 * err["sx1"])) ** 2
         * (1 + 7 * err["cz"] / 6) / (1 - 4 * err["cz"] / 3) / (1 - 2 * err["m0"]) / (1 - 2 * err["m1"]))
    pec = price_entries([entry], heron, mitigation="pec")
    assert pec.mitigation_overhead == pytest.approx(g * g, rel=1e-12)
    assert pec.mitigation_overhead == pytest.approx(2.54396, abs=5e-6)
    assert pec.qpu_seconds == pytest.approx(3 + 10 * 2544 * (1.692e-6 + 250e-6), rel=1e-12)
    assert pec.energy_j == pytest.approx(pec.qpu_seconds * 22253.0, rel=1e-12)
    assert pec.energy_unmitigated_j == pytest.approx(att.energy_j, rel=1e-12)
    assert att.erased_bits == 40000
    assert att.landauer_j == pytest.approx(40000 * K_BOLTZMANN * 300 * math.log(2), rel=1e-12)
    assert att.landauer_j == pytest.approx(1.14839e-16, rel=1e-5)
    assert att.orders_above_landauer == pytest.approx(21.03, abs=0.01)
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
    # the classical side: an SVM fit metered by the estimate (AMD EPYC family fallback)
    from qvc.energy.host import attribute_local, get_host
    from qvc.energy.meters.estimate import cpu_power_detail

    per_thread = cpu_power_detail("AMD EPYC")["watts_per_thread"]
    assert per_thread == pytest.approx(2.03125, rel=1e-12)
    meter_j = 0.002 * per_thread + 0.3 * 0.0021 * 0.3725
    assert meter_j == pytest.approx(0.004297175, rel=1e-12)
    host = get_host("server_2s")
    attr_j, parts = attribute_local(meter_j, 0.002, 0.0021, host, "attributional", heron.pue.typical)
    assert parts["idle_share_j"] == pytest.approx(0.0024609375, rel=1e-12)
    assert attr_j == pytest.approx(0.0094613575, rel=1e-12)
    marg_j, _ = attribute_local(meter_j, 0.002, 0.0021, host, "marginal", heron.pue.typical)
    assert marg_j == pytest.approx(0.004297175, rel=1e-12) and attr_j > marg_j
    assert att.energy_j / attr_j == pytest.approx(1.2975730e7, rel=1e-7)
    assert mar.energy_j / marg_j == pytest.approx(1.2024521e6, rel=1e-7)


def test_esp_of_kernel_circuits_falls_with_qubits_and_pec_flags_them():
    heron = get_device("ibm_heron")
    esp, flags = [], []
    for n in (4, 8):
        c = price_entries([LedgerEntry("q", "fit", kernel_template(feature_map(n)), 10, 100, "kernel")],
                          heron, mitigation="pec")
        esp.append(c.esp)
        flags.append(c.beyond_mitigation)
        assert 0 < c.esp <= 1 and c.mitigation_overhead >= 1
        assert c.energy_j > c.energy_unmitigated_j
    assert esp[0] == pytest.approx(0.71, abs=0.01) and esp[1] == pytest.approx(0.12, abs=0.01)
    assert flags == [False, True]


def test_zne_multiplies_shots_and_stretches_shots():
    heron = get_device("ibm_heron")
    e = [LedgerEntry("m", "fit", bell(), 10, 1000, "kernel")]
    z = price_entries(e, heron, mitigation="zne")
    d = template_timing(bell(), heron).duration_s
    assert z.mitigation_overhead == pytest.approx(12.25)
    assert z.qpu_seconds == pytest.approx(3 + 10 * 12250 * (15 / 7 * d + 250e-6), rel=1e-12)
    with pytest.raises(QvcUsageError, match="mitigation"):
        price_entries(e, heron, mitigation="magic")
    with pytest.raises(QvcUsageError, match="no error rates"):
        from dataclasses import replace

        price_entries(e, replace(get_device("ionq_forte"), error_params={}), mitigation="pec")


def test_sequential_rounds_are_one_job_each_with_host_gaps():
    from qvc.quantum.ledger import optimizer_rounds_entry

    heron = get_device("ibm_heron")
    batched = price_entries([LedgerEntry("vqc", "fit", bell(), 300, 100, "qnn")], heron)
    seq = price_entries([optimizer_rounds_entry("vqc", bell(), rounds=30, circuits=300, shots=100,
                                                host_seconds_per_round=0.5)], heron)
    assert batched.jobs == 1 and seq.jobs == 30 and seq.sequential_jobs == 30
    assert seq.host_gap_s == pytest.approx(29 * 0.5)
    assert seq.qpu_seconds == pytest.approx(batched.qpu_seconds + 29 * 3.0 + 29 * 0.5, rel=1e-12)
    marginal = price_entries([optimizer_rounds_entry("vqc", bell(), rounds=30, circuits=300, shots=100,
                                                     host_seconds_per_round=0.5)], heron, mode="marginal")
    no_gap = price_entries([optimizer_rounds_entry("vqc", bell(), rounds=30, circuits=300, shots=100)],
                           heron, mode="marginal")
    assert marginal.energy_j == pytest.approx(no_gap.energy_j, rel=1e-12)  # waiting adds nothing


def test_ionq_reads_out_once_without_a_barrier():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])  # no barrier: the two measurements land in different ASAP layers
    t = template_timing(qc, get_device("ionq_forte"))
    assert t.readout_rounds == 1
    assert t.duration_s == pytest.approx(3 * 135e-6 + 600e-6 + 200e-6, rel=1e-12)
    mid = QuantumCircuit(1, 2)
    mid.h(0)
    mid.measure(0, 0)
    mid.h(0)
    mid.measure(0, 1)  # a gate waits on the first measurement: two rounds
    assert template_timing(mid, get_device("ionq_forte")).readout_rounds == 2


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
    # triangular(1.1, 1.4, 1.6) has mean (1.1 + 1.4 + 1.6) / 3
    assert pue.mean() == pytest.approx(4.1 / 3.0, abs=0.01)


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
    assert {"typical", "median", "low", "high", "typical_in_interval"} <= set(out["qpu_seconds"])
    assert 0 < out["esp"] <= 1 and out["physical_qubits"] == [0, 1]
    assert {"total", "cryogenics", "control", "readout", "servers", "facility"} <= set(out["energy_j"])
    assert out["qpu_seconds"]["typical"] == pytest.approx(5.51692)


def test_esp_matches_an_independent_hand_calculation_from_the_target():
    """Transpile independently with the fake backend's target and multiply (1 - error) by hand."""
    heron = get_device("ibm_heron")
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.rzz(0.3, 1, 2)
    qc.rx(0.7, 2)
    qc.measure_all()
    target = heron.backend().target
    isa = generate_preset_pass_manager(optimization_level=1, target=target, seed_transpiler=0).run(qc)
    hand = 1.0
    for inst in isa.data:
        name = inst.operation.name
        if name in ("barrier", "delay", "reset", "rz"):
            continue
        props = target[name][tuple(isa.find_bit(q).index for q in inst.qubits)]
        hand *= 1.0 - (props.error or 0.0)
    out = estimate_circuit(qc, heron, shots=100)
    assert out["esp"] == pytest.approx(hand, rel=1e-12)
    assert math.prod(1 - e for _, _, e in out["esp_operations"]) == pytest.approx(hand, rel=1e-12)
