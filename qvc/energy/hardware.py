"""Modelled QPU time and energy of a circuit ledger on a device preset.

Timing (see ``docs/methodology.md`` for the worked example)::

    one phase (fit or predict) is submitted as its own work:
    jobs     = ceil(max(circuits / max_circuits_per_job, executions / max_executions_per_job))
    T_phase  = jobs * per_job_overhead
               + sum_entries n_circuits * (per_circuit_overhead
                                           + shots * m * (duration + rep_delay))

``duration`` is one shot of the template transpiled once for the device:
``QuantumCircuit.estimate_duration(target)`` for devices with a Qiskit target,
otherwise the layered gate-time model (ASAP layers of the native circuit; a
layer lasts as long as its slowest gate, plus ``layer_overhead``; or the sum of
all gate times on devices that run gates one after another). ``m`` is the
error-mitigation sampling multiplier.

Energy: ``E_c = P_c * T`` per component ``c`` and ``E = PUE * sum_c E_c``.

* ``attributional``: ``P_c = static_c + per_qubit_c * device_qubits`` — the whole
  machine for every second the job holds it.
* ``marginal``: ``P_c = (static_c + per_qubit_c * active_qubits) * (1 - idle_fraction_c)``
  — only what the job adds to an idle, already-cold machine.

Uncertainty: every ranged number is drawn from a triangular distribution on
``(low, typical, high)`` (seeded, vectorised); the result reports the typical
value, the median and the 5th-95th percentile (90 % interval). Everything here
is labelled ``modelled``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from qiskit import QuantumCircuit

from qvc.energy.costmodel import CostModel, EntryModel, PhaseModel, layered_duration
from qvc.energy.devices import COMPONENTS, DevicePreset
from qvc.energy.mitigation import SOURCES as MITIGATION_SOURCES
from qvc.energy.mitigation import Mitigation, check_mitigation, mitigation_cost
from qvc.energy.thermo import landauer_j, orders_above_floor, qpu_erased_bits
from qvc.errors import QvcUsageError
from qvc.quantum.ledger import LedgerEntry

#: Attribution modes.
ATTRIBUTION_MODES = ("attributional", "marginal")
#: Default Monte Carlo draws and seed.
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 0
#: Energy components reported (device components plus the facility overhead of the PUE).
ENERGY_COMPONENTS = (*COMPONENTS, "facility")

_VIRTUAL = {"rz", "p", "u1", "barrier", "delay", "global_phase"}


# ---------------------------------------------------------------------------------------------
# Timing of one template
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateTiming:
    """Transpiled size and one-shot duration of a parametrised template on one device.

    Attributes
    ----------
    gate_counts : dict
        Native operation counts (barriers excluded).
    depth : int
        Depth of the native circuit.
    duration_s : float
        One shot at typical gate times (s), measurement included.
    active_qubits : int
        Qubits any operation touches.
    measured_bits, reset_ops : int
        Measurements and explicit resets per shot.
    method : str
        ``"target"`` (``estimate_duration``) or ``"layered"`` (gate-time model).
    combos : tuple of (mask, count)
        Layered model: how many ASAP layers hold each set of gate categories
        (bit 0: 1q, 1: 2q, 2: readout, 3: reset).
    category_counts : tuple of int
        Layered model: operations per category (1q, 2q, readout, reset).
    n_layers : int
        Layered model: layers with at least one timed operation.
    parallel : bool
        Layered model: layers (True), or gates one after another with the measurements
        (resets) of one layer done together (False).
    """

    gate_counts: dict[str, int]
    depth: int
    duration_s: float
    active_qubits: int
    measured_bits: int
    reset_ops: int
    method: str
    combos: tuple[tuple[int, int], ...] = ()
    category_counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    n_layers: int = 0
    parallel: bool = True
    readout_rounds: int = 0
    reset_rounds: int = 0
    errors_1q: tuple[float, ...] | None = None
    errors_2q: tuple[float, ...] | None = None
    errors_readout: tuple[float, ...] | None = None
    physical_qubits: tuple[int, ...] = ()
    error_ops: tuple[tuple[str, tuple[int, ...], float], ...] = ()
    #: Two-qubit couplings of the native circuit, on its active qubits numbered 0.. in index order.
    interaction_edges: tuple[tuple[int, int], ...] = ()

    def duration(self, p: dict[str, np.ndarray]) -> np.ndarray:
        """One-shot duration for each draw of the device parameters ``p`` (arrays of one length)."""
        n = len(next(iter(p.values())))
        if self.method == "target":
            return np.full(n, self.duration_s)
        return layered_duration(self.combos, self.category_counts, self.n_layers, self.parallel,
                                self.readout_rounds, self.reset_rounds, p)

    def error_rates(self, device: DevicePreset) -> tuple[list, list, list] | None:
        """Per-operation error rates (1q gates, 2q gates, measurements) of the native circuit.

        Target devices: the Target's error of each operation on its physical qubits;
        layered devices: the preset's typical ``gate_1q_error``, ``gate_2q_error`` and
        ``readout_error`` per operation. ``None`` when the preset has no error rates.
        """
        if self.errors_1q is not None:
            return list(self.errors_1q), list(self.errors_2q or ()), list(self.errors_readout or ())
        errs = device.error_params
        if not errs:
            return None
        c1, c2, _, _ = self.category_counts
        return ([errs["gate_1q_error"].typical] * c1, [errs["gate_2q_error"].typical] * c2,
                [errs["readout_error"].typical] * self.measured_bits)

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        out = {"gate_counts": dict(self.gate_counts), "depth": self.depth,
               "duration_s": self.duration_s, "active_qubits": self.active_qubits,
               "measured_bits": self.measured_bits, "method": self.method}
        if self.physical_qubits:
            out["physical_qubits"] = list(self.physical_qubits)
        return out


_TIMING_CACHE: dict[tuple[str, str], TemplateTiming] = {}


def _structure_key(circuit: QuantumCircuit) -> str:
    """A hash of the circuit's structure (gate names, qubits, parameter expressions)."""
    h = hashlib.sha1(f"{circuit.num_qubits}:{circuit.num_clbits}".encode())
    index = {q: i for i, q in enumerate(circuit.qubits)}
    cindex = {c: i for i, c in enumerate(circuit.clbits)}
    for inst in circuit.data:
        op = inst.operation
        h.update(op.name.encode())
        h.update(repr([index[q] for q in inst.qubits]).encode())
        h.update(repr([cindex[c] for c in inst.clbits]).encode())
        h.update(repr([str(p) for p in op.params]).encode())
    return h.hexdigest()


def _undefined_ops(circuit: QuantumCircuit, basis: set[str]) -> list[str]:
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = set(get_standard_gate_name_mapping())
    return sorted({
        inst.operation.name for inst in circuit.data
        if inst.operation.name not in basis and inst.operation.name not in standard
        and getattr(inst.operation, "definition", None) is None
        and inst.operation.name not in {"measure", "reset", "barrier", "delay"}
    })


def _check_fits(circuit: QuantumCircuit, device: DevicePreset) -> None:
    if circuit.num_qubits > device.num_qubits:
        raise QvcUsageError(
            f"circuit needs {circuit.num_qubits} qubits but {device.name} has {device.num_qubits}; "
            "use fewer qubits or a larger device"
        )
    for inst in circuit.data:
        if inst.operation.name in ("if_else", "while_loop", "for_loop", "switch_case"):
            raise QvcUsageError(
                f"circuit uses control flow ({inst.operation.name}); the cost model prices static "
                "circuits only: unroll it first"
            )


def _transpile(circuit: QuantumCircuit, device: DevicePreset) -> QuantumCircuit:
    from qiskit import transpile
    from qiskit.exceptions import QiskitError

    basis = set(device.basis_gates)
    bad = _undefined_ops(circuit, basis)
    if bad:
        raise QvcUsageError(
            f"{device.name} cannot express gate(s) {', '.join(bad)} (no definition and not native: "
            f"{', '.join(sorted(basis))}); define them with standard gates"
        )
    try:
        if device.timing == "target":
            return transpile(circuit, target=device.target, optimization_level=1, seed_transpiler=0)
        return transpile(
            circuit, basis_gates=sorted(basis), coupling_map=device.coupling_map(),
            optimization_level=1, seed_transpiler=0,
        )
    except QiskitError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QvcUsageError(
            f"{device.name} cannot run this circuit with its native gates "
            f"({', '.join(sorted(basis))}): {first.strip(chr(39))[:300]}"
        ) from None


def _layer_model(isa: QuantumCircuit, device: DevicePreset) -> tuple[dict, tuple, int, tuple, int, int]:
    """ASAP layers of the timed operations of a native circuit, grouped by category set.

    Also counts readout (reset) *rounds* for devices that run one operation at a time:
    measurements that no gate has to wait for between them share one round (an ion
    chain is imaged at once), whatever ASAP layer they land in; a measurement that a
    later operation depends on (mid-circuit) closes its round.
    """
    qindex = {q: i for i, q in enumerate(isa.qubits)}
    cindex = {c: i for i, c in enumerate(isa.clbits)}
    width = isa.num_qubits + isa.num_clbits
    front = np.zeros(width, dtype=np.int64)
    rounds_done = np.zeros(width, dtype=np.int64)  # rounds that must finish before the next op
    after_readout = np.zeros(width, dtype=bool)    # the wire's last op was a measure / reset
    rounds: dict[int, set[int]] = {2: set(), 3: set()}
    layer_masks: dict[int, int] = {}
    counts = [0, 0, 0, 0]
    for inst in isa.data:
        name = inst.operation.name
        wires = [qindex[q] for q in inst.qubits] + [isa.num_qubits + cindex[c] for c in inst.clbits]
        if name == "barrier":  # synchronises its qubits, takes no time
            wires = [qindex[q] for q in inst.qubits]
            if wires:
                front[wires] = front[wires].max()
                k = int((rounds_done[wires] + after_readout[wires]).max())
                rounds_done[wires], after_readout[wires] = k, False
            continue
        if name in _VIRTUAL:
            continue
        if name == "measure":
            cat = 2
        elif name == "reset":
            cat = 3
        elif len(inst.qubits) == 1:
            cat = 0
        elif len(inst.qubits) == 2:
            cat = 1
        else:
            raise QvcUsageError(
                f"native circuit for {device.name} still has the {len(inst.qubits)}-qubit operation "
                f"{name!r}; the layered model times 1- and 2-qubit gates only"
            )
        layer = int(front[wires].max())
        front[wires] = layer + 1
        layer_masks[layer] = layer_masks.get(layer, 0) | (1 << cat)
        counts[cat] += 1
        k = int((rounds_done[wires] + after_readout[wires]).max())
        rounds_done[wires] = k
        after_readout[wires] = cat >= 2
        if cat >= 2:
            rounds[cat].add(k)
    combos: dict[int, int] = {}
    for mask in layer_masks.values():
        combos[mask] = combos.get(mask, 0) + 1
    return (combos, tuple(sorted(combos.items())), len(layer_masks), tuple(counts),
            len(rounds[2]), len(rounds[3]))


def _target_errors(isa: QuantumCircuit, device: DevicePreset) -> tuple[tuple, tuple, tuple, tuple, tuple]:
    """Error of every timed operation of ``isa`` on its physical qubits, from the device's Target."""
    target = device.target
    e1: list[float] = []
    e2: list[float] = []
    em: list[float] = []
    ops: list[tuple[str, tuple[int, ...], float]] = []
    used: set[int] = set()
    for inst in isa.data:
        name = inst.operation.name
        if name in ("barrier", "delay", "reset") or name in _VIRTUAL:
            continue
        qargs = tuple(isa.find_bit(q).index for q in inst.qubits)
        used.update(qargs)
        props = target[name].get(qargs) if name in target.operation_names else None
        err = float(props.error) if props is not None and props.error is not None else 0.0
        ops.append((name, qargs, err))
        if name == "measure":
            em.append(err)
        elif len(qargs) == 1:
            e1.append(err)
        else:
            e2.append(err)
    return tuple(e1), tuple(e2), tuple(em), tuple(sorted(used)), tuple(ops)


def _interaction_edges(isa: QuantumCircuit, active: set) -> tuple[tuple[int, int], ...]:
    """The native circuit's two-qubit couplings on its active qubits, renumbered 0.. by index."""
    number = {q: i for i, q in enumerate(sorted(active, key=lambda q: isa.find_bit(q).index))}
    pairs = {tuple(sorted((number[inst.qubits[0]], number[inst.qubits[1]]))) for inst in isa.data
             if len(inst.qubits) == 2 and inst.operation.name not in ("barrier", "delay")}
    return tuple(sorted((int(a), int(b)) for a, b in pairs))


def template_timing(template: QuantumCircuit, device: DevicePreset) -> TemplateTiming:
    """Transpile ``template`` once for ``device`` and time one shot.

    Parameters stay unbound: gate counts and durations do not depend on their
    values, so a Gram matrix of N^2 bound circuits needs one transpilation.
    Results are cached by (device timing, circuit structure).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure_all()
    >>> t = template_timing(qc, get_device("ionq_forte"))
    >>> t.method, t.gate_counts["rzz"]
    ('layered', 1)
    """
    _check_fits(template, device)
    key = (device.timing_key(), _structure_key(template))
    hit = _TIMING_CACHE.get(key)
    if hit is not None:
        return hit
    isa = _transpile(template, device)
    ops = {k: int(v) for k, v in isa.count_ops().items() if k != "barrier"}
    active = {q for inst in isa.data if inst.operation.name not in ("barrier", "delay") for q in inst.qubits}
    common: dict[str, Any] = dict(
        gate_counts=ops, depth=int(isa.depth(lambda i: i.operation.name != "barrier")),
        active_qubits=len(active), measured_bits=int(ops.get("measure", 0)),
        reset_ops=int(ops.get("reset", 0)), interaction_edges=_interaction_edges(isa, active),
    )
    if device.timing == "target":
        e1, e2, em, physical, error_ops = _target_errors(isa, device)
        timing = TemplateTiming(
            duration_s=float(isa.estimate_duration(device.target, unit="s")), method="target",
            errors_1q=e1, errors_2q=e2, errors_readout=em, physical_qubits=physical, error_ops=error_ops,
            **common
        )
    else:
        _, combos, n_layers, counts, ro_rounds, reset_rounds = _layer_model(isa, device)
        partial = TemplateTiming(
            duration_s=0.0, method="layered", combos=combos, category_counts=counts,
            n_layers=n_layers, parallel=device.parallel_gates, readout_rounds=ro_rounds,
            reset_rounds=reset_rounds, **common,
        )
        typ = {k: np.array([p.typical]) for k, p in device.timing_params.items()}
        timing = TemplateTiming(**{**partial.__dict__, "duration_s": float(partial.duration(typ)[0])})
    _TIMING_CACHE[key] = timing
    return timing


# ---------------------------------------------------------------------------------------------
# Parameter draws
# ---------------------------------------------------------------------------------------------
def _triangular(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution (degenerate ranges allowed)."""
    if high <= low:
        return np.full(u.shape, low)
    f = (mode - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (mode - low))
    right = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
    return np.where(u < f, left, right)


def draw_parameters(device: DevicePreset, n_draws: int, seed: int = DEFAULT_SEED) -> dict[str, np.ndarray]:
    """``n_draws`` independent triangular draws of every ranged number of ``device``.

    Examples
    --------
    >>> from qvc.energy.devices import get_device
    >>> p = draw_parameters(get_device("ibm_heron"), 1000, seed=1)
    >>> bool((p["pue"] >= 1.1).all() and (p["pue"] <= 1.6).all())
    True
    """
    rng = np.random.default_rng(seed)
    params = device.uncertain_params()
    u = rng.random((len(params), int(n_draws)))
    return {k: _triangular(u[i], p.low, p.typical, p.high) for i, (k, p) in enumerate(params.items())}


def typical_parameters(device: DevicePreset) -> dict[str, np.ndarray]:
    """Every ranged number at its typical value (arrays of length 1)."""
    return {k: np.array([p.typical]) for k, p in device.uncertain_params().items()}


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Priced:
    """One ledger entry with its timing and what mitigating it costs."""

    entry: LedgerEntry
    timing: TemplateTiming
    mitigation: Mitigation | None
    multiplier: float  # on shots: user factor x mitigation overhead
    stretch: float  # on one shot's circuit duration
    capacity: int = 1  # copies of the circuit the device holds side by side
    copies: int = 1  # copies run per execution (packing)
    mitigations: tuple[Mitigation, ...] = ()  # every model the error data can price
    overhead: float = 1.0  # the mitigation part of the multiplier

    @property
    def executions(self) -> int:
        """Executions of the entry's circuits: ``ceil(circuits / copies)``."""
        return math.ceil(self.entry.n_circuits / self.copies)

    @property
    def shots(self) -> float:
        """Shots per circuit after the multiplier (an integer while that is exact in a float)."""
        x = self.entry.shots * self.multiplier
        return float(math.ceil(x)) if x < 2.0**53 else x


@dataclass(frozen=True)
class _Phase:
    model: str
    phase: str
    entries: tuple[_Priced, ...]
    circuits: int
    executions: float
    jobs: int
    sequential_jobs: int
    host_gap_s: float


def _mitigation_of(timing: TemplateTiming, device: DevicePreset, model: str) -> Mitigation | None:
    rates = timing.error_rates(device)
    if rates is None:
        if model != "none":
            raise QvcUsageError(
                f"device {device.name} has no error rates, so --mitigation {model} cannot be priced; "
                "add gate_1q_error, gate_2q_error and readout_error to its preset or use --mitigation none"
            )
        return None
    return mitigation_cost(model, *rates)


def _jobs_for(circuits: int, executions: float, device: DevicePreset) -> int:
    if not math.isfinite(executions):  # no finite mitigation exists: count jobs by circuits
        executions = 0
    jobs = math.ceil(circuits / device.max_circuits_per_job) if circuits else 0
    if device.max_executions_per_job is not None and executions:
        jobs = max(jobs, math.ceil(executions / device.max_executions_per_job))
    return jobs


def capacity_of(timing: TemplateTiming, device: DevicePreset) -> int:
    """Copies of a native circuit the device runs side by side (:func:`qvc.energy.packing.packing_capacity`)."""
    from qvc.energy.packing import packing_capacity

    cmap = device.coupling_map()
    return packing_capacity(timing.active_qubits, timing.interaction_edges, device.num_qubits,
                            None if cmap is None else [tuple(e) for e in cmap.get_edges()])


def packing_copies(packing: int | str) -> int:
    """``packing`` as the copies asked for: ``none`` 1, ``auto`` 0 (as many as fit), or a count.

    Examples
    --------
    >>> packing_copies("auto"), packing_copies("none"), packing_copies(3)
    (0, 1, 3)
    """
    if isinstance(packing, str):
        text = packing.strip().lower()
        if text in ("auto", "none"):
            return 0 if text == "auto" else 1
        packing = text
    from qvc._validation import check_positive_int

    return check_positive_int(packing, "packing")


def _phases(entries: list[LedgerEntry], device: DevicePreset, factor: float, mitigation: str,
            *, mitigated: bool = True, packing: int = 1) -> list[_Phase]:
    from qvc.energy.mitigation import MITIGATION_MODELS

    groups: dict[tuple[str, str], list[LedgerEntry]] = {}
    for e in entries:
        groups.setdefault((e.model, e.phase), []).append(e)
    out = []
    for (model, phase), es in groups.items():
        priced = []
        for e in es:
            t = template_timing(e.template, device)
            mit = _mitigation_of(t, device, mitigation)
            cap = capacity_of(t, device)
            copies = max(1, min(cap, cap if packing <= 0 else packing))
            every = (tuple(m for m in (_mitigation_of(t, device, name) for name in MITIGATION_MODELS)
                           if m is not None) if mit is not None else ())
            if mitigated and mit is not None:
                priced.append(_Priced(e, t, mit, factor * mit.overhead, mit.stretch, cap, copies, every,
                                      mit.overhead))
            else:
                priced.append(_Priced(e, t, mit, factor if mitigated else 1.0, 1.0, cap, copies, every))
        free = [p for p in priced if p.entry.sequential_jobs <= 0]
        jobs = _jobs_for(sum(p.executions for p in free), sum(p.executions * p.shots for p in free), device)
        seq_jobs, gap = 0, 0.0
        for p in priced:
            rounds = p.entry.sequential_jobs
            if rounds <= 0:
                continue
            per_round = math.ceil(math.ceil(p.entry.n_circuits / rounds) / p.copies)
            seq_jobs += rounds * max(1, _jobs_for(per_round, per_round * p.shots, device))
            gap += max(rounds - 1, 0) * p.entry.host_seconds_per_round
        executions = float(sum(p.entry.n_circuits * p.shots for p in priced))
        out.append(_Phase(model, phase, tuple(priced), sum(p.entry.n_circuits for p in priced),
                          executions, jobs + seq_jobs, seq_jobs, gap))
    return out


def cost_model(device: DevicePreset, phases: list[_Phase], mode: str, *, mitigation: str = "none",
               packing: int = 1, utilisation: float = 1.0) -> CostModel:
    """The priced phases as plain data (:class:`~qvc.energy.costmodel.CostModel`): the one evaluation."""
    def entry(pe: _Priced) -> EntryModel:
        t = pe.timing
        return EntryModel(
            n_circuits=pe.entry.n_circuits, shots=pe.entry.shots, multiplier=pe.multiplier,
            overhead=pe.overhead, stretch=pe.stretch, active_qubits=t.active_qubits, capacity=pe.capacity,
            sequential_jobs=pe.entry.sequential_jobs, method=t.method, duration_s=t.duration_s,
            combos=t.combos, category_counts=t.category_counts, n_layers=t.n_layers, parallel=t.parallel,
            readout_rounds=t.readout_rounds, reset_rounds=t.reset_rounds,
            mitigations=tuple((m.model, m.overhead, m.stretch) for m in pe.mitigations),
        )

    max_exec = device.max_executions_per_job
    return CostModel(
        device=device.name, mode=mode, num_qubits=device.num_qubits, components=tuple(device.power),
        max_circuits=device.max_circuits_per_job, max_executions=max_exec,
        phases=tuple(PhaseModel(ph.model, ph.phase, tuple(entry(pe) for pe in ph.entries), ph.host_gap_s)
                     for ph in phases),
        params={k: (p.low, p.typical, p.high) for k, p in device.uncertain_params().items()},
        mitigation=mitigation, packing=int(packing), utilisation=float(utilisation),
    )


def _evaluate(model: CostModel, p: dict[str, np.ndarray]) -> dict:
    """QPU seconds and joules per component for every draw in ``p`` (vectorised)."""
    return model.evaluate(p)


@dataclass(frozen=True)
class Interval:
    """Median and 90 % interval (5th and 95th percentile) of Monte Carlo draws."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, draws: np.ndarray) -> Interval:
        lo, med, hi = np.percentile(draws, [5.0, 50.0, 95.0])
        return cls(float(med), float(lo), float(hi))

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside ``[low, high]`` (a hair of rounding allowed)."""
        tol = 1e-12 * max(abs(self.low), abs(self.high), 1e-300)
        return self.low - tol <= value <= self.high + tol

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"median": self.median, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class PhaseCost:
    """Modelled cost of one (model, phase) submission, e.g. the fit of a QSVC.

    ``qpu_seconds`` and ``energy_j`` are at typical parameter values; the
    intervals hold the Monte Carlo median and 90 % interval of this phase alone.
    ``sequential_jobs`` are the jobs that wait on each other (optimizer rounds),
    ``host_gap_s`` the host's time between them; ``esp`` the lowest estimated
    success probability of the phase's circuits, ``mitigation_overhead`` the
    largest shot multiplier.
    """

    model: str
    phase: str
    circuits: int
    executions: float
    jobs: int
    qpu_seconds: float
    energy_j: float
    qpu_seconds_interval: Interval
    energy_interval: Interval
    templates: tuple[dict, ...] = ()
    sequential_jobs: int = 0
    host_gap_s: float = 0.0
    esp: float = float("nan")
    mitigation_overhead: float = 1.0

    @property
    def label(self) -> str:
        """``"model:phase"``, for display only."""
        return f"{self.model}:{self.phase}"


@dataclass(frozen=True)
class HardwareCost:
    """Modelled QPU time and energy of ledger entries on one device.

    ``qpu_seconds`` and ``energy_j`` are the deterministic figures at typical
    parameter values (the ones the hand calculation of ``docs/methodology.md``
    reproduces); ``*_interval`` hold the Monte Carlo median and 90 % interval.
    ``energy_unmitigated_*`` are the same run without any mitigation overhead.
    ``esp`` is the lowest estimated success probability of the priced circuits
    (NaN when the device has no error data), ``mitigation_overhead`` the largest
    shot multiplier of the chosen mitigation, ``beyond_mitigation`` whether any
    circuit exceeds practical mitigation (see :mod:`qvc.energy.mitigation`).
    """

    device: str
    circuits: int
    shots: int
    jobs: int
    qpu_seconds: float
    energy_j: float
    method: str = "modelled"
    mode: str = "attributional"
    mitigation_factor: float = 1.0
    qpu_seconds_interval: Interval | None = None
    energy_interval: Interval | None = None
    components_j: dict[str, float] = field(default_factory=dict)
    components_interval: dict[str, Interval] = field(default_factory=dict)
    phases: list[PhaseCost] = field(default_factory=list)
    erased_bits: float = 0.0
    landauer_j: float = 0.0
    n_draws: int = 0
    seed: int = 0
    details: dict = field(default_factory=dict)
    mitigation: str = "none"
    esp: float = float("nan")
    mitigation_overhead: float = 1.0
    beyond_mitigation: bool = False
    sequential_jobs: int = 0
    host_gap_s: float = 0.0
    energy_unmitigated_j: float = float("nan")
    energy_unmitigated_interval: Interval | None = None
    qpu_seconds_unmitigated: float = float("nan")
    packing_copies: int = 1
    utilisation: float = 1.0
    cost_model: CostModel | None = None

    def phase_median(self, phase: str, quantity: Literal["qpu_seconds", "energy_j"]) -> float:
        """Sum over models of the Monte Carlo median of ``quantity`` in ``phase`` (0 if none ran).

        Examples
        --------
        >>> HardwareCost("d", 0, 0, 0, 0.0, 0.0).phase_median("fit", "energy_j")
        0.0
        """
        attr = "qpu_seconds_interval" if quantity == "qpu_seconds" else "energy_interval"
        return float(sum(getattr(p, attr).median for p in self.phases if p.phase == phase))

    @property
    def power_w(self) -> float:
        """Average modelled power over the QPU time at typical values (J / s)."""
        return self.energy_j / self.qpu_seconds if self.qpu_seconds > 0 else float("nan")

    @property
    def orders_above_landauer(self) -> float:
        """``log10(energy_j / landauer_j)``."""
        return orders_above_floor(self.energy_j, self.landauer_j)


def _check_args(device: DevicePreset, mode: str, mitigation_factor: float, n_draws: int,
                mitigation: str = "none") -> None:
    from qvc._validation import check_choice, check_mitigation_factor, check_positive_int

    check_choice(mode, ATTRIBUTION_MODES, "attribution mode")
    check_mitigation(mitigation)
    if not isinstance(mitigation_factor, (int, float)):  # the library call takes numbers, not text
        raise QvcUsageError(f"--mitigation-factor must be a number >= 1 (got {mitigation_factor!r})")
    check_mitigation_factor(mitigation_factor, "--mitigation-factor")
    check_positive_int(n_draws, "number of Monte Carlo draws")


def _phase_cost(ph: _Phase, typ: dict, mc: dict) -> PhaseCost:
    key = (ph.model, ph.phase)
    mits = [pe.mitigation for pe in ph.entries if pe.mitigation is not None]
    return PhaseCost(
        model=ph.model, phase=ph.phase, circuits=ph.circuits, executions=ph.executions, jobs=ph.jobs,
        qpu_seconds=float(typ["phases"][key]["qpu_s"][0]),
        energy_j=float(typ["phases"][key]["energy_j"][0]),
        qpu_seconds_interval=Interval.of(mc["phases"][key]["qpu_s"]),
        energy_interval=Interval.of(mc["phases"][key]["energy_j"]),
        templates=tuple({**pe.timing.to_dict(),
                         **({"mitigation": pe.mitigation.to_dict()} if pe.mitigation else {})}
                        for pe in ph.entries),
        sequential_jobs=ph.sequential_jobs, host_gap_s=ph.host_gap_s,
        esp=min((m.esp for m in mits), default=float("nan")),
        mitigation_overhead=max((pe.multiplier for pe in ph.entries), default=1.0),
    )


def _interval(iv: Interval | None) -> Interval:
    """An interval :func:`price_entries` filled in (it always does)."""
    if iv is None:  # pragma: no cover - price_entries always sets both intervals
        raise ValueError("cost has no Monte Carlo interval")
    return iv


def price_entries(
    entries: list[LedgerEntry],
    device: DevicePreset,
    *,
    mode: str = "attributional",
    mitigation_factor: float = 1.0,
    mitigation: str = "none",
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    packing: int | str = 1,
    utilisation: float = 1.0,
) -> HardwareCost:
    """Price ledger entries on ``device``; each (model, phase) is submitted as separate jobs.

    Entries with ``sequential_jobs`` (an optimizer's evaluations) are submitted as
    one job per round, with the host's time between rounds held in the session.

    Parameters
    ----------
    entries : list of LedgerEntry
    device : DevicePreset
    mode : {"attributional", "marginal"}
    mitigation_factor : float, default 1
        A further user multiplier on shots (on top of ``mitigation``'s overhead).
    mitigation : {"none", "zne", "pec"}, default "none"
        Error-mitigation model whose sampling overhead, computed per circuit from the
        device's error data, multiplies the shots (see :mod:`qvc.energy.mitigation`).
    n_draws : int, default 2000
        Monte Carlo draws for the 90 % interval.
    seed : int, default 0
    packing : int, "none" or "auto", default 1
        Copies of each circuit run side by side in one execution on disjoint qubits
        (``auto``: as many as the coupling map holds, :mod:`qvc.energy.packing`; a count is
        capped there): each entry runs ``ceil(circuits / copies)`` executions.
    utilisation : float in (0, 1], default 1
        Attributional mode: the share of the machine's idle power charged to the job
        (1: the whole machine; the dynamic power is always charged in full).

    Returns
    -------
    HardwareCost

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> from qvc.quantum.ledger import LedgerEntry
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure_all()
    >>> cost = price_entries([LedgerEntry("m", "fit", qc, 10, 1000, "kernel")], get_device("ibm_heron"))
    >>> cost.jobs, cost.method, cost.qpu_seconds_interval.low < cost.qpu_seconds_interval.high
    (1, 'modelled', True)
    >>> 0 < cost.esp <= 1, cost.mitigation_overhead
    (True, 1.0)
    >>> packed = price_entries([LedgerEntry("m", "fit", qc, 10, 1000, "kernel")], get_device("ibm_heron"),
    ...                        packing="auto")
    >>> packed.packing_copies > 1, packed.energy_j < cost.energy_j
    (True, True)
    """
    _check_args(device, mode, mitigation_factor, n_draws, mitigation)
    from qvc._validation import check_float

    copies = packing_copies(packing)
    utilisation = check_float(utilisation, "utilisation", minimum=0.0, maximum=1.0)
    if utilisation <= 0.0:
        raise QvcUsageError(f"utilisation must be in (0, 1] (got {utilisation!r}); give the share of the "
                            "machine's idle power the job is charged, e.g. 0.5")
    for e in entries:
        if e.shots <= 0:
            raise QvcUsageError(f"shots must be >= 1 (got {e.shots})")
    m = float(mitigation_factor)
    phases = _phases(entries, device, m, mitigation, packing=copies)
    plain = _phases(entries, device, m, mitigation, mitigated=False, packing=copies)
    model = cost_model(device, phases, mode, mitigation=mitigation, packing=copies, utilisation=utilisation)
    plain_model = cost_model(device, plain, mode, mitigation="none", packing=copies, utilisation=utilisation)
    typical, draws = typical_parameters(device), draw_parameters(device, n_draws, seed)
    typ = _evaluate(model, typical)
    mc = _evaluate(model, draws)
    typ_plain = _evaluate(plain_model, typical)
    mc_plain = _evaluate(plain_model, draws)
    bits = 0.0
    for ph in phases:
        for pe in ph.entries:
            t = pe.timing
            bits += qpu_erased_bits(pe.entry.n_circuits * pe.shots, t.measured_bits,
                                    t.active_qubits + t.reset_ops)
    comps = [c for c in ENERGY_COMPONENTS if c in typ["components"]]
    priced = [pe for ph in phases for pe in ph.entries]
    mits = [pe.mitigation for pe in priced if pe.mitigation is not None]
    return HardwareCost(
        device=device.name,
        circuits=sum(ph.circuits for ph in phases),
        shots=sum(e.total_shots for e in entries),
        jobs=sum(ph.jobs for ph in phases),
        qpu_seconds=float(typ["qpu_s"][0]),
        energy_j=float(typ["energy_j"][0]),
        mode=mode,
        mitigation_factor=m,
        qpu_seconds_interval=Interval.of(mc["qpu_s"]),
        energy_interval=Interval.of(mc["energy_j"]),
        components_j={c: float(typ["components"][c][0]) for c in comps},
        components_interval={c: Interval.of(mc["components"][c]) for c in comps},
        phases=[_phase_cost(ph, typ, mc) for ph in phases],
        erased_bits=bits,
        landauer_j=landauer_j(bits),
        n_draws=int(n_draws),
        seed=int(seed),
        details={
            "formula": ("T = sum over phases [jobs*per_job_overhead + host gaps between sequential jobs"
                        " + sum_entries n*(per_circuit_overhead + shots*m*(stretch*duration + rep_delay))];"
                        " E = PUE * sum_c P_c * T"),
            "interval": f"5th-95th percentile of {int(n_draws)} triangular draws (seed {int(seed)})",
            "attribution": mode,
            "mitigation": {"model": mitigation, "source": MITIGATION_SOURCES[mitigation],
                           "practical_rule": MITIGATION_SOURCES["practical"],
                           "user_factor": m},
            "sequential": ("optimizer evaluations are sequential: one job per evaluation, the "
                           "session holding the QPU while the host optimizer steps (attributional); "
                           "marginal mode charges nothing for the wait"),
        },
        mitigation=mitigation,
        esp=min((x.esp for x in mits), default=float("nan")),
        mitigation_overhead=max((pe.multiplier for pe in priced), default=m),
        beyond_mitigation=any(not x.practical for x in mits),
        sequential_jobs=sum(ph.sequential_jobs for ph in phases),
        host_gap_s=sum(ph.host_gap_s for ph in phases),
        energy_unmitigated_j=float(typ_plain["energy_j"][0]),
        energy_unmitigated_interval=Interval.of(mc_plain["energy_j"]),
        qpu_seconds_unmitigated=float(typ_plain["qpu_s"][0]),
        packing_copies=model.copies,
        utilisation=utilisation,
        cost_model=model,
    )


def sensitivity(
    entries: list[LedgerEntry],
    device: DevicePreset,
    *,
    mode: str = "attributional",
    mitigation_factor: float = 1.0,
    mitigation: str = "none",
) -> list[dict]:
    """One-at-a-time sensitivity: each ranged number at its low and high, the rest typical.

    Returns rows sorted by how far the energy moves (largest first), each with the
    parameter, its range and source, and the energy and QPU seconds at both ends.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> from qvc.quantum.ledger import LedgerEntry
    >>> qc = QuantumCircuit(1); _ = qc.h(0); _ = qc.measure_all()
    >>> rows = sensitivity([LedgerEntry("m", "fit", qc, 1, 100, "kernel")], get_device("ibm_heron"))
    >>> rows[0]["parameter"]
    'per_job_overhead_s'
    """
    _check_args(device, mode, mitigation_factor, 1, mitigation)
    phases = _phases(entries, device, float(mitigation_factor), mitigation)
    params = device.uncertain_params()
    names = list(params)
    k = len(names)
    batch = {name: np.full(2 * k, p.typical) for name, p in params.items()}
    for i, name in enumerate(names):
        batch[name][2 * i] = params[name].low
        batch[name][2 * i + 1] = params[name].high
    res = _evaluate(cost_model(device, phases, mode, mitigation=mitigation), batch)
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        e_lo, e_hi = float(res["energy_j"][2 * i]), float(res["energy_j"][2 * i + 1])
        s_lo, s_hi = float(res["qpu_s"][2 * i]), float(res["qpu_s"][2 * i + 1])
        p = params[name]
        rows.append({
            "parameter": name, "low": p.low, "typical": p.typical, "high": p.high,
            "energy_j_at_low": e_lo, "energy_j_at_high": e_hi, "energy_swing_j": abs(e_hi - e_lo),
            "qpu_seconds_at_low": s_lo, "qpu_seconds_at_high": s_hi, "qpu_swing_s": abs(s_hi - s_lo),
            "source": p.source,
        })
    rows.sort(key=lambda r: (-r["energy_swing_j"], -r["qpu_swing_s"], r["parameter"]))
    return rows


def _figure(typical: float, interval: Interval) -> dict:
    """A figure as JSON: typical, median, 90 % interval, and whether the typical lies inside it."""
    inside = interval.contains(typical)
    out = {"typical": typical, **interval.to_dict(), "typical_in_interval": inside}
    if not inside:
        out["note"] = ("the all-typical figure lies outside the 90 % interval because the ranges are "
                       "skewed (typical nearer one end); the median is the central figure")
    return out


def estimate_circuit(
    circuit: QuantumCircuit,
    device: DevicePreset,
    *,
    shots: int,
    circuits: int = 1,
    mode: str = "attributional",
    mitigation_factor: float = 1.0,
    mitigation: str = "none",
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    top: int = 5,
) -> dict:
    """Price ``circuits`` executions of ``circuit`` with ``shots`` shots each (one submission).

    Returns the plain-JSON object that ``qvc estimate --json`` prints, including the
    circuit's estimated success probability ``esp`` (product of ``1 - error`` over the
    native circuit's gates and measurements on the device) and the mitigation overhead.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qvc.energy.devices import get_device
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure_all()
    >>> out = estimate_circuit(qc, get_device("ibm_heron"), shots=1000)
    >>> sorted(out["energy_j"])[:3]
    ['control', 'cryogenics', 'facility']
    >>> 0 < out["esp"] <= 1
    True
    """
    from qvc._validation import check_positive_int

    shots = check_positive_int(shots, "--shots")
    circuits = check_positive_int(circuits, "--circuits")
    entry = LedgerEntry("circuit", "estimate", circuit, circuits, shots, "circuit")
    cost = price_entries([entry], device, mode=mode, mitigation_factor=mitigation_factor,
                         mitigation=mitigation, n_draws=n_draws, seed=seed)
    timing = template_timing(circuit, device)
    mit = cost.phases[0].templates[0].get("mitigation")
    energy = {"total": _figure(cost.energy_j, _interval(cost.energy_interval))}
    for c, v in cost.components_j.items():
        energy[c] = _figure(v, cost.components_interval[c])
    return {
        "device": device.name,
        "platform": device.platform,
        "timing": device.timing,
        "mode": mode,
        "method": "modelled",
        "shots": shots,
        "circuits": circuits,
        "mitigation_factor": cost.mitigation_factor,
        "mitigation": mitigation,
        "mitigation_overhead": cost.mitigation_overhead if math.isfinite(cost.mitigation_overhead) else None,
        "mitigation_detail": mit,
        "beyond_practical_mitigation": cost.beyond_mitigation,
        "esp": None if math.isnan(cost.esp) else cost.esp,
        "esp_method": ("product of (1 - error) over the native circuit's gates and measurements: "
                       + (f"{device.fake_backend} Target errors on physical qubits "
                          f"{list(timing.physical_qubits)} (transpiled optimization_level=1, "
                          "seed_transpiler=0; rz and delays error-free, resets not counted)"
                          + (f"; {device.target_errors_note}" if device.target_errors_note else "")
                          if device.timing == "target" else "the preset's typical error rates")),
        "jobs": cost.jobs,
        "gate_counts": timing.gate_counts,
        "depth": timing.depth,
        "active_qubits": timing.active_qubits,
        "physical_qubits": list(timing.physical_qubits),
        "esp_operations": [[n, list(q), e] for n, q, e in timing.error_ops],
        "duration_s": timing.duration_s,
        "qpu_seconds": _figure(cost.qpu_seconds, _interval(cost.qpu_seconds_interval)),
        "energy_j": energy,
        "energy_unmitigated_j": _figure(cost.energy_unmitigated_j, _interval(cost.energy_unmitigated_interval)),
        "power_w_typical": cost.power_w,
        "erased_bits": cost.erased_bits,
        "landauer_j": cost.landauer_j,
        "orders_above_landauer": cost.orders_above_landauer,
        "sensitivity": sensitivity([entry], device, mode=mode, mitigation_factor=mitigation_factor,
                                   mitigation=mitigation)[:top],
        "uncertainty": cost.details["interval"],
        "formula": cost.details["formula"],
    }
