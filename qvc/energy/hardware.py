"""Modelled energy of running a circuit ledger on quantum hardware.

QPU seconds = jobs * per-job overhead + sum over entries of
n_circuits * shots * (one-shot duration + repetition delay);
joules = QPU seconds * system power. Labelled ``modelled``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qiskit import QuantumCircuit

from qvc.energy.devices import DevicePreset
from qvc.errors import QvcUsageError
from qvc.quantum.ledger import LedgerEntry


@dataclass(frozen=True)
class TemplateTiming:
    """Transpiled size and one-shot duration of a parametrised template."""

    gate_counts: dict[str, int]
    depth: int
    duration_s: float


@dataclass(frozen=True)
class HardwareCost:
    """Modelled QPU time and energy of some ledger entries on one device."""

    device: str
    circuits: int
    shots: int
    jobs: int
    qpu_seconds: float
    energy_j: float
    method: str = "modelled"
    details: dict = field(default_factory=dict)


_TIMING_CACHE: dict[tuple[str, str], TemplateTiming] = {}


def template_timing(template: QuantumCircuit, device: DevicePreset) -> TemplateTiming:
    """Transpile ``template`` once for ``device`` and time one shot.

    Parameters stay unbound: gate counts and durations do not depend on their values.
    """
    from qiskit import qasm3
    from qiskit.transpiler import generate_preset_pass_manager

    backend = device.backend()
    if template.num_qubits > backend.num_qubits:
        raise QvcUsageError(
            f"circuit needs {template.num_qubits} qubits but {device.name} has "
            f"{backend.num_qubits}; use fewer qubits or a larger device"
        )
    try:
        key = (device.name, qasm3.dumps(template))
    except Exception:  # circuits qasm3 cannot express: key on identity
        key = (device.name, f"id:{id(template)}")
    if key in _TIMING_CACHE:
        return _TIMING_CACHE[key]
    pm = generate_preset_pass_manager(optimization_level=1, target=backend.target, seed_transpiler=0)
    isa = pm.run(template)
    ops = {k: int(v) for k, v in isa.count_ops().items() if k != "barrier"}
    timing = TemplateTiming(ops, int(isa.depth()), float(isa.estimate_duration(backend.target, unit="s")))
    _TIMING_CACHE[key] = timing
    return timing


def price_entries(entries: list[LedgerEntry], device: DevicePreset) -> HardwareCost:
    """Price ledger entries on ``device``.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> from qvc.quantum.ledger import LedgerEntry
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure_all()
    >>> cost = price_entries([LedgerEntry("m", "fit", qc, 10, 1000, "kernel")], get_device("ibm_heron"))
    >>> cost.jobs, cost.method
    (1, 'modelled')
    """
    circuits = sum(e.n_circuits for e in entries)
    shots = sum(e.total_shots for e in entries)
    jobs = math.ceil(circuits / device.max_circuits_per_job) if circuits else 0
    shot_time = 0.0
    per_template = []
    for e in entries:
        t = template_timing(e.template, device)
        shot_time += e.total_shots * (t.duration_s + device.rep_delay_s)
        per_template.append(
            {"phase": e.phase, "circuits": e.n_circuits, "shots": e.shots,
             "duration_s": t.duration_s, "depth": t.depth, "gate_counts": t.gate_counts}
        )
    qpu_s = jobs * device.per_job_overhead_s + shot_time
    return HardwareCost(
        device=device.name,
        circuits=circuits,
        shots=shots,
        jobs=jobs,
        qpu_seconds=qpu_s,
        energy_j=qpu_s * device.system_power_w,
        details={
            "formula": "jobs*per_job_overhead + sum(n*shots*(duration+rep_delay)); E = t*P_system",
            "per_job_overhead_s": device.per_job_overhead_s,
            "rep_delay_s": device.rep_delay_s,
            "system_power_w": device.system_power_w,
            "templates": per_template,
        },
    )
