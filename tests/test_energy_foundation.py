import time

import pytest
from qiskit import QuantumCircuit

from qvc.energy import EnergyMeter, EstimateBackend, get_device, price_entries
from qvc.energy.constants import ESTIMATE_CONSTANTS
from qvc.energy.hardware import template_timing
from qvc.errors import QvcUsageError
from qvc.quantum import LedgerEntry


def test_estimate_window_is_labelled_and_follows_its_formula():
    backend = EstimateBackend(cpu_power_per_core_w=10.0, memory_power_w_per_gb=0.5, pue=1.5)
    meter = EnergyMeter(backend)
    with meter.window("busy") as w:
        t0 = time.process_time()
        while time.process_time() - t0 < 0.05:
            pass
    m = w.result
    assert m.method == "estimated" and m.meter == "green-algorithms-estimate"
    assert m.cpu_s >= 0.05
    assert m.energy_j["cpu"] == pytest.approx(m.cpu_s * 10.0 * 1.5)
    assert m.energy_j["memory"] == pytest.approx(m.details["mean_rss_gb"] * m.wall_s * 0.5 * 1.5)
    assert m.total_j == pytest.approx(sum(m.energy_j.values()))


def test_default_constants_have_sources():
    for c in ESTIMATE_CONSTANTS.values():
        assert c.source and c.unit
    assert ESTIMATE_CONSTANTS["memory_power_w_per_gb"].value == 0.3725


def test_windows_by_name():
    meter = EnergyMeter()
    meter.begin_window("a")
    with pytest.raises(ValueError):
        meter.begin_window("a")
    assert meter.end_window("a").name == "a"
    with pytest.raises(ValueError):
        meter.end_window("a")


def test_hardware_cost_hand_calculation():
    device = get_device("ibm_heron")
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    timing = template_timing(qc, device)
    entries = [LedgerEntry("m", "fit", qc, 100, 1000, "kernel")]
    cost = price_entries(entries, device)
    expected = device.per_job_overhead_s + 100 * 1000 * (timing.duration_s + device.rep_delay_s)
    assert cost.qpu_seconds == pytest.approx(expected, rel=1e-12)
    assert cost.energy_j / cost.qpu_seconds == pytest.approx(device.attributional_power_w())
    assert cost.method == "modelled" and cost.jobs == 1
    # the one-shot duration is the target's own estimate (readout dominates: ~1.56 us)
    assert 1e-6 < timing.duration_s < 1e-5


def test_unknown_device_and_too_wide_circuit():
    with pytest.raises(QvcUsageError, match="unknown device"):
        get_device("ibm_nope")
    wide = QuantumCircuit(200)
    wide.measure_all()
    with pytest.raises(QvcUsageError, match="200 qubits"):
        template_timing(wide, get_device("ibm_heron"))
