"""A priced ledger as plain data, and the cost model's one evaluation over parameter draws.

:func:`qvc.energy.hardware.price_entries` reduces a ledger on a device to a
:class:`CostModel`: per (model, phase) submission, per entry, the circuits, shots,
mitigation multiplier, one-shot duration model, active qubits and how many copies the
device could run side by side (:mod:`qvc.energy.packing`), with every ranged device
number as ``(low, typical, high)``. :meth:`CostModel.evaluate` turns any batch of values
of those numbers (and of the attribution scenario: packing, utilisation share, mitigation
model, shot scale) into QPU seconds and joules, vectorised. The typical figure, the Monte
Carlo interval, the attribution scenarios and the global sensitivity analysis of the
report (:mod:`qvc.analysis.sensitivity`) all go through it, so they cannot disagree.
It is plain JSON (:meth:`CostModel.to_dict`), stored with each priced row
(``hw_cost_model``), so the report re-evaluates it without the circuits.

Attribution (``P_c`` the power of component ``c``, ``W_c(q) = static_c + per_qubit_c * q``,
``N`` the device's qubits, ``f_c`` its idle fraction, ``u`` the utilisation share)::

    attributional  P_c = W_c(N) * (1 - f_c * (1 - u))   # u = 1: the whole machine
    marginal       P_c = W_c(active qubits x copies) * (1 - f_c)

Packing with ``k`` copies runs ``ceil(n / k)`` executions of an entry's ``n`` circuits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Mitigation models in the order the sensitivity analysis indexes them.
MITIGATION_ORDER = ("none", "zne", "pec")


def layered_duration(combos: tuple[tuple[int, int], ...], category_counts: tuple[int, int, int, int],
                     n_layers: int, parallel: bool, readout_rounds: int, reset_rounds: int,
                     p: dict[str, np.ndarray]) -> np.ndarray:
    """One shot of a layered-model circuit for each draw of the gate times in ``p``."""
    times = [p[c] for c in ("gate_1q_s", "gate_2q_s", "readout_s", "reset_s")]
    n = len(times[0])
    out = np.zeros(n)
    if parallel:
        for mask, count in combos:
            longest = np.max([times[i] for i in range(4) if mask >> i & 1], axis=0)
            out += count * longest
    else:  # gates one after another; measurements (resets) no gate waits between count once
        c1, c2, _, _ = category_counts
        out = c1 * times[0] + c2 * times[1] + readout_rounds * times[2] + reset_rounds * times[3]
    return out + n_layers * p["layer_overhead_s"]


@dataclass(frozen=True)
class EntryModel:
    """One ledger entry as priced: what :meth:`CostModel.evaluate` needs of it.

    ``multiplier`` is the priced shot multiplier (user factor x mitigation overhead),
    ``overhead`` the mitigation part of it; ``mitigations`` lists ``(model, overhead,
    stretch)`` for every model the device's error data can price (the sensitivity's
    mitigation input); ``capacity`` the copies the device holds (packing ``auto``).
    """

    n_circuits: int
    shots: int
    multiplier: float
    overhead: float
    stretch: float
    active_qubits: int
    capacity: int
    sequential_jobs: int
    method: str
    duration_s: float
    combos: tuple[tuple[int, int], ...] = ()
    category_counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    n_layers: int = 0
    parallel: bool = True
    readout_rounds: int = 0
    reset_rounds: int = 0
    mitigations: tuple[tuple[str, float, float], ...] = ()

    def duration(self, p: dict[str, np.ndarray], n: int) -> np.ndarray:
        """One-shot duration for each of the ``n`` draws."""
        if self.method == "target":
            return np.full(n, self.duration_s)
        return layered_duration(self.combos, self.category_counts, self.n_layers, self.parallel,
                                self.readout_rounds, self.reset_rounds, p)

    def mitigation_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Overhead and stretch of each of :data:`MITIGATION_ORDER` (``inf`` where it cannot be priced)."""
        known = {m: (o, s) for m, o, s in self.mitigations}
        over = np.array([known.get(m, (math.inf, 1.0))[0] for m in MITIGATION_ORDER], dtype=float)
        stretch = np.array([known.get(m, (math.inf, 1.0))[1] for m in MITIGATION_ORDER], dtype=float)
        return over, stretch


@dataclass(frozen=True)
class PhaseModel:
    """One (model, phase) submission: its entries and the host's time between sequential jobs."""

    model: str
    phase: str
    entries: tuple[EntryModel, ...]
    host_gap_s: float = 0.0


@dataclass(frozen=True)
class CostModel:
    """The priced ledger of one row on one device (see the module docstring).

    ``packing`` is the copies asked for (``0``: as many as fit, ``auto``); each entry runs
    ``min(packing, capacity)``. ``params`` holds every ranged device number as
    ``(low, typical, high)``.
    """

    device: str
    mode: str
    num_qubits: int
    components: tuple[str, ...]
    max_circuits: int
    max_executions: int | None
    phases: tuple[PhaseModel, ...]
    params: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    mitigation: str = "none"
    packing: int = 1
    utilisation: float = 1.0

    # -- plain JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain-JSON form (``inf`` as ``None``)."""
        def entry(e: EntryModel) -> dict:
            d = {k: getattr(e, k) for k in EntryModel.__dataclass_fields__}
            d["combos"] = [list(c) for c in e.combos]
            d["category_counts"] = list(e.category_counts)
            d["mitigations"] = [[m, _finite(o), s] for m, o, s in e.mitigations]
            d["overhead"], d["multiplier"] = _finite(e.overhead), _finite(e.multiplier)
            return d

        return {
            "device": self.device, "mode": self.mode, "num_qubits": self.num_qubits,
            "components": list(self.components), "max_circuits": self.max_circuits,
            "max_executions": self.max_executions, "mitigation": self.mitigation,
            "packing": self.packing, "utilisation": self.utilisation,
            "params": {k: list(v) for k, v in self.params.items()},
            "phases": [{"model": ph.model, "phase": ph.phase, "host_gap_s": ph.host_gap_s,
                        "entries": [entry(e) for e in ph.entries]} for ph in self.phases],
        }

    @classmethod
    def from_dict(cls, d: dict) -> CostModel:
        """Inverse of :meth:`to_dict`."""
        def entry(e: dict) -> EntryModel:
            kw = {k: e[k] for k in EntryModel.__dataclass_fields__ if k in e}
            kw["combos"] = tuple(tuple(int(x) for x in c) for c in e.get("combos", ()))
            kw["category_counts"] = tuple(int(x) for x in e.get("category_counts", (0, 0, 0, 0)))
            kw["mitigations"] = tuple((str(m), _infinite(o), float(s)) for m, o, s in e.get("mitigations", ()))
            kw["overhead"], kw["multiplier"] = _infinite(e.get("overhead")), _infinite(e.get("multiplier"))
            return EntryModel(**kw)

        return cls(
            device=str(d["device"]), mode=str(d["mode"]), num_qubits=int(d["num_qubits"]),
            components=tuple(d["components"]), max_circuits=int(d["max_circuits"]),
            max_executions=None if d.get("max_executions") is None else int(d["max_executions"]),
            phases=tuple(PhaseModel(str(ph["model"]), str(ph["phase"]),
                                    tuple(entry(e) for e in ph["entries"]), float(ph.get("host_gap_s", 0.0)))
                         for ph in d["phases"]),
            params={k: (float(v[0]), float(v[1]), float(v[2])) for k, v in d.get("params", {}).items()},
            mitigation=str(d.get("mitigation", "none")), packing=int(d.get("packing", 1)),
            utilisation=float(d.get("utilisation", 1.0)),
        )

    # -- what can vary ------------------------------------------------------------------------
    def typical(self) -> dict[str, np.ndarray]:
        """Every ranged device number at its typical value (arrays of length 1)."""
        return {k: np.array([v[1]]) for k, v in self.params.items()}

    @property
    def capacity(self) -> int:
        """The most copies any entry's circuit fits on the device (packing ``auto``)."""
        return max((e.capacity for ph in self.phases for e in ph.entries), default=1)

    @property
    def copies(self) -> int:
        """Copies the largest-capacity entry runs at this model's packing."""
        return max((_copies(self.packing, e.capacity) for ph in self.phases for e in ph.entries), default=1)

    def mitigation_choices(self) -> tuple[str, ...]:
        """The mitigation models every entry can price (finite overhead), in :data:`MITIGATION_ORDER`."""
        out = []
        for m in MITIGATION_ORDER:
            ok = all(any(name == m and math.isfinite(o) for name, o, _ in e.mitigations)
                     for ph in self.phases for e in ph.entries)
            if ok or m == self.mitigation:
                out.append(m)
        return tuple(out)

    # -- the evaluation ---------------------------------------------------------------------
    def evaluate(self, p: dict[str, Any]) -> dict:
        """QPU seconds and joules (total, per component, per phase) for every draw in ``p``.

        ``p`` maps each ranged device number to an array of draws (one length); it may also
        give ``packing`` (copies asked for, ``0`` = all that fit), ``utilisation`` (share of the
        idle power charged), ``mitigation`` (index into :data:`MITIGATION_ORDER`) and
        ``shots_scale`` (multiplier on every entry's shots); absent ones take this model's values.
        """
        n = len(p["pue"])
        arr = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in p.items()}
        packing = arr.get("packing", np.full(n, float(self.packing)))
        util = arr.get("utilisation", np.full(n, float(self.utilisation)))
        mit_index = arr.get("mitigation")
        scale = arr.get("shots_scale")
        comp = {c: np.zeros(n) for c in self.components}
        total_s = np.zeros(n)
        per_phase = {}
        for ph in self.phases:
            parts = []
            free_c, free_x = np.zeros(n), np.zeros(n)
            seq_jobs = np.zeros(n)
            for e in ph.entries:
                k = np.maximum(1.0, np.minimum(np.where(packing > 0, np.floor(packing), e.capacity), e.capacity))
                n_eff = np.ceil(e.n_circuits / k)
                multiplier, stretch = np.full(n, e.multiplier), np.full(n, e.stretch)
                if mit_index is not None:
                    over_t, stretch_t = e.mitigation_table()
                    idx = np.clip(mit_index.astype(int), 0, len(MITIGATION_ORDER) - 1)
                    factor = e.multiplier / e.overhead if math.isfinite(e.overhead) and e.overhead > 0 else 1.0
                    multiplier, stretch = factor * over_t[idx], stretch_t[idx]
                base = np.full(n, float(e.shots)) if scale is None else np.maximum(1.0, np.round(e.shots * scale))
                with np.errstate(invalid="ignore"):
                    x = base * multiplier
                    shots = np.where(x < 2.0 ** 53, np.ceil(x), x)
                if e.sequential_jobs > 0:
                    rounds = e.sequential_jobs
                    per_round = np.ceil(math.ceil(e.n_circuits / rounds) / k)
                    seq_jobs = seq_jobs + rounds * np.maximum(1.0, self._jobs(per_round, per_round * shots))
                else:
                    free_c, free_x = free_c + n_eff, free_x + n_eff * shots
                parts.append((e, n_eff, shots, stretch, k))
            jobs = self._jobs(free_c, free_x) + seq_jobs
            overhead = jobs * arr["per_job_overhead_s"]
            phase_s = overhead + ph.host_gap_s
            entry_s = []
            for e, n_eff, shots, stretch, k in parts:
                s = n_eff * (arr["per_circuit_overhead_s"]
                             + shots * (stretch * e.duration(arr, n) + arr["rep_delay_s"]))
                entry_s.append((s, np.minimum(e.active_qubits * k, self.num_qubits)))
                phase_s = phase_s + s
            phase_e = {c: np.zeros(n) for c in self.components}
            if self.mode == "attributional":  # the session holds the whole machine, gaps included
                power = self._power(arr, self.num_qubits, util)
                for c in self.components:
                    phase_e[c] = power[c] * phase_s
            else:  # an idle machine waiting between rounds adds nothing
                widest = np.max([q for _, q in entry_s], axis=0) if entry_s else np.zeros(n)
                power = self._power(arr, widest, util)
                for c in self.components:
                    phase_e[c] = power[c] * overhead
                for s, q in entry_s:
                    power = self._power(arr, q, util)
                    for c in self.components:
                        phase_e[c] = phase_e[c] + power[c] * s
            per_phase[(ph.model, ph.phase)] = {"qpu_s": phase_s, "energy_j": arr["pue"] * sum(phase_e.values()),
                                               "jobs": jobs}
            total_s = total_s + phase_s
            for c in self.components:
                comp[c] = comp[c] + phase_e[c]
        it = sum(comp.values()) if comp else np.zeros(n)
        comp["facility"] = (arr["pue"] - 1.0) * it
        return {"qpu_s": total_s, "energy_j": arr["pue"] * it, "components": comp, "phases": per_phase}

    def energy(self, p: dict[str, Any]) -> np.ndarray:
        """Joules for every draw in ``p`` (see :meth:`evaluate`)."""
        return self.evaluate(p)["energy_j"]

    def _jobs(self, circuits: np.ndarray, executions: np.ndarray) -> np.ndarray:
        """Jobs for ``circuits`` and ``circuits x shots`` (vectorised ``hardware._jobs_for``)."""
        executions = np.where(np.isfinite(executions), executions, 0.0)  # no finite mitigation: by circuits
        jobs = np.where(circuits > 0, np.ceil(circuits / self.max_circuits), 0.0)
        if self.max_executions is not None:
            jobs = np.where(executions > 0, np.maximum(jobs, np.ceil(executions / self.max_executions)), jobs)
        return jobs

    def _power(self, p: dict[str, np.ndarray], qubits, util: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for c in self.components:
            watts = p[f"power.{c}.static_w"] + p[f"power.{c}.per_qubit_w"] * qubits
            idle = p[f"power.{c}.idle_fraction"]
            if self.mode == "marginal":
                watts = watts * (1.0 - idle)
            else:
                watts = watts * (1.0 - idle * (1.0 - util))
            out[c] = watts
        return out


def _copies(packing: int, capacity: int) -> int:
    return max(1, min(capacity, capacity if packing <= 0 else packing))


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _infinite(x: object) -> float:
    return math.inf if x is None else float(x)  # type: ignore[arg-type]  # a JSON number


# ---------------------------------------------------------------------------------------------
# The fault-tolerant projection (qvc.energy.ftqc)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FtEntryModel:
    """One ledger entry on a fault-tolerant machine: executions and the estimator's figures of one shot.

    ``patch_cycles`` is code patches x logical cycles of one shot (what the decoder processes).
    """

    model: str
    phase: str
    n_circuits: int
    shots: int
    physical_qubits: int
    runtime_s: float
    patch_cycles: float


@dataclass(frozen=True)
class FtCostModel:
    """The projected cost of ledger entries on one FTQC preset (see :mod:`qvc.energy.ftqc`).

    ``params`` holds every ranged number of the preset's profile as ``(low, typical, high)``
    under the flat names ``power.<c>.static_w``, ``power.<c>.per_qubit_w``,
    ``power.<c>.idle_fraction``, ``decoding_j_per_patch_cycle`` and ``pue``. The machine is the
    one the estimator sizes for each circuit (its physical qubits), held for the shot's runtime::

        E = PUE * sum_entries n * S * [ sum_c a_c (static_c + per_qubit_c * Q) * T + decoding * patch_cycles ]

    with ``a_c = 1`` (attributional) or ``1 - idle_fraction_c`` (marginal).
    """

    device: str
    mode: str
    components: tuple[str, ...]
    entries: tuple[FtEntryModel, ...]
    params: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def typical(self) -> dict[str, np.ndarray]:
        """Every ranged number at its typical value (arrays of length 1)."""
        return {k: np.array([v[1]]) for k, v in self.params.items()}

    def evaluate(self, p: dict[str, Any]) -> dict:
        """Machine seconds and joules (total, per component, per (model, phase)) for every draw in ``p``."""
        n = len(np.atleast_1d(p["pue"]))
        arr = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in p.items()}
        comp = {c: np.zeros(n) for c in (*self.components, "decoding")}
        seconds = np.zeros(n)
        phases: dict[tuple[str, str], dict] = {}
        for e in self.entries:
            execs = float(e.n_circuits) * float(e.shots)
            t = execs * e.runtime_s
            ph = phases.setdefault((e.model, e.phase), {"seconds": np.zeros(n), "energy_j": np.zeros(n)})
            entry_it = np.zeros(n)
            for c in self.components:
                watts = arr[f"power.{c}.static_w"] + arr[f"power.{c}.per_qubit_w"] * e.physical_qubits
                if self.mode == "marginal":
                    watts = watts * (1.0 - arr[f"power.{c}.idle_fraction"])
                comp[c] = comp[c] + watts * t
                entry_it = entry_it + watts * t
            dec = arr["decoding_j_per_patch_cycle"] * e.patch_cycles * execs
            comp["decoding"] = comp["decoding"] + dec
            entry_it = entry_it + dec
            seconds = seconds + t
            ph["seconds"] = ph["seconds"] + t
            ph["energy_j"] = ph["energy_j"] + arr["pue"] * entry_it
        it = sum(comp.values())
        comp["facility"] = (arr["pue"] - 1.0) * it
        return {"seconds": seconds, "energy_j": arr["pue"] * it, "components": comp, "phases": phases}

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"device": self.device, "mode": self.mode, "components": list(self.components),
                "params": {k: list(v) for k, v in self.params.items()},
                "entries": [{k: getattr(e, k) for k in FtEntryModel.__dataclass_fields__} for e in self.entries]}

    @classmethod
    def from_dict(cls, d: dict) -> FtCostModel:
        """Inverse of :meth:`to_dict`."""
        return cls(device=str(d["device"]), mode=str(d["mode"]), components=tuple(d["components"]),
                   entries=tuple(FtEntryModel(**e) for e in d["entries"]),
                   params={k: (float(v[0]), float(v[1]), float(v[2])) for k, v in d["params"].items()})
